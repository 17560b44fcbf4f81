"""Sending shipments to Xero: validate, claim, build, ONE call per batch, record every outcome."""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from collections.abc import Callable
from functools import cache, partial

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import (
    IntegrationLog,
    Outcome,
    Shipment,
    SyncState,
    utcnow,
)
from services import (
    claims,
    connections,
    deferred_writes,
    fencing,
    queue,
    queue_leases,
    reference_data,
    retired_numbers,
    shipment_writes,
    validation,
)
from services.db import get_engine, session_scope
from services.document_kinds import kind_of
from services.documents import build_document
from services.errors import UserError
from services.explain import explain
from services.mapping import get_sync_settings
from services.observability import sending
from services.outcomes import (
    WROTE_LOG,
    BatchResult,
    SendContext,
    SendOptions,
    ShipmentOutcome,
    hold,
    needs_reconnect,
    record,
    reject_all,
    requeue,
    write_log,
)
from services.rate_limit import MustWait
from services.settings import Settings, get_settings
from services.xero.convert import ElementResult
from services.xero.errors import (
    XeroAuthError,
    XeroRateLimited,
    XeroRequestRejected,
    XeroUnavailable,
)

# What callers of a send read in its result, importable from here.
__all__ = ["BatchResult", "ShipmentOutcome", "SyncError", "batch_size", "send_shipments"]


def batch_size(settings: Settings | None = None) -> int:
    """How many shipments one send takes at most: the page's limit, the worker's lease."""
    return (settings or get_settings()).sync_batch_size


class SyncError(UserError):
    """A send that cannot start; the message tells the user what to do."""


def send_shipments(
    *,
    shipment_ids: list[int],
    trigger: str,
    user: str | None,
    engine: Engine | None = None,
    settings: Settings | None = None,
    attempts: int = 3,
    max_inline_wait: float = 5.0,
    progress: Callable[[float, str], None] | None = None,
    claim: claims.Claim | None = None,
) -> BatchResult:
    """Send up to a batch (`sync_batch_size`) of shipments now, as one batch per organisation.
    `progress(share, text)` hears how far it has got. Every sender takes the same fenced claim
    (`claim`: one the worker's lease already took); shipments another sender holds are
    skipped and said so, and the claim is released when the send ends."""
    ids = list(dict.fromkeys(shipment_ids))
    if not ids:
        raise SyncError("Select at least one shipment to send.")
    settings = settings or get_settings()
    limit = batch_size(settings)
    if len(ids) > limit:
        raise SyncError(
            f"{len(ids)} shipments are selected; send at most {limit} at a time. "
            "Nothing was sent: narrow the selection, or use Push remaining to queue them all."
        )
    engine = engine or get_engine()
    options = SendOptions(trigger, user, attempts, max_inline_wait)
    if progress is not None:
        options.progress = progress
    started = time.monotonic()
    result = BatchResult(batch_id=uuid.uuid4().hex[:16])

    take_claim = claim is None  # a worker's lease took its claim already
    claim = claim or claims.Claim(claims.new_token("send"))
    released: set[int] = set()
    try:
        # One session for the whole send, committed only where it must be (before and after
        # the call to Xero; services/sync.py keeps a batch to a few commits: see
        # tests/services/test_batch_commits.py). A page's claim is taken in its first
        # transaction, which commits with the shipments marked Sending.
        with session_scope(engine) as session:
            shipment_writes.batch_shipment_updates(session)
            if take_claim:
                claim.fences = claims.take(
                    session=session, shipment_ids=ids, token=claim.token
                ).fences
            if not connections.remember_connections(session=session):
                raise SyncError(
                    "No Xero organisation is connected: an admin must connect one on the "
                    "Connect page."
                )
            fencing.say_skipped(session=session, shipment_ids=ids, claim=claim, result=result)
            claimed = [i for i in ids if i in claim.fences]
            if take_claim:
                claimed = fencing.leave_cancelling(
                    session=session, shipment_ids=claimed, result=result
                )
            with claims.Heartbeat(engine=engine, claim=claim), deferred_writes.deferred(engine):
                groups = _by_organisation(session, claimed)
                for n, (tenant_id, loaded) in enumerate(groups.items()):
                    group = [s.id for s in loaded if s.id is not None]  # read: each has one
                    share = _shares(n, len(groups))
                    options.progress(share(0.1), f"Checking {len(group)} shipment(s)…")
                    with sending(tenant_id=tenant_id, batch_id=result.batch_id, shipment_ids=group):
                        _send_group(
                            session, settings, tenant_id, loaded, result, options, share, claim
                        )
                    _release(session, claim, group)
                    if not take_claim:  # a worker's lease: jobs with no outcome go back
                        queue_leases.unfinished_back(
                            session=session, token=claim.token, shipment_ids=group
                        )
                    session.commit()  # the answers applied, logged and the claim given back
                    released.update(group)
        options.progress(1.0, "Done.")
    finally:
        rest = {i: f for i, f in claim.fences.items() if i not in released}
        claims.release(engine=engine, claim=claims.Claim(claim.token, rest))
    result.duration_ms = int((time.monotonic() - started) * 1000)
    order = {sid: n for n, sid in enumerate(ids)}
    result.outcomes.sort(key=lambda o: order.get(o.shipment_id, 0))
    return result


