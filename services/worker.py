"""The worker: drains the send queue, refreshes Xero reference data, pulls payments.

Run one with `python -m services.worker` (or `python -m services.cli worker`). Several may run
against one PostgreSQL; jobs are leased, so none is sent twice at once.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from datetime import datetime
from wsgiref.simple_server import WSGIServer

from sqlalchemy.engine import Engine
from sqlmodel import Session

from models import JobKind, Outcome, XeroConnection, utcnow
from services import (
    budget,
    codes_in_use,
    connections,
    finance_summary,
    liveness,
    metrics,
    queue,
    queue_leases,
    rate_limit,
    reference_data,
)
from services.db import get_engine, migrate, session_scope
from services.observability import configure_logging
from services.settings import get_settings
from services.sync import SyncError, send_shipments
from services.xero.errors import XeroError

log = logging.getLogger("shipbridge.worker")
HEARTBEAT_EVERY = 10.0  # seconds; well inside `worker_heartbeat_seconds`
# The longest a batch waits inline between tries of a failing call (a 5xx's short backoff);
# a longer wait (a 429's Retry-After) sends the jobs back to the queue instead.
INLINE_WAIT = 0.99
# Per worker: when an organisation at its limit may call again (the idle loop sleeps until).
_next_opening: dict[str, datetime | None] = {}


def run_once(*, engine: Engine, worker_id: str) -> int:
    """Send one leased batch; returns how many jobs it took (0 when the queue is idle)."""
    # What a dead send left Sending is queued again in the lease's own transaction.
    lease = queue_leases.lease_batch(engine=engine, worker_id=worker_id, recover=True)
    if not lease.jobs:
        _next_opening[worker_id] = lease.next_opening
        return 0
    return send_lease(engine=engine, lease=lease)


def send_lease(*, engine: Engine, lease: queue_leases.Lease) -> int:
    """Send one leased batch; returns how many jobs it held."""
    jobs = lease.jobs
    if jobs[0].kind == JobKind.CANCEL:  # a lease is one kind (queue_leases.lease_batch)
        from services import cancel_jobs

        return cancel_jobs.run_lease(engine=engine, lease=lease)
    ids = [j.shipment_id for j in jobs]
    try:
        # A lease holder never sleeps for a rate limit: a call that would wait raises
        # MustWait, and the jobs go back until the organisation's window opens.
        with rate_limit.deferring():
            result = send_shipments(
                shipment_ids=ids,
                trigger=jobs[0].trigger,
                user=jobs[0].requested_by,
                engine=engine,
                max_inline_wait=INLINE_WAIT,
                claim=lease.claim,
            )
        log.info(
            "batch %s: %s processed, %s rejected, %s calls",
            result.batch_id,
            result.count(Outcome.PROCESSED),
            result.count(Outcome.REJECTED),
            result.api_calls,
        )
    except rate_limit.MustWait as wait:
        queue_leases.defer(engine=engine, lease=lease, until=wait.until)
        log.info("batch deferred: %s", wait)
        return len(jobs)
    except SyncError as error:
        with session_scope(engine) as session:
            queue.enqueue(
                session=session,
                shipment_ids=ids,
                trigger=jobs[0].trigger,
                user=jobs[0].requested_by,
                error=str(error),
                held=True,
            )
        return len(jobs)
    # Jobs whose shipment another send took over went back to the queue in the send's last
    # transaction (queue_leases.unfinished_back).
    return len(jobs)


def refresh_queue_metrics(*, engine: Engine) -> None:
    """Read the queue's depth and oldest job per organisation into the metrics."""
    with session_scope(engine) as session:
        depths = queue.depth_by_organisation(session=session)
    metrics.show_queue(depths=depths, now=utcnow())


def work_once(*, engine: Engine, worker_id: str) -> int:
    """One turn of the worker's loop: send one leased batch, then show the queue in the
    metrics. Returns how many jobs it took (0 when the queue is idle)."""
    try:
        took = run_once(engine=engine, worker_id=worker_id)
    except Exception as error:  # noqa: BLE001 - one bad batch must not stop the worker
        if liveness.database_away(error):
            raise  # the loop's DatabaseWatch waits it out, and says so once
        log.exception("batch failed; its jobs will be retried when their lease expires")
        took = 0
    try:
        refresh_queue_metrics(engine=engine)
    except Exception as error:  # noqa: BLE001 - the metrics must not stop the sends
        if liveness.database_away(error):
            raise
        log.exception("queue metrics could not be read")
    return took


def serve_metrics(*, port: int) -> WSGIServer | None:
    """Serve the Prometheus metrics on 127.0.0.1:`port` (0: not at all), in a daemon thread;
    returns the server (its `shutdown()` stops it), or None when nothing is served."""
    if not port:
        return None
    from prometheus_client import start_http_server

    try:
        server, _thread = start_http_server(port, addr="127.0.0.1")
    except OSError as error:
        # A second worker on the same host: it keeps sending, the first one's port serves.
        log.warning("metrics not served on port %s: %s", port, error)
        return None
    log.info("metrics on http://127.0.0.1:%s/metrics", port)
    return server


