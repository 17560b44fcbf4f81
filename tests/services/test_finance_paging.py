"""Finance figures are summed and paged in SQL: pages add up to the whole, and the Dashboard's
per-currency amounts equal the customers' rows added up per currency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services import finance
from services.db import session_scope
from tests.utils.factories import make_shipment

TODAY = date(2026, 11, 22)


def sent(session, code: str, currency: str, total: str, paid: str, due: date) -> None:
    shipment = make_shipment(session, buyer_code=code, currency=currency, due_date=due)
    shipment.xero_document_id = f"doc-{shipment.shipment_number}"
    shipment.xero_document_type = "invoice"
    shipment.xero_status = "PAID" if paid == total else "AUTHORISED"
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
        pages = [
            finance.customer_balances(session=session, today=TODAY, page=n, page_size=4)
            for n in (1, 2, 3)
        ]
        assert [len(p) for p in pages] == [4, 4, 2]
        assert [b for p in pages for b in p] == everything
        assert finance.customers(session=session) == ["ACME", "BOLT", "CASC", "DELTA", "EVER"]
        amounts = finance.amounts_by_currency_and_status(session=session, today=TODAY)
    assert amounts == [
        ("EUR", "Overdue", Decimal("0")),
        ("EUR", "Paid", Decimal("0")),
        ("EUR", "Unpaid (not due)", Decimal("250.00")),
        ("USD", "Overdue", Decimal("180.00")),  # ACME, CASC and EVER owe 60.00 each
        ("USD", "Paid", Decimal("320.00")),
        ("USD", "Unpaid (not due)", Decimal("0")),
    ]
    for currency in ("EUR", "USD"):
        rows = [b for b in everything if b.currency == currency]
        by_status = {s: a for c, s, a in amounts if c == currency}
        assert sum(b.paid for b in rows) == by_status["Paid"]
        assert sum(b.overdue for b in rows) == by_status["Overdue"]
