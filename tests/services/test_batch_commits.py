"""A batch of ten costs the database a few commits (issue 16, goal 2): counted on the engine
with SQLAlchemy's `commit` event, so adding a commit back to the send path fails here.

The rate limiter's own transactions are counted apart: their cost per call belongs to the
limiter (services/rate_limit.py and its tests), not to the send path."""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from models import IntegrationLog, JobStatus, Shipment, SyncJob, SyncState
from services import queue, queue_leases, usage
from services.db import session_scope
from services.sync import send_shipments
from services.worker import run_once
from tests.utils.factories import id_of, make_shipment, stored
from tests.utils.statements import counted

# The send path's own commits per batch of ten (validation, claim and Sending mark; the
# fence check before the request; the response counter; answers, log and release).
MOST_COMMITS = 4
LIMITER = "services/rate_limit.py"
# A whole worker batch (issue 16, goal 2), everything on the engine counted, the limiter's
# too: the lease with its claim; the shipments marked Sending after the fence check; the
# limiter's slot with the fence checked immediately before the request (one commit); the
# answers applied with the log, the response counted, the slot given back and the claim
# released.
WORKER_COMMITS = 4
# Its statements, by step of the design (services/queue_leases.py, services/turns.py,
# services/sync.py):
WORKER_STATEMENTS = sum(
    (
        # lease: abandoned sends, organisations in turn (3: those with due jobs, the
        # default's tenant id, their limits and blocks in one read), due jobs, turn, claim,
        # jobs
        8,
        # The connections read once (services/connections.remember_connections), the
        # shipments and their lines, the mapping settings (the organisation's own row and the
        # default in one read). None read for skipped ones when the claim holds them all.
        4,
        2,  # reference data: customer and product mappings (Xero's codes are cached)
        1,  # retired numbers: one look for the whole batch
        2,  # fence check and Sending mark
        2,  # limiter: the slot, the fence check in its transaction
        1,  # fence check at apply
        # The answers: one executemany for the ten (services/shipment_writes.py), each row
        # its own values, the version raised in SQL where a versioned field changed.
        1,
        # Jobs done, response counted, slot given back, the log (one INSERT), claim released,
        # unfinished back.
        6,
    )
)


@contextmanager
def commits_on(engine: Engine) -> Iterator[Counter]:
    """Every commit on `engine` while the block runs: "limiter" for the rate limiter's,
    "send" for all the others."""
    seen: Counter = Counter()

    def counted(_connection) -> None:
        stack = [frame.filename for frame in traceback.extract_stack()]
        seen["limiter" if any(f.endswith(LIMITER) for f in stack) else "send"] += 1

    event.listen(engine, "commit", counted)
    try:
        yield seen
    finally:
        event.remove(engine, "commit", counted)


def ten_shipments(engine: Engine) -> list[int]:
    with session_scope(engine) as session:
        return [id_of(make_shipment(session)) for _ in range(10)]


def processed(engine: Engine, ids: list[int]) -> int:
    with session_scope(engine) as session:
        return sum(
            1
            for i in ids
            if (s := session.get(Shipment, i)) and s.sync_state == SyncState.PROCESSED
        )


def test_a_page_send_of_ten_commits_at_most_four_times(engine, connected):
    send_shipments(shipment_ids=ten_shipments(engine), trigger="bulk", user="ops")  # warm
    ids = ten_shipments(engine)
    with commits_on(engine) as seen:
        result = send_shipments(shipment_ids=ids, trigger="bulk", user="ops")
    assert result.count("Processed") == 10
    assert processed(engine, ids) == 10
    assert seen["send"] <= MOST_COMMITS, seen
    assert seen["limiter"] >= 1, seen  # the count did see the call's slot


def test_a_leased_batch_of_ten_commits_at_most_four_times(engine, connected):
    """The worker's batch: its lease took the claim; the send itself keeps to the same."""
    # Warm: the first send reads Xero's reference data (calls a batch does not make).
    send_shipments(shipment_ids=ten_shipments(engine), trigger="bulk", user="ops")
    ids = ten_shipments(engine)
    with session_scope(engine) as session:
        queue.enqueue(session=session, shipment_ids=ids, trigger="push remaining", user=None)
    lease = queue_leases.lease_batch(engine=engine, worker_id="commits")
    assert sorted(j.shipment_id for j in lease.jobs) == sorted(ids)
    with commits_on(engine) as seen:
        result = send_shipments(
            shipment_ids=ids, trigger="push remaining", user=None, engine=engine, claim=lease.claim
        )
    assert result.count("Processed") == 10
    assert seen["send"] <= MOST_COMMITS, seen
    # Everything the batch wrote is there: one log row each, every shipment given back.
    with session_scope(engine) as session:
        logged = session.exec(
            select(IntegrationLog).where(col(IntegrationLog.shipment_id).in_(ids))
        ).all()
        assert len(logged) == 10 and all(entry.api_calls == 1 for entry in logged)
        assert all(stored(session, Shipment, i).claim_token is None for i in ids)


def day_calls(engine: Engine, tenant_id: str) -> int:
    """The organisation's calls counted today (services/usage.py)."""
    with session_scope(engine) as session:
        return usage.day_count(session=session, tenant_id=tenant_id).calls


def test_a_whole_worker_batch_commits_at_most_four_times(engine, connected):
    """Lease, send and apply of ten queued shipments, as the worker's loop runs them: at most
    four commits and the statements the design needs, all counted (a statement or commit
    added back anywhere on the path fails here)."""
    # Warm: the first send reads Xero's reference data (calls a batch does not make).
    send_shipments(shipment_ids=ten_shipments(engine), trigger="bulk", user="ops")
    ids = ten_shipments(engine)
    with session_scope(engine) as session:
        queue.enqueue(session=session, shipment_ids=ids, trigger="push remaining", user=None)
    calls_before = day_calls(engine, connected.tenant_id)
    with counted(engine) as seen:
        took = run_once(engine=engine, worker_id="commits")
    assert took == 10
    assert processed(engine, ids) == 10
    assert seen["commits"] <= WORKER_COMMITS, seen
    assert seen["statements"] <= WORKER_STATEMENTS, seen
    # Nothing was left for later: every job done, every shipment given back, each logged once
    # with the batch's one call, and the call counted in Xero's usage.
    assert day_calls(engine, connected.tenant_id) == calls_before + 1
    with session_scope(engine) as session:
        statuses = session.exec(select(SyncJob.status).where(col(SyncJob.shipment_id).in_(ids)))
        assert sorted(statuses) == [JobStatus.DONE] * 10
        logged = session.exec(
            select(IntegrationLog).where(col(IntegrationLog.shipment_id).in_(ids))
        ).all()
        assert len(logged) == 10 and all(entry.api_calls == 1 for entry in logged)
        assert all(stored(session, Shipment, i).claim_token is None for i in ids)
