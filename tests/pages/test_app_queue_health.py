"""app.py and the queue's pages: every page says when no worker is sending the queue, and
the jobs that stopped in Needs attention are counted with a Retry."""

from __future__ import annotations

from sqlmodel import select

from models import JobStatus, SyncJob
from services import liveness, queue
from services.db import get_engine, session_scope
from tests.pages.helpers import assert_clean, button, shipment_by_number
from ui import state


def queue_shipment(number: str = "SHP-1005", *, status: str = JobStatus.QUEUED) -> int:
    shipment_id = shipment_by_number(number).id
    assert shipment_id is not None
    with session_scope() as session:
        queue.enqueue(session=session, shipment_ids=[shipment_id], trigger="bulk", user="ops")
        for job in session.exec(select(SyncJob).where(SyncJob.shipment_id == shipment_id)):
            job.status = status
            session.add(job)
    return shipment_id


def warnings(at) -> list[str]:
    return [w.value for w in at.warning]


def test_every_page_says_no_worker_is_sending_the_queue(app_as):
    queue_shipment()
    for role, page in (("admin", "connect"), ("operations", "send"), ("finance", "logs")):
        at = app_as(role, page)
        assert_clean(at, allow_errors=True)
        assert liveness.NO_WORKER in warnings(at), (role, page)


def test_a_live_worker_silences_the_warning(app_as):
    queue_shipment()
    liveness.beat(engine=get_engine(), worker_id="w1")
    at = app_as("operations", "send")
    assert liveness.NO_WORKER not in warnings(at)


def test_needs_attention_is_counted_with_a_retry_on_send_and_logs(app_as):
    shipment_id = queue_shipment(status=JobStatus.NEEDS_ATTENTION)
    logs = app_as("operations", "logs")
    assert any("1 shipment(s) need attention" in w for w in warnings(logs))
    at = app_as("operations", "send")
    assert any("1 shipment(s) need attention" in w for w in warnings(at))
    assert [m.value for m in at.metric if m.label == "Needs attention"] == ["1"]
    button(at, state.QUEUE_RETRY_ATTENTION).click().run()
    assert_clean(at, allow_errors=True)
    with session_scope() as session:
        assert queue.needing_attention(session=session) == []
        job = session.exec(select(SyncJob).where(SyncJob.shipment_id == shipment_id)).one()
    assert job.status == JobStatus.QUEUED
