"""One batch size: the send limit, the worker's lease and the pages all follow `sync_batch_size`."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlmodel import select

from models import JobStatus, SyncJob
from services import queue, settings, worker
from services.db import session_scope
from services.sync import SyncError, batch_size, send_shipments
from tests.utils.factories import id_of, make_shipment


def new_shipments(engine, n: int) -> list[int]:
    with session_scope(engine) as session:
        return [id_of(make_shipment(session)) for _ in range(n)]


def test_a_changed_batch_size_changes_both_the_send_limit_and_the_lease_size(engine, monkeypatch):
    monkeypatch.setenv("SYNC_BATCH_SIZE", "3")
    settings.get_settings.cache_clear()
    ids = new_shipments(engine, batch_size() + 1)

    with pytest.raises(SyncError, match=f"send at most {batch_size()} at a time"):
        send_shipments(shipment_ids=ids, trigger="bulk", user="ops", engine=engine)
    # A full batch passes the limit and goes on to look for an organisation.
    with pytest.raises(SyncError, match="No Xero organisation is connected"):
        send_shipments(shipment_ids=ids[:3], trigger="bulk", user="ops", engine=engine)

    with session_scope(engine) as session:
        queue.enqueue(session=session, shipment_ids=ids, trigger="push remaining", user="ops")
    taken = worker.run_once(engine=engine, worker_id="w1")
    with session_scope(engine) as session:
        still_queued = session.exec(select(SyncJob).where(SyncJob.status == JobStatus.QUEUED))
        left = [job.shipment_id for job in still_queued]

    assert batch_size() == 3
    assert taken == 3
    assert len(left) == len(ids) - 3


def test_a_batch_cannot_be_set_larger_than_xero_takes_from_a_page(monkeypatch):
    monkeypatch.setenv("SYNC_BATCH_SIZE", "11")
    settings.get_settings.cache_clear()
    with pytest.raises(ValidationError, match="sync_batch_size"):
        settings.get_settings()
