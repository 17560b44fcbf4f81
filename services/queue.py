"""The durable send queue: jobs in the database, leased by workers (the lease itself:
services/queue_leases.py)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from models import JobKind, JobStatus, Shipment, SyncJob, SyncState, utcnow
from services import claims
from services import queue_statements as statements

# What the queue holds lives in services/queue_progress.py; importable from here.
from services.queue_progress import (  # noqa: E402
    OPEN,
    REJECTED_LISTED,
    Progress,
    QueueDepth,
    counts,
    depth_by_organisation,
    progress,
)
from services.settings import get_settings

__all__ = [
    "OPEN",
    "REJECTED_LISTED",
    "Progress",
    "QueueDepth",
    "counts",
    "depth_by_organisation",
    "progress",
]


# Why a shipment was not queued (or sent): sending it now would change the invoice the
# worker is about to void or credit.
CANCELLATION_WAITS = (
    "Its cancellation (void, delete or credit note) waits in the queue: send it again once "
    "that is done (its Integration tab says when)."
)


@dataclass(frozen=True)
class Queued:
    """What a request to queue shipments for sending did."""

    added: int  # new jobs
    # Shipments not queued because their cancellation waits in the queue (or needs
    # attention): CANCELLATION_WAITS, which the caller says.
    cancelling: tuple[int, ...] = ()


def enqueue(
    *,
    session: Session,
    shipment_ids: list[int],
    trigger: str,
    user: str | None,
    delay: timedelta = timedelta(0),
    error: str | None = None,
    held: bool = False,
) -> Queued:
    """Queue shipments to be sent by the worker (one job each: a shipment already queued
    keeps its job, due again after `delay`). A shipment whose cancellation waits is not
    queued, and is named in the answer."""
    if not shipment_ids:
        return Queued(0)
    cancelling = cancelling_ids(session=session, shipment_ids=shipment_ids)
    wanted = [i for i in dict.fromkeys(shipment_ids) if i not in cancelling]
    if not wanted:
        return Queued(0, tuple(sorted(cancelling)))
    # Retry of a send that needed attention: it starts counting its tries again.
    session.exec(
        update(SyncJob)
        .where(
            col(SyncJob.shipment_id).in_(wanted),
            col(SyncJob.status) == JobStatus.NEEDS_ATTENTION,
        )
        .values(status=JobStatus.QUEUED, attempts=0)
    )
    open_ids = set(
        session.exec(
            select(SyncJob.shipment_id).where(
                col(SyncJob.shipment_id).in_(wanted), col(SyncJob.status).in_(OPEN)
            )
        )
    )
    _reschedule(session, [i for i in wanted if i in open_ids], delay, error, held)
    tenants = dict(
        session.exec(
            select(Shipment.id, Shipment.tenant_id).where(col(Shipment.id).in_(wanted))
        ).all()
    )
    now = utcnow()
    new = [i for i in wanted if i not in open_ids]
    session.add_all(
        SyncJob(
            shipment_id=shipment_id,
            tenant_id=tenants.get(shipment_id),
            trigger=trigger,
            requested_by=user,
            not_before=now + delay,
            last_error=error,
            status=JobStatus.HELD if held else JobStatus.QUEUED,
        )
        for shipment_id in new
    )
    session.exec(
        update(Shipment).where(col(Shipment.id).in_(wanted)).values(sync_state=SyncState.QUEUED)
    )
    return Queued(len(new), tuple(sorted(cancelling)))


def _reschedule(
    session: Session, shipment_ids: list[int], delay: timedelta, error: str | None, held: bool
) -> None:
    """The open jobs (of either kind) of these shipments go again after `delay`."""
    if not shipment_ids:
        return
    now = utcnow()
    session.exec(
        update(SyncJob)
        .where(col(SyncJob.shipment_id).in_(shipment_ids), col(SyncJob.status).in_(OPEN))
        .values(
            not_before=now + delay,
            last_error=error,
            status=JobStatus.HELD if held else JobStatus.QUEUED,
            leased_by=None,
            lease_expires_at=None,
            updated_at=now,
        )
    )


def cancelling_ids(*, session: Session, shipment_ids: list[int]) -> set[int]:
    """Of these shipments, those with a cancellation waiting in the queue or needing
    attention."""
    if not shipment_ids:
        return set()
    return set(
        session.exec(
            select(SyncJob.shipment_id).where(
                col(SyncJob.shipment_id).in_(shipment_ids),
                SyncJob.kind == JobKind.CANCEL,
                col(SyncJob.status).in_((*OPEN, JobStatus.NEEDS_ATTENTION)),
            )
        )
    )


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
            update(Shipment)
            .where(col(Shipment.id).in_(stuck), statements.not_cancelling())
            .values(sync_state=SyncState.QUEUED)
        )
    for shipment_id in shipment_ids:
        if shipment_id in stuck:
            continue
        wait = backoff(attempts=tried.get(shipment_id, 1), retry_after=retry_after)
        delay = timedelta(seconds=max(wait, 5))
        if shipment_id in tried:  # its job (a send or a cancellation) goes again
            _reschedule(session, [shipment_id], delay, error, held=False)
            session.exec(
                update(Shipment)
                .where(col(Shipment.id) == shipment_id, statements.not_cancelling())
                .values(sync_state=SyncState.QUEUED)
            )
        else:  # a page's send that failed: it joins the queue
            enqueue(
                session=session,
                shipment_ids=[shipment_id],
                trigger=trigger,
                user=user,
                error=error,
                delay=delay,
            )
    return stuck


def recover_abandoned(*, session: Session) -> int:
    """Queue the shipments a send left Sending when it died (a page closed or a process
    killed mid-send) once its claim has run out; the worker looks them up in Xero before
    sending anything. Returns how many were queued."""
    expired = utcnow() - claims.lease_span()
    abandoned = session.connection().execute(statements.abandoned(), {"expired": expired}).scalars()
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
    if ids:  # sends and cancellations alike go again, their tries counted afresh
        session.exec(
            update(SyncJob)
            .where(
                col(SyncJob.shipment_id).in_(ids), col(SyncJob.status) == JobStatus.NEEDS_ATTENTION
            )
            .values(status=JobStatus.QUEUED, attempts=0, not_before=utcnow(), updated_at=utcnow())
        )
        session.exec(
            update(Shipment)
            .where(col(Shipment.id).in_(ids), statements.not_cancelling())
            .values(sync_state=SyncState.QUEUED)
        )
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
    keeps why (`rejected`), so the queue's progress can tell the sent from the rejected.
    Core, on the session's connection (a statement built once): the sessions that close jobs
    hold no job objects for the ORM's UPDATE to keep in step."""
    if shipment_ids:
        session.connection().execute(
            statements.completing(),
            {"ids": list(shipment_ids), "rejected": rejected, "now": utcnow()},
        )


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
