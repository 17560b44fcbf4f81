"""Cancellations on the queue: the panel queues a void, delete or credit note as a "cancel"
job (`SyncJob.kind`); the worker leases it like a send (one organisation, one kind, up to a
batch, fenced claim), does it through `services.cancellation` (ONE call per batch, an
Idempotency-Key, a log row per shipment) and settles each job: done, refused (closed with
Xero's reason), or retried with the send's backoff until `sync_max_attempts`, then Needs
attention, where the pages' Retry puts it back."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import JobKind, JobStatus, Outcome, Shipment, SyncJob, Trigger, utcnow
from services import integration_log, queue, queue_leases, rate_limit
from services.cancellation import (
    Action,
    CancelError,
    CancelOutcome,
    CancelRequest,
    CancelResult,
    cancel_in_xero,
)
from services.credits import raised_since
from services.db import session_scope

log = logging.getLogger("shipbridge.cancel_jobs")
VERBS = {Action.VOID: "void", Action.DELETE: "delete", Action.CREDIT: "raise a credit note for"}


def enqueue_cancel(*, session: Session, request: CancelRequest, user: str | None) -> str:
    """Queue one cancellation for the worker; returns what to tell the user. A shipment with
    a job already open keeps that one (it is said so)."""
    shipment = session.get(Shipment, request.shipment_id)
    if shipment is None or not (shipment.xero_document_id and shipment.tenant_id):
        raise CancelError("This shipment is not in Xero: there is nothing to cancel there.")
    open_job = session.exec(
        select(SyncJob).where(
            SyncJob.shipment_id == request.shipment_id, col(SyncJob.status).in_(queue.OPEN)
        )
    ).first()
    number = shipment.xero_document_number or shipment.xero_document_id
    if open_job is not None:
        what = "a cancellation" if open_job.kind == JobKind.CANCEL else "a send"
        raise CancelError(
            f"{shipment.shipment_number} already has {what} waiting in the queue: nothing "
            f"new was queued. Wait for it to finish (Accounting Logs), then choose again."
        )
    session.add(
        SyncJob(
            shipment_id=request.shipment_id,
            tenant_id=shipment.tenant_id,
            trigger=Trigger.CANCEL,
            requested_by=user,
            kind=JobKind.CANCEL,
            cancel_action=request.action.value,
            cancel_lines=json.dumps(list(request.line_numbers)) if request.line_numbers else None,
        )
    )
    return (
        f"Queued: {VERBS[request.action]} {number} in Xero; the worker will do it within "
        "seconds. The result shows on the shipment's Integration tab and in Accounting Logs."
    )


def request_of(job: SyncJob) -> CancelRequest:
    """The job's request. Tried before (this lease is not its first, or a try failed): an
    earlier try may have reached Xero, so its credit note is looked up before it is raised."""
    lines = tuple(json.loads(job.cancel_lines)) if job.cancel_lines else ()
    retried = job.attempts > 1 or job.last_error is not None
    return CancelRequest(
        job.shipment_id,
        Action(job.cancel_action or ""),
        lines,
        queued_at=job.created_at,
        retried=retried,
    )


def run_lease(*, engine: Engine, lease: queue_leases.Lease) -> int:
    """Do one leased batch of cancellations; returns how many jobs it held."""
    jobs = lease.jobs
    try:
        with rate_limit.deferring():  # a lease holder never sleeps for a rate limit
            result = cancel_in_xero(
                requests=[request_of(j) for j in jobs],
                user=jobs[0].requested_by,
                engine=engine,
                claim=lease.claim,
            )
    except rate_limit.MustWait as wait:
        queue_leases.defer(engine=engine, lease=lease, until=wait.until)
        return len(jobs)
    settle(engine=engine, lease=lease, result=result)
    log.info(
        "cancel batch %s: %s done, %s to retry, %s calls",
        result.batch_id,
        sum(o.done for o in result.outcomes),
        sum(o.retry for o in result.outcomes),
        result.api_calls,
    )
    return len(jobs)


def settle(*, engine: Engine, lease: queue_leases.Lease, result: CancelResult) -> None:
    """Close, retry or park each job by its outcome (only jobs this lease still holds)."""
    job_of = {j.shipment_id: j for j in lease.jobs}
    with session_scope(engine) as session:
        ours = set(
            session.exec(
                select(SyncJob.shipment_id).where(
                    col(SyncJob.id).in_([j.id for j in lease.jobs]),
                    col(SyncJob.leased_by) == lease.claim.token,
                    col(SyncJob.status) == JobStatus.RUNNING,
                )
            )
        )
        for outcome in result.outcomes:
            if outcome.taken_over or outcome.shipment_id not in ours:
                continue
            if outcome.done:
                queue.complete(session=session, shipment_ids=[outcome.shipment_id])
            elif outcome.retry:
                _retry(session, job_of[outcome.shipment_id], outcome, result.batch_id)
            else:
                queue.complete(
                    session=session, shipment_ids=[outcome.shipment_id], rejected=outcome.message
                )
        left = ours - {o.shipment_id for o in result.outcomes}
        if left:  # no outcome (cannot happen): look again shortly rather than lose it
            session.exec(
                update(SyncJob)
                .where(col(SyncJob.shipment_id).in_(left), col(SyncJob.status).in_(queue.OPEN))
                .values(
                    status=JobStatus.QUEUED,
                    leased_by=None,
                    not_before=utcnow() + timedelta(seconds=10),
                )
            )


def _retry(session: Session, job: SyncJob, outcome: CancelOutcome, batch_id: str) -> None:
    """The send's policy: backoff honouring Retry-After, Needs attention after the most tries;
    one Failed log row per change of state (not one per try)."""
    sid = outcome.shipment_id
    failing = queue.already_failing(session=session, shipment_ids=[sid])
    stuck = queue.retry_later(
        session=session,
        shipment_ids=[sid],
        trigger=job.trigger,
        user=job.requested_by,
        error=outcome.message,
        retry_after=outcome.retry_after,
    )
    if sid in failing and sid not in stuck:
        return
    note = (
        "Tried too often without an answer from Xero: it needs attention; press Retry."
        if stuck
        else (outcome.next_step or "Xero did not answer") + " It is tried again automatically."
    )
    integration_log.write(
        session=session,
        shipment_id=sid,
        shipment_number=outcome.shipment_number,
        batch_id=batch_id,
        tenant_id=job.tenant_id,
        trigger=Trigger.CANCEL,
        triggered_by=job.requested_by,
        action=job.cancel_action,
        outcome=Outcome.FAILED,
        errors_xero=[outcome.message],
        errors_plain=[note],
        note=note,
    )


def waiting_note(*, session: Session, shipment_id: int) -> str | None:
    """What the shipment's cancellation in the queue is doing, for its panel; None when it
    has none waiting."""
    job = session.exec(
        select(SyncJob).where(
            SyncJob.shipment_id == shipment_id,
            SyncJob.kind == JobKind.CANCEL,
            col(SyncJob.status).in_((*queue.OPEN, JobStatus.NEEDS_ATTENTION)),
        )
    ).first()
    if job is None:
        return None
    raised = raised_since(session=session, shipment_id=shipment_id, since=job.created_at)
    if raised is not None and job.cancel_action == Action.CREDIT:
        return _allocation_note(job, raised.credit_note_number)
    verb = VERBS.get(Action(job.cancel_action or ""), "cancel")
    if job.status == JobStatus.NEEDS_ATTENTION:
        return (
            f"The queued request to {verb} the invoice in Xero was tried too often without an "
            f"answer ({job.last_error}). Press Retry (Needs attention) on Accounting Logs or "
            "Send to Accounting."
        )
    if job.last_error:
        return (
            f"Queued: {verb} the invoice in Xero. The last try failed ({job.last_error}); the "
            "worker tries again automatically."
        )
    return f"Queued: {verb} the invoice in Xero; the worker will do it within seconds."


def _allocation_note(job: SyncJob, number: str) -> str:
    """The cancellation's credit note is in Xero; allocating it to the invoice waits."""
    last = f" The last try said: {job.last_error}" if job.last_error else ""
    if job.status == JobStatus.NEEDS_ATTENTION:
        return (
            f"Credit note {number} is in Xero but not allocated to the invoice: tried too "
            f"often.{last} Press Retry (Needs attention) on Accounting Logs or Send to "
            "Accounting, or allocate it in Xero."
        )
    return (
        f"Credit note {number} is in Xero; allocating it to the invoice waits in the queue "
        f"and is tried again automatically (no second credit note is raised).{last}"
    )
