"""Cancelling a shipment whose invoice is in Xero: void it, delete the draft, or raise a
credit note (whole or chosen lines) allocated to it when Xero allows.

What to do is decided from the invoice as Xero holds it at the moment of acting (its
Status and AmountPaid), never from Shipbridge's copy alone: xero-facts.md §9 (DELETE only
for DRAFT/SUBMITTED, VOID only for AUTHORISED without payments; a paid or part-paid invoice
can only be credited). The calls go out as a send does: the shipments are claimed, each
organisation's batch (at most the batch size) goes in ONE call with an Idempotency-Key from
its content, and every shipment gets an integration-log row with Xero's words and the fix.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import IntegrationLog, Outcome, Shipment, Trigger
from services import claims, connections, credit_recovery, integration_log
from services.credits import shown
from services.db import get_engine, session_scope
from services.document_kinds import INVOICE
from services.errors import UserError
from services.explain import explain
from services.retired_numbers import retire
from services.settings import Settings, get_settings
from services.sync import batch_size, idempotency_key
from services.xero import credit_notes as xero_credit
from services.xero.adapter import XeroAdapter
from services.xero.convert import ElementResult
from services.xero.errors import XeroAuthError, XeroRateLimited, XeroUnavailable

TRIGGER = Trigger.CANCEL


class Action(StrEnum):
    VOID = "void"
    DELETE = "delete"
    CREDIT = "credit"


WHAT_IT_DOES: dict[str, str] = {
    Action.VOID: "Void the invoice in Xero (it stays there, marked VOIDED, owing nothing)",
    Action.DELETE: "Delete the draft invoice in Xero",
    Action.CREDIT: "Raise a credit note in Xero against the invoice",
}


class CancelError(UserError):
    """A cancellation that cannot start; the message says what to do."""


def actions_for(status: str | None, amount_paid: object = 0, amount_credited: object = 0) -> list:
    """What Xero allows for an invoice in this state (xero-facts.md §9), best first."""
    taken = bool(amount_paid) or bool(amount_credited)
    if status in ("DRAFT", "SUBMITTED"):
        return [Action.DELETE]
    if status == "AUTHORISED" and not taken:
        return [Action.VOID, Action.CREDIT]
    if status in ("AUTHORISED", "PAID"):
        return [Action.CREDIT]
    return []


@dataclass(frozen=True)
class CancelRequest:
    shipment_id: int
    action: Action
    line_numbers: tuple[int, ...] = ()  # invoice lines to credit; () is the whole invoice
    # When its job was queued: the credit note's date (the same document on every try) and
    # where the credit notes raised for this request start (services.credits.raised_since).
    queued_at: datetime | None = None
    # An earlier try may have reached Xero without its answer coming back (or its worker
    # died mid-call): a credit note is looked up by its number before it is raised again.
    retried: bool = False


@dataclass
class CancelOutcome:
    shipment_id: int
    shipment_number: str
    done: bool
    message: str  # what happened to this shipment and what to do next
    # Nothing happened for a passing reason (Xero down, 429, the shipment busy): try later.
    retry: bool = False
    retry_after: float = 0.0
    taken_over: bool = False  # the claim was lost: the new holder carries on, not this one
    next_step: str = ""  # for a retry: what happens next, as the log says it


@dataclass
class CancelResult:
    batch_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    outcomes: list[CancelOutcome] = field(default_factory=list)
    api_calls: int = 0


@dataclass
class _Group:
    session: Session
    adapter: XeroAdapter
    tenant_id: str
    user: str | None
    result: CancelResult
    claim: claims.Claim


def cancel_in_xero(
    *,
    requests: list[CancelRequest],
    user: str | None,
    engine: Engine | None = None,
    settings: Settings | None = None,
    claim: claims.Claim | None = None,
) -> CancelResult:
    """Do each request in Xero, at most a batch of them; one outcome per shipment. `claim`:
    one the worker's lease took already (services/cancel_jobs.py); released at the end."""
    settings = settings or get_settings()
    by_id = {r.shipment_id: r for r in requests}
    if not by_id:
        raise CancelError("Choose at least one shipment to cancel in Xero.")
    if len(by_id) > batch_size(settings):
        raise CancelError(
            f"{len(by_id)} shipments are chosen; cancel at most {batch_size(settings)} at a "
            "time in Xero. Nothing was changed."
        )
    engine = engine or get_engine()
    result = CancelResult()
    if claim is None:
        token = claims.new_token("cancel")
        claim = claims.claim(engine=engine, shipment_ids=list(by_id), token=token)
    try:
        with session_scope(engine) as session, claims.Heartbeat(engine=engine, claim=claim):
            shipments = list(session.exec(select(Shipment).where(col(Shipment.id).in_(by_id))))
            groups: dict[str, list[Shipment]] = {}
            for s in shipments:
                assert s.id is not None
                if s.id not in claim.fences:
                    _say(
                        result,
                        s,
                        False,
                        "Another send holds it right now: nothing was "
                        "changed in Xero. Try again in a moment.",
                        retry=True,
                    )
                elif not (s.xero_document_id and s.tenant_id):
                    _say(result, s, False, "It is not in Xero: there is nothing to cancel there.")
                elif s.xero_document_type not in (None, INVOICE.document_type):
                    _say(
                        result,
                        s,
                        False,
                        f"It went to Xero as a {s.xero_document_type}, not an "
                        "invoice: cancel it in Xero itself.",
                    )
                else:
                    groups.setdefault(s.tenant_id, []).append(s)
            for tenant_id, group in groups.items():
                _cancel_group(session, settings, tenant_id, group, by_id, user, result, claim)
    finally:
        claims.release(engine=engine, claim=claim)
    order = {r.shipment_id: n for n, r in enumerate(requests)}
    result.outcomes.sort(key=lambda o: order.get(o.shipment_id, 0))
    return result


