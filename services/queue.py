"""The durable send queue: jobs in the database, leased by workers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import JobStatus, Shipment, SyncJob, SyncState, utcnow
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
    open_ids = set(
        session.exec(
            select(SyncJob.shipment_id).where(
                SyncJob.shipment_id.in_(shipment_ids), SyncJob.status.in_(OPEN)
            )
        )
    )
    now = utcnow()
    added = 0
    tenants = {
        shipment_id: tenant
        for shipment_id, tenant in session.exec(
            select(Shipment.id, Shipment.tenant_id).where(Shipment.id.in_(shipment_ids))
        )
    }
    for shipment_id in shipment_ids:
        if shipment_id in open_ids:
            session.exec(
                update(SyncJob)
                .where(SyncJob.shipment_id == shipment_id, SyncJob.status.in_(OPEN))
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
        update(Shipment).where(Shipment.id.in_(shipment_ids)).values(sync_state=SyncState.QUEUED)
    )
    return added


def complete(*, session: Session, shipment_ids: list[int], rejected: str | None = None) -> None:
    """Close the open jobs of shipments that reached an outcome. A rejected shipment's job
    keeps why (`rejected`), so the queue's progress can tell the sent from the rejected."""
    if shipment_ids:
        session.exec(
            update(SyncJob)
            .where(SyncJob.shipment_id.in_(shipment_ids), SyncJob.status.in_(OPEN))
            .values(status=JobStatus.DONE, leased_by=None, last_error=rejected, updated_at=utcnow())
        )


def lease_batch(*, engine: Engine, worker_id: str, size: int | None = None) -> list[SyncJob]:
    """Take up to `size` due jobs for one organisation (one batch, `sync_batch_size`, unless
    told); expired leases are taken over."""
    size = size or get_settings().sync_batch_size
    now = utcnow()
    with session_scope(engine) as session:
        due = (
            select(SyncJob)
            .where(
                or_(
                    (SyncJob.status == JobStatus.QUEUED) & (SyncJob.not_before <= now),
                    (SyncJob.status == JobStatus.RUNNING) & (SyncJob.lease_expires_at < now),
                )
            )
            .order_by(SyncJob.not_before, SyncJob.id)
            .limit(size * 5)
        )
        if engine.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        jobs = list(session.exec(due))
        if not jobs:
            return []
        tenant = jobs[0].tenant_id
        chosen = [j for j in jobs if j.tenant_id == tenant][:size]
        for job in chosen:
            job.status = JobStatus.RUNNING
            job.leased_by = worker_id
            job.lease_expires_at = now + timedelta(seconds=get_settings().sync_lease_seconds)
            job.attempts += 1
            job.updated_at = now
            session.add(job)
        return chosen


def resume_held(*, session: Session, tenant_ids: list[str | None]) -> int:
    """Release jobs held for a reconnection."""
    result = session.exec(
        update(SyncJob)
        .where(SyncJob.status == JobStatus.HELD)
        .where(
            or_(SyncJob.tenant_id.in_([t for t in tenant_ids if t]), SyncJob.tenant_id.is_(None))
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
    since = session.exec(select(func.min(SyncJob.created_at)).where(SyncJob.status.in_(OPEN))).one()
    if since is None:
        newest = session.exec(select(func.max(SyncJob.created_at))).one()
        if newest is None:
            return Progress()
        # Every job open when the newest was queued has been updated since (it is done now).
        since = session.exec(
            select(func.min(SyncJob.created_at)).where(SyncJob.updated_at >= newest)
        ).one()
    in_run = or_(
        SyncJob.status.in_(OPEN),
        and_(SyncJob.status == JobStatus.DONE, SyncJob.updated_at >= since),
    )
    # A done job that kept an error was rejected (see complete); one without was sent.
    has_error = SyncJob.last_error.is_not(None)
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
                .join(SyncJob, SyncJob.shipment_id == Shipment.id)
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
        select(SyncJob.tenant_id, func.count(), func.min(SyncJob.created_at))
        .where(SyncJob.status.in_(OPEN))
        .group_by(SyncJob.tenant_id)
    ).all()
    return {tenant: QueueDepth(shipments=n, oldest_queued_at=oldest) for tenant, n, oldest in rows}
