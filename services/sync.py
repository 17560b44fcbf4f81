"""Sending shipments to Xero: validate, claim, build, ONE call per batch, record every outcome."""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import select

from models import (
    IntegrationLog,
    Outcome,
    Shipment,
    SyncState,
    utcnow,
)
from services import connections, queue, reference_data, validation
from services.db import get_engine, session_scope
from services.document_kinds import kind_of
from services.documents import build_document
from services.errors import UserError
from services.explain import explain
from services.mapping import get_sync_settings
from services.observability import sending
from services.outcomes import (
    BatchResult,
    SendContext,
    SendOptions,
    ShipmentOutcome,
    hold,
    needs_reconnect,
    record,
    reject_all,
    requeue,
)
from services.settings import Settings, get_settings
from services.xero.convert import ElementResult
from services.xero.errors import (
    XeroAuthError,
    XeroRateLimited,
    XeroRequestRejected,
    XeroUnavailable,
)


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
) -> BatchResult:
    """Send up to a batch (`sync_batch_size`) of shipments now, as one batch per organisation.
    `progress(share, text)` hears how far it has got."""
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

    with session_scope(engine) as session:
        if not connections.list_connections(session=session):
            raise SyncError(
                "No Xero organisation is connected: an admin must connect one on the Connect page."
            )
    claimed = _claim(engine, ids, result.batch_id)
    with session_scope(engine) as session:
        for shipment in session.exec(select(Shipment).where(Shipment.id.in_(ids))):
            if shipment.id not in claimed:
                result.outcomes.append(
                    ShipmentOutcome(
                        shipment.id,
                        shipment.shipment_number,
                        "Skipped",
                        ["Already being sent by someone else; look again in a moment."],
                    )
                )
    try:
        groups = _by_organisation(engine, claimed)
        for n, (tenant_id, group) in enumerate(groups.items()):
            share = _shares(n, len(groups))
            options.progress(share(0.1), f"Checking {len(group)} shipment(s)…")
            with sending(tenant_id=tenant_id, batch_id=result.batch_id, shipment_ids=group):
                _send_group(engine, settings, tenant_id, group, result, options, share)
        options.progress(1.0, "Done.")
    finally:
        _release(engine, claimed, result.batch_id)
    result.duration_ms = int((time.monotonic() - started) * 1000)
    order = {sid: n for n, sid in enumerate(ids)}
    result.outcomes.sort(key=lambda o: order.get(o.shipment_id, 0))
    return result


def _shares(n: int, groups: int) -> Callable[[float], float]:
    """Organisation n of `groups`: its own part 0..1 as a share of the whole send."""
    return lambda part: (n + part) / max(groups, 1)


def _claim(engine: Engine, ids: list[int], token: str) -> list[int]:
    """Atomically take the shipments no other send holds (stale claims expire)."""
    now = utcnow()
    claim_timeout = timedelta(seconds=get_settings().sync_lease_seconds)
    with session_scope(engine) as session:
        session.exec(
            update(Shipment)
            .where(
                Shipment.id.in_(ids),
                or_(Shipment.claim_token.is_(None), Shipment.claimed_at < now - claim_timeout),
            )
            .values(claim_token=token, claimed_at=now)
        )
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(Shipment.id).where(Shipment.id.in_(ids), Shipment.claim_token == token)
            )
        )


def _release(engine: Engine, ids: list[int], token: str) -> None:
    with session_scope(engine) as session:
        session.exec(
            update(Shipment)
            .where(Shipment.id.in_(ids), Shipment.claim_token == token)
            .values(claim_token=None, claimed_at=None)
        )


def _by_organisation(engine: Engine, ids: list[int]) -> dict[str | None, list[int]]:
    groups: dict[str | None, list[int]] = {}
    with session_scope(engine) as session:
        default = connections.default_connection(session=session)
        for shipment in session.exec(select(Shipment).where(Shipment.id.in_(ids))):
            tenant = shipment.tenant_id or (default.tenant_id if default else None)
            groups.setdefault(tenant, []).append(shipment.id)
    return groups