def _say(
    result: CancelResult, shipment: Shipment, done: bool, message: str, **later: object
) -> None:
    assert shipment.id is not None
    number = shipment.shipment_number
    result.outcomes.append(CancelOutcome(shipment.id, number, done, message, **later))  # type: ignore[arg-type]


def _cancel_group(
    session: Session,
    settings: Settings,
    tenant_id: str,
    shipments: list[Shipment],
    by_id: dict[int, CancelRequest],
    user: str | None,
    result: CancelResult,
    claim: claims.Claim,
) -> None:
    connection = connections.connection_for(session=session, tenant_id=tenant_id)
    try:
        if connection is None:
            raise XeroAuthError(connections.NOT_CONNECTED)
        adapter = connections.adapter_for(connection, session=session, settings=settings)
    except XeroAuthError as error:
        for s in shipments:
            _say(result, s, False, f"Nothing was changed in Xero: {error}")
        return
    group = _Group(session, adapter, tenant_id, user, result, claim)
    calls_before = adapter.stats.calls
    shipments = _still_held(group, shipments)
    session.commit()  # no write transaction stays open across API calls
    try:
        invoices = {
            a.document_id: a
            for a in adapter.invoices_by_id(
                tenant_id, [s.xero_document_id or "" for s in shipments]
            )
        }
        voids, credits = _sort_out(group, shipments, by_id, invoices)
        if voids:
            _void_or_delete(group, voids)
        if credits:
            _credit(group, credits)
    except (XeroUnavailable, XeroRateLimited, XeroAuthError) as error:
        done = {o.shipment_id for o in result.outcomes}
        wait = error.retry_after if isinstance(error, XeroRateLimited) else 0.0
        known = (
            "Xero is asked what it holds before anything is done again"
            if isinstance(error, XeroUnavailable) and error.maybe_applied
            else "nothing is known to have changed"
        )
        for s in shipments:
            if s.id not in done:
                _say(
                    result,
                    s,
                    False,
                    f"Xero did not answer ({error}): {known}. Try again; a repeat is never "
                    "done twice.",
                    retry=True,
                    retry_after=wait or 0.0,
                )
    result.api_calls += adapter.stats.calls - calls_before


def _still_held(group: _Group, shipments: list[Shipment]) -> list[Shipment]:
    """The fence, checked before any call: a holder whose claim was taken over (its lease ran
    out) changes nothing in Xero; the new holder does the work."""
    held = claims.hold(
        session=group.session, claim=group.claim, shipment_ids=[s.id for s in shipments if s.id]
    )
    for s in shipments:
        if s.id not in held:
            _say(group.result, s, False, "Taken over by another worker.", taken_over=True)
    return [s for s in shipments if s.id in held]


def _sort_out(
    group: _Group,
    shipments: list[Shipment],
    by_id: dict[int, CancelRequest],
    invoices: dict[str | None, ElementResult],
) -> tuple[list, list]:
    """Check each request against the invoice as Xero holds it now."""
    voids, credits = [], []
    for s in shipments:
        assert s.id is not None
        request, invoice = by_id[s.id], invoices.get(s.xero_document_id)
        if invoice is None:
            _say(
                group.result,
                s,
                False,
                f"Xero no longer has invoice {s.xero_document_number}: nothing was changed.",
            )
            continue
        _refresh(s, invoice)
        if _done_already(group, s, request, invoice):
            continue
        if request.action == Action.CREDIT and credit_recovery.already_raised(
            group, s, request, invoice
        ):
            credits.append((s, request, invoice))  # its allocation is what is left to do
            continue
        credited = invoice.raw.get("AmountCredited") or 0
        currency = invoice.raw.get("CurrencyCode")
        allowed = actions_for(invoice.status, invoice.amount_paid, credited)
        if request.action not in allowed:
            what = " or ".join(a.value for a in allowed) or "nothing more can be done"
            _say(
                group.result,
                s,
                False,
                f"Xero holds {s.xero_document_number} as "
                f"{invoice.status}, {shown(invoice.amount_paid, currency)} paid: it cannot "
                f"{request.action.value} it (Xero allows: {what}). Nothing was changed; "
                "choose again.",
            )
        elif request.action == Action.CREDIT:
            credits.append((s, request, invoice))
        else:
            status = "VOIDED" if request.action == Action.VOID else "DELETED"
            voids.append((s, request, invoice, status))
    return voids, credits


