"""Money back from Xero: payments and document statuses for what Shipbridge sent."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import partial

from sqlmodel import Session, col, select

from models import DocumentType, Shipment, XeroConnection, XeroPayment, as_utc, utcnow
from services import bookmarks
from services.document_kinds import QUOTE, kind_of
from services.finance import APPROVED
from services.xero.adapter import PaymentRecord, XeroAdapter
from services.xero.convert import ElementResult
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
    """Pull payments (incremental) and refresh the status and balance of affected documents.

    Streamed: Xero's payments come a page at a time, each page matched to shipments by the
    invoice IDs on it alone (an IN lookup), and written before the next page is asked for;
    memory holds a page, never every sent shipment."""
    tenant = connection.tenant_id
    calls_before = adapter.stats.calls
    summary = PullSummary()
    started = utcnow()
    since = bookmarks.since(session=session, tenant_id=tenant, kind="payments", full=full)
    quotes_since = bookmarks.since(session=session, tenant_id=tenant, kind="quotes", full=full)
    session.commit()  # no write transaction across API calls

    touched: set[str] = set()
    for page in adapter.payment_pages(tenant, modified_since=since):
        touched |= _apply_payments(session, tenant, page, summary)
        session.commit()  # before the next page is read from Xero

    # Statuses: the invoices that got payments, plus every sent invoice on a full pull.
    invoice_ids = _all_sent_invoice_ids(session, tenant) if full else sorted(touched)
    session.commit()
    for start in range(0, len(invoice_ids), ID_CHUNK):
        answers = adapter.invoices_by_id(tenant, invoice_ids[start : start + ID_CHUNK])
        summary.documents_updated += _apply_statuses(session, tenant, answers)
        session.commit()
    if _has_quotes(session, tenant):
        quotes = adapter.quotes_changed(tenant, modified_since=quotes_since)
        summary.documents_updated += _apply_statuses(session, tenant, quotes)

    for kind in ("payments", "quotes"):
        bookmarks.advance(session=session, tenant_id=tenant, kind=kind, to=started)
    connection.payments_pulled_at = utcnow()
    session.add(connection)
    session.flush()
    summary.api_calls = adapter.stats.calls - calls_before
    return summary


def _sent_to(tenant: str):
    """Shipments sent to this organisation (or to the default one, before they had one)."""
    return col(Shipment.xero_document_id).is_not(None) & (
        (col(Shipment.tenant_id) == tenant) | col(Shipment.tenant_id).is_(None)
    )


def _shipments_by_document(
    session: Session, tenant: str, document_ids: Iterable[str]
) -> dict[str, tuple[int, str | None]]:
    """(shipment id, document type) of the sent shipments with these Xero IDs."""
    ids = sorted(set(document_ids))
    if not ids:
        return {}
    rows = session.exec(
        select(Shipment.xero_document_id, Shipment.id, Shipment.xero_document_type).where(
            col(Shipment.xero_document_id).in_(ids), _sent_to(tenant)
        )
    )
    return {doc: (sid, kind) for doc, sid, kind in rows if doc is not None and sid is not None}


def _apply_payments(
    session: Session, tenant: str, page: list[PaymentRecord], summary: PullSummary
) -> set[str]:
    """Store one page of payments on what Shipbridge sent; returns the invoice IDs whose
    payments changed."""
    sent = _shipments_by_document(session, tenant, (r.invoice_id for r in page))
    ours = [r for r in page if r.invoice_id in sent]  # others: documents Shipbridge did not send
    stored = (
        {
            row.payment_id: row
            for row in session.exec(
                select(XeroPayment).where(
                    XeroPayment.tenant_id == tenant,
                    col(XeroPayment.payment_id).in_([r.payment_id for r in ours]),
                )
            )
        }
        if ours
        else {}
    )
    touched: set[str] = set()
    for record in ours:
        row = stored.get(record.payment_id)
        values = dict(
            shipment_id=sent[record.invoice_id][0],
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
            stored[record.payment_id] = row  # a page may list a payment twice
            summary.payments_new += 1
        elif all(getattr(row, k) == v for k, v in values.items()):
            continue  # read again because the bookmarks overlap; nothing changed
        else:
            summary.payments_updated += 1
        touched.add(record.invoice_id)
        row.sqlmodel_update(values)
        row.updated_at = as_utc(record.updated_at) if record.updated_at else None
        session.add(row)
    return {i for i in touched if kind_of(sent[i][1]).takes_payments}


def _all_sent_invoice_ids(session: Session, tenant: str) -> list[str]:
    """Every sent document of a kind that takes payments (IDs only: a full pull)."""
    kinds = [k.value for k in DocumentType if kind_of(k).takes_payments]
    # No type recorded: sent before types were, so an invoice (document_kinds.kind_of).
    typed = col(Shipment.xero_document_type).in_(kinds) | col(Shipment.xero_document_type).is_(None)
    rows = session.exec(
        select(Shipment.xero_document_id).where(_sent_to(tenant), typed).order_by(col(Shipment.id))
    )
    return [doc for doc in rows if doc is not None]


def _has_quotes(session: Session, tenant: str) -> bool:
    quote = session.exec(
        select(Shipment.id)
        .where(_sent_to(tenant), col(Shipment.xero_document_type) == QUOTE.document_type)
        .limit(1)
    ).first()
    return quote is not None


def _apply_statuses(session: Session, tenant: str, answers: list[ElementResult]) -> int:
    """Xero's status and balance onto the shipments these documents are for; returns how
    many were updated."""
    sent = _shipments_by_document(
        session, tenant, (a.document_id for a in answers if a.document_id)
    )
    if not sent:
        return 0
    shipments = {
        s.xero_document_id: s
        for s in session.exec(
            select(Shipment).where(col(Shipment.id).in_([sid for sid, _ in sent.values()]))
        )
    }
    updated = 0
    for answer in answers:
        shipment = shipments.get(answer.document_id) if answer.document_id else None
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
        updated += 1
    return updated


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
