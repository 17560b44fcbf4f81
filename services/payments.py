"""Money back from Xero: payments and document statuses for what Shipbridge sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial

from sqlmodel import Session, col, select

from models import Shipment, XeroConnection, XeroPayment, as_utc, utcnow
from services import bookmarks
from services.document_kinds import QUOTE, kind_of
from services.finance import APPROVED
from services.xero.adapter import XeroAdapter
from services.xero.errors import XeroError

ID_CHUNK = 50  # invoice IDs per status call


@dataclass
class PullSummary:
    payments_new: int = 0
    payments_updated: int = 0
    documents_updated: int = 0
    api_calls: int = 0
    error: str | None = None


def pull(
    *, session: Session, connection: XeroConnection, adapter: XeroAdapter, full: bool = False
) -> PullSummary:
    """Pull payments (incremental) and refresh the status and balance of affected documents."""
    tenant = connection.tenant_id
    calls_before = adapter.stats.calls
    summary = PullSummary()
    started = utcnow()
    since = bookmarks.since(session=session, tenant_id=tenant, kind="payments", full=full)
    quotes_since = bookmarks.since(session=session, tenant_id=tenant, kind="quotes", full=full)
    session.commit()  # no write transaction across API calls

    sent = {
        s.xero_document_id: s
        for s in session.exec(
            select(Shipment).where(
                col(Shipment.xero_document_id).is_not(None),
                (col(Shipment.tenant_id) == tenant) | col(Shipment.tenant_id).is_(None),
            )
        )
        if s.xero_document_id is not None  # as the query says; narrows the key's type
    }
    records = adapter.payments(tenant, modified_since=since)
    touched: set[str] = set()
    for record in records:
        shipment = sent.get(record.invoice_id)
        if shipment is None:
            continue  # a payment on a document Shipbridge did not send
        row = session.exec(
            select(XeroPayment).where(
                XeroPayment.tenant_id == tenant, XeroPayment.payment_id == record.payment_id
            )
        ).first()
        values = dict(
            shipment_id=shipment.id,
            date=record.date,
            amount=record.amount,
            currency_rate=record.currency_rate,
            reference=record.reference,
            status=record.status,
        )
        if row is None:
            row = XeroPayment(
                tenant_id=tenant, payment_id=record.payment_id, invoice_id=record.invoice_id
            )
            summary.payments_new += 1
        elif all(getattr(row, k) == v for k, v in values.items()):
            continue  # read again because the bookmarks overlap; nothing changed
        else:
            summary.payments_updated += 1
        touched.add(record.invoice_id)
        row.sqlmodel_update(values)
        row.updated_at = as_utc(record.updated_at) if record.updated_at else None
        session.add(row)

    # Statuses: the invoices that got payments, plus every sent invoice on a full pull.
    invoice_ids = [
        doc_id
        for doc_id, s in sent.items()
        if kind_of(s.xero_document_type).takes_payments and (full or doc_id in touched)
    ]
    session.commit()
    answers = []
    for start in range(0, len(invoice_ids), ID_CHUNK):
        answers.extend(adapter.invoices_by_id(tenant, invoice_ids[start : start + ID_CHUNK]))
    quotes = (
        adapter.quotes_changed(tenant, modified_since=quotes_since)
        if any(kind_of(s.xero_document_type) is QUOTE for s in sent.values())
        else []
    )
    for answer in [*answers, *quotes]:
        shipment = sent.get(answer.document_id) if answer.document_id else None
        if shipment is None:
            continue
        shipment.xero_status = answer.status
        shipment.xero_total = answer.total
        shipment.xero_contact_name = answer.contact_name or shipment.xero_contact_name
        if kind_of(shipment.xero_document_type).takes_payments:
            shipment.xero_amount_due = answer.amount_due
            shipment.xero_amount_paid = answer.amount_paid
            shipment.xero_fully_paid_on = answer.fully_paid_on
            shipment.xero_currency_rate = answer.currency_rate or shipment.xero_currency_rate
        session.add(shipment)
        summary.documents_updated += 1

    for kind in ("payments", "quotes"):
        bookmarks.advance(session=session, tenant_id=tenant, kind=kind, to=started)
    connection.payments_pulled_at = utcnow()
    session.add(connection)
    session.flush()
    summary.api_calls = adapter.stats.calls - calls_before
    return summary


def payments_of(*, session: Session, shipment_id: int) -> list[XeroPayment]:
    return list(
        session.exec(
            select(XeroPayment)
            .where(XeroPayment.shipment_id == shipment_id)
            .order_by(col(XeroPayment.date), col(XeroPayment.id))
        )
    )


def is_overdue(shipment: Shipment, today: date) -> bool:
    """As the Overdue view counts it: approved in Xero, past its due date, with a balance (a
    draft is not owed yet, so never overdue)."""
    return bool(
        shipment.xero_status in APPROVED
        and shipment.due_date
        and shipment.due_date < today
        and (shipment.xero_amount_due or 0) > 0
    )


def pull_all(*, session: Session, full: bool = False) -> dict[str, PullSummary]:
    """Pull payments for every connected organisation; returns a summary per organisation."""
    from services import connections

    due = connections.due_connections(session=session)
    return {
        connection.tenant_name: (
            PullSummary(error=str(outcome)) if isinstance(outcome, XeroError) else outcome
        )
        for connection, outcome in connections.read_each(
            due, session=session, read=partial(pull, full=full)
        )
    }
