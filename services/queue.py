"""The durable send queue: jobs in the database, leased by workers."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import JobStatus, Shipment, SyncJob, SyncState, utcnow
from services import claims
from services.db import session_scope
from services.settings import get_settings

OPEN = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.HELD)


def enqueue(
    *,
    session: Session,
    shipment_ids: list[int],
    trigger: str,
    user: str | None,
    delay: timedelta = timedelta(0),
    error: str | None = None,
    held: bool = False,
) -> int:
    """Queue shipments for the worker (once each); returns how many new jobs were added."""
    if not shipment_ids:
        return 0
    # Retry of a job that needed attention: it starts counting its tries again.
    session.exec(
        update(SyncJob)
        .where(
            col(SyncJob.shipment_id).in_(shipment_ids),
            col(SyncJob.status) == JobStatus.NEEDS_ATTENTION,
        )
        .values(status=JobStatus.QUEUED, attempts=0)
    )
    open_ids = set(
        session.exec(
            select(SyncJob.shipment_id).where(
                col(SyncJob.shipment_id).in_(shipment_ids), col(SyncJob.status).in_(OPEN)
            )
        )
    )
    now = utcnow()
    added = 0
    tenants = {
        shipment_id: tenant
        for shipment_id, tenant in session.exec(
            select(Shipment.id, Shipment.tenant_id).where(col(Shipment.id).in_(shipment_ids))
        )
    }
    for shipment_id in shipment_ids:
        if shipment_id in open_ids:
            session.exec(
                update(SyncJob)
                .where(col(SyncJob.shipment_id) == shipment_id, col(SyncJob.status).in_(OPEN))
                .values(
                    not_before=now + delay,
                    last_error=error,
                    status=JobStatus.HELD if held else JobStatus.QUEUED,
                    leased_by=None,
                    lease_expires_at=None,
                    updated_at=now,
                )
            )
            continue
        session.add(
            SyncJob(
                shipment_id=shipment_id,
                tenant_id=tenants.get(shipment_id),
                trigger=trigger,
                requested_by=user,
                not_before=now + delay,
                last_error=error,
                status=JobStatus.HELD if held else JobStatus.QUEUED,
            )
        )
        added += 1
    session.exec(
        update(Shipment)
        .where(col(Shipment.id).in_(shipment_ids))
        .values(sync_state=SyncState.QUEUED)
    )
    return added


def backoff(*, attempts: int, retry_after: float = 0.0) -> float:
    """Seconds before a job's next try: exponential in its tries so far, with jitter (so
    workers do not retry in step), capped by `sync_max_backoff_seconds`, never sooner than
    Xero's Retry-After."""
    cap = get_settings().sync_max_backoff_seconds
    exponential = min(cap, 5.0 * 2 ** max(attempts - 1, 0))
    return max(retry_after, exponential * (0.5 + random.random() / 2))


def retry_later(
    *,
    session: Session,
    shipment_ids: list[int],
    trigger: str,
    user: str | None,
    error: str,
    retry_after: float = 0.0,
) -> set[int]:
    """A transient failure: each shipment's job waits its backoff and goes again, unless it
    has been tried `sync_max_attempts` times: then it stops in Needs attention for a person
    to look and Retry. Returns the shipments that now need attention."""
    tried = dict(
        session.exec(
            select(SyncJob.shipment_id, SyncJob.attempts).where(
                col(SyncJob.shipment_id).in_(shipment_ids), col(SyncJob.status).in_(OPEN)
            )
        ).all()
    )
    limit = get_settings().sync_max_attempts
    stuck = {i for i in shipment_ids if tried.get(i, 0) >= limit}
    if stuck:
        session.exec(
            update(SyncJob)
            .where(col(SyncJob.shipment_id).in_(stuck), col(SyncJob.status).in_(OPEN))
            .values(
                status=JobStatus.NEEDS_ATTENTION,
                last_error=error,
                leased_by=None,
                lease_expires_at=None,
                updated_at=utcnow(),
            )
        )
        session.exec(
            update(Shipment).where(col(Shipment.id).in_(stuck)).values(sync_state=SyncState.QUEUED)
        )
    for shipment_id in shipment_ids:
        if shipment_id in stuck:
            continue
        wait = backoff(attempts=tried.get(shipment_id, 1), retry_after=retry_after)
        enqueue(
            session=session,
            shipment_ids=[shipment_id],
            trigger=trigger,
            user=user,
            error=error,
            delay=timedelta(seconds=max(wait, 5)),
        )
    return stuck


