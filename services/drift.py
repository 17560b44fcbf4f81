"""The drift check: does every sent shipment still equal its document in Xero?

Each check reads only the documents Xero says changed since the last one (If-Modified-Since,
paged so the lines come back), compares each with the shipment Shipbridge sent — contact,
currency, total, line count, status, voided or deleted, paid — and keeps one row per
difference (XeroDifference) until a later read finds them agreeing again. A shipment
cancelled here whose document is still owed in Xero is found without any call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from sqlmodel import Session, col, delete, func, select

from models import (
    DocumentType,
    Shipment,
    SyncBookmark,
    SyncState,
    WorkflowStatus,
    XeroConnection,
    XeroContact,
    XeroDifference,
    utcnow,
)
from services import bookmarks
from services.differences import CANCELLED, READ_KINDS, Difference, cancelled_but_owed, compare
from services.document_kinds import kind_of
from services.xero.adapter import XeroAdapter
from services.xero.convert import DocumentState
from services.xero.errors import XeroError

BOOKMARK = "drift"
CHUNK = 500  # document ids a query looks up at once


@dataclass
class DriftSummary:
    """What one check of one organisation read and found."""

    documents_read: int = 0
    found: int = 0  # differences found or still there among the documents read
    cleared: int = 0  # differences gone because the two agree again
    shipments_differing: int = 0  # in this organisation, after the check
    api_calls: int = 0
    error: str | None = None
    details: list[str] = field(default_factory=list)


def check(
    *, session: Session, connection: XeroConnection, adapter: XeroAdapter, full: bool = False
) -> DriftSummary:
    """Compare this organisation's sent shipments with their documents in Xero, reading only
    the documents changed since the last check (every one when `full`). Records each
    difference, clears those that agree again, and brings the shipments' status and money
    back up to date as the payments pull does."""
    tenant = connection.tenant_id
    calls_before = adapter.stats.calls
    summary = DriftSummary()
    started = utcnow()
    since = bookmarks.since(session=session, tenant_id=tenant, kind=BOOKMARK, full=full)
    kinds = _kinds_sent(session, tenant)
    session.commit()  # no transaction held across API calls

    states: list[DocumentState] = []
    for document_type in kinds:
        states.extend(adapter.documents_changed(tenant, document_type, modified_since=since))
    read_ids = [s.answer.document_id for s in states if s.answer.document_id]
    by_document = _sent_shipments(session, tenant, read_ids)
    names = _contact_names(session, tenant)
    kept = _Kept(session=session, tenant=tenant, summary=summary)
    for state in states:
        shipment = by_document.get(state.answer.document_id or "")
        if shipment is None:
            continue  # a document Shipbridge did not send
        summary.documents_read += 1
        found = compare(shipment, state, contact_names=names)
        kept.keep(shipment, found, READ_KINDS, state.updated_at)
        _bring_up_to_date(shipment, state)
        session.add(shipment)
    # Cancelling happens here, not in Xero: every sent shipment cancelled or returned here (and
    # every one said to be so before) is looked at, from what Shipbridge last read of its
    # document (no call).
    for shipment in _cancelled_or_said(session, tenant, kept):
        found = [d for d in [cancelled_but_owed(shipment)] if d]
        kept.keep(shipment, found, (CANCELLED,), None)
    _forget_unsent(session, tenant)

    bookmarks.advance(session=session, tenant_id=tenant, kind=BOOKMARK, to=started)
    session.flush()
    summary.shipments_differing = shipments_differing(session=session, tenant_id=tenant)
    summary.api_calls = adapter.stats.calls - calls_before
    return summary


def shipments_differing(*, session: Session, tenant_id: str | None = None) -> int:
    """How many sent shipments differ from Xero in at least one way (the Dashboard's count)."""
    query = select(func.count(func.distinct(XeroDifference.shipment_id)))
    if tenant_id is not None:
        query = query.where(XeroDifference.tenant_id == tenant_id)
    return session.exec(query).one()


def differences_of(*, session: Session, shipment_id: int) -> list[XeroDifference]:
    """How one shipment differs from its document in Xero, as the last check found."""
    return list(
        session.exec(
            select(XeroDifference)
            .where(XeroDifference.shipment_id == shipment_id)
            .order_by(col(XeroDifference.kind))
        )
    )


@dataclass
class DifferingShipment:
    """A row of the "Differs from Xero" view."""

    shipment_id: int
    shipment_number: str
    document_number: str | None
    tenant_id: str
    differences: list[XeroDifference]


def differing_shipments(
    *, session: Session, limit: int = 200, offset: int = 0
) -> list[DifferingShipment]:
    """The shipments that differ from Xero, most recently found first, each with every way it
    differs."""
    ids = [
        shipment_id
        for shipment_id, _ in session.exec(
            select(XeroDifference.shipment_id, func.max(XeroDifference.found_at))
            .group_by(col(XeroDifference.shipment_id))
            .order_by(func.max(XeroDifference.found_at).desc(), col(XeroDifference.shipment_id))
            .limit(limit)
            .offset(offset)
        )
    ]
    if not ids:
        return []
    rows = session.exec(
        select(XeroDifference, Shipment)
        .join(Shipment, col(Shipment.id) == XeroDifference.shipment_id)
        .where(col(XeroDifference.shipment_id).in_(ids))
        .order_by(col(XeroDifference.kind))
    )
    by_id: dict[int, DifferingShipment] = {}
    for difference, shipment in rows:
        entry = by_id.setdefault(
            difference.shipment_id,
            DifferingShipment(
                shipment_id=difference.shipment_id,
                shipment_number=shipment.shipment_number,
                document_number=shipment.xero_document_number,
                tenant_id=difference.tenant_id,
                differences=[],
            ),
        )
        entry.differences.append(difference)
    return [by_id[i] for i in ids if i in by_id]


def check_all(*, session: Session, full: bool = False) -> dict[str, DriftSummary]:
    """Check every connected organisation; returns a summary per organisation (one that Xero
    refused says why, and the others still run)."""
    from services import connections

    due = connections.due_connections(session=session)
    return _by_organisation(session, due, full=full)


def check_due(*, session: Session) -> dict[str, DriftSummary]:
    """The worker's scheduled check: the organisations whose check is due and within the
    day's budget of calls (services/budget.py), each from where its last check stopped."""
    from services import budget

    checked = {
        mark.tenant_id: mark.refreshed_at
        for mark in session.exec(select(SyncBookmark).where(SyncBookmark.kind == BOOKMARK))
    }
    due = budget.due_reads(
        session=session, kind="drift", last_read=lambda c: checked.get(c.tenant_id)
    )
    return _by_organisation(session, due, full=False)


def _by_organisation(session: Session, due, *, full: bool) -> dict[str, DriftSummary]:
    from services import connections

    return {
        connection.tenant_name: (
            DriftSummary(error=str(outcome)) if isinstance(outcome, XeroError) else outcome
        )
        for connection, outcome in connections.read_each(
            due, session=session, read=partial(check, full=full)
        )
    }


def _sent(tenant: str):
    """Processed shipments with a document in this organisation (one with no organisation of
    its own went to the default one)."""
    return (
        col(Shipment.xero_document_id).is_not(None),
        Shipment.sync_state == SyncState.PROCESSED,
        (col(Shipment.tenant_id) == tenant) | col(Shipment.tenant_id).is_(None),
    )


def _sent_shipments(session: Session, tenant: str, document_ids: list[str]) -> dict[str, Shipment]:
    """The sent shipments of these documents, by document: only those Xero changed are
    loaded, in chunks (a year of sent shipments would not fit in the worker's memory)."""
    found: dict[str, Shipment] = {}
    wanted = list(dict.fromkeys(document_ids))
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        query = select(Shipment).where(*_sent(tenant), col(Shipment.xero_document_id).in_(chunk))
        found.update((s.xero_document_id or "", s) for s in session.exec(query))
    return found


def _cancelled_or_said(session: Session, tenant: str, kept: _Kept) -> list[Shipment]:
    """Sent shipments cancelled or returned here, and those whose stored difference says so
    (to clear it once it no longer holds)."""
    said = [shipment_id for shipment_id, kind in kept.rows if kind == CANCELLED]
    here = col(Shipment.workflow_status).in_([WorkflowStatus.CANCELLED, WorkflowStatus.RETURNED])
    return list(
        session.exec(select(Shipment).where(*_sent(tenant), here | col(Shipment.id).in_(said)))
    )


def _kinds_sent(session: Session, tenant: str) -> list[DocumentType]:
    """The kinds of document sent to this organisation: one read of Xero each."""
    stored = session.exec(select(Shipment.xero_document_type).where(*_sent(tenant)).distinct())
    return sorted({kind_of(t).document_type for t in stored})


def _contact_names(session: Session, tenant: str) -> dict[str, str]:
    """Contact names from the cached reference data, to say "Acme" rather than a GUID."""
    return {
        c.contact_id: c.name
        for c in session.exec(select(XeroContact).where(XeroContact.tenant_id == tenant))
    }


class _Kept:
    """The organisation's stored differences, read once per check, kept in step with what the
    check finds."""

    def __init__(self, *, session: Session, tenant: str, summary: DriftSummary):
        self.session, self.tenant, self.summary = session, tenant, summary
        self.rows = {
            (d.shipment_id, d.kind): d
            for d in session.exec(select(XeroDifference).where(XeroDifference.tenant_id == tenant))
        }

    def keep(
        self,
        shipment: Shipment,
        found: list[Difference],
        kinds: tuple[str, ...],
        xero_updated_at: datetime | None,
    ) -> None:
        """Store what was found among `kinds` for one shipment and clear the rest of them."""
        assert shipment.id is not None
        for difference in found:
            row = self.rows.pop((shipment.id, difference.kind), None) or XeroDifference(
                shipment_id=shipment.id, tenant_id=self.tenant, kind=difference.kind, detail=""
            )
            if row.detail != difference.detail:
                row.found_at = utcnow()
            row.here, row.in_xero = difference.here, difference.in_xero
            row.detail = difference.detail
            row.xero_updated_at = xero_updated_at or row.xero_updated_at
            self.session.add(row)
            self.summary.found += 1
            self.summary.details.append(f"{shipment.shipment_number}: {difference.detail}")
        for kind in kinds:
            gone = self.rows.pop((shipment.id, kind), None)
            if gone is not None:
                self.session.delete(gone)
                self.summary.cleared += 1


def _bring_up_to_date(shipment: Shipment, state: DocumentState) -> None:
    """What the payments pull records, from the same answer (no extra call)."""
    answer = state.answer
    shipment.xero_status = answer.status
    shipment.xero_total = answer.total
    if kind_of(shipment.xero_document_type).takes_payments:
        shipment.xero_amount_due = answer.amount_due
        shipment.xero_amount_paid = answer.amount_paid
        shipment.xero_fully_paid_on = answer.fully_paid_on
        shipment.xero_currency_rate = answer.currency_rate or shipment.xero_currency_rate
    if shipment.xero_contact_id is None:
        # Sent before Shipbridge kept the contact: Xero's is the one to compare from now on.
        shipment.xero_contact_id = state.contact_id


def _forget_unsent(session: Session, tenant: str) -> None:
    """A shipment edited or sent again since is no longer "sent as it is": its differences go
    (the next send sets Xero straight, and the next check looks again)."""
    processed = select(Shipment.id).where(
        Shipment.sync_state == SyncState.PROCESSED, col(Shipment.xero_document_id).is_not(None)
    )
    session.exec(
        delete(XeroDifference).where(
            col(XeroDifference.tenant_id) == tenant,
            col(XeroDifference.shipment_id).not_in(processed),
        )
    )
