"""The payment pull streams (issue 16, goal 5): Xero's payments come a page at a time
(100 a page, xero-facts.md §17 line 373/376) and are matched to shipments by the invoice IDs
on that page alone. Over more payments than one page holds, the pull ends where Xero says:
every payment stored against its shipment, each balance equal to Xero's, nothing for a
document Shipbridge did not send, and a second pull changes nothing."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs

from sqlalchemy import update
from sqlmodel import col, select

from models import Shipment, XeroPayment
from services import connections, payments
from services.db import session_scope
from services.mapping import update_sync_settings
from services.sync import send_shipments
from tests.utils.factories import id_of, make_shipment

INVOICES = 26
INSTALMENTS = 4  # 104 payments: more than Xero's page of 100


def sent_invoices(engine) -> list[int]:
    with session_scope(engine) as session:
        # Payments need AUTHORISED invoices (Xero refuses them on drafts).
        update_sync_settings(
            session=session, user="admin", changes={"invoice_status": "AUTHORISED"}
        )
        ids = [id_of(make_shipment(session)) for _ in range(INVOICES)]
    for start in range(0, len(ids), 10):
        result = send_shipments(shipment_ids=ids[start : start + 10], trigger="bulk", user="ops")
        assert result.count("Processed") == len(ids[start : start + 10])
    return ids


def document_ids(engine, ids: list[int]) -> dict[int, str]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(Shipment.id, Shipment.xero_document_id).where(col(Shipment.id).in_(ids))
        )
        return {sid: doc for sid, doc in rows if sid is not None and doc is not None}


def payments_pages_read(sandbox) -> list[str]:
    pages = []
    for call in sandbox.calls():
        if call["method"] == "GET" and call["path"].rstrip("/").endswith("/Payments"):
            pages += parse_qs(call["query"]).get("page", ["1"])
    return pages


def test_a_pull_over_more_than_a_page_of_payments_ends_as_xero_says(engine, connected, sandbox):
    ids = sent_invoices(engine)
    docs = document_ids(engine, ids)
    assert len(docs) == INVOICES
    for doc in docs.values():
        for n in range(INSTALMENTS):
            sandbox.record_payment(doc, Decimal("1.25"), reference=f"instalment {n + 1}")
    # One invoice Shipbridge forgets (as if another app had sent it): its payments are not ours.
    foreign = ids[0]
    with session_scope(engine) as session:
        session.exec(
            update(Shipment).where(col(Shipment.id) == foreign).values(xero_document_id=None)
        )

    with session_scope(engine) as session:
        summary = payments.pull_all(session=session)
    [pulled] = summary.values()
    assert pulled.error is None
    assert pulled.payments_new == (INVOICES - 1) * INSTALMENTS
    assert pulled.documents_updated == INVOICES - 1
    assert payments_pages_read(sandbox) == ["1", "2"]  # streamed page by page

    with session_scope(engine) as session:
        connection = connections.default_connection(session=session)
        assert connection is not None
        adapter = connections.adapter_for(connection, session=session)
        in_xero = {
            a.document_id: a for a in adapter.invoices_by_id(connection.tenant_id, [*docs.values()])
        }
        shipments = {
            s.id: s for s in session.exec(select(Shipment).where(col(Shipment.id).in_(ids)))
        }
        stored = list(session.exec(select(XeroPayment)))
    assert len(stored) == (INVOICES - 1) * INSTALMENTS
    by_shipment: dict[int | None, list[XeroPayment]] = {}
    for row in stored:
        by_shipment.setdefault(row.shipment_id, []).append(row)
    assert foreign not in by_shipment
    for sid in ids[1:]:
        shipment, xero = shipments[sid], in_xero[docs[sid]]
        assert sorted(p.reference or "" for p in by_shipment[sid]) == [
            f"instalment {n + 1}" for n in range(INSTALMENTS)
        ]
        assert sum(p.amount for p in by_shipment[sid]) == Decimal("1.25") * INSTALMENTS
        assert {p.invoice_id for p in by_shipment[sid]} == {docs[sid]}
        # Shipbridge's record equals Xero's, to the cent.
        assert shipment.xero_amount_paid == xero.amount_paid == Decimal("1.25") * INSTALMENTS
        assert shipment.xero_amount_due == xero.amount_due
        assert shipment.xero_status == xero.status
    assert shipments[foreign].xero_amount_paid in (None, Decimal(0))

    # Nothing new in Xero: the next pull stores nothing and updates no document.
    with session_scope(engine) as session:
        [again] = payments.pull_all(session=session).values()
    assert (again.payments_new, again.payments_updated, again.documents_updated) == (0, 0, 0)
