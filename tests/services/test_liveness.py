"""Processes that survive: a database outage is waited out (said once when it goes, once when
it is back), migrations run once under a lock, `make run` restarts a dead child with growing
pauses, and every page can tell when no worker is sending the queue."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import OperationalError

from models import WorkerHeartbeat, utcnow
from services import liveness, queue
from services.db import migrate, session_scope
from services.devserver import Restarts
from tests.utils.factories import make_shipment

log = logging.getLogger("test.liveness")


def test_an_unreachable_database_is_retried_and_logged_once_per_change(caplog):
    # Nothing listens on port 1: every connection is refused, as when PostgreSQL is down.
    away = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/test")
    pauses: list[float] = []
    watch = liveness.DatabaseWatch(log=log, sleep=pauses.append)
    tries = 0

    def migrate_then_come_back() -> str:
        nonlocal tries
        tries += 1
        if tries <= 3:
            with away.connect():
                pass
        return "migrated"

    with caplog.at_level(logging.INFO, logger="test.liveness"):
        assert watch.until_up(migrate_then_come_back) == "migrated"
    assert tries == 4
    assert len(pauses) == 3 and max(pauses) <= watch.longest  # a pause before each retry
    said = [r.getMessage() for r in caplog.records if r.name == "test.liveness"]
    assert len(said) == 2
    assert said[0].startswith("database unreachable") and "reachable again" in said[1]


def test_an_error_that_is_not_an_outage_is_raised_not_waited_out():
    watch = liveness.DatabaseWatch(log=log, sleep=lambda _: None)

    def wrong() -> None:
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        watch.run(wrong)
    assert not watch.away


def test_an_outage_counts_as_away_until_a_step_succeeds():
    watch = liveness.DatabaseWatch(log=log, sleep=lambda _: None)

    def down() -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    assert watch.run(down) is None
    assert watch.away
    assert watch.run(lambda: 7) == 7
    assert not watch.away


def test_migrations_started_together_run_once(engine):
    errors: list[BaseException] = []

    def run() -> None:
        try:
            migrate(engine)
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert "worker_heartbeat" in inspect(engine).get_table_names()


def test_a_child_that_keeps_dying_is_restarted_after_growing_pauses():
    restarts = Restarts(longest=8, settled=300)
    pauses = [restarts.pause("worker", now=float(n)) for n in range(6)]
    assert pauses == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    # Up for longer than `settled` since its last restart: back to a short pause.
    assert restarts.pause("worker", now=1000.0) == 1.0
    assert restarts.pause("app", now=1000.0) == 1.0


def test_queued_shipments_with_no_live_worker_are_announced(engine):
    with session_scope(engine) as session:
        assert liveness.no_worker_warning(session=session) is None  # nothing waits
        shipment = make_shipment(session)
        assert shipment.id is not None
        queue.enqueue(session=session, shipment_ids=[shipment.id], trigger="bulk", user="ops")
    with session_scope(engine) as session:
        assert liveness.no_worker_warning(session=session) == liveness.NO_WORKER
    liveness.beat(engine=engine, worker_id="w1")
    with session_scope(engine) as session:
        assert liveness.no_worker_warning(session=session) is None
        row = session.get(WorkerHeartbeat, "w1")
        assert row is not None
        row.seen_at = utcnow() - timedelta(minutes=5)  # it stopped beating: it died
        session.add(row)
    with session_scope(engine) as session:
        assert liveness.no_worker_warning(session=session) == liveness.NO_WORKER
    liveness.beat(engine=engine, worker_id="w2")
    liveness.gone(engine=engine, worker_id="w2")  # stopped cleanly
    with session_scope(engine) as session:
        assert liveness.live_workers(session=session) == 0


def test_a_worker_started_while_the_database_is_down_waits_for_it(tmp_path):
    env = dict(os.environ, DATABASE_URL="postgresql://postgres@127.0.0.1:1/test")
    worker = subprocess.Popen(
        [sys.executable, "-m", "services.worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    said_away = threading.Event()

    def read() -> None:
        assert worker.stderr is not None
        for line in worker.stderr:
            lines.append(line)
            if "database unreachable" in line:
                said_away.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        # Starting takes a while on a busy machine: wait for its word, not a fixed time.
        assert said_away.wait(timeout=120), "".join(lines)
        # Its retries wait 0.5-1, 1-2 and 2-4 s: in 4 s it tries again and says nothing more.
        with pytest.raises(subprocess.TimeoutExpired):
            worker.wait(timeout=4)  # still there, waiting for the database
    finally:
        worker.kill()
        worker.wait(timeout=10)
        reader.join(timeout=10)
    said = "".join(lines)
    assert said.count("database unreachable") == 1, said