def _shares(n: int, groups: int) -> Callable[[float], float]:
    """Organisation n of `groups`: its own part 0..1 as a share of the whole send."""
    return lambda part: (n + part) / max(groups, 1)


def _by_organisation(session: Session, ids: list[int]) -> dict[str | None, list[Shipment]]:
    """The shipments by organisation, read once for the whole send."""
    groups: dict[str | None, list[Shipment]] = {}
    default = connections.default_connection(session=session)
    for shipment in session.exec(_shipments_of(), params={"ids": ids}):
        tenant = shipment.tenant_id or (default.tenant_id if default else None)
        groups.setdefault(tenant, []).append(shipment)
    return groups


@cache
def _shipments_of():
    """`_by_organisation`'s read, built once (the ids bound at each call)."""
    return select(Shipment).where(col(Shipment.id).in_(bindparam("ids", expanding=True)))


def _release(session: Session, claim: claims.Claim, ids: list[int]) -> None:
    """Give back the shipments of one organisation's batch in the transaction that applied
    their answers (only those this claim still holds; the fence stays raised). Core, on the
    session's connection: the ORM's UPDATE would also look for the rows among the session's
    objects to set their claim, which nothing reads after."""
    session.connection().execute(_releasing(), {"ids": ids, "token": claim.token})


@cache
def _releasing():
    """`_release`'s UPDATE, built once (its values bound at each call)."""
    shipment = Shipment.__table__.c  # type: ignore[attr-defined]
    return (
        update(Shipment)
        .where(
            shipment.id.in_(bindparam("ids", expanding=True)),
            shipment.claim_token == bindparam("token", type_=shipment.claim_token.type),
        )
        .values(claim_token=None, claimed_at=None)
    )


def _send_group(
    session: Session,
    settings: Settings,
    tenant_id: str | None,
    shipments: list[Shipment],
    result: BatchResult,
    options: SendOptions,
    share: Callable[[float], float],
    claim: claims.Claim,
) -> None:
    # One organisation's batch, in the send's session (the caller commits it).
    ctx = SendContext(session, settings, result, options, claim=claim)
    session.info.pop(WROTE_LOG, None)  # this organisation's entries are all still to write
    ctx.connection = connection = connections.connection_for(session=session, tenant_id=tenant_id)
    if connection is None:
        reject_all(ctx, shipments, [connections.NOT_CONNECTED])
        return
    try:
        ctx.adapter = adapter = connections.adapter_for(
            connection, session=session, settings=settings
        )
    except XeroAuthError as error:
        hold(ctx, shipments, str(error))
        return
    if adapter.limiter is not None:
        adapter.limiter.max_wait = options.max_inline_wait
    calls_before = adapter.stats.calls
    ctx.sync_settings = get_sync_settings(session=session, tenant_id=connection.tenant_id)
    ctx.kind = kind_of(ctx.sync_settings.document_type)
    # No write transaction stays open across API calls: a reference refresh commits
    # before it reads Xero, and the shipments are committed Sending before the send.
    try:
        checked = _validate(ctx, shipments)
    except XeroAuthError as error:
        needs_reconnect(ctx, shipments, str(error))
        return
    except XeroUnavailable as error:
        requeue(ctx, shipments, str(error), 30)
        return
    built = []
    for shipment, problems, resolved in checked:
        if problems:
            note = "Rejected by Shipbridge before sending: not sent to Xero."
            record(ctx, shipment, Outcome.REJECTED, plain=problems, note=note)
        else:
            base_currency = connection.base_currency
            document = build_document(
                shipment, ctx.sync_settings, resolved, base_currency=base_currency
            )
            built.append((shipment, document))
    # A number spent on a voided or deleted document goes as a new one, renumbered (one
    # look for the whole batch).
    documents = retired_numbers.renumber_batch(
        session=session, tenant_id=connection.tenant_id, batch=built, kind=ctx.kind
    )
    ready = [
        (shipment, document)
        for (shipment, _), document in zip(built, documents, strict=True)
        if not fencing.unchanged_in_xero(ctx, shipment, document)
    ]
    if ready:
        if any(fencing.awaiting_answer(s) for s, _ in ready):
            session.commit()  # they are looked up in Xero first
        options.progress(
            share(0.4),
            f"Sending {len(ready)} document(s) to {connection.tenant_name} in one call…",
        )
        _send_documents(ctx, ready)
    calls = adapter.stats.calls - calls_before
    result.api_calls += calls
    # Xero's responses counted and the limiter's slots given back with the answers.
    deferred_writes.write(session)
    # Each entry of the batch records the calls the whole batch used: those still pending
    # go in one INSERT with it; any written at an earlier commit get it by one UPDATE.
    written_before = session.info.pop(WROTE_LOG, False)
    write_log(session, api_calls=calls)
    session.info.pop(WROTE_LOG, None)
    if written_before:
        session.exec(
            update(IntegrationLog)
            .where(
                col(IntegrationLog.batch_id) == result.batch_id,
                col(IntegrationLog.tenant_id) == connection.tenant_id,
            )
            .values(api_calls=calls)
        )


