"""The Shipments, Mapping and Dashboard queries timed over a table of sent shipments, for
`python -m bench`'s section of bench/RESULTS.md."""

from __future__ import annotations

import statistics
import time


def shipments_table(rows: int, *, timed: bool = True) -> dict[str, float]:
    """Milliseconds (median of 5) for the Shipments page's queries over `rows` shipments
    added as sent invoices (none when not `timed`: the rows alone)."""
    from datetime import date, timedelta

    from sqlalchemy import insert

    from models import Shipment, ShipmentLine
    from services.db import get_engine, session_scope
    from services.shipments import ShipmentFilter, list_shipments

    engine = get_engine()
    with engine.begin() as connection:
        start = (
            connection.execute(
                Shipment.__table__.select()
                .with_only_columns(Shipment.__table__.c.id)
                .order_by(Shipment.__table__.c.id.desc())
                .limit(1)
            ).scalar()
            or 0
        )
        for chunk in range(0, rows, 10_000):
            connection.execute(
                insert(Shipment),
                [
                    {
                        "shipment_number": f"T-{start + n}",
                        "number_key": f"t-{start + n}",
                        "buyer_code": f"C{n % 500:03d}",
                        "currency": "USD",
                        "invoice_date": date(2026, 1, 1) + timedelta(n % 300),
                        "workflow_status": "Shipped" if n % 3 else "Draft",
                        "sync_state": "Processed" if n % 4 else "Not sent",
                        **(_invoice(n) if n % 4 else dict.fromkeys(_invoice(0))),
                    }
                    for n in range(chunk, min(rows, chunk + 10_000))
                ],
            )
        first = start + 1
        connection.execute(
            insert(ShipmentLine),
            [
                {"shipment_id": first + n, "line_no": 1, "product_code": f"P{n % 300}"}
                for n in range(0, rows, 7)
            ],
        )
    if not timed:
        return {}
    cases = {
        "page 1, newest first": dict(),
        "page 1,000": dict(page=1000),
        "sorted by customer": dict(sort="customer", descending=False),
        "search by customer code": dict(flt=ShipmentFilter(search="C123")),
        "search by product code": dict(flt=ShipmentFilter(search="P42")),
        "filter status + sync state": dict(
            flt=ShipmentFilter(workflow_status=["Shipped"], sync_state=["Not sent"])
        ),
    }
    timings = {}
    with session_scope(engine) as session:
        for name, kwargs in cases.items():
            samples = []
            for _ in range(5):
                began = time.perf_counter()
                page = list_shipments(session=session, page_size=50, **kwargs)
                assert page.rows
                samples.append((time.perf_counter() - began) * 1000)
            timings[name] = statistics.median(samples)
        # Mapping's Check all over the same shipments: every waiting one has a customer code
        # (500 of them) that is not a Xero contact's, the worst case for the page.
        from services import aliases, connections

        connection = connections.default_connection(session=session)
        samples = []
        for _ in range(3):
            began = time.perf_counter()
            result = aliases.check_all(session=session, connection=connection)
            samples.append((time.perf_counter() - began) * 1000)
        name = (
            f"Mapping's Check all ({result.shipments:,} waiting shipments, "
            f"{len(result.codes)} unmapped codes; median of 3)"
        )
        timings[name] = statistics.median(samples)
        timings |= dashboard(session)
    return timings


def _invoice(n: int) -> dict:
    """The xero_* columns of a sent shipment: an invoice to one of 500 contacts, some paid,
    some part-paid, some overdue, a few drafts (375 of the contacts get invoices)."""
    from datetime import date, timedelta
    from decimal import Decimal

    total = Decimal(100 + n % 900)
    paid = (Decimal(0), total, total / 2)[n % 3]
    return {
        "xero_document_id": f"doc-{n}",
        "xero_document_number": f"INV-{n:06d}",
        "xero_document_type": "invoice",
        "xero_status": "DRAFT" if n % 50 == 1 else ("PAID" if paid == total else "AUTHORISED"),
        "xero_total": total,
        "xero_amount_paid": paid,
        "xero_amount_due": total - paid,
        "xero_currency_rate": Decimal("0.6"),
        "xero_contact_name": f"Customer {n % 500:03d}",
        "due_date": date(2026, 1, 31) + timedelta(n % 330),
    }


def dashboard(session) -> dict[str, float]:
    """Milliseconds (median of 5) for the Dashboard's finance queries over the same rows."""
    from datetime import date

    from services import finance

    today = date(2026, 11, 29)
    cases = {
        "customer rows, counted": lambda: finance.customer_rows(session=session),
        "customer rows, first 25": lambda: finance.customer_balances(
            session=session, today=today, limit=25
        ),
        "amounts by currency and status": lambda: finance.amounts_by_currency_and_status(
            session=session, today=today
        ),
        "documents, Overdue view, page 1": lambda: finance.documents(
            session=session, today=today, view=finance.View.OVERDUE
        ),
        "one customer's Unpaid view": lambda: finance.documents(
            session=session, today=today, view=finance.View.UNPAID, customer="Customer 123"
        ),
        "customer picker (distinct customers)": lambda: finance.customers(session=session),
    }
    timings = {}
    for name, query in cases.items():
        samples = []
        for _ in range(5):
            began = time.perf_counter()
            assert query(), name
            samples.append((time.perf_counter() - began) * 1000)
        timings[f"Dashboard: {name}"] = statistics.median(samples)
    return timings
