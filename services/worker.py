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

from sqlalchemy.engine import Engine
from sqlmodel import select

from models import ConnectionStatus, JobStatus, SyncJob, XeroConnection, utcnow
from services import connections, queue, reference_data
from services.db import get_engine, migrate, session_scope
from services.sync import SyncError, send_shipments
from services.xero.errors import XeroAuthError, XeroError

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
            result.count("Processed"),
            result.count("Rejected"),
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


def refresh_reference_data(*, engine: Engine) -> None:
    """Incremental refresh for each connected organisation that is due."""
    with session_scope(engine) as session:
        due = [
            c
            for c in session.exec(select(XeroConnection))
            if c.status == ConnectionStatus.ACTIVE
            and (
                c.reference_refreshed_at is None
                or utcnow() - c.reference_refreshed_at > REFERENCE_EVERY
            )
        ]
        for connection in due:
            try:
                adapter = connections.adapter_for(connection, session=session)
                reference_data.refresh(session=session, connection=connection, adapter=adapter)
            except XeroAuthError as error:
                connections.mark_needs_reconnect(
                    session=session, connection=connection, reason=str(error)
                )
            except XeroError as error:
                log.warning("reference refresh for %s failed: %s", connection.tenant_name, error)


def pull_payments(*, engine: Engine) -> None:
    """Payments and statuses back from Xero for each organisation that is due."""
    from services import payments

    with session_scope(engine) as session:
        for connection in connections.list_connections(session=session):
            if connection.status != ConnectionStatus.ACTIVE:
                continue
            last = connection.payments_pulled_at
            if last is not None and utcnow() - last < PAYMENTS_EVERY:
                continue
            try:
                adapter = connections.adapter_for(connection, session=session)
                payments.pull(session=session, connection=connection, adapter=adapter)
            except XeroAuthError as error:
                connections.mark_needs_reconnect(
                    session=session, connection=connection, reason=str(error)
                )
            except XeroError as error:
                log.warning("payment pull for %s failed: %s", connection.tenant_name, error)


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
    last_reference = 0.0
    while not stopping:
        if time.monotonic() - last_reference > 60:
            try:
                refresh_reference_data(engine=engine)
                pull_payments(engine=engine)
            except Exception:  # noqa: BLE001 - scheduled reads must not stop the sends
                log.exception("scheduled refresh failed")
            last_reference = time.monotonic()
        try:
            took = run_once(engine=engine, worker_id=worker_id)
        except Exception:  # noqa: BLE001 - one bad batch must not stop the worker
            log.exception("batch failed; its jobs will be retried when their lease expires")
            took = 0
        if not took:
            time.sleep(idle_sleep)
    log.info("worker %s stopped", worker_id)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    run_forever()
