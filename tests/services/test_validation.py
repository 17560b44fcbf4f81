"""Every validation sentence names the field and the fix, and costs no API call."""

from datetime import date
from decimal import Decimal

import pytest

from services import reference_data
from services.documents import build_document
from services.mapping import get_sync_settings, update_sync_settings
from services.validation import check, required_field_problems, sign_problem
from tests.utils.factories import line, make_shipment, seed_reference


@pytest.fixture
def ref(session):
    connection = seed_reference(session)
    return reference_data.load(session=session, connection=connection)


@pytest.fixture
def settings(session):
    return get_sync_settings(session=session)


def problems_of(session, settings, ref, **overrides):
    shipment = make_shipment(session, **overrides)
    return check(shipment, settings, ref)[0]


def test_a_complete_shipment_has_no_problems(session, settings, ref):
    assert problems_of(session, settings, ref) == []


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
def test_each_required_field_has_its_sentence(session, settings, ref, overrides, expected):
    problems = problems_of(session, settings, ref, **overrides)
    assert any(p.startswith(expected) for p in problems), problems


def test_item_value_must_be_quantity_times_price_and_shows_both(session, settings, ref):
    problems = problems_of(
        session, settings, ref, lines=[line(quantity="3", unit_price="12.50", item_value="40")]
    )
    assert problems == [
        "Line 1: item value 40.00 is not quantity × unit price (3 × 12.50 = 37.50): "
        "correct the quantity, the unit price or the item value."
    ]


def test_unknown_customer_code_suggests_the_nearest(session, settings, ref):
    problems = problems_of(session, settings, ref, buyer_code="ALOK")
    assert problems == [
        "Customer code ALOK is not a Xero contact's account number: fix the code or add it "
        "in Xero (did you mean ALOK-01?)."
    ]


@pytest.mark.parametrize("code", ["PACPACK", "OLDCO"])
def test_supplier_only_and_archived_contacts_are_not_customers(session, settings, ref, code):
    problems = problems_of(session, settings, ref, buyer_code=code)
    assert problems and problems[0].startswith(f"Customer code {code} is not a Xero contact")


def test_unknown_product_and_currency(session, settings, ref):
    problems = problems_of(
        session, settings, ref, currency="JPY", lines=[line(product_code="WIDGET-Z")]
    )
    assert "Currency JPY is not enabled in the Xero organisation" in problems[0]
    assert problems[1].startswith("Line 1: product code WIDGET-Z is not a Xero item code")
    assert "did you mean WIDGET-A or WIDGET-B?" in problems[1]


def test_field_sources_follow_the_settings(session, ref):
    settings = update_sync_settings(
        session=session,
        user="admin",
        changes={
            "customer_code_source": "consignee_code",
            "reference_source": "exporter_reference",
            "date_source": "date_of_issue",
        },
    )
    shipment = make_shipment(
        session,
        buyer_code=None,
        consignee_code="ACME",
        exporter_reference="EXP-9",
        invoice_date=None,
    )
    problems, resolved = check(shipment, settings, ref)
    assert problems == []
    assert resolved.reference == "EXP-9"
    shipment.consignee_code = None
    assert required_field_problems(shipment, settings)[0].startswith(
        "Customer code is missing: fill in the consignee code"
    )


def test_document_carries_rate_only_for_foreign_currency(session, settings, ref):
    shipment = make_shipment(session, freight_amount=Decimal("85"))
    _, resolved = check(shipment, settings, ref)
    doc = build_document(shipment, settings, resolved, base_currency="NZD")
    assert doc["CurrencyRate"] == "0.59"
    assert doc["InvoiceNumber"] == shipment.shipment_number
    assert doc["Contact"] == {"ContactID": "c-ACME"}
    assert [x["AccountCode"] for x in doc["LineItems"]] == ["210", "265"]
    assert doc["LineItems"][1]["LineAmount"] == "85"
    home = make_shipment(session, currency="NZD", exchange_rate=Decimal("1.5"))
    _, resolved = check(home, settings, ref)
    assert "CurrencyRate" not in build_document(home, settings, resolved, base_currency="NZD")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("quantity", "-2", "-2 cannot be negative: enter 0 or more"),
        ("unit_price", "-0.5", "-0.5 cannot be negative: enter 0 or more"),
        ("item_value", "-25.00", "-25 cannot be negative: enter 0 or more"),
        ("freight_amount", "-5", "-5 cannot be negative: enter 0 or more"),
        ("exchange_rate", "-3", "-3 is not valid: enter a rate above 0, or leave it empty"),
        ("exchange_rate", "0", "0 is not valid: enter a rate above 0, or leave it empty"),
        ("quantity", "0", None),
        ("freight_amount", "0", None),
        ("exchange_rate", "0.59", None),
    ],
)
def test_sign_problem_is_the_one_rule_for_the_form_the_import_and_the_send(field, value, expected):
    """A value no shipment may hold: the form and the import refuse it before saving."""
    said = sign_problem(field, Decimal(value))
    assert said == expected if expected is None else said.startswith(expected), said


def test_a_tax_rate_for_purchases_only_is_refused_on_sales(session, ref):
    settings = update_sync_settings(session=session, changes={"tax_type": "INPUT2"}, user="t")
    problems = problems_of(session, settings, ref)
    assert problems == [
        "Tax type INPUT2 is for purchases, not sales: choose a sales tax rate on the Mapping page."
    ]


def test_refresh_keeps_which_tax_rates_sales_may_use(engine, connected, sandbox):
    from sqlmodel import select

    from models import XeroTaxRate
    from services import connections
    from services.db import session_scope

    with session_scope(engine) as session:
        connection = connections.default_connection(session=session)
        adapter = connections.adapter_for(connection, session=session)
        reference_data.refresh(session=session, connection=connection, adapter=adapter)
    with session_scope(engine) as session:
        rates = {r.tax_type: r.can_apply_to_revenue for r in session.exec(select(XeroTaxRate))}
    # The sandbox's NZ organisation, as Xero describes its rates.
    assert rates["OUTPUT2"] is True and rates["ZERORATED"] is True
    assert rates["INPUT2"] is False