def _validate(ctx: SendContext, shipments: list[Shipment]) -> list:
    """Each shipment with its problems and what its codes resolve to in Xero."""
    session, connection, adapter = ctx.session, ctx.connection, ctx.adapter
    # _send_group sets these before it validates.
    assert connection is not None and adapter is not None and ctx.sync_settings is not None
    ref = reference_data.load(session=session, connection=connection)
    refreshed = False
    if ref.is_empty:
        reference_data.refresh(session=session, connection=connection, adapter=adapter)
        ref = reference_data.load(session=session, connection=connection)
        refreshed = True
    checked = [(s, *validation.check(s, ctx.sync_settings, ref)) for s in shipments]
    unmapped = any(
        "Xero" in p and "did you mean" in p or "is not a Xero" in p
        for _, problems, _ in checked
        for p in problems
    )
    if unmapped and not refreshed:
        # A code may have been added in Xero since the last refresh: one cheap incremental look.
        reference_data.refresh(session=session, connection=connection, adapter=adapter)
        ref = reference_data.load(session=session, connection=connection)
        checked = [(s, *validation.check(s, ctx.sync_settings, ref)) for s in shipments]
    return checked


def idempotency_key(tenant_id: str, documents: list[dict]) -> str:
    """The same batch (same documents) always gets the same key, so a retry is never doubled."""
    digest = hashlib.sha256(
        json.dumps([tenant_id, documents], sort_keys=True, default=str).encode()
    ).hexdigest()
    return f"shipbridge-{digest[:48]}"


def _send_documents(ctx: SendContext, ready: list[tuple[Shipment, dict]]) -> None:
    options, connection, kind = ctx.options, ctx.connection, ctx.kind
    assert connection is not None and ctx.adapter is not None  # set by _send_group
    ready, in_xero = fencing.take_for_sending(ctx, ready)
    for shipment, document, found_answer in in_xero:
        _apply_answer(ctx, shipment, document, found_answer, 0, found=True)
    queue.complete(
        session=ctx.session, shipment_ids=[s.id for s, _, _ in in_xero if s.id is not None]
    )
    if not ready:
        return
    shipments = [s for s, _ in ready]
    documents = [d for _, d in ready]
    key = idempotency_key(connection.tenant_id, documents)
    started = time.monotonic()
    answers: list[ElementResult] | None = None
    last_error = ""
    wait = 0.0
    uncertain = False  # a try may have reached Xero without its answer reaching us
    for attempt in range(options.attempts):
        try:
            # The fence is checked after any limiter wait, immediately before the request.
            with fencing.fenced(ctx, shipments):
                answers = kind.save(
                    ctx.adapter, connection.tenant_id, documents, idempotency_key=key
                )
            break
        except fencing.FenceLost:
            last_error = fencing.TAKEN_OVER
            break  # the claim was taken over: the new holder finds out what reached Xero
        except MustWait:
            fencing.not_sent(ctx, shipments, uncertain=uncertain)
            raise  # the worker puts the jobs back until the organisation's window opens
        except XeroRateLimited as error:
            last_error, wait = str(error), error.retry_after
        except XeroUnavailable as error:
            last_error, wait = str(error), _backoff(attempt)
            uncertain = uncertain or error.maybe_applied
            if error.maybe_applied:
                try:
                    found = _reconcile(ctx, documents)
                except XeroUnavailable as lookup_error:
                    # Xero may hold the batch and cannot say: sending again now could commit
                    # it twice. Kept Sending (send_started_at), the next attempt looks first.
                    last_error = f"{fencing.NOT_LOOKED_UP} ({lookup_error})"
                    break
                if all(found):
                    answers = [a for a in found if a is not None]
                    break
                if any(found):
                    # Part of the batch is in Xero: apply that part, send only the rest (its
                    # own content, so its own idempotency key).
                    ready = fencing.apply_found(ctx, ready, found, _apply_answer)
                    shipments, documents = [s for s, _ in ready], [d for _, d in ready]
                    key = idempotency_key(connection.tenant_id, documents)
                    uncertain = False
                    if not ready:
                        return
        except XeroAuthError as error:
            held_ones = fencing.still_held(ctx, shipments)
            fencing.answer_known(held_ones, certain=not uncertain)
            needs_reconnect(ctx, held_ones, str(error))
            return
        except XeroRequestRejected as error:
            plain = ["Xero refused the whole request; see Xero's words and send again."]
            held = {s.id for s in fencing.still_held(ctx, shipments) if s.id is not None}
            for shipment, document in ready:
                if shipment.id not in held:
                    continue
                fencing.answer_known([shipment])
                record(
                    ctx,
                    shipment,
                    Outcome.REJECTED,
                    payload=document,
                    xero=[str(error)],
                    plain=plain,
                )
            return
        if attempt + 1 == options.attempts or wait > options.max_inline_wait:
            break
        options.sleep(wait)
    # The fence again, before applying: a sender that lost its claim meanwhile applies nothing.
    held_ones = fencing.still_held(ctx, shipments)
    held = {s.id for s in held_ones if s.id is not None}
    if answers is None:
        fencing.answer_known(held_ones, certain=not uncertain)
        requeue(ctx, held_ones, last_error, wait)
        return
    duration = int((time.monotonic() - started) * 1000)
    by_number = {a.number: a for a in answers if a.number}
    for index, (shipment, document) in enumerate(ready):
        if shipment.id not in held:
            continue
        number = document.get(kind.number_field)
        answer: ElementResult | None = (
            answers[index] if len(answers) == len(ready) else by_number.get(number or "")
        )
        _apply_answer(ctx, shipment, document, answer, duration)
    queue.complete(session=ctx.session, shipment_ids=sorted(held))


