"""The worker as a real process: draining the queue, surviving kill -9, two at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlmodel import col, select

from models import JobStatus, Shipment, SyncJob, SyncState
from services import queue
from services.db import session_scope
from tests.services.test_faults import assert_invariant, new_shipments


def start_worker(env_extra=None) -> subprocess.Popen:
    env = dict(os.environ, SYNC_LEASE_SECONDS="2", **(env_extra or {}))
    return subprocess.Popen(
        [sys.executable, "-m", "services.worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def all_processed(engine, ids) -> bool:
    with session_scope(engine) as session:
        states = {
            s.sync_state for s in session.exec(select(Shipment).where(col(Shipment.id).in_(ids)))
        }
    return states == {SyncState.PROCESSED}


def enqueue(engine, ids):
    with session_scope(engine) as session:
        queue.enqueue(session=session, shipment_ids=ids, trigger="push remaining", user="ops")


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=20)


def test_a_worker_killed_mid_batch_loses_nothing(engine, connected, sandbox):
    ids = new_shipments(engine, 5)
    enqueue(engine, ids)
    # Xero takes 3 s to answer, long enough to kill the worker while the batch is in flight.
    sandbox.inject_faults("timeout", path_contains="/Invoices", seconds=3)
    first = start_worker()
    try:

        def running():
            with session_scope(engine) as session:
                jobs = session.exec(select(SyncJob)).all()
            return any(j.status == JobStatus.RUNNING for j in jobs)

        assert wait_for(running, 30), "the worker never leased the batch"
        time.sleep(1.0)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        stop(first)
    second = start_worker()
    try:
        assert wait_for(lambda: all_processed(engine, ids), 60)
    finally:
        stop(second)
    assert_invariant(engine, ids)
    with session_scope(engine) as session:
        assert {j.status for j in session.exec(select(SyncJob))} == {JobStatus.DONE}


def test_workers_drain_the_queue_once(engine, connected, sandbox):
    """On PostgreSQL two workers share the queue; on SQLite one worker runs (as designed)."""
    ids = new_shipments(engine, 25)
    enqueue(engine, ids)
    count = 2 if engine.dialect.name == "postgresql" else 1
    workers = [start_worker() for _ in range(count)]
    try:
        assert wait_for(lambda: all_processed(engine, ids), 90)
    finally:
        for worker in workers:
            stop(worker)
    assert_invariant(engine, ids)
    creates = [
        c
        for c in sandbox.calls()
        if c["method"] in ("PUT", "POST") and c["path"].endswith("/Invoices")
    ]
    assert len(creates) == 3  # 25 shipments, batches of ten
