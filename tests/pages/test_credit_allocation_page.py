"""What the shipment's page says while its cancellation's credit note is in Xero but not
allocated to the invoice (the allocation failed and waits in the queue, or tried too often).
The real calls, faults and retries are tested in tests/services/test_credit_note_recovery.py."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from models import JobKind, JobStatus, SyncJob, XeroCreditNote, utcnow
from services.db import session_scope
from tests.pages.helpers import assert_clean, mark_sent, texts
from ui import state

TENANT = "tenant-Demo Exports Ltd"
LAST_TRY = "Xero is unavailable (HTTP 503)."


def waiting_credit(shipment_id: int, status: str) -> None:
    """A credit job queued a minute ago whose credit note is raised but not allocated."""
    queued = utcnow() - timedelta(minutes=1)
    with session_scope() as session:
        session.add(
            SyncJob(
                shipment_id=shipment_id,
                tenant_id=TENANT,
                trigger="cancel",
                kind=JobKind.CANCEL,
                cancel_action="credit",
                status=status,
                attempts=1,
                last_error=LAST_TRY,
                created_at=queued,
            )
        )
        session.add(
            XeroCreditNote(
                shipment_id=shipment_id,
                tenant_id=TENANT,
                credit_note_id="cn-1",
                credit_note_number="INV-0031-CN1",
                status="AUTHORISED",
                total=Decimal("100.00"),
                allocated=Decimal(0),
                remaining=Decimal("100.00"),
            )
        )


def open_shipment(app_as, shipment_id: int):
    at = app_as("operations", "shipments")
    at.selectbox(key=state.OPEN_SHIPMENT).set_value(shipment_id).run()
    return at


def test_an_allocation_waiting_in_the_queue_is_said_on_the_shipment(app_as):
    sid = mark_sent(
        "SHP-1001", "INV-0031", total="100.00", paid="40.00", workflow_status="Cancelled"
    )
    waiting_credit(sid, JobStatus.QUEUED)
    at = open_shipment(app_as, sid)
    assert_clean(at)
    shown = texts(at)
    assert (
        "Credit note INV-0031-CN1 is in Xero; allocating it to the invoice waits in the queue "
        "and is tried again automatically (no second credit note is raised)." in shown
    )
    assert f"The last try said: {LAST_TRY}" in shown
    # No new choice is offered while it waits: a second credit note cannot be asked for.
    assert "what should happen in Xero?" not in shown


def test_an_allocation_tried_too_often_says_press_retry(app_as):
    sid = mark_sent(
        "SHP-1002", "INV-0031", total="100.00", paid="40.00", workflow_status="Returned"
    )
    waiting_credit(sid, JobStatus.NEEDS_ATTENTION)
    at = open_shipment(app_as, sid)
    assert_clean(at)
    shown = texts(at)
    assert "Credit note INV-0031-CN1 is in Xero but not allocated to the invoice: tried too " in (
        shown
    )
    assert "Press Retry (Needs attention) on Accounting Logs or Send to Accounting" in shown
