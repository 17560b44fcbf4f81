"""Processes that survive and say they are alive: waiting out a database outage with backoff
(saying so once when it goes and once when it is back), and the workers' heartbeats, so the
app can tell when no worker is sending the queue."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import delete, func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlmodel import Session, col, select

from models import JobStatus, SyncJob, WorkerHeartbeat, utcnow
from services.db import session_scope
from services.settings import get_settings

T = TypeVar("T")
NO_WORKER = (
    "No worker is running: queued shipments are not being sent. Start one with "
    "`python -m services.worker` (or `make run`, which starts one)."
)


def database_away(error: BaseException) -> bool:
    """True when the error says the database cannot be reached (not that a query is wrong)."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


class DatabaseWatch:
    """Runs steps that need the database. While it is unreachable a step is retried after a
    growing, jittered wait (at most `longest` seconds); the log hears once that it went away
    and once that it is back, not once per try."""

    def __init__(
        self,
        *,
        log: logging.Logger,
        sleep: Callable[[float], None] = time.sleep,
        longest: float = 30.0,
    ):
        self.log, self.sleep, self.longest = log, sleep, longest
        self.failures = 0

    @property
    def away(self) -> bool:
        return self.failures > 0

    def run(self, step: Callable[[], T]) -> T | None:
        """The step's result; None (after waiting) when the database could not be reached."""
        try:
            result = step()
        except Exception as error:
            if not database_away(error):
                raise
            if not self.away:
                self.log.warning("database unreachable (%s); retrying with backoff", error)
            self.failures += 1
            self.sleep(self.wait())
            return None
        if self.away:
            self.log.info("database reachable again after %s tries", self.failures)
            self.failures = 0
        return result

    def until_up(self, step: Callable[[], T], *, stopping: Callable[[], bool] = bool) -> T | None:
        """Retry the step until the database answers (or `stopping()` says to give up)."""
        while True:
            done = False

            def marked() -> T:
                nonlocal done
                value = step()
                done = True
                return value

            result = self.run(marked)
            if done or stopping():
                return result

    def wait(self) -> float:
        return min(self.longest, 0.5 * 2 ** min(self.failures, 10)) * (0.5 + random.random() / 2)


def backoff(attempt: int, *, first: float = 1.0, longest: float = 15.0) -> float:
    """The wait before try `attempt + 1` after `attempt` failed ones: 1, 2, 4, 8 … seconds,
    at most `longest`."""
    return min(longest, first * 2 ** min(max(attempt - 1, 0), 16))


class Outage:
    """Whether the database is away, as every run of a process sees it: the log hears once
    that it went away and once that it is back, however many runs wait on it meanwhile."""

    def __init__(self, log: logging.Logger):
        self.log = log
        self.away = False
        self._lock = threading.Lock()

    def went_away(self, error: BaseException) -> None:
        with self._lock:
            if not self.away:
                self.away = True
                self.log.warning("database unreachable (%s); retrying with backoff", error)

    def back(self, tries: int) -> None:
        with self._lock:
            if self.away:
                self.away = False
                self.log.info("database reachable again after %s tries", tries)


def retry_until_up(
    step: Callable[[], T],
    *,
    outage: Outage,
    waiting: Callable[[float, int], None] = lambda _delay, _attempt: None,
    sleep: Callable[[float], None] = time.sleep,
    longest: float = 15.0,
) -> T:
    """The step's result, trying again after growing waits (`backoff`) for as long as the
    database is unreachable; `waiting(delay, attempt)` is told before each wait. Any other
    error is raised at once."""
    attempt = 0
    while True:
        try:
            result = step()
        except Exception as error:
            if not database_away(error):
                raise
            attempt += 1
            outage.went_away(error)
            delay = backoff(attempt, longest=longest)
            waiting(delay, attempt)
            sleep(delay)
            continue
        outage.back(attempt + 1)
        return result


def beat(*, engine: Engine, worker_id: str) -> bool:
    """Record that this worker is alive now (True once recorded)."""
    now = utcnow()
    with session_scope(engine) as session:
        row = session.get(WorkerHeartbeat, worker_id)
        if row is None:
            session.add(WorkerHeartbeat(worker_id=worker_id, started_at=now, seen_at=now))
        else:
            row.seen_at = now
            session.add(row)
    return True


def gone(*, engine: Engine, worker_id: str) -> None:
    """A worker that stops cleanly takes its heartbeat with it (and forgets long-dead ones)."""
    stale = utcnow() - timedelta(days=1)
    with session_scope(engine) as session:
        session.exec(
            delete(WorkerHeartbeat).where(
                (col(WorkerHeartbeat.worker_id) == worker_id)
                | (col(WorkerHeartbeat.seen_at) < stale)
            )
        )


def live_workers(*, session: Session) -> int:
    """Workers whose heartbeat is fresh (within `worker_heartbeat_seconds`)."""
    fresh = utcnow() - timedelta(seconds=get_settings().worker_heartbeat_seconds)
    return session.exec(
        select(func.count())
        .select_from(WorkerHeartbeat)
        .where(col(WorkerHeartbeat.seen_at) > fresh)
    ).one()


def no_worker_warning(*, session: Session) -> str | None:
    """The warning every page shows when shipments wait in the queue and no worker is alive
    to send them; None when all is well."""
    waiting = session.exec(
        select(func.count())
        .select_from(SyncJob)
        .where(col(SyncJob.status).in_([JobStatus.QUEUED, JobStatus.RUNNING]))
    ).one()
    if not waiting or live_workers(session=session):
        return None
    return NO_WORKER
