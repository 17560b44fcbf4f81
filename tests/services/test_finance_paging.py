"""Finance figures are summed and paged in SQL: pages add up to the whole, and the Dashboard's
per-currency amounts equal the customers' rows added up per currency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services import finance
from services.db import session_scope
from tests.utils.factories import make_shipment

TODAY = date(2026, 11, 22)


def sent(
    session, code: str, currency: str, total: str, paid: str, due: date, status: str = ""
) -> None:
    shipment = make_shipment(session, buyer_code=code, currency=currency, due_date=due)
    shipment.xero_document_id = f"doc-{shipment.shipment_number}"
    shipment.xero_document_type = "invoice"
    shipment.xero_status = status or ("PAID" if paid == total else "AUTHORISED")
    shipment.xero_total = Decimal(total)
    shipment.xero_amount_paid = Decimal(paid)
    shipment.xero_amount_due = Decimal(total) - Decimal(paid)
    session.add(shipment)


def test_customer_rows_page_in_sql_and_add_up(engine):
    past, future = date(2026, 11, 1), date(2026, 12, 31)
    with session_scope(engine) as session:
        for n, code in enumerate(["ACME", "BOLT", "CASC", "DELTA", "EVER"]):
            sent(session, code, "USD", "100.00", "100.00" if n % 2 else "40.00", past)
            sent(session, code, "EUR", "50.00", "0", future)
        make_shipment(session, buyer_code="ZED")  # not sent: no row
    with session_scope(engine) as session:
        assert finance.customer_rows(session=session) == 10
        everything = finance.customer_balances(session=session, today=TODAY)
        pages, after = [], None
        for _ in range(4):  # keyset: each page starts after the last row of the one before
            page = finance.customer_balances(session=session, today=TODAY, after=after, limit=4)
            pages.append(page)
            after = finance.key_of(page[-1]) if page else after
        assert [len(p) for p in pages] == [4, 4, 2, 0]
        assert [b for p in pages for b in p] == everything
        assert [(b.customer, b.currency) for b in everything[:3]] == [
            ("ACME", "EUR"),
            ("ACME", "USD"),
            ("BOLT", "EUR"),
        ]
        assert finance.customers(session=session) == ["ACME", "BOLT", "CASC", "DELTA", "EVER"]
        amounts = finance.amounts_by_currency_and_status(session=session, today=TODAY)
    assert amounts == [
        ("EUR", "Paid", Decimal("0")),
        ("EUR", "Open", Decimal("250.00")),
        ("EUR", "Overdue", Decimal("0")),
        ("EUR", "Not yet approved", Decimal("0")),
        ("USD", "Paid", Decimal("320.00")),
        ("USD", "Open", Decimal("0")),
        ("USD", "Overdue", Decimal("180.00")),  # ACME, CASC and EVER owe 60.00 each
        ("USD", "Not yet approved", Decimal("0")),
    ]
    for currency in ("EUR", "USD"):
        rows = [b for b in everything if b.currency == currency]
        by_status: dict[str, Decimal] = {s: a for c, s, a in amounts if c == currency}
        assert sum(b.paid for b in rows) == by_status["Paid"]
        assert sum(b.overdue for b in rows) == by_status["Overdue"]
        assert sum(b.unpaid for b in rows) == by_status["Open"] + by_status["Overdue"]


def test_drafts_and_invoices_awaiting_approval_are_not_yet_owed(engine):
    """In Xero only an AUTHORISED invoice awaits payment: a DRAFT or SUBMITTED one is shown
    apart, as not yet approved, so paid + unpaid + not yet approved still make the total."""
    past, future = date(2026, 11, 1), date(2026, 12, 31)
    with session_scope(engine) as session:
        sent(session, "ACME", "NZD", "100.00", "0", past)  # approved, overdue
        sent(session, "ACME", "NZD", "40.00", "0", future)  # approved, open
        sent(session, "ACME", "NZD", "1118.60", "0", past, status="DRAFT")
        sent(session, "ACME", "NZD", "25.00", "0", future, status="SUBMITTED")
        sent(session, "ACME", "NZD", "60.00", "60.00", past)  # paid
        sent(session, "ACME", "NZD", "999.00", "0", past, status="VOIDED")  # owes nothing
    with session_scope(engine) as session:
        [acme] = finance.customer_balances(session=session, today=TODAY)
        amounts = finance.amounts_by_currency_and_status(session=session, today=TODAY)

        def numbers(view):
            rows, total = finance.documents(session=session, today=TODAY, view=view)
            # A document without a total would be missing from the compared list.
            return sorted(s.xero_total for s in rows if s.xero_total is not None), total

        views = {view: numbers(view) for view in finance.View if view != finance.View.PINNED}
    assert (acme.documents, acme.total, acme.paid) == (5, Decimal("1343.60"), Decimal("60.00"))
    assert (acme.unpaid, acme.open, acme.overdue) == (
        Decimal("140.00"),
        Decimal("40.00"),
        Decimal("100.00"),
    )
    assert acme.not_approved == Decimal("1143.60")
    assert acme.unpaid_base == Decimal("140.00")
    assert acme.paid + acme.unpaid + acme.not_approved == acme.total
    assert amounts == [
        ("NZD", "Paid", Decimal("60.00")),
        ("NZD", "Open", Decimal("40.00")),
        ("NZD", "Overdue", Decimal("100.00")),
        ("NZD", "Not yet approved", Decimal("1143.60")),
    ]
    d = Decimal
    assert views == {
        "All": ([d("25.00"), d("40.00"), d("60.00"), d("100.00"), d("1118.60")], 5),
        "Paid": ([d("60.00")], 1),
        "Unpaid": ([d("40.00"), d("100.00")], 2),
        "Open": ([d("40.00")], 1),
        "Overdue": ([d("100.00")], 1),
        "Not yet approved": ([d("25.00"), d("1118.60")], 2),
    }
