"""What the send queue holds: counts, the current run's progress, depth per organisation
(for the pages and the worker's metrics); re-exported by services.queue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from models import JobStatus, Shipment, SyncJob

OPEN = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.HELD)


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
