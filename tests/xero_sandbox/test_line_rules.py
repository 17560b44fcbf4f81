"""Lines as Xero checks them: unit amounts rounded (2 dp, or 4 with unitdp=4; quotes 4 by
default), quantities to 4 dp, half away from zero, a LineAmount that disagrees with the line
refused in Xero's words, and tax rounded per line before it is summed.

Sources: ../shared/xero-facts.md §7 (developer.xero.com/documentation/guides/how-to-guides/
rounding-in-xero; Xero staff in community.xero.com/developer/discussion/66891; XeroAPI/
Xero-NetStandard#147) and §10 (developer.xero.com/documentation/api/quotes)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from xero_python.accounting import (
    Contact,
    Invoice,
    Invoices,
    LineAmountTypes,
    LineItem,
    Quote,
    Quotes,
)
from xero_python.exceptions import AccountingBadRequestException

from tests.xero_sandbox.conftest import TENANT

D = Decimal


def invoice(*lines: LineItem, **fields) -> Invoice:
    values = {
        "type": "ACCREC",
        "contact": Contact(name="Acme Imports Inc"),
        "date": dt.date(2026, 4, 1),
        "due_date": dt.date(2026, 4, 30),
        "line_items": list(lines),
        "status": "AUTHORISED",
        "line_amount_types": LineAmountTypes.EXCLUSIVE,
    }
    return Invoice(**(values | fields))


def sales_line(quantity, unit_amount, **fields) -> LineItem:
    return LineItem(
        description="Widget",
        quantity=Decimal(quantity),
        unit_amount=Decimal(unit_amount),
        account_code="200",
        tax_type="OUTPUT2",  # the demo organisation's 15 % GST on Income
        **fields,
    )


def send(api, *docs, **kwargs):
    return api.update_or_create_invoices(
        TENANT, Invoices(invoices=list(docs)), summarize_errors=False, **kwargs
    ).invoices


def messages(doc) -> list[str]:
    return [e.message for e in doc.validation_errors or []]


def test_a_line_amount_that_disagrees_with_quantity_times_unit_amount_is_refused(api):
    """§7: "The line total {given} does not match the expected line total {expected}"
    (XeroAPI/Xero-NetStandard#147; community discussion 144129369): 3 × 12.50 is 37.50."""
    [refused] = send(api, invoice(sales_line("3", "12.50", line_amount=Decimal("40"))))
    assert messages(refused) == [
        "The line total 40.00 does not match the expected line total 37.50"
    ]
    assert refused.status_attribute_string == "ERROR"
    assert api.get_invoices(TENANT).invoices == []


def test_a_refused_line_total_is_a_400_validation_exception_by_default(api):
    with pytest.raises(AccountingBadRequestException) as refused:
        api.update_or_create_invoices(
            TENANT, Invoices(invoices=[invoice(sales_line("3", "12.50", line_amount=40))])
        )
    assert "does not match the expected line total 37.50" in refused.value.body.decode()


def test_a_matching_line_amount_and_one_with_a_discount_are_accepted(api):
    """§7: expected = round2(Quantity × UnitAmount × (1 − DiscountRate/100))."""
    [saved] = send(
        api,
        invoice(
            sales_line("3", "12.50", line_amount=Decimal("37.50")),
            sales_line("3", "10", discount_rate=Decimal("10"), line_amount=Decimal("27.00")),
        ),
    )
    assert messages(saved) == []
    assert [line.line_amount for line in saved.line_items] == [D("37.50"), D("27.00")]
    [refused] = send(
        api, invoice(sales_line("3", "10", discount_rate=Decimal("10"), line_amount=30))
    )
    assert messages(refused) == [
        "The line total 30.00 does not match the expected line total 27.00"
    ]


def test_unit_amounts_are_rounded_silently_to_two_places_unless_unitdp_is_4(api):
    """§7: "By default, the API accepts unit prices (UnitAmount) to two decimals places…
    opt-in to 4 decimal places by adding the querystring parameter unitdp=4"; extra places are
    "rounded first", not refused (Xero staff, discussion 66891)."""
    [two] = send(api, invoice(sales_line("1000", "1.0025"), invoice_number="DP-2"))
    assert messages(two) == []
    assert (two.line_items[0].unit_amount, two.sub_total) == (D("1.00"), D("1000.00"))
    [four] = send(api, invoice(sales_line("1000", "1.0025"), invoice_number="DP-4"), unitdp=4)
    assert (four.line_items[0].unit_amount, four.sub_total) == (D("1.0025"), D("1002.50"))
    [read] = api.get_invoice(TENANT, four.invoice_id, unitdp=4).invoices
    assert read.line_items[0].unit_amount == D("1.0025")
    [read_at_two] = api.get_invoice(TENANT, four.invoice_id).invoices
    assert read_at_two.line_items[0].unit_amount == D("1.00")


@pytest.mark.parametrize(
    ("given", "kept"), [("2.165", "2.17"), ("-2.165", "-2.17"), ("2.164", "2.16")]
)
def test_rounding_is_half_away_from_zero(api, given, kept):
    """§7: "2.165 rounds to 2.17" (Xero staff, discussion 66891)."""
    [saved] = send(api, invoice(sales_line("1", given)))
    assert saved.line_items[0].unit_amount == D(kept)


def test_quantities_keep_four_places(api):
    """§7: "we accept 4dp for quantity" (Xero staff, discussion 66891)."""
    [saved] = send(api, invoice(sales_line("1.23456", "10")))
    assert saved.line_items[0].quantity == D("1.2346")
    assert saved.line_items[0].line_amount == D("12.35")


def test_tax_is_rounded_per_line_then_summed(api):
    """§7: "Xero calculates tax on a per line basis, rounding to two decimal places, and then
    sums the tax totals of each line": 25.06, 25.61 and 25.63 at 15 % give 11.44, not the 11.45
    that taxing the sum would give (developer.xero.com rounding guide)."""
    lines = [sales_line("1", amount) for amount in ("25.06", "25.61", "25.63")]
    [saved] = send(api, invoice(*lines))
    assert [line.tax_amount for line in saved.line_items] == [D("3.76"), D("3.84"), D("3.84")]
    assert (saved.sub_total, saved.total_tax, saved.total) == (D("76.30"), D("11.44"), D("87.74"))


def test_quote_unit_amounts_keep_four_places_by_default(api):
    """§10 (developer.xero.com/documentation/api/quotes): a quote's UnitAmount "By default…
    will be rounded to four decimal places"."""
    quote = Quote(
        contact=Contact(name="Acme Imports Inc"),
        date=dt.date(2026, 4, 1),
        line_items=[sales_line("1000", "1.00255")],
    )
    [saved] = api.update_or_create_quotes(TENANT, Quotes(quotes=[quote])).quotes
    assert saved.line_items[0].unit_amount == D("1.0026")
    assert saved.sub_total == D("1002.60")
