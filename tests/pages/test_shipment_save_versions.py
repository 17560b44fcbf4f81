"""Saving the Shipments form with a field and a status changed is one save (issue 15 item 4):
one version step and one audit record holding both changes, so a form open elsewhere is told
of both as one change; at the trigger status it queues exactly as a status change does, and
says so. Before, the page saved the fields, then changed the status: two version steps and
two audit records. On SQLite, and on PostgreSQL with TEST_DATABASE_URL (the `engine`
fixture: an empty migrated database, here with the demo users and one shipment)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlmodel import col, select

from models import AuditEvent, JobKind, Shipment, SyncJob
from services import versions
from services.db import session_scope
from services.mapping import update_sync_settings
from services.users import ensure_demo_users
from tests.pages.conftest import logged_in_as, new_app
from tests.pages.helpers import add_connection, assert_clean, set_sync_state
from tests.pages.test_shipments_issue15 import field, open_by_row
from tests.utils.factories import id_of, make_shipment
from ui import state

NUMBER = "SAVE-1"


@pytest.fixture
def shipment_id(engine) -> int:
    """One Packed shipment with no organisation of its own, and the demo users."""
    with session_scope(engine) as session:
        ensure_demo_users(session=session)
        return id_of(make_shipment(session, shipment_number=NUMBER, status="Packed"))


def opened():
    at = new_app()
    logged_in_as(at, "operations")
    at.switch_page("pages/shipments.py")
    return open_by_row(at.run(), NUMBER)


def stored(shipment_id: int) -> Shipment:
    with session_scope() as session:
        shipment = session.get(Shipment, shipment_id)
        assert shipment is not None
        return shipment


def audit_after(shipment_id: int, version: int) -> list[AuditEvent]:
    """The shipment's audit records that made a version after `version`."""
    with session_scope() as session:
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "shipment", AuditEvent.entity_id == str(shipment_id))
            .order_by(col(AuditEvent.id))
        ).all()
    return [e for e in events if json.loads(e.after or "{}").get("version", 0) > version]


def changes_since(shipment_id: int, version: int) -> list[versions.Change]:
    with session_scope() as session:
        return versions.changes_since(session=session, shipment_id=shipment_id, version=version)


def send_jobs(shipment_id: int) -> int:
    with session_scope() as session:
        return len(
            session.exec(
                select(SyncJob).where(
                    SyncJob.shipment_id == shipment_id, SyncJob.kind == JobKind.SEND
                )
            ).all()
        )


def status_box(at, shipment_id: int, version: int):
    return at.selectbox(key=f"edit{shipment_id}v{version}_status")


def save(at, shipment_id: int, *, freight: str | None, status: str):
    version = stored(shipment_id).version
    if freight is not None:
        field(at, "Freight amount").input(freight)
    status_box(at, shipment_id, version).set_value(status)
    return at.button(key=state.SAVE_SHIPMENT).click().run()


def test_a_field_and_a_status_saved_together_are_one_version_and_one_audit_record(shipment_id):
    before = stored(shipment_id).version
    at = save(opened(), shipment_id, freight="75.00", status="Shipped")
    assert_clean(at)
    assert f"Saved {NUMBER}." in [s.value for s in at.success]
    after = stored(shipment_id)
    assert (after.freight_amount, after.workflow_status) == (Decimal("75.00"), "Shipped")
    assert after.version == before + 1
    [record] = audit_after(shipment_id, before)
    assert json.loads(record.after or "{}")["version"] == before + 1
    # What a form opened before this save is told: one change, naming both.
    [change] = changes_since(shipment_id, before)
    assert change.actor == "operations"
    assert "status Packed → Shipped" in change.what
    assert any(w.startswith("freight amount") and "75" in w for w in change.what), change.what
    assert send_jobs(shipment_id) == 0  # no setting queues at Shipped
    assert not [i.value for i in at.info if "Queued for Xero" in i.value]


def test_a_save_that_reaches_the_trigger_status_queues_it_once_and_says_so(shipment_id):
    # The default organisation's own settings queue at Shipped: a shipment with no
    # organisation of its own follows them (issue 15 item 2).
    add_connection("Default Ltd", tenant_id="t-default", is_default=True)
    with session_scope() as session:
        update_sync_settings(
            session=session,
            user="admin",
            tenant_id="t-default",
            changes={"queue_on_trigger": True, "trigger_status": "Shipped"},
        )
    before = stored(shipment_id).version
    at = save(opened(), shipment_id, freight="80.00", status="Shipped")
    assert_clean(at)
    assert "Queued for Xero: Shipped is the trigger status." in [i.value for i in at.info]
    assert send_jobs(shipment_id) == 1
    assert stored(shipment_id).version == before + 1
    assert len(audit_after(shipment_id, before)) == 1


def test_the_status_alone_is_one_step_and_leaves_a_sent_shipment_as_sent(shipment_id):
    # A status is not what Xero holds: moving a sent shipment does not mark it "changed
    # since sent", as the bulk status change does not.
    set_sync_state([NUMBER], "Processed")
    before = stored(shipment_id).version
    at = save(opened(), shipment_id, freight=None, status="Delivered")
    assert_clean(at)
    after = stored(shipment_id)
    assert (after.workflow_status, after.sync_state) == ("Delivered", "Processed")
    assert after.version == before + 1
    [change] = changes_since(shipment_id, before)
    assert change.what == ["status Packed → Delivered"]


def test_a_field_alone_is_one_step_and_keeps_the_status(shipment_id):
    before = stored(shipment_id).version
    at = save(opened(), shipment_id, freight="90.00", status="Packed")
    assert_clean(at)
    after = stored(shipment_id)
    assert (after.freight_amount, after.workflow_status) == (Decimal("90.00"), "Packed")
    assert after.version == before + 1
    [change] = changes_since(shipment_id, before)
    assert not [w for w in change.what if w.startswith("status")]
