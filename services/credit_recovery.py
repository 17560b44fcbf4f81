"""Raising a cancellation's credit notes so that trying again never makes a second one.

Two things can go wrong after Xero was asked, and both are tried again by the worker with the
send's backoff (services/cancel_jobs.py) rather than done twice:

- The answer to raising a credit note is lost (a timeout, a connection dropped after Xero
  applied it): Xero may hold it. As a send does for invoices (services/fencing.py, and
  `_reconcile` in services/sync.py), the credit notes are looked up by their number, which
  is deterministic per shipment (services.credits.credit_note_number), at once and again
  before any later try raises them; the one found is recorded, never raised again.
- The credit note is raised but allocating it to the invoice fails (Xero down, a 429) or is
  refused: the credit note is recorded, the job stays open and the next try only allocates
  it (after reading it from Xero, so an allocation whose answer was lost is not made twice);
  a refusal closes the job with Xero's words and what to do.
"""

from __future__ import annotations

import time
from datetime import date
from typing import TYPE_CHECKING

from models import Outcome, Shipment, XeroCreditNote, utcnow
from services import cancellation as cancel
from services.credits import (
    PENDING,
    REFUSED_FIX,
    Allocation,
    allocate_to_invoice,
    build_credit_note,
    raised_since,
    record_credit_note,
    shown,
)
from services.document_kinds import CREDIT_NOTE
from services.sync import idempotency_key
from services.xero.convert import ElementResult
from services.xero.errors import XeroUnavailable

if TYPE_CHECKING:
    from services.cancellation import CancelRequest, _Group

NOT_LOOKED_UP = (
    "Xero's answer to raising credit note {number} was lost and Xero could not be asked "
    "whether it holds it ({error}): it is looked up by its number before anything is raised "
    "again."
)
NOT_IN_XERO = (
    "Xero's answer was lost ({error}) and Xero does not hold credit note {number}: nothing was "
    "credited. It is looked up again, and raised only if still missing, on the next try."
)
LOOK_AGAIN = "The credit note is looked up in Xero by its number before it is raised again."
ALLOCATE_AGAIN = (
    "The credit note is in Xero, not yet allocated to the invoice (no second one is raised)."
)


def already_raised(
    group: _Group, shipment: Shipment, request: CancelRequest, invoice: ElementResult
) -> bool:
    """True when an earlier try of this request raised its credit note: what is left is to
    allocate it, whatever Xero would now allow for a new one."""
    assert shipment.id is not None
    return (
        raised_since(session=group.session, shipment_id=shipment.id, since=request.queued_at)
        is not None
    )


def credit(group: _Group, credits: list) -> None:
    """Each (shipment, request, invoice): allocate the credit note an earlier try raised, or
    raise one (looked up first when an earlier try's answer may have been lost)."""
    to_allocate, to_raise = [], []
    for shipment, request, invoice in credits:
        row = raised_since(session=group.session, shipment_id=shipment.id, since=request.queued_at)
        if row is None:
            to_raise.append((shipment, request, invoice))
        else:
            to_allocate.append((shipment, request, invoice, row))
    if to_allocate:
        _allocate_again(group, to_allocate)
    if to_raise:
        _raise(group, to_raise)


def _day(request: CancelRequest) -> date:
    """The credit note's (and allocation's) date: the day the cancellation was asked for, so
    every try sends the same document under the same Idempotency-Key."""
    return (request.queued_at or utcnow()).date()


def _find(group: _Group, numbers: list[str]) -> dict[str, ElementResult]:
    """The credit notes Xero holds with these numbers (one call). Raises XeroUnavailable when
    Xero cannot say."""
    group.session.commit()  # no write transaction stays open across a call to Xero
    found = group.adapter.find_credit_notes(group.tenant_id, numbers)
    return {a.number: a for a in found if a.number in numbers}


def _raise(group: _Group, credits: list) -> None:
    built = []
    for shipment, request, invoice in credits:
        document, problem = build_credit_note(
            session=group.session,
            shipment=shipment,
            invoice=invoice,
            lines=request.line_numbers,
            on=_day(request),
        )
        if problem:
            cancel._say(group.result, shipment, False, problem)
        else:
            built.append((shipment, request, invoice, document))
    built = _found_first(group, built)
    if not built:
        return
    documents = [d for *_rest, d in built]
    key = idempotency_key(group.tenant_id, documents)
    group.session.commit()
    started = time.monotonic()
    try:
        answers = CREDIT_NOTE.save(group.adapter, group.tenant_id, documents, idempotency_key=key)
    except XeroUnavailable as error:
        if not error.maybe_applied:
            raise  # nothing reached Xero: the batch is tried again as it was
        _after_lost_answer(group, built, error)
        return
    duration = int((time.monotonic() - started) * 1000)
    for item, answer in zip(built, answers, strict=False):
        _raised(group, item, answer, duration=duration)


def _found_first(group: _Group, built: list) -> list:
    """An earlier try of some of these may have reached Xero without its answer: look those
    up by number first; the ones found are recorded (not raised again). Returns the rest."""
    suspects = [item for item in built if item[1].retried]
    if not suspects:
        return built
    numbers = [document["CreditNoteNumber"] for *_rest, document in suspects]
    try:
        found = _find(group, numbers)
    except XeroUnavailable as error:
        for shipment, _request, _invoice, document in suspects:
            number = document["CreditNoteNumber"]
            _retry(group, shipment, NOT_LOOKED_UP.format(number=number, error=error), LOOK_AGAIN)
        return [item for item in built if not item[1].retried]
    rest = []
    for item in built:
        answer = found.get(item[3]["CreditNoteNumber"])
        if answer is None:
            rest.append(item)
        else:
            _raised(group, item, answer, found=True)
    return rest


