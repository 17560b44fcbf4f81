"""The worker: drains the send queue, refreshes Xero reference data, pulls payments.

Run one with `python -m services.worker` (or `python -m services.cli worker`). Several may run
against one PostgreSQL; jobs are leased, so none is sent twice at once.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from datetime import timedelta
from wsgiref.simple_server import WSGIServer

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import JobStatus, Outcome, SyncJob, XeroConnection, utcnow
from services import connections, metrics, queue, reference_data
from services.db import get_engine, migrate, session_scope
from services.observability import configure_logging
from services.settings import get_settings
from services.sync import SyncError, send_shipments
from services.xero.errors import XeroError

log = logging.getLogger("shipbridge.worker")
REFERENCE_EVERY = timedelta(minutes=15)
PAYMENTS_EVERY = timedelta(minutes=5)


def run_once(*, engine: Engine, worker_id: str) -> int:
    """Send one leased batch; returns how many jobs it took (0 when the queue is idle)."""
    jobs = queue.lease_batch(engine=engine, worker_id=worker_id)
    if not jobs:
        return 0
    ids = [j.shipment_id for j in jobs]
    try:
        result = send_shipments(
            shipment_ids=ids,
            trigger=jobs[0].trigger,
            user=jobs[0].requested_by,
            engine=engine,
            max_inline_wait=60,
        )
        log.info(
            "batch %s: %s processed, %s rejected, %s calls",
            result.batch_id,
            result.count(Outcome.PROCESSED),
            result.count(Outcome.REJECTED),
            result.api_calls,
        )
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
    # Jobs whose shipment another send held stay queued for a later pass.
    with session_scope(engine) as session:
        for job in session.exec(select(SyncJob).where(SyncJob.id.in_([j.id for j in jobs]))):
            if job.status == JobStatus.RUNNING and job.leased_by == worker_id:
                job.status = JobStatus.QUEUED
                job.not_before = utcnow() + timedelta(seconds=10)
                job.leased_by = None
                session.add(job)
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
    except Exception:  # noqa: BLE001 - one bad batch must not stop the worker
        log.exception("batch failed; its jobs will be retried when their lease expires")
        took = 0
    try:
        refresh_queue_metrics(engine=engine)
    except Exception:  # noqa: BLE001 - the metrics must not stop the sends
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
    """Incremental refresh for each connected organisation that is due."""
    with session_scope(engine) as session:
        due = connections.due_connections(
            session=session, last_read=lambda c: c.reference_refreshed_at, every=REFERENCE_EVERY
        )
        _read_from_xero(session, due, reference_data.refresh, "reference refresh")


def pull_payments(*, engine: Engine) -> None:
    """Payments and statuses back from Xero for each organisation that is due."""
    from services import payments

    with session_scope(engine) as session:
        due = connections.due_connections(
            session=session, last_read=lambda c: c.payments_pulled_at, every=PAYMENTS_EVERY
        )
        _read_from_xero(session, due, payments.pull, "payment pull")


def _read_from_xero(session: Session, due: list[XeroConnection], read, what: str) -> None:
    """Scheduled reads, one organisation at a time: a failure is logged and waits for the next
    turn (a connection Xero no longer accepts is marked for reconnecting)."""
    for connection, outcome in connections.read_each(due, session=session, read=read):
        if isinstance(outcome, XeroError):
            log.warning("%s for %s failed: %s", what, connection.tenant_name, outcome)


def run_forever(*, engine: Engine | None = None, idle_sleep: float = 1.0) -> None:
    engine = engine or get_engine()
    migrate(engine)
    worker_id = f"{socket.gethostname()}-{os.getpid()}"
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("worker %s started", worker_id)
    serve_metrics(port=get_settings().worker_metrics_port)
    refresh_queue_metrics(engine=engine)
    last_reference = 0.0
    while not stopping:
        if time.monotonic() - last_reference > 60:
            try:
                refresh_reference_data(engine=engine)
                pull_payments(engine=engine)
            except Exception:  # noqa: BLE001 - scheduled reads must not stop the sends
                log.exception("scheduled refresh failed")
            last_reference = time.monotonic()
        took = work_once(engine=engine, worker_id=worker_id)
        if not took:
            time.sleep(idle_sleep)
    log.info("worker %s stopped", worker_id)


def main() -> None:
    configure_logging(process="worker")
    run_forever()


if __name__ == "__main__":
    main()
