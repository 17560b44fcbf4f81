"""What a send leaves behind: per-shipment outcomes, integration-log entries, queue jobs."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import Session

from models import Outcome, Shipment, SyncState, XeroConnection
from services import integration_log, queue
from services.xero.convert import ElementResult


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


def record(
    session: Session,
    result: BatchResult,
    options: SendOptions,
    connection: XeroConnection | None,
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
) -> None:
    if outcome == Outcome.REJECTED:
        shipment.sync_state = SyncState.REJECTED
        shipment.last_error = " ".join(plain or xero or [])
    session.add(shipment)
    integration_log.write(
        session=session,
        shipment_id=shipment.id,
        shipment_number=shipment.shipment_number,
        batch_id=result.batch_id,
        tenant_id=connection.tenant_id if connection else shipment.tenant_id,
        trigger=options.trigger,
        triggered_by=options.user,
        document_type=payload and ("quote" if "QuoteNumber" in payload else "invoice"),
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


def reject_all(session, shipments, result, options, tenant_id, plain) -> None:
    for shipment in shipments:
        record(session, result, options, None, shipment, Outcome.REJECTED, plain=plain)


def hold(session, shipments, result, options, connection, reason) -> None:
    """The organisation needs reconnecting: keep the shipments queued, held."""
    queue.enqueue(
        session=session,
        shipment_ids=[s.id for s in shipments],
        trigger=options.trigger,
        user=options.user,
        error=reason,
        held=True,
    )
    for shipment in shipments:
        shipment.last_error = reason
        record(
            session,
            result,
            options,
            connection,
            shipment,
            Outcome.HELD,
            plain=[reason],
            note="Held in the queue until the organisation is reconnected.",
        )


def requeue(session, shipments, result, options, connection, reason, wait) -> None:
    """Xero is busy or down: the worker retries later; nothing is lost."""
    queue.enqueue(
        session=session,
        shipment_ids=[s.id for s in shipments],
        trigger=options.trigger,
        user=options.user,
        error=reason,
        delay=timedelta(seconds=max(wait, 5)),
    )
    for shipment in shipments:
        shipment.last_error = reason
        record(
            session,
            result,
            options,
            connection,
            shipment,
            Outcome.FAILED,
            plain=[reason],
            note="Queued; the worker will retry.",
        )
