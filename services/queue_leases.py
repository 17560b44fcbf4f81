"""A worker's lease on the send queue (services/queue.py): taking one organisation's due jobs
in turn with the claim on their shipments, handing back what a send did not finish, and
deferring a lease whose organisation may not call yet. Apart from the queue itself because
only the worker's loop (services/worker.py, services/cancel_jobs.py) leases: pages and CSV
imports enqueue and complete jobs, they never hold a lease."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from models import JobStatus, SyncJob, utcnow
from services import claims, queue, turns
from services import queue_statements as statements
from services.db import session_scope
from services.settings import get_settings


@dataclass
class Lease:
    """A worker's batch: the jobs it leased and the claim on their shipments (one fenced
    claim, the same every sender takes)."""

    jobs: list[SyncJob]
    claim: claims.Claim
    # Nothing leased because every organisation with work is at a limit: when one opens.
    next_opening: datetime | None = None

    def __len__(self) -> int:
        return len(self.jobs)


def lease_batch(
    *, engine: Engine, worker_id: str, size: int | None = None, recover: bool = False
) -> Lease:
    """Take up to `size` due jobs (one batch, `sync_batch_size`, unless told) of ONE
    organisation and claim their shipments in the same transaction. Organisations take turns:
    of those with due jobs that Xero's limits let call now (services/rate_limit.py), the one
    leased least recently goes next; one at its limit is skipped until its window opens, so
    no worker waits holding a lease. Jobs whose lease ran out (their worker died) are taken
    over. A job whose shipment another sender holds stays queued. `recover`: first queue what
    a dead send left Sending (`recover_abandoned`), in the same transaction."""
    size = size or get_settings().sync_batch_size
    token = claims.new_token(worker_id)
    with session_scope(engine) as session:
        if recover:
            queue.recover_abandoned(session=session)
        now = utcnow()  # after the recovery: the jobs it queued are due in this lease
        tenants = session.connection().execute(statements.due_tenants(), {"now": now})
        order = turns.organisations_in_turn(
            session=session, tenants=list(tenants.scalars()), now=now
        )
        for tenant in order.ready:
            jobs = _due_jobs(session, engine, tenant, now, size)
            if not jobs:
                continue  # another worker is leasing them right now
            turns.leased(session=session, tenant_id=tenant, now=now, turns=order)
            return _take(session, jobs, token, now)
        return Lease([], claims.Claim(token), next_opening=order.next_opening)


def _due_jobs(
    session: Session, engine: Engine, tenant: str | None, now: datetime, size: int
) -> list[SyncJob]:
    due = statements.due_jobs(tenant is None, engine.dialect.name == "postgresql", size)
    params = {"now": now} if tenant is None else {"tenant": tenant, "now": now}
    jobs = list(session.exec(due, params=params))
    # A batch is one kind: sends, or cancellations (the rest wait for the next lease).
    return [j for j in jobs if j.kind == jobs[0].kind] if jobs else []


def _take(session: Session, chosen: list[SyncJob], token: str, now: datetime) -> Lease:
    """Claim the jobs' shipments and lease the jobs whose shipment was claimed (the others
    wait a little): one UPDATE each way (Core), the jobs handed back as the rows now are."""
    claim = claims.take(session=session, shipment_ids=[j.shipment_id for j in chosen], token=token)
    leased = [j for j in chosen if j.shipment_id in claim.fences]
    # Being sent by someone else now; look again once their claim has ended.
    busy = [j for j in chosen if j.shipment_id not in claim.fences]
    running = {
        "status": JobStatus.RUNNING,
        "leased_by": token,
        "lease_expires_at": now + claims.lease_span(),
        "updated_at": now,
    }
    waiting = {
        "status": JobStatus.QUEUED,
        "leased_by": None,
        "not_before": now + timedelta(seconds=5),
        "updated_at": now,
    }
    connection = session.connection()
    for jobs, new, statement in (
        (leased, running, statements.leasing()),
        (busy, waiting, statements.passing()),
    ):
        if not jobs:
            continue
        connection.execute(statement, {"ids": [j.id for j in jobs], **statements.named(new)})
        for job in jobs:
            session.expunge(job)  # written: its object shows the row without a second write
            for key, value in new.items():
                set_committed_value(job, key, value)
    for job in leased:
        set_committed_value(job, "attempts", job.attempts + 1)  # as the UPDATE raised it
    return Lease(leased, claim)


def unfinished_back(*, session: Session, token: str, shipment_ids: list[int]) -> None:
    """After a worker's send, in the transaction that applied its answers: the lease's jobs
    that reached no outcome (their shipment taken over by another sender meanwhile) stay
    queued for a later pass (one statement, Core: the send's session holds no jobs)."""
    session.connection().execute(
        statements.putting_back(),
        {"ids": shipment_ids, "token": token, "later": utcnow() + timedelta(seconds=10)},
    )


def defer(*, engine: Engine, lease: Lease, until: datetime) -> int:
    """The organisation may not call yet: the lease's jobs go back to the queue until `until`
    (its window's opening), their try not counted and nothing logged: nothing was sent."""
    ids = [j.id for j in lease.jobs]
    with session_scope(engine) as session:
        values = {"ids": ids, "token": lease.claim.token, "until": until, "now": utcnow()}
        deferring = statements.deferring(engine.dialect.name)
        result = session.connection().execute(deferring, values)
        return result.rowcount or 0
