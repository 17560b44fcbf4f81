"""What a send leaves behind: per-shipment outcomes, integration-log entries, queue jobs."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import event
from sqlmodel import Session

from models import Outcome, Shipment, SyncSettings, SyncState, XeroConnection
from services import connections, integration_log, queue
from services.document_kinds import INVOICE, DocumentKind
from services.settings import Settings
from services.xero.convert import ElementResult

if TYPE_CHECKING:
    from services.claims import Claim
    from services.xero.adapter import XeroAdapter

SKIPPED = "Skipped"  # an outcome for a shipment this send left alone, with why


@dataclass
class ShipmentOutcome:
    shipment_id: int
    shipment_number: str
    outcome: str  # an Outcome, or "Skipped"
    messages: list[str] = field(default_factory=list)
    xero_messages: list[str] = field(default_factory=list)
    document_number: str | None = None
    document_id: str | None = None
    xero_status: str | None = None
    sent_to_xero: bool = False  # its document went to Xero (whatever Xero answered)


@dataclass
class BatchResult:
    batch_id: str
    outcomes: list[ShipmentOutcome] = field(default_factory=list)
    api_calls: int = 0
    duration_ms: int = 0

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)

    @property
    def sent_to_xero(self) -> int:
        """How many documents went to Xero, whether Xero took them or not."""
        return sum(1 for o in self.outcomes if o.sent_to_xero)

    @property
    def only_checked(self) -> bool:
        """Nothing went to Xero because Shipbridge's checks refused every shipment: the
        batch's API calls (if any) only read Xero's codes to check them."""
        return self.count(Outcome.REJECTED) > 0 and all(
            o.outcome in (Outcome.REJECTED, "Skipped") and not o.sent_to_xero for o in self.outcomes
        )


@dataclass
class SendOptions:
    trigger: str
    user: str | None
    attempts: int = 3
    # Longer waits than this go back to the queue for the worker instead of blocking a page.
    max_inline_wait: float = 5.0
    sleep: Callable[[float], None] = time.sleep
    # Told (share done 0..1, what is happening) as the send goes, for a progress bar.
    progress: Callable[[float, str], None] = lambda share, text: None


@dataclass
class SendContext:
    """Everything the steps of sending one organisation's batch share, passed as one. The
    connection, adapter and mapping are filled in as the send finds them."""

    session: Session
    settings: Settings
    result: BatchResult
    options: SendOptions
    connection: XeroConnection | None = None
    adapter: XeroAdapter | None = None
    sync_settings: SyncSettings | None = None
    kind: DocumentKind = INVOICE
    claim: Claim | None = None  # the fenced claim this send holds on its shipments


def record(
    ctx: SendContext,
    shipment: Shipment,
    outcome: str,
    *,
    payload: dict | None = None,
    response: dict | None = None,
    xero: list[str] | None = None,
    plain: list[str] | None = None,
    action: str | None = None,
    duration: int = 0,
    document: ElementResult | None = None,
    note: str | None = None,
    log: bool = True,
) -> None:
    """One shipment's outcome: on the shipment, in the integration log (unless `log` is
    False: the same state as its last row) and in the result."""
    assert shipment.id is not None  # a claimed shipment was read from the database
    session, result, options, connection = ctx.session, ctx.result, ctx.options, ctx.connection
    if outcome == Outcome.REJECTED:
        shipment.sync_state = SyncState.REJECTED
        shipment.last_error = " ".join(plain or xero or [])
    if shipment not in session:  # add() again walks its lines for nothing
        session.add(shipment)
    if log:
        pending_log(session).append(
            integration_log.row(
                shipment_id=shipment.id,
                shipment_number=shipment.shipment_number,
                batch_id=result.batch_id,
                tenant_id=connection.tenant_id if connection else shipment.tenant_id,
                trigger=options.trigger,
                triggered_by=options.user,
                document_type=ctx.kind.document_type if payload else None,
                action=action,
                outcome=outcome,
                document_number=document.number if document else None,
                document_id=document.document_id if document else None,
                payload=payload,
                response=response,
                errors_xero=xero or None,
                errors_plain=plain or None,
                note=note,
                duration_ms=duration,
            )
        )
    result.outcomes.append(
        ShipmentOutcome(
            shipment.id,
            shipment.shipment_number,
            outcome,
            list(plain or []),
            list(xero or []),
            document.number if document else None,
            document.document_id if document else None,
            document.status if document else None,
            sent_to_xero=payload is not None,
        )
    )
    if outcome == Outcome.REJECTED:
        queue.complete(
            session=session,
            shipment_ids=[shipment.id],
            rejected=shipment.last_error or "Rejected.",
        )


def pending_log(session: Session) -> list[dict]:
    """The integration-log entries a send has recorded in this transaction and not yet
    written: all of them go in one INSERT when the transaction commits (or earlier,
    `write_log`), none if it rolls back."""
    return session.info.setdefault(_PENDING, [])


def write_log(session: Session, *, api_calls: int | None = None) -> None:
    """Write the pending entries now, in one statement; with `api_calls`, each records the
    calls its whole batch used."""
    rows = session.info.pop(_PENDING, [])
    if api_calls is not None:
        for entry in rows:
            entry["api_calls"] = api_calls
    integration_log.write_many(session=session, rows=rows)
    if rows:
        session.info[WROTE_LOG] = True


_PENDING = "shipbridge.pending_log"
WROTE_LOG = "shipbridge.wrote_log"  # entries of this send were written before its end


@event.listens_for(Session, "before_commit")
def _write_pending_log(session: Session) -> None:
    if session.info.get(_PENDING):
        write_log(session)


@event.listens_for(Session, "after_rollback")
def _drop_pending_log(session: Session) -> None:
    session.info.pop(_PENDING, None)


def reject_all(ctx: SendContext, shipments: list[Shipment], plain: list[str]) -> None:
    """Refuse every shipment with the same reasons, before anything is sent."""
    for shipment in shipments:
        record(ctx, shipment, Outcome.REJECTED, plain=plain)


def hold(ctx: SendContext, shipments: list[Shipment], reason: str) -> None:
    """The organisation needs reconnecting: keep the shipments queued, held."""
    note = "Held in the queue until the organisation is reconnected."
    _queue_again(ctx, shipments, reason, Outcome.HELD, note, held=True)


def needs_reconnect(ctx: SendContext, shipments: list[Shipment], reason: str) -> None:
    """Xero no longer accepts the connection: mark it for reconnecting and hold the shipments."""
    assert ctx.connection is not None
    connections.mark_needs_reconnect(session=ctx.session, connection=ctx.connection, reason=reason)
    hold(ctx, shipments, reason)


NEEDS_ATTENTION_NOTE = (
    "Tried too many times without an answer from Xero: needs attention; Retry it from the "
    "Accounting Logs page."
)


def requeue(ctx: SendContext, shipments: list[Shipment], reason: str, wait: float) -> None:
    """Xero is busy or down: the worker retries later with backoff (never sooner than `wait`,
    Xero's Retry-After); after `sync_max_attempts` tries the job needs attention. Nothing is
    lost. A shipment already failing writes no new log row: one row per change of state."""
    if not shipments:
        return
    ids = _ids(shipments)
    failing = queue.already_failing(session=ctx.session, shipment_ids=ids)
    stuck = queue.retry_later(
        session=ctx.session,
        shipment_ids=ids,
        trigger=ctx.options.trigger,
        user=ctx.options.user,
        error=reason,
        retry_after=wait,
    )
    for shipment in shipments:
        shipment.last_error = reason
        if shipment.id in stuck:
            note = NEEDS_ATTENTION_NOTE
            record(ctx, shipment, Outcome.FAILED, plain=[reason], note=note)
        else:
            note = "Queued; the worker will retry."
            logged = shipment.id not in failing
            record(ctx, shipment, Outcome.FAILED, plain=[reason], note=note, log=logged)


def _queue_again(
    ctx: SendContext,
    shipments: list[Shipment],
    reason: str,
    outcome: str,
    note: str,
    *,
    held: bool = False,
    delay: timedelta = timedelta(0),
) -> None:
    queue.enqueue(
        session=ctx.session,
        shipment_ids=_ids(shipments),
        trigger=ctx.options.trigger,
        user=ctx.options.user,
        error=reason,
        delay=delay,
        held=held,
    )
    for shipment in shipments:
        shipment.last_error = reason
        record(ctx, shipment, outcome, plain=[reason], note=note)


def _ids(shipments: list[Shipment]) -> list[int]:
    """The ids of claimed shipments (read from the database, so each has one)."""
    ids = [s.id for s in shipments if s.id is not None]
    assert len(ids) == len(shipments)
    return ids
