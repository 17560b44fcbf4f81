"""What the queue-fault tests (tests/services/test_queue_faults.py) and `make chaos`
(bench/chaos.py) share: queueing and draining shipments, senders in threads of their own, and
counting the create-or-update calls Xero committed from the sandbox's call log."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from models import Shipment, SyncJob, utcnow
from services import queue, sync
from services.db import session_scope
from services.worker import run_once


class SendRecorder:
    """Each batch's idempotency key and the document numbers it carried, as sent: the
    sandbox's call log names the key, this names the shipments in it."""

    def __init__(self) -> None:
        self.batches: dict[str, list[str]] = {}
        self.real = sync.idempotency_key

    def __call__(self, tenant_id: str, documents: list[dict]) -> str:
        key = self.real(tenant_id, documents)
        self.batches[key] = [d["InvoiceNumber"] for d in documents]
        return key


def committed_sends(sandbox: Any, batches: dict[str, list[str]]) -> Counter:
    """Per document number, the create-or-update calls Xero committed (answered 200, or
    committed and then dropped the answer)."""
    counted: Counter = Counter()
    for call in sandbox.calls():
        if call["method"] not in ("PUT", "POST") or not call["path"].endswith("/Invoices"):
            continue
        if call["status"] == 200 or call["fault"] == "drop-after":
            counted.update(batches[call["idempotency_key"]])
    return counted


def numbers(engine: Engine, ids: Iterable[int]) -> list[str]:
    with session_scope(engine) as session:
        rows = session.exec(select(Shipment).where(col(Shipment.id).in_(list(ids))))
        return sorted(s.shipment_number for s in rows)


def enqueue(engine: Engine, ids: list[int]) -> None:
    with session_scope(engine) as session:
        queue.enqueue(session=session, shipment_ids=ids, trigger="push remaining", user="ops")


def make_due(engine: Engine) -> None:
    """Queued jobs due now: the scenario does not wait out their backoff."""
    with session_scope(engine) as session:
        session.exec(update(SyncJob).values(not_before=utcnow()))


def drain(engine: Engine, worker_id: str = "w-drain", turns: int = 10) -> None:
    """Run a worker until the queue is idle (at most `turns` batches)."""
    for _ in range(turns):
        make_due(engine)
        if not run_once(engine=engine, worker_id=worker_id):
            return


def wait_for(condition: Callable[[], bool], seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


class Running(threading.Thread):
    """A sender in a thread of its own; `join` raises whatever it raised."""

    def __init__(self, target: Callable[..., object]) -> None:
        super().__init__()
        self.work = target
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.work()
        except BaseException as error:  # noqa: BLE001 - raised again by join
            self.error = error

    def join(self, timeout: float | None = None) -> None:
        super().join(timeout)
        if self.error is not None:
            raise self.error


def in_thread(target: Callable[..., object]) -> Running:
    thread = Running(target)
    thread.start()
    return thread