def _send_group(
    engine: Engine,
    settings: Settings,
    tenant_id: str | None,
    ids: list[int],
    result: BatchResult,
    options: SendOptions,
    share: Callable[[float], float],
) -> None:
    with session_scope(engine) as session:
        ctx = SendContext(session, settings, result, options)
        ctx.connection = connection = connections.connection_for(
            session=session, tenant_id=tenant_id
        )
        shipments = list(session.exec(select(Shipment).where(Shipment.id.in_(ids))))
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
        session.commit()  # no write transaction stays open across API calls
        try:
            checked = _validate(ctx, shipments)
        except XeroAuthError as error:
            needs_reconnect(ctx, shipments, str(error))
            return
        except XeroUnavailable as error:
            requeue(ctx, shipments, str(error), 30)
            return
        ready = []
        for shipment, problems, resolved in checked:
            if problems:
                note = "Rejected by Shipbridge before sending: not sent to Xero."
                record(ctx, shipment, Outcome.REJECTED, plain=problems, note=note)
            else:
                base_currency = connection.base_currency
                document = build_document(
                    shipment, ctx.sync_settings, resolved, base_currency=base_currency
                )
                ready.append((shipment, document))
        if ready:
            session.commit()
            options.progress(
                share(0.4),
                f"Sending {len(ready)} document(s) to {connection.tenant_name} in one call…",
            )
            _send_documents(ctx, ready)
        calls = adapter.stats.calls - calls_before
        result.api_calls += calls
        session.flush()
        # Each entry of the batch records the calls the whole batch used.
        session.exec(
            update(IntegrationLog)
            .where(
                IntegrationLog.batch_id == result.batch_id,
                IntegrationLog.tenant_id == connection.tenant_id,
            )
            .values(api_calls=calls)
        )


def _validate(ctx: SendContext, shipments: list[Shipment]) -> list:
    """Each shipment with its problems and what its codes resolve to in Xero."""
    session, connection, adapter = ctx.session, ctx.connection, ctx.adapter
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
    shipments = [s for s, _ in ready]
    documents = [d for _, d in ready]
    key = idempotency_key(connection.tenant_id, documents)
    started = time.monotonic()
    answers: list[ElementResult] | None = None
    last_error = ""
    wait = 0.0
    for attempt in range(options.attempts):
        try:
            answers = kind.save(ctx.adapter, connection.tenant_id, documents, idempotency_key=key)
            break
        except XeroRateLimited as error:
            last_error, wait = str(error), error.retry_after
        except XeroUnavailable as error:
            last_error, wait = str(error), _backoff(attempt)
            if error.maybe_applied:
                found = _reconcile(ctx, documents)
                if found is not None:
                    answers = found
                    break
        except XeroAuthError as error:
            needs_reconnect(ctx, shipments, str(error))
            return
        except XeroRequestRejected as error:
            plain = ["Xero refused the whole request; see Xero's words and send again."]
            for shipment, document in ready:
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
    if answers is None:
        requeue(ctx, shipments, last_error, wait)
        return
    duration = int((time.monotonic() - started) * 1000)
    by_number = {a.number: a for a in answers if a.number}
    for index, (shipment, document) in enumerate(ready):
        number = document.get(kind.number_field)
        answer = answers[index] if len(answers) == len(ready) else by_number.get(number)
        _apply_answer(ctx, shipment, document, answer, duration)
    queue.complete(session=ctx.session, shipment_ids=[s.id for s in shipments])


def _apply_answer(
    ctx: SendContext,
    shipment: Shipment,
    document: dict,
    answer: ElementResult | None,
    duration: int,
) -> None:
    connection = ctx.connection
    action = "update" if shipment.xero_document_id else "create"
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
    shipment.sent_at = utcnow()
    shipment.last_error = None
    note = None
    if document.get("CurrencyCode") != (connection.base_currency or "") and not document.get(
        "CurrencyRate"
    ):
        note = "No exchange rate on the shipment: Xero applied its own daily rate."
    answered(Outcome.PROCESSED, document=answer, note=note)


def _reconcile(ctx: SendContext, documents: list[dict]) -> list[ElementResult] | None:
    """After a lost answer: look the documents up by number. None if not all found."""
    numbers = [d[ctx.kind.number_field] for d in documents]
    try:
        found = {a.number: a for a in ctx.kind.find(ctx.adapter, ctx.connection.tenant_id, numbers)}
    except XeroUnavailable:
        return None
    if all(n in found for n in numbers):
        return [found[n] for n in numbers]
    return None


def _backoff(attempt: int) -> float:
    """Capped exponential backoff with jitter."""
    return min(60.0, 0.5 * 2**attempt) * (0.5 + random.random() / 2)