def recover_abandoned(*, session: Session) -> int:
    """Queue the shipments a send left Sending when it died (a page closed or a process
    killed mid-send) once its claim has run out; the worker looks them up in Xero before
    sending anything. Returns how many were queued."""
    now = utcnow()
    open_jobs = select(SyncJob.shipment_id).where(col(SyncJob.status).in_(OPEN))
    abandoned = list(
        session.exec(
            select(Shipment.id).where(
                Shipment.sync_state == SyncState.SENDING,
                or_(
                    col(Shipment.claim_token).is_(None),
                    col(Shipment.claimed_at) < now - claims.lease_span(),
                ),
                col(Shipment.id).not_in(open_jobs),
            )
        )
    )
    ids = [i for i in abandoned if i is not None]
    enqueue(session=session, shipment_ids=ids, trigger="retry", user=None)
    return len(ids)


def needing_attention(*, session: Session) -> list[int]:
    """Shipments whose job stopped in Needs attention (tried too often without an answer)."""
    return list(
        session.exec(select(SyncJob.shipment_id).where(SyncJob.status == JobStatus.NEEDS_ATTENTION))
    )


def retry_needing_attention(*, session: Session, user: str | None) -> int:
    """Put every job that needs attention back in the queue, its tries counted afresh;
    returns how many."""
    ids = needing_attention(session=session)
    enqueue(session=session, shipment_ids=ids, trigger="retry", user=user)
    return len(ids)


def already_failing(*, session: Session, shipment_ids: list[int]) -> set[int]:
    """Shipments whose open job already failed its last try (so a new failure is no change
    of state, and writes no new log row)."""
    return set(
        session.exec(
            select(SyncJob.shipment_id).where(
                col(SyncJob.shipment_id).in_(shipment_ids),
                col(SyncJob.status).in_(OPEN),
                col(SyncJob.last_error).is_not(None),
            )
        )
    )


def complete(*, session: Session, shipment_ids: list[int], rejected: str | None = None) -> None:
    """Close the open jobs of shipments that reached an outcome. A rejected shipment's job
    keeps why (`rejected`), so the queue's progress can tell the sent from the rejected."""
    if shipment_ids:
        session.exec(
            update(SyncJob)
            .where(col(SyncJob.shipment_id).in_(shipment_ids), col(SyncJob.status).in_(OPEN))
            .values(status=JobStatus.DONE, leased_by=None, last_error=rejected, updated_at=utcnow())
        )


@dataclass
class Lease:
    """A worker's batch: the jobs it leased and the claim on their shipments (one fenced
    claim, the same every sender takes)."""

    jobs: list[SyncJob]
    claim: claims.Claim

    def __len__(self) -> int:
        return len(self.jobs)


def lease_batch(*, engine: Engine, worker_id: str, size: int | None = None) -> Lease:
    """Take up to `size` due jobs for one organisation (one batch, `sync_batch_size`, unless
    told) and claim their shipments in the same transaction; jobs whose lease ran out (their
    worker died) are taken over. A job whose shipment another sender holds stays queued."""
    size = size or get_settings().sync_batch_size
    now = utcnow()
    token = claims.new_token(worker_id)
    with session_scope(engine) as session:
        due = (
            select(SyncJob)
            .where(
                or_(
                    (col(SyncJob.status) == JobStatus.QUEUED) & (col(SyncJob.not_before) <= now),
                    (col(SyncJob.status) == JobStatus.RUNNING)
                    & (col(SyncJob.lease_expires_at) < now),
                )
            )
            .order_by(col(SyncJob.not_before), col(SyncJob.id))
            .limit(size * 5)
        )
        if engine.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        jobs = list(session.exec(due))
        if not jobs:
            return Lease([], claims.Claim(token))
        tenant = jobs[0].tenant_id
        chosen = [j for j in jobs if j.tenant_id == tenant][:size]
        claim = claims.take(
            session=session, shipment_ids=[j.shipment_id for j in chosen], token=token
        )
        leased = []
        for job in chosen:
            job.updated_at = now
            if job.shipment_id in claim.fences:
                job.status = JobStatus.RUNNING
                job.leased_by = token
                job.lease_expires_at = now + claims.lease_span()
                job.attempts += 1
                leased.append(job)
            else:
                # Being sent by someone else now; look again once their claim has ended.
                job.status = JobStatus.QUEUED
                job.leased_by = None
                job.not_before = now + timedelta(seconds=5)
            session.add(job)
        return Lease(leased, claim)


