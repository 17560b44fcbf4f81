"""Every validation sentence names the field and the fix, and costs no API call. Pure: the
shipment, the settings and Xero's cached codes are built in memory."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from models import CustomerMapping, SyncSettings, XeroTaxRate
from models.shipment import AMOUNT
from services.validation import check, required_field_problems, sign_problem
from tests.utils.factories import line, reference_in_memory, shipment_in_memory


@pytest.fixture
def ref():
    return reference_in_memory()


def problems_of(ref, settings=None, **overrides) -> list[str]:
    return check(shipment_in_memory(**overrides), settings or SyncSettings(), ref)[0]


def test_a_complete_shipment_has_no_problems(ref):
    assert problems_of(ref) == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"buyer_code": None}, "Customer code is missing: fill in the buyer code"),
        ({"currency": None}, "Currency is missing"),
        ({"invoice_date": None}, "Document date is missing: fill in the invoice date."),
        ({"due_date": None}, "Due date is missing"),
        (
            {"due_date": date(2026, 10, 31)},  # invoice date 2026-11-01
            "Due date 2026-10-31 is before the document date 2026-11-01: correct one of them.",
        ),
        ({"lines": [line(quantity="0.0000")]}, "Line 1: quantity 0 must be more than 0."),
        ({"incoterms": " "}, "Incoterms are missing"),
        ({"exchange_rate": Decimal("0")}, "Exchange rate 0 is not valid"),
        ({"lines": []}, "The shipment has no lines"),
        ({"lines": [line(quantity=None)]}, "Line 1: quantity and item value are missing"),
        ({"lines": [line(product_code=None)]}, "Line 1: product code is missing"),
        ({"lines": [line(quantity="0")]}, "Line 1: quantity 0 must be more than 0."),
        ({"lines": [line(unit_price="-1")]}, "Line 1: unit price -1 cannot be negative."),
        (
            {"lines": [line(quantity="2", unit_price="0", item_value="-5")]},
            "Line 1: item value -5 cannot be negative.",
        ),
        (
            {"freight_amount": Decimal("-5")},
            "Freight amount -5 cannot be negative: enter 0 or more, or leave it empty.",
        ),
    ],
)
def test_each_required_field_has_its_sentence(ref, overrides, expected):
    problems = problems_of(ref, **overrides)
    assert any(p.startswith(expected) for p in problems), problems


def test_item_value_must_be_quantity_times_price_and_shows_both(ref):
    problems = problems_of(ref, lines=[line(quantity="3", unit_price="12.50", item_value="40")])
    assert problems == [
        "Line 1: item value 40.00 is not quantity × unit price (3 × 12.50 = 37.50): "
        "correct the quantity, the unit price or the item value."
    ]


def test_unknown_customer_code_suggests_the_nearest(ref):
    assert problems_of(ref, buyer_code="ALOK") == [
        "Customer code ALOK is not a Xero contact's account number: fix the code or add it "
        "in Xero (did you mean ALOK-01?)."
    ]


@pytest.mark.parametrize("code", ["PACPACK", "OLDCO"])
def test_supplier_only_and_archived_contacts_are_not_customers(ref, code):
    problems = problems_of(ref, buyer_code=code)
    assert problems and problems[0].startswith(f"Customer code {code} is not a Xero contact")


def test_a_customer_alias_points_a_shipment_code_at_a_xero_contact():
    alias = CustomerMapping(tenant_id="tenant-test", shipment_code="alok", account_number="ALOK-01")
    ref = reference_in_memory(extra_rows=[alias])
    problems, resolved = check(shipment_in_memory(buyer_code="ALOK"), SyncSettings(), ref)
    assert problems == []
    assert resolved is not None and resolved.contact is not None
    assert resolved.contact.contact_id == "c-ALOK-01"


def test_unknown_product_and_currency(ref):
    problems = problems_of(ref, currency="JPY", lines=[line(product_code="WIDGET-Z")])
    assert "Currency JPY is not enabled in the Xero organisation" in problems[0]
    assert problems[1].startswith("Line 1: product code WIDGET-Z is not a Xero item code")
    assert "did you mean WIDGET-A or WIDGET-B?" in problems[1]


def test_field_sources_follow_the_settings(ref):
    settings = SyncSettings(
        customer_code_source="consignee_code",
        reference_source="exporter_reference",
        date_source="date_of_issue",
    )
    shipment = shipment_in_memory(
        buyer_code=None, consignee_code="ACME", exporter_reference="EXP-9", invoice_date=None
    )
    problems, resolved = check(shipment, settings, ref)
    assert problems == []
    assert resolved is not None
    assert resolved.reference == "EXP-9"
    shipment.consignee_code = None
    assert required_field_problems(shipment, settings)[0].startswith(
        "Customer code is missing: fill in the consignee code"
    )


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("quantity", "-2", "-2 cannot be negative: enter 0 or more"),
        ("unit_price", "-0.5", "-0.5 cannot be negative: enter 0 or more"),
        ("item_value", "-25.00", "-25 cannot be negative: enter 0 or more"),
        ("freight_amount", "-5", "-5 cannot be negative: enter 0 or more"),
        ("exchange_rate", "-3", "-3 is not valid: enter a rate above 0, or leave it empty"),
        ("exchange_rate", "0", "0 is not valid: enter a rate above 0, or leave it empty"),
    ],
)
def test_sign_problem_is_the_one_rule_for_the_form_the_import_and_the_send(field, value, expected):
    """A value no shipment may hold: the form and the import refuse it before saving."""
    said = sign_problem(field, Decimal(value))
    assert said is not None and said.startswith(expected), said


@pytest.mark.parametrize(
    ("field", "value"),
    [("quantity", "0"), ("freight_amount", "0"), ("exchange_rate", "0.59"), ("quantity", None)],
)
def test_sign_problem_lets_a_value_a_shipment_may_hold_through(field, value):
    assert sign_problem(field, None if value is None else Decimal(value)) is None


def test_a_tax_rate_for_purchases_only_is_refused_on_sales(ref):
    assert problems_of(ref, SyncSettings(tax_type="INPUT2")) == [
        "Tax type INPUT2 is for purchases, not sales: choose a sales tax rate on the Mapping page."
    ]


def test_a_total_beyond_what_shipbridge_can_hold_is_refused_before_a_send():
    """Each line fits its column, but their sum is what Xero answers and Shipbridge stores."""
    most = AMOUNT.largest
    shipment = shipment_in_memory(
        lines=[line(quantity="1", unit_price=str(most)), line(quantity="1", unit_price="1")]
    )
    assert required_field_problems(shipment, SyncSettings()) == [
        f"Total (lines and freight) {most + 1} is larger than Shipbridge can hold: at most "
        f"{most:,}: split the shipment."
    ]


def test_a_total_that_fits_only_before_tax_is_refused_when_tax_goes_on_top():
    gst = XeroTaxRate(
        tenant_id="tenant-test", tax_type="OUTPUT2", name="GST on Income", rate=Decimal(15)
    )
    ref = reference_in_memory(extra_rows=[gst])
    price = str(AMOUNT.largest - 1)  # fits; with 15 % on top it does not
    on_top = SyncSettings(tax_type="OUTPUT2", line_amount_types="Exclusive")
    included = SyncSettings(tax_type="OUTPUT2", line_amount_types="Inclusive")
    lines = [line(quantity="1", unit_price=price)]
    [problem] = check(shipment_in_memory(lines=lines), on_top, ref)[0]
    assert problem.startswith("Total with OUTPUT2 tax ")
    assert problem.endswith(
        f"is larger than Shipbridge can hold: at most {AMOUNT.largest:,}: split the shipment."
    )
    assert check(shipment_in_memory(lines=lines), included, ref)[0] == []