def refresh_reference_data(*, engine: Engine) -> None:
    """Incremental refresh for each connected organisation that is due and within the day's
    budget (services/budget.py)."""
    with session_scope(engine) as session:
        due = budget.due_reads(
            session=session, kind="reference", last_read=lambda c: c.reference_refreshed_at
        )
        _read_from_xero(session, due, reference_data.refresh, "reference refresh")


def pull_payments(*, engine: Engine) -> None:
    """Payments and statuses back from Xero for each organisation that is due."""
    from services import payments

    with session_scope(engine) as session:
        due = budget.due_reads(
            session=session, kind="payments", last_read=lambda c: c.payments_pulled_at
        )
        _read_from_xero(session, due, payments.pull, "payment pull")


def check_drift(*, engine: Engine) -> None:
    """Compare sent shipments with Xero for each organisation whose check is due and within
    the day's budget (services/budget.py)."""
    from services import drift

    with session_scope(engine) as session:
        for organisation, summary in drift.check_due(session=session).items():
            if summary.error:
                log.warning("drift check for %s failed: %s", organisation, summary.error)


def scheduled_reads(*, engine: Engine) -> None:
    """The worker's scheduled reads (reference data, payments, drift), each on its own: one
    failing unexpectedly (a bug, a database error) is logged with its traceback and neither
    stops the others nor the worker's loop."""
    reads = (
        ("reference data refresh", refresh_reference_data),
        ("payment pull", pull_payments),
        ("drift check", check_drift),
        # Not reads: fold the summaries' rows written since the last turn.
        ("finance summary compaction", finance_summary.compact),
        ("codes-in-use compaction", codes_in_use.compact),
    )
    for what, read in reads:
        try:
            read(engine=engine)
        except Exception:  # noqa: BLE001 - scheduled reads must not stop the sends
            log.exception("scheduled %s failed", what)


def _read_from_xero(session: Session, due: list[XeroConnection], read, what: str) -> None:
    """Scheduled reads, one organisation at a time: a failure is logged and waits for the next
    turn (a connection Xero no longer accepts is marked for reconnecting)."""
    for connection, outcome in connections.read_each(due, session=session, read=read):
        if isinstance(outcome, XeroError):
            log.warning("%s for %s failed: %s", what, connection.tenant_name, outcome)


def run_forever(*, engine: Engine | None = None, idle_sleep: float = 1.0) -> None:
    """Send the queue until stopped. An unreachable database (at start-up, for the migration,
    or mid-run) is waited out with backoff, never a reason to exit."""
    engine = engine or get_engine()
    watch = liveness.DatabaseWatch(log=log)
    watch.until_up(lambda: migrate(engine))
    worker_id = f"{socket.gethostname()}-{os.getpid()}"
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("worker %s started", worker_id)
    serve_metrics(port=get_settings().worker_metrics_port)
    watch.run(lambda: refresh_queue_metrics(engine=engine))
    polls = Polls(engine=engine)
    polls.start()
    last_beat = 0.0
    while not stopping:
        beat_due = time.monotonic() - last_beat > HEARTBEAT_EVERY
        if beat_due and watch.run(lambda: liveness.beat(engine=engine, worker_id=worker_id)):
            last_beat = time.monotonic()
        took = watch.run(lambda: work_once(engine=engine, worker_id=worker_id))
        if not took and not watch.away:
            time.sleep(idle_wait(worker_id, idle_sleep))
    polls.stop()
    watch.run(lambda: liveness.gone(engine=engine, worker_id=worker_id))
    log.info("worker %s stopped", worker_id)


def idle_wait(worker_id: str, idle_sleep: float) -> float:
    """Seconds to sleep with nothing leased: until the first organisation at its limit may
    call again, or `idle_sleep` when none is waiting (no lease is held meanwhile)."""
    opening = _next_opening.pop(worker_id, None)
    if opening is None:
        return idle_sleep
    return min(idle_sleep, max((opening - utcnow()).total_seconds(), 0.005))


class Polls:
    """The scheduled reads (payments, reference data, drift) in a thread of their own with
    their own database connections: a send never waits for a poll, and a poll waits for its
    organisation's rate limit without holding any lease. Each read still asks the day's
    budget (services/budget.py) whether it may run."""

    def __init__(self, *, engine: Engine, every: float = 60.0):
        self.engine, self.every = engine, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduled-reads", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout=timeout)

    def run_once(self) -> None:
        scheduled_reads(engine=self.engine)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - the next turn tries again
                log.exception("scheduled reads failed")
            self._stop.wait(self.every)


def main() -> None:
    configure_logging(process="worker")
    run_forever()


if __name__ == "__main__":
    main()