def resume_held(*, session: Session, tenant_ids: list[str | None]) -> int:
    """Release jobs held for a reconnection."""
    result = session.exec(
        update(SyncJob)
        .where(col(SyncJob.status) == JobStatus.HELD)
        .where(
            or_(
                col(SyncJob.tenant_id).in_([t for t in tenant_ids if t]),
                col(SyncJob.tenant_id).is_(None),
            )
        )
        .values(status=JobStatus.QUEUED, not_before=utcnow(), updated_at=utcnow())
    )
    return result.rowcount or 0


def counts(*, session: Session) -> dict[str, int]:
    rows = session.exec(select(SyncJob.status, func.count()).group_by(SyncJob.status)).all()
    return {status: n for status, n in rows}


REJECTED_LISTED = 20  # the most rejected shipment numbers the progress names


@dataclass
class Progress:
    """The queue's current run (or, once nothing is open, its last run): the jobs still
    open, and those done since the oldest of them was queued, sent or rejected."""

    sent: int = 0
    rejected: int = 0
    waiting: int = 0  # queued or being sent now
    held: int = 0
    # Shipment numbers of the rejected ones, at most REJECTED_LISTED of them.
    rejected_numbers: list[str] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.sent + self.rejected

    @property
    def total(self) -> int:
        return self.done + self.waiting + self.held

    @property
    def finished(self) -> bool:
        return bool(self.total) and not (self.waiting or self.held)

    @property
    def share(self) -> float:
        return self.done / self.total if self.total else 1.0


def progress(*, session: Session) -> Progress:
    """How far the queue has got with what is in it now. With nothing open, the last run as
    it ended: the jobs open when the newest job was queued, and any done with them."""
    since = session.exec(
        select(func.min(col(SyncJob.created_at))).where(col(SyncJob.status).in_(OPEN))
    ).one()
    if since is None:
        newest = session.exec(select(func.max(col(SyncJob.created_at)))).one()
        if newest is None:
            return Progress()
        # Every job open when the newest was queued has been updated since (it is done now).
        since = session.exec(
            select(func.min(col(SyncJob.created_at))).where(col(SyncJob.updated_at) >= newest)
        ).one()
    in_run = or_(
        col(SyncJob.status).in_(OPEN),
        and_(col(SyncJob.status) == JobStatus.DONE, col(SyncJob.updated_at) >= since),
    )
    # A done job that kept an error was rejected (see complete); one without was sent.
    has_error = col(SyncJob.last_error).is_not(None)
    rows = session.exec(
        select(SyncJob.status, has_error, func.count())
        .where(in_run)
        .group_by(SyncJob.status, has_error)
    ).all()
    by_status: dict[tuple[str, bool], int] = {}
    for status, errored, n in rows:
        key = (status, bool(errored) and status == JobStatus.DONE)
        by_status[key] = by_status.get(key, 0) + n

    def count(status: str, rejected: bool = False) -> int:
        return by_status.get((status, rejected), 0)

    rejected = count(JobStatus.DONE, True)
    numbers = (
        list(
            session.exec(
                select(Shipment.shipment_number)
                .distinct()
                .join(SyncJob, col(SyncJob.shipment_id) == Shipment.id)
                .where(in_run, SyncJob.status == JobStatus.DONE, has_error)
                .order_by(Shipment.shipment_number)
                .limit(REJECTED_LISTED)
            )
        )
        if rejected
        else []
    )
    return Progress(
        sent=count(JobStatus.DONE),
        rejected=rejected,
        waiting=count(JobStatus.QUEUED) + count(JobStatus.RUNNING),
        held=count(JobStatus.HELD),
        rejected_numbers=numbers,
    )


@dataclass(frozen=True)
class QueueDepth:
    """One organisation's part of the send queue."""

    shipments: int
    oldest_queued_at: datetime


def depth_by_organisation(*, session: Session) -> dict[str | None, QueueDepth]:
    """Open jobs (waiting, being sent or held) per organisation, and when the oldest was
    queued; organisations with nothing open are left out. None: the default organisation."""
    rows = session.exec(
        select(SyncJob.tenant_id, func.count(), func.min(col(SyncJob.created_at)))
        .where(col(SyncJob.status).in_(OPEN))
        .group_by(SyncJob.tenant_id)
    ).all()
    return {tenant: QueueDepth(shipments=n, oldest_queued_at=oldest) for tenant, n, oldest in rows}
