"""The checks a send makes around its one Xero call so that nothing is sent twice: content
already in Xero is not sent again, a shipment whose earlier answer was lost is looked up in
Xero first, and the claim's fence is checked before sending and before applying."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from models import Shipment, SyncState, as_utc, utcnow
from services import claims, queue
from services.outcomes import SKIPPED, BatchResult, SendContext, ShipmentOutcome, requeue
from services.xero.convert import ElementResult
from services.xero.errors import XeroUnavailable

UNCHANGED = "Already in Xero, unchanged: not sent again."
TAKEN_OVER = (
    "This send's claim ran out and another sender took the shipment over: nothing was applied "
    "here; its outcome is theirs."
)
STILL_IN_FLIGHT = (
    "An earlier send of this shipment may still be reaching Xero and is not there yet: "
    "looked up again later before anything is sent."
)
NOT_LOOKED_UP = (
    "An earlier send's answer was lost and Xero could not be asked whether it arrived: "
    "queued to look again before anything is sent."
)


def _id(shipment: Shipment) -> int:
    assert shipment.id is not None  # every shipment a send holds is stored
    return shipment.id


def _ids(shipments: list[Shipment]) -> list[int]:
    return [_id(s) for s in shipments]


def say_skipped(
    *, session: Session, shipment_ids: list[int], claim: claims.Claim, result: BatchResult
) -> None:
    """Shipments another sender holds are not sent by this one: say so, and by whom."""
    if all(i in claim.fences for i in shipment_ids):
        return  # the claim holds every one (a worker's lease, a page's uncontested send)
    others = col(Shipment.id).in_(shipment_ids) & col(Shipment.id).not_in(list(claim.fences))
    for shipment in session.exec(select(Shipment).where(others)):
        by_worker = not (shipment.claim_token or "send:").startswith("send:")
        who = "the worker" if by_worker else "another send"
        result.outcomes.append(
            ShipmentOutcome(
                _id(shipment),
                shipment.shipment_number,
                SKIPPED,
                [f"Being sent by {who} right now: not sent again; its outcome appears shortly."],
            )
        )


def leave_cancelling(
    *, session: Session, shipment_ids: list[int], result: BatchResult
) -> list[int]:
    """A page's send leaves out the shipments whose cancellation waits in the queue (said in
    the result); returns the rest. (A worker's lease never holds one: a shipment has one open
    job at a time.)"""
    cancelling = queue.cancelling_ids(session=session, shipment_ids=shipment_ids)
    if not cancelling:
        return shipment_ids
    numbers = dict(
        session.exec(
            select(Shipment.id, Shipment.shipment_number).where(col(Shipment.id).in_(cancelling))
        ).all()
    )
    for shipment_id in sorted(cancelling):
        result.outcomes.append(
            ShipmentOutcome(
                shipment_id,
                numbers.get(shipment_id, ""),
                SKIPPED,
                [f"Not sent. {queue.CANCELLATION_WAITS}"],
            )
        )
    return [i for i in shipment_ids if i not in cancelling]


def document_hash(ctx: SendContext, document: dict) -> str:
    """The content sent for one shipment to its organisation, as a stable digest (without
    Xero's ID, which an update carries and a create does not)."""
    assert ctx.connection is not None
    content = {k: v for k, v in document.items() if k != ctx.kind.id_field}
    text = json.dumps([ctx.connection.tenant_id, content], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:64]


def unchanged_in_xero(ctx: SendContext, shipment: Shipment, document: dict) -> bool:
    """True (and said so in the result) when Xero already holds exactly this document: the
    shipment is Processed and its last Processed content is the same."""
    assert ctx.connection is not None
    if shipment.sync_state != SyncState.PROCESSED or shipment.sent_hash != document_hash(
        ctx, document
    ):
        return False
    queue.complete(session=ctx.session, shipment_ids=[_id(shipment)])
    ctx.result.outcomes.append(
        ShipmentOutcome(
            _id(shipment),
            shipment.shipment_number,
            SKIPPED,
            [UNCHANGED],
            document_number=shipment.xero_document_number,
            document_id=shipment.xero_document_id,
            xero_status=shipment.xero_status,
        )
    )
    return True


def still_held(ctx: SendContext, shipments: list[Shipment]) -> list[Shipment]:
    """The fence check: renew the claim in this transaction (locking the rows until it
    commits) and return the shipments still held; the others are reported taken over and
    left alone."""
    assert ctx.claim is not None
    held = claims.check(ctx.session.connection(), claim=ctx.claim, shipment_ids=_ids(shipments))
    for shipment in shipments:
        if shipment.id not in held:
            ctx.session.expunge(shipment)  # nothing of this send may reach its row
            ctx.result.outcomes.append(
                ShipmentOutcome(_id(shipment), shipment.shipment_number, SKIPPED, [TAKEN_OVER])
            )
    return [s for s in shipments if s.id in held]


def awaiting_answer(shipment: Shipment) -> bool:
    """An earlier send created this shipment's document and its answer never came (the
    sender died, lost its claim, or the answer was lost): Xero may hold it already."""
    return shipment.send_started_at is not None and not shipment.xero_document_id


def answer_known(shipments: list[Shipment], *, certain: bool = True) -> None:
    """Xero's answer for these shipments is known (or their call certainly never reached
    Xero): the next send need not look them up first. Not `certain`: kept awaiting."""
    if certain:
        for shipment in shipments:
            shipment.send_started_at = None


def in_flight_bound(ctx: SendContext) -> timedelta:
    """The longest one call to Xero can be in flight: the SDK's connect and read timeouts,
    and a little more (a sender checks its fence before each try, so one call at most)."""
    return timedelta(seconds=5 + ctx.settings.xero_timeout + 2)


def still_ours(ctx: SendContext, shipments: list[Shipment]) -> bool:
    """Before each try of the call: True when this send still holds every shipment of the
    batch (checked in a transaction of its own; a try never starts on a lost claim)."""
    assert ctx.claim is not None
    engine = ctx.session.get_bind()
    assert isinstance(engine, Engine)
    with engine.begin() as connection:  # one statement, committed: no lock held across the call
        held = claims.check(connection, claim=ctx.claim, shipment_ids=_ids(shipments))
    return held >= set(_ids(shipments))


def take_for_sending(
    ctx: SendContext, ready: list[tuple[Shipment, dict]]
) -> tuple[list[tuple[Shipment, dict]], list[tuple[Shipment, dict, ElementResult]]]:
    """Just before the call: shipments left Sending by a send that died or lost its claim are
    looked up in Xero by number first (never blindly created again); the rest are checked
    against the fence and marked Sending, committed, so a lost answer is known later.
    Returns (to send, found already in Xero). `send_started_at` stays set until an answer
    (or a failure that certainly sent nothing) is known."""
    assert ctx.connection is not None
    number_field = ctx.kind.number_field
    suspects = [d[number_field] for s, d in ready if awaiting_answer(s)]
    found: dict[str, ElementResult] | None = {}
    if suspects:
        assert ctx.adapter is not None
        try:
            answers = ctx.kind.find(ctx.adapter, ctx.connection.tenant_id, suspects)
            found = {a.number: a for a in answers if a.number}
        except XeroUnavailable:
            found = None
    held = {s.id for s in still_held(ctx, [s for s, _ in ready])}
    to_send, in_xero, unknown, in_flight = [], [], [], []
    now, longest = utcnow(), in_flight_bound(ctx)
    for shipment, document in ready:
        if shipment.id not in held:
            continue
        number = document[number_field]
        was_sending = awaiting_answer(shipment)
        started = as_utc(shipment.send_started_at) if shipment.send_started_at else None
        if found is None and was_sending:
            unknown.append(shipment)
        elif found and number in found:
            in_xero.append((shipment, document, found[number]))
        elif was_sending and started and now - started < longest:
            in_flight.append(shipment)
        else:
            shipment.sync_state = SyncState.SENDING
            shipment.send_started_at = now
            if shipment not in ctx.session:
                ctx.session.add(shipment)
            to_send.append((shipment, document))
    if unknown:
        requeue(ctx, unknown, NOT_LOOKED_UP, 30)
    if in_flight:
        requeue(ctx, in_flight, STILL_IN_FLIGHT, longest.total_seconds())
    ctx.session.commit()
    return to_send, in_xero


class FenceLost(Exception):  # noqa: N818 - a signal: this send no longer holds its batch
    """Raised immediately before a request to Xero when the send's claim was taken over."""


@contextmanager
def fenced(ctx: SendContext, shipments: list[Shipment]) -> Iterator[None]:
    """Around one request to Xero: the claim's fence is checked after the rate limiter has
    given the call its slot (after any wait), immediately before the request goes; a send
    whose claim was taken over sends nothing (FenceLost)."""
    assert ctx.adapter is not None
    ctx.session.commit()  # nothing of this send holds a write lock while the fence is checked

    def check(connection: Connection) -> None:
        assert ctx.claim is not None
        ids = _ids(shipments)
        if not claims.check(connection, claim=ctx.claim, shipment_ids=ids) >= set(ids):
            raise FenceLost()

    limiter = ctx.adapter.limiter
    if limiter is None:
        if not still_ours(ctx, shipments):
            raise FenceLost()
        yield
        return
    limiter.preflight = check  # in the limiter's own commit that takes the slot
    try:
        yield
    finally:
        limiter.preflight = None


def not_sent(ctx: SendContext, shipments: list[Shipment], *, uncertain: bool) -> None:
    """The limiter said wait before the request left: nothing of this try reached Xero. The
    shipments go back to Queued (an earlier try's lost answer, `uncertain`, is still looked up
    first next time); committed, so the worker can put their jobs back."""
    for shipment in shipments:
        if not uncertain:
            shipment.send_started_at = None
        shipment.sync_state = SyncState.QUEUED
        ctx.session.add(shipment)
    ctx.session.commit()


def apply_found(
    ctx: SendContext,
    ready: list[tuple[Shipment, dict]],
    found: list[ElementResult | None],
    apply: Callable[..., None],
) -> list[tuple[Shipment, dict]]:
    """After a lost answer, part of the batch was found in Xero: apply what was found (the
    fence checked first) and return the rest, still held, to send again on their own."""
    held = {s.id for s in still_held(ctx, [s for s, _ in ready])}
    done = []
    rest = []
    for (shipment, document), answer in zip(ready, found, strict=True):
        if shipment.id not in held:
            continue
        if answer is None:
            rest.append((shipment, document))
            continue
        apply(ctx, shipment, document, answer, 0, found=True)
        done.append(_id(shipment))
    queue.complete(session=ctx.session, shipment_ids=done)
    ctx.session.commit()
    return rest