def _done_already(
    group: _Group, shipment: Shipment, request: CancelRequest, invoice: ElementResult
) -> bool:
    """A void or delete Xero already holds (an earlier try whose answer was lost): done, and
    not asked again."""
    status = {Action.VOID: "VOIDED", Action.DELETE: "DELETED"}.get(request.action)
    if status is None or invoice.status != status:
        return False
    _retire(group, shipment, invoice, status)
    note = f"Xero already holds {invoice.number} as {status}: nothing more to do there."
    _log(group, shipment, Outcome.PROCESSED, note=note, action=request.action.value)
    _say(group.result, shipment, True, note)
    return True


def _retire(group: _Group, shipment: Shipment, invoice: ElementResult, status: str) -> None:
    shipment.sent_hash = None  # sent again, it goes as a new document
    retire(
        session=group.session,
        shipment=shipment,
        tenant_id=group.tenant_id,
        number=invoice.number or "",
        status=status,
        document_id=invoice.document_id,
    )
    group.session.add(shipment)


def _refresh(shipment: Shipment, invoice: ElementResult) -> None:
    shipment.xero_status = invoice.status
    shipment.xero_amount_paid = invoice.amount_paid
    shipment.xero_amount_due = invoice.amount_due


def _refused(
    group: _Group, shipment: Shipment, errors: list[str], fields: dict, sentence: str
) -> None:
    """Xero refused the shipment's void, delete or credit note: log its words and the fix,
    and say so."""
    plain = [explain(m) for m in errors]
    _log(group, shipment, Outcome.REJECTED, errors_xero=errors, errors_plain=plain, **fields)
    _say(group.result, shipment, False, sentence)


def _log(group: _Group, shipment: Shipment, outcome: str, **fields) -> IntegrationLog:
    return integration_log.write(
        session=group.session,
        shipment_id=shipment.id,
        shipment_number=shipment.shipment_number,
        batch_id=group.result.batch_id,
        tenant_id=group.tenant_id,
        trigger=TRIGGER,
        triggered_by=group.user,
        outcome=outcome,
        **fields,
    )


def _void_or_delete(group: _Group, voids: list) -> None:
    changes = [(invoice.document_id, status) for _s, _r, invoice, status in voids]
    started = time.monotonic()
    key = idempotency_key(group.tenant_id, [{"status-change": changes}])
    group.session.commit()
    answers = xero_credit.set_invoice_statuses(
        group.adapter, group.tenant_id, changes, idempotency_key=key
    )
    duration = int((time.monotonic() - started) * 1000)
    for (shipment, request, invoice, status), answer in zip(voids, answers, strict=False):
        payload = {"InvoiceID": invoice.document_id, "Status": status}
        common = dict(
            document_type=INVOICE.document_type,
            action=request.action.value,
            document_id=invoice.document_id,
            document_number=invoice.number,
            payload=payload,
            response=answer.raw,
            duration_ms=duration,
        )
        if not answer.ok:
            _refused(
                group,
                shipment,
                answer.errors,
                common,
                f"Xero refused to {request.action.value} {invoice.number}: "
                f"{' '.join(answer.errors)} Nothing was changed; see Accounting Logs "
                "(View error).",
            )
            continue
        _refresh(shipment, answer)
        _retire(group, shipment, invoice, status)
        verb = "Voided" if status == "VOIDED" else "Deleted"
        note = (
            f"{verb} {invoice.number} in Xero. Xero never reuses that number: sent again, "
            "the shipment gets a new one."
        )
        _log(group, shipment, Outcome.PROCESSED, note=note, **common)
        group.session.add(shipment)
        _say(group.result, shipment, True, note)


def _credit(group: _Group, credits: list) -> None:
    """Raise the credit notes (or allocate ones raised on an earlier try): in
    services/credit_recovery.py, which looks a lost answer up before raising again."""
    credit_recovery.credit(group, credits)
