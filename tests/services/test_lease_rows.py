"""A lease writes its jobs in one Core UPDATE each way (services/queue_leases.py `_take`) and hands
back job objects: what those objects say must be what the rows now hold, both for the jobs
leased and for one whose shipment another sender holds."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from models import JobStatus, SyncJob, as_utc, utcnow
from services import claims, queue, queue_leases
from services.db import session_scope
from tests.utils.factories import id_of, make_shipment

COMPARED = ("status", "leased_by", "lease_expires_at", "attempts", "not_before", "updated_at")


def queued(engine, n: int) -> list[int]:
    with session_scope(engine) as session:
        ids = [id_of(make_shipment(session)) for _ in range(n)]
        queue.enqueue(session=session, shipment_ids=ids, trigger="push remaining", user="ops")
    return ids


def rows_of(engine, ids: list[int]) -> dict[int, SyncJob]:
    with session_scope(engine) as session:
        jobs = session.exec(select(SyncJob).where(col(SyncJob.shipment_id).in_(ids))).all()
        return {job.shipment_id: job for job in jobs}


def same(job: SyncJob, row: SyncJob) -> dict[str, tuple]:
    """The compared fields where the lease's object and the stored row differ."""
    differing = {}
    for name in COMPARED:
        mine, stored = getattr(job, name), getattr(row, name)
        if name in ("lease_expires_at", "not_before", "updated_at") and mine and stored:
            mine, stored = as_utc(mine), as_utc(stored)
        if mine != stored:
            differing[name] = (mine, stored)
    return differing


def test_the_leased_jobs_are_the_rows_as_written(engine):
    ids = queued(engine, 3)
    lease = queue_leases.lease_batch(engine=engine, worker_id="rows")
    assert sorted(j.shipment_id for j in lease.jobs) == sorted(ids)
    rows = rows_of(engine, ids)
    for job in lease.jobs:
        row = rows[job.shipment_id]
        assert row.status == JobStatus.RUNNING and row.leased_by == lease.claim.token
        assert row.attempts == 1 and row.lease_expires_at is not None
        assert as_utc(row.lease_expires_at) > utcnow() + claims.lease_span() - timedelta(seconds=30)
        assert same(job, row) == {}


def test_a_lease_taken_over_counts_its_try_again(engine, monkeypatch):
    ids = queued(engine, 2)
    # Leases and claims that have run out as soon as they are taken: the first worker's
    # batch is due again at once, as if it had died.
    monkeypatch.setattr(claims, "lease_span", lambda: timedelta(seconds=-1))
    first = queue_leases.lease_batch(engine=engine, worker_id="first")
    assert len(first.jobs) == 2
    second = queue_leases.lease_batch(engine=engine, worker_id="second")
    rows = rows_of(engine, ids)
    assert sorted(j.shipment_id for j in second.jobs) == sorted(ids)
    for job in second.jobs:
        assert rows[job.shipment_id].attempts == 2
        assert rows[job.shipment_id].leased_by == second.claim.token
        assert same(job, rows[job.shipment_id]) == {}


def test_a_job_whose_shipment_another_sender_holds_waits_unleased(engine):
    ids = queued(engine, 2)
    held = claims.claim(engine=engine, shipment_ids=[ids[0]], token=claims.new_token("send"))
    assert set(held.fences) == {ids[0]}
    lease = queue_leases.lease_batch(engine=engine, worker_id="rows")
    assert [j.shipment_id for j in lease.jobs] == [ids[1]]
    rows = rows_of(engine, ids)
    waiting = rows[ids[0]]
    assert waiting.status == JobStatus.QUEUED and waiting.leased_by is None
    assert waiting.attempts == 0
    assert as_utc(waiting.not_before) > utcnow()
    assert rows[ids[1]].status == JobStatus.RUNNING
    assert same(lease.jobs[0], rows[ids[1]]) == {}