def _apply_answer(
    ctx: SendContext,
    shipment: Shipment,
    document: dict,
    answer: ElementResult | None,
    duration: int,
    *,
    found: bool = False,
) -> None:
    connection = ctx.connection
    assert connection is not None  # set by _send_group
    action = "update" if shipment.xero_document_id else "create"
    fencing.answer_known([shipment])
    if answer is None:
        plain = ["Xero's answer did not include this shipment; send it again."]
        record(ctx, shipment, Outcome.REJECTED, payload=document, plain=plain)
        return
    # Xero answered for this shipment: its outcome logs what went and what came back.
    answered = partial(
        record,
        ctx,
        shipment,
        payload=document,
        response=answer.raw,
        action=action,
        duration=duration,
    )
    if not answer.ok:
        answered(Outcome.REJECTED, xero=answer.errors, plain=[explain(m) for m in answer.errors])
        return
    shipment.sync_state = SyncState.PROCESSED
    # The document lives in this organisation now: later sends update it there, even if
    # the default organisation changes (a shipment with none of its own went to it).
    shipment.tenant_id = connection.tenant_id
    shipment.xero_document_type = ctx.kind.document_type
    shipment.xero_document_id = answer.document_id
    shipment.xero_document_number = answer.number
    shipment.xero_status = answer.status
    shipment.xero_total = answer.total
    shipment.xero_amount_due = answer.amount_due
    shipment.xero_amount_paid = answer.amount_paid
    shipment.xero_currency_rate = answer.currency_rate
    shipment.xero_contact_name = answer.contact_name or shipment.xero_contact_name
    # The contact the send resolved: the drift check tells when Xero's differs from it.
    shipment.xero_contact_id = (
        answer.contact_id or (document.get("Contact") or {}).get("ContactID") or None
    )
    shipment.sent_at = utcnow()
    shipment.last_error = None
    shipment.sent_hash = fencing.document_hash(ctx, document)
    note = "Found in Xero after an earlier answer was lost: not sent again." if found else None
    if document.get("CurrencyCode") != (connection.base_currency or "") and not document.get(
        "CurrencyRate"
    ):
        note = "No exchange rate on the shipment: Xero applied its own daily rate."
    answered(Outcome.PROCESSED, document=answer, note=note)


def _reconcile(ctx: SendContext, documents: list[dict]) -> list[ElementResult | None]:
    """After a lost answer: look the documents up by number; each document's answer as found
    in Xero, None where it is not there. Raises XeroUnavailable when the lookup itself fails
    (then whether Xero holds them is unknown)."""
    numbers = [d[ctx.kind.number_field] for d in documents]
    adapter, connection = ctx.adapter, ctx.connection
    assert adapter is not None and connection is not None  # set by _send_group
    found = {a.number: a for a in ctx.kind.find(adapter, connection.tenant_id, numbers)}
    return [found.get(n) for n in numbers]


def _backoff(attempt: int) -> float:
    """Capped exponential backoff with jitter."""
    return min(60.0, 0.5 * 2**attempt) * (0.5 + random.random() / 2)
