"""The queue's statements (services/queue.py, services/queue_leases.py), most of them on
every lease or send: each is built once, its values bound at each call, so a batch neither
builds them nor re-keys them for SQLAlchemy's compiled cache (issue 16, goal 2)."""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, func, or_, update
from sqlmodel import col, select

from models import JobKind, JobStatus, Shipment, SyncJob, SyncState
from services.queue_progress import OPEN

JOB = SyncJob.__table__.c  # type: ignore[attr-defined]
SHIPMENT = Shipment.__table__.c  # type: ignore[attr-defined]


def not_cancelling():
    """Shipments with no cancel job waiting: a cancel job leaves the shipment's sync state
    (Processed) as it is (services/cancel_jobs.py)."""
    waiting = (*OPEN, JobStatus.NEEDS_ATTENTION)
    cancelling = select(SyncJob.shipment_id).where(
        SyncJob.kind == JobKind.CANCEL, col(SyncJob.status).in_(waiting)
    )
    return col(Shipment.id).not_in(cancelling)


@cache
def abandoned():
    """`recover_abandoned`'s query: Sending, its claim gone or run out, no open job (its
    moment bound as "expired"). Core: it reads ids only."""
    open_jobs = select(JOB.shipment_id).where(JOB.status.in_(OPEN))
    return select(SHIPMENT.id).where(
        SHIPMENT.sync_state == SyncState.SENDING,
        or_(
            SHIPMENT.claim_token.is_(None),
            SHIPMENT.claimed_at < bindparam("expired", type_=SHIPMENT.claimed_at.type),
        ),
        SHIPMENT.id.not_in(open_jobs),
    )


@cache
def completing():
    """`complete`'s UPDATE ("ids", "rejected", "now")."""
    return (
        update(SyncJob)
        .where(JOB.shipment_id.in_(bindparam("ids", expanding=True)), JOB.status.in_(OPEN))
        .values(
            status=JobStatus.DONE,
            leased_by=None,
            last_error=bindparam("rejected", type_=JOB.last_error.type),
            updated_at=bindparam("now", type_=JOB.updated_at.type),
        )
    )


def _due(now):
    """Jobs due at `now` (a moment or a bound parameter): queued and not waiting, or leased
    by a worker whose lease ran out."""
    return or_(
        (col(SyncJob.status) == JobStatus.QUEUED) & (col(SyncJob.not_before) <= now),
        (col(SyncJob.status) == JobStatus.RUNNING) & (col(SyncJob.lease_expires_at) < now),
    )


def _now():
    return bindparam("now", type_=JOB.not_before.type)


@cache
def due_tenants():
    """The organisations with jobs due at "now" (None: jobs with none), Core."""
    return select(JOB.tenant_id).where(_due(_now())).distinct()


@cache
def due_jobs(default: bool, locking: bool, size: int):
    """One organisation's jobs due at "now" ("tenant"; `default`: the jobs with none), oldest
    due first. `locking`: rows another worker is leasing are skipped (PostgreSQL)."""
    job = col(SyncJob.tenant_id)
    query = (
        select(SyncJob)
        .where(job.is_(None) if default else job == bindparam("tenant"), _due(_now()))
        .order_by(col(SyncJob.not_before), col(SyncJob.id))
        .limit(size)
    )
    return query.with_for_update(skip_locked=True) if locking else query


def named(values: dict) -> dict:
    """Values for `leasing` / `passing`: bound under names no column has."""
    return {f"new_{key}": value for key, value in values.items()}


@cache
def leasing():
    """The UPDATE that leases jobs ("ids", and `named` values), their tries counted."""
    return _job_update("status", "leased_by", "lease_expires_at", "updated_at").values(
        attempts=col(SyncJob.attempts) + 1
    )


@cache
def passing():
    """The UPDATE that sends back jobs whose shipment another sender holds."""
    return _job_update("status", "leased_by", "not_before", "updated_at")


def _job_update(*keys: str):
    return (
        update(SyncJob)
        .where(JOB.id.in_(bindparam("ids", expanding=True)))
        .values({key: bindparam(f"new_{key}", type_=JOB[key].type) for key in keys})
    )


@cache
def putting_back():
    """`unfinished_back`'s UPDATE ("ids", "token", "later")."""
    return (
        update(SyncJob)
        .where(
            JOB.shipment_id.in_(bindparam("ids", expanding=True)),
            JOB.leased_by == bindparam("token", type_=JOB.leased_by.type),
            JOB.status == JobStatus.RUNNING,
        )
        .values(
            status=JobStatus.QUEUED,
            not_before=bindparam("later", type_=JOB.not_before.type),
            leased_by=None,
        )
    )


@cache
def deferring(dialect: str):
    """`defer`'s UPDATE ("ids", "token", "until", "now"): the jobs go back, their try not
    counted."""
    greatest = func.max if dialect == "sqlite" else func.greatest
    return (
        update(SyncJob)
        .where(
            JOB.id.in_(bindparam("ids", expanding=True)),
            JOB.leased_by == bindparam("token", type_=JOB.leased_by.type),
            JOB.status == JobStatus.RUNNING,
        )
        .values(
            status=JobStatus.QUEUED,
            not_before=bindparam("until", type_=JOB.not_before.type),
            leased_by=None,
            lease_expires_at=None,
            attempts=greatest(JOB.attempts - 1, 0),
            updated_at=bindparam("now", type_=JOB.updated_at.type),
        )
    )