def _after_lost_answer(group: _Group, built: list, error: XeroUnavailable) -> None:
    """The answer to raising them was lost: look them up by number at once; record those
    Xero holds, and leave the rest to be looked up again (never raised blindly)."""
    numbers = [document["CreditNoteNumber"] for *_rest, document in built]
    try:
        found = _find(group, numbers)
    except XeroUnavailable as lookup_error:
        for shipment, _request, _invoice, document in built:
            number = document["CreditNoteNumber"]
            text = NOT_LOOKED_UP.format(number=number, error=lookup_error)
            _retry(group, shipment, text, LOOK_AGAIN)
        return
    # A request Xero is still working on may land after the look-up: the next try waits
    # until the longest a call can be in flight has passed (fencing.in_flight_bound).
    in_flight = 5 + float(group.adapter.settings.xero_timeout) + 2
    for item in built:
        shipment, document = item[0], item[3]
        answer = found.get(document["CreditNoteNumber"])
        if answer is not None:
            _raised(group, item, answer, found=True)
            continue
        text = NOT_IN_XERO.format(number=document["CreditNoteNumber"], error=error)
        _retry(group, shipment, text, LOOK_AGAIN, retry_after=in_flight)


def _retry(
    group: _Group, shipment: Shipment, message: str, next_step: str, retry_after: float = 0.0
) -> None:
    cancel._say(
        group.result,
        shipment,
        False,
        message,
        retry=True,
        retry_after=retry_after,
        next_step=next_step,
    )


def _raised(
    group: _Group, item: tuple, answer: ElementResult, *, duration: int = 0, found: bool = False
) -> None:
    """Xero's answer for one credit note (or the one found after a lost answer): record it,
    allocate it, log it and say what happened."""
    shipment, request, invoice, document = item
    common = dict(
        document_type=CREDIT_NOTE.document_type,
        action=cancel.Action.CREDIT.value,
        payload=document,
        response=answer.raw,
        duration_ms=duration,
        document_number=answer.number or document.get("CreditNoteNumber"),
        document_id=answer.document_id,
    )
    if not answer.ok:
        cancel._refused(
            group,
            shipment,
            answer.errors,
            common,
            "Xero refused the credit note: "
            f"{' '.join(answer.errors)} Nothing was credited; fix it and try again "
            "(Accounting Logs → View error).",
        )
        return
    row = record_credit_note(
        session=group.session,
        tenant_id=group.tenant_id,
        shipment=shipment,
        invoice=invoice,
        answer=answer,
        lines=request.line_numbers,
        user=group.user,
    )
    currency = invoice.raw.get("CurrencyCode")
    what = f"credit note {row.credit_note_number} for {shown(row.total, currency)}"
    said = (
        f"Found {what} in Xero after an earlier answer was lost: not raised again."
        if found
        else f"Raised {what} in Xero."
    )
    # Logged before the allocation's call, so it is committed with the credit note's row.
    entry = cancel._log(group, shipment, Outcome.PROCESSED, note=said, **common)
    allocation = _allocate(group, shipment, request, invoice, row)
    entry.note = f"{said} {allocation.message}"
    group.session.add(entry)
    _settle(group, shipment, row, allocation, entry.note)


def _allocate(
    group: _Group,
    shipment: Shipment,
    request: CancelRequest,
    invoice: ElementResult,
    row: XeroCreditNote,
    in_xero: ElementResult | None = None,
) -> Allocation:
    return allocate_to_invoice(
        session=group.session,
        adapter=group.adapter,
        tenant_id=group.tenant_id,
        shipment=shipment,
        invoice=invoice,
        row=row,
        on=_day(request),
        in_xero=in_xero,
    )


def _allocate_again(group: _Group, items: list) -> None:
    """Credit notes an earlier try raised but did not allocate: read them from Xero (one
    call), then allocate what is still unallocated."""
    try:
        found = _find(group, [row.credit_note_number for *_rest, row in items])
    except XeroUnavailable as error:
        for shipment, _request, invoice, row in items:
            text = f"Credit note {row.credit_note_number} was raised on an earlier try. "
            _retry(
                group,
                shipment,
                text + PENDING.format(invoice=invoice.number, error=error),
                ALLOCATE_AGAIN,
            )
        return
    for shipment, request, invoice, row in items:
        in_xero = found.get(row.credit_note_number)
        allocation = _allocate(group, shipment, request, invoice, row, in_xero)
        currency = invoice.raw.get("CurrencyCode")
        message = (
            f"Credit note {row.credit_note_number} for {shown(row.total, currency)} was raised "
            f"on an earlier try. {allocation.message}"
        )
        if allocation.done:
            cancel._log(
                group,
                shipment,
                Outcome.PROCESSED,
                note=message,
                document_type=CREDIT_NOTE.document_type,
                action="allocate",
                document_number=row.credit_note_number,
                document_id=row.credit_note_id,
            )
        _settle(group, shipment, row, allocation, message)


def _settle(
    group: _Group,
    shipment: Shipment,
    row: XeroCreditNote,
    allocation: Allocation,
    message: str,
) -> None:
    """One outcome for the shipment: done, tried again, or refused for good (logged with
    Xero's words and the fix)."""
    if allocation.retry:
        _retry(group, shipment, message, ALLOCATE_AGAIN, allocation.retry_after)
    elif allocation.refused:
        cancel._refused(
            group,
            shipment,
            allocation.refused,
            dict(
                document_type=CREDIT_NOTE.document_type,
                action="allocate",
                document_number=row.credit_note_number,
                document_id=row.credit_note_id,
                note=REFUSED_FIX,
            ),
            message,
        )
    else:
        cancel._say(group.result, shipment, True, message)
