"""The queue is fair across Xero organisations and no worker waits holding a lease (issue 16,
goal 1): organisations with work take turns, one at its limit is skipped until its window
opens, and a send that would have to wait goes back to the queue unsent and uncounted. Xero's
limits: 60 calls a rolling minute per organisation (xero-facts.md §13)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col, select

from models import (
    IntegrationLog,
    JobStatus,
    RateLimitBlock,
    RateLimitState,
    Shipment,
    SyncJob,
    SyncState,
    as_utc,
    utcnow,
)
from services import claims, connections, queue, queue_leases, reference_data, turns
from services.db import session_scope
from services.rate_limit import RateLimiter
from services.rate_limit_statements import stamp
from services.worker import send_lease
from tests.utils.factories import make_shipment


def jobs_for(engine, tenant: str, n: int) -> list[int]:
    """`n` queued shipments of one organisation."""
    with session_scope(engine) as session:
        shipments = [make_shipment(session) for _ in range(n)]
        for shipment in shipments:
            shipment.tenant_id = tenant
            session.add(shipment)
        session.flush()
        ids = [s.id for s in shipments if s.id is not None]
        queue.enqueue(session=session, shipment_ids=ids, trigger="push remaining", user="ops")
    return ids


def fill_minute(engine, tenant: str) -> RateLimiter:
    """The organisation's minute used up just now (by other processes): one real call, then
    its row says the minute's calls all started now."""
    limiter = RateLimiter(engine, turns.limits())
    with limiter.slot(tenant):
        pass
    now = stamp(utcnow())
    with session_scope(engine) as session:
        session.exec(
            update(RateLimitState)
            .where(col(RateLimitState.tenant_id) == tenant)
            .values(recent=now * limiter.limits.per_minute)
        )
    return limiter


def tenants_of(lease: queue_leases.Lease) -> set[str | None]:
    return {j.tenant_id for j in lease.jobs}


def test_with_one_organisation_at_its_minute_limit_the_other_is_leased(engine):
    busy, free = jobs_for(engine, "org-a", 5), jobs_for(engine, "org-b", 5)
    limiter = fill_minute(engine, "org-a")
    lease = queue_leases.lease_batch(engine=engine, worker_id="w1")
    assert tenants_of(lease) == {"org-b"}
    assert sorted(j.shipment_id for j in lease.jobs) == sorted(free)
    # Only the organisation at its limit has work left: nothing is leased, and the worker is
    # told when its window opens instead of waiting for it.
    empty = queue_leases.lease_batch(engine=engine, worker_id="w1")
    assert empty.jobs == []
    opening, reason = limiter.next_call_at("org-a")
    assert reason == "minute" and empty.next_opening == opening
    assert empty.next_opening is not None and empty.next_opening > utcnow()
    with session_scope(engine) as session:
        waiting = session.exec(select(SyncJob).where(col(SyncJob.shipment_id).in_(busy))).all()
    assert {j.status for j in waiting} == {JobStatus.QUEUED}
    assert {j.attempts for j in waiting} == {0}


def test_organisations_with_work_take_turns(engine):
    for tenant in ("org-a", "org-b", "org-c"):
        jobs_for(engine, tenant, 25)
    leases = [queue_leases.lease_batch(engine=engine, worker_id="w1", size=10) for _ in range(4)]
    assert [len(lease) for lease in leases] == [10, 10, 10, 10]
    turns_taken = [tenants_of(lease) for lease in leases]
    assert all(len(t) == 1 for t in turns_taken)  # one organisation a batch
    first_three = [t.pop() for t in turns_taken[:3]]
    assert sorted(str(t) for t in first_three) == ["org-a", "org-b", "org-c"]
    assert turns_taken[3] == {first_three[0]}  # the least recently leased goes again


def test_a_send_that_would_wait_goes_back_unsent_uncounted_and_unclaimed(
    engine, connected, sandbox
):
    tenant = connected.tenant_id
    ids = jobs_for(engine, tenant, 3)
    with session_scope(engine) as session:  # Xero's codes known, so the send needs one call
        connection = connections.default_connection(session=session)
        assert connection is not None
        adapter = connections.adapter_for(connection, session=session)
        reference_data.refresh(session=session, connection=connection, adapter=adapter)
    mark = max([c["id"] for c in sandbox.calls()] or [0])
    lease = queue_leases.lease_batch(engine=engine, worker_id="w1")
    assert len(lease) == 3
    limiter = fill_minute(engine, tenant)  # another worker used the minute meanwhile
    opening, _ = limiter.next_call_at(tenant)
    assert send_lease(engine=engine, lease=lease) == 3
    assert [c for c in sandbox.calls(since_id=mark) if "/Invoices" in c["path"]] == []
    with session_scope(engine) as session:
        jobs = session.exec(select(SyncJob).where(col(SyncJob.shipment_id).in_(ids))).all()
        shipments = session.exec(select(Shipment).where(col(Shipment.id).in_(ids))).all()
        logged = session.exec(select(IntegrationLog)).all()
        assert claims.held_count(session=session) == 0
    assert {j.status for j in jobs} == {JobStatus.QUEUED}
    assert {j.attempts for j in jobs} == {0}  # not a failed try
    assert {j.last_error for j in jobs} == {None}
    # Back until the window opens (the limiter's word, give or take the clock between reads).
    assert all(as_utc(j.not_before) >= opening - timedelta(seconds=1) for j in jobs)
    assert {s.sync_state for s in shipments} == {SyncState.QUEUED}
    assert {s.send_started_at for s in shipments} == {None}
    assert logged == []  # nothing to report: nothing happened to them


def test_an_organisation_xero_blocked_is_skipped_until_its_block_ends(engine):
    # Blocked by Xero (a 429's Retry-After) before it ever made a call of its own: a block
    # with no state row beside it; the other organisation's block has one.
    jobs_for(engine, "org-a", 3)
    jobs_for(engine, "org-b", 3)
    fill_minute(engine, "org-b")
    until = utcnow() + timedelta(minutes=5)
    with session_scope(engine) as session:
        session.add(RateLimitBlock(tenant_id="org-a", blocked_until=until, reason="429"))
        session.add(RateLimitBlock(tenant_id="org-b", blocked_until=until, reason="429"))
        assert session.get(RateLimitState, "org-a") is None
    empty = queue_leases.lease_batch(engine=engine, worker_id="w1")
    assert empty.jobs == []
    assert empty.next_opening is not None and abs(empty.next_opening - until) < timedelta(seconds=1)
    with session_scope(engine) as session:
        session.delete(session.get(RateLimitBlock, "org-a"))
    assert tenants_of(queue_leases.lease_batch(engine=engine, worker_id="w1")) == {"org-a"}
