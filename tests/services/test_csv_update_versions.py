"""A CSV update that also moves a shipment's status is one save (issue 15 items 4 and 10):
one version step and one audit record holding the field and the status changes, so a form
open on the shipment is told of both as one change. It queues the shipment at the trigger
status exactly as the Shipments page's status change does, and the result says per row what
happened: updated, unchanged, queued for Xero, or not queued because its cancellation waits.
Before, the import saved the fields and then changed the status: two version steps and two
audit records for one row. On SQLite, and on PostgreSQL with TEST_DATABASE_URL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import update
from sqlmodel import col, func, select

from models import (
    AuditEvent,
    JobKind,
    Shipment,
    ShipmentFields,
    ShipmentLineFields,
    SyncJob,
    SyncState,
)
from services import cli, csv_update, queue, shipment_edits, shipments, versions
from services.csv_import import import_shipments, parse_csv
from services.db import session_scope
from services.mapping import update_sync_settings
from tests.services.test_cancel_queue import queue_cancel
from tests.services.test_cancellation import sent
from tests.utils.factories import id_of, make_shipment

CSV = "shipment_number,incoterms,workflow_status\n"


def stored(engine, number: str) -> Shipment:
    with session_scope(engine) as session:
        return session.exec(select(Shipment).where(Shipment.shipment_number == number)).one()


def audit_of(engine, shipment_id: int, after_id: int) -> list[AuditEvent]:
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(AuditEvent)
                .where(AuditEvent.entity == "shipment", AuditEvent.entity_id == str(shipment_id))
                .where(col(AuditEvent.id) > after_id)
                .order_by(col(AuditEvent.id))
            )
        )


def last_audit_id(engine) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.max(col(AuditEvent.id)))).one() or 0


def send_jobs(engine, shipment_id: int) -> list[SyncJob]:
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(SyncJob).where(
                    SyncJob.shipment_id == shipment_id, SyncJob.kind == JobKind.SEND
                )
            )
        )


def csv_import(engine, text: str):
    with session_scope(engine) as session:
        preview = parse_csv(text, session=session, update_existing=True)
        assert preview.errors == []
        return import_shipments(session=session, preview=preview, user="ops")


def queue_at(engine, status: str, on: bool = True) -> None:
    with session_scope(engine) as session:
        update_sync_settings(
            session=session,
            user="admin",
            changes={"queue_on_trigger": on, "trigger_status": status},
        )


def test_fields_and_status_in_one_row_are_one_version_step_and_one_audit_record(engine):
    with session_scope(engine) as session:
        shipment = make_shipment(session, shipment_number="V-1", incoterms="FOB")
    before = stored(engine, "V-1")
    seen = last_audit_id(engine)

    result = csv_import(engine, f"{CSV}V-1,CIF,Booked\n")

    after = stored(engine, "V-1")
    assert (after.incoterms, after.workflow_status) == ("CIF", "Booked")
    assert after.version == before.version + 1
    [event] = audit_of(engine, id_of(shipment), seen)
    assert (event.actor, event.action) == ("ops", "edit")
    was, now = json.loads(event.before or "{}"), json.loads(event.after or "{}")
    assert (was["incoterms"], was["workflow_status"]) == ("FOB", "Draft")
    assert (now["incoterms"], now["workflow_status"], now["version"]) == (
        "CIF",
        "Booked",
        after.version,
    )
    # A form opened at the old version is told of both changes, as one save by "ops".
    with session_scope(engine) as session:
        [change] = versions.changes_since(
            session=session, shipment_id=id_of(shipment), version=before.version
        )
    assert (change.actor, change.what) == ("ops", ["incoterms FOB → CIF", "status Draft → Booked"])
    assert [o.sentence() for o in result.outcomes] == ["Row 2, V-1: updated."]


def test_a_status_alone_is_one_version_step_as_the_status_change_makes_it(engine):
    with session_scope(engine) as session:
        shipment = make_shipment(session, shipment_number="V-2", incoterms="FOB")
    before = stored(engine, "V-2")
    seen = last_audit_id(engine)
    csv_import(engine, f"{CSV}V-2,FOB,Packed\n")
    assert stored(engine, "V-2").version == before.version + 1
    [event] = audit_of(engine, id_of(shipment), seen)
    assert (event.action, json.loads(event.after or "{}")["status"]) == ("status", "Packed")


def moved_by_hand(engine, shipment_id: int, incoterms: str, status: str) -> bool:
    """What the Shipments page does (ui/shipment_save.py): save the form, then change the
    status. Whether the trigger status queued it."""
    with session_scope(engine) as session:
        saved = shipments.get_shipment(session=session, shipment_id=shipment_id)
        fields = {name: getattr(saved, name) for name in ShipmentFields.model_fields}
        shipment_edits.update_shipment(
            session=session,
            shipment_id=shipment_id,
            fields=ShipmentFields(**{**fields, "incoterms": incoterms}),
            lines=[ShipmentLineFields.model_validate(x, from_attributes=True) for x in saved.lines],
            user="ops",
        )
        moved = shipment_edits.change_status(
            session=session, shipment_ids=[shipment_id], status=status, user="ops"
        )
        return bool(moved.queued_numbers())


@pytest.mark.parametrize("queue_on_trigger", [True, False])
@pytest.mark.parametrize(("incoterms", "status"), [("CIF", "Shipped"), ("FOB", "Shipped"),
                                                   ("CIF", "Packed")])  # fmt: skip
def test_the_trigger_status_queues_a_csv_update_as_it_queues_a_status_change(
    engine, queue_on_trigger, incoterms, status
):
    """Twins: one moved on the page, one by the file (with or without a field change)."""
    queue_at(engine, "Shipped", on=queue_on_trigger)
    with session_scope(engine) as session:
        by_hand = make_shipment(session, shipment_number="HAND-1", incoterms="FOB")
        by_file = make_shipment(session, shipment_number="FILE-1", incoterms="FOB")
    by_hand_queued = moved_by_hand(engine, id_of(by_hand), incoterms, status)

    result = csv_import(engine, f"{CSV}FILE-1,{incoterms},{status}\n")

    queued = len(send_jobs(engine, id_of(by_file))) == 1
    assert queued == by_hand_queued == (queue_on_trigger and status == "Shipped")
    [outcome] = result.outcomes
    assert outcome.what == (csv_update.QUEUED if queued else csv_update.UPDATED)
    assert ("FILE-1 (row 2)" in (result.queued_text() or "")) == queued
    assert stored(engine, "FILE-1").workflow_status == status


def test_a_sent_shipment_edited_and_moved_to_the_trigger_is_queued_once_changed(engine):
    queue_at(engine, "Shipped")
    with session_scope(engine) as session:
        shipment = make_shipment(session, shipment_number="V-3", incoterms="FOB")
        shipment.sync_state = SyncState.PROCESSED
        session.add(shipment)
    result = csv_import(engine, f"{CSV}V-3,CIF,Shipped\n")
    assert stored(engine, "V-3").sync_state == SyncState.QUEUED  # changed since sent, so sent
    [job] = send_jobs(engine, id_of(shipment))
    assert job.trigger == "status"
    assert result.sentence() == (
        "Imported 0 new shipment(s), updated 1, left 0 unchanged (the file holds them as they "
        "are). Queued for Xero by the trigger status: V-3 (row 2)."
    )


def test_unchanged_rows_are_named_and_keep_their_version(engine):
    with session_scope(engine) as session:
        make_shipment(session, shipment_number="V-4", incoterms="FOB")
        make_shipment(session, shipment_number="V-5", incoterms="FOB")
    version = stored(engine, "V-4").version
    result = csv_import(engine, f"{CSV}V-4,FOB,Draft\nV-5,DAP,Draft\n")
    assert stored(engine, "V-4").version == version
    assert [o.sentence() for o in result.outcomes] == [
        "Row 2, V-4: unchanged (the file holds it as it is).",
        "Row 3, V-5: updated.",
    ]
    assert "Unchanged: V-4 (row 2)." in result.sentence()


def test_a_row_whose_cancellation_waits_is_updated_and_says_it_was_not_queued(
    engine, connected, sandbox
):
    shipment = sent(engine)
    queue_cancel(engine, shipment)
    queue_at(engine, "Delivered")
    with session_scope(engine) as session:
        session.exec(
            update(Shipment)
            .where(col(Shipment.id) == id_of(shipment))
            .values(sync_state=SyncState.CHANGED, workflow_status="Shipped")
        )
    before = stored(engine, shipment.shipment_number)
    number = shipment.shipment_number

    result = csv_import(engine, f"{CSV}{number},CIF,Delivered\n")

    after = stored(engine, number)
    assert (after.incoterms, after.workflow_status) == ("CIF", "Delivered")
    assert after.version == before.version + 1
    assert send_jobs(engine, id_of(shipment)) == []  # the waiting cancel job is left alone
    [outcome] = result.outcomes
    assert outcome.sentence() == (
        f"Row 2, {number}: updated; not queued for Xero at Delivered. {queue.CANCELLATION_WAITS}"
    )
    assert result.waiting_text() == (
        f"Not queued for Xero: {number} (row 2). {queue.CANCELLATION_WAITS}"
    )
    assert result.queued_text() is None


def test_the_cli_says_which_rows_the_trigger_status_queued(
    engine, logging_restored, capsys, tmp_path
):
    queue_at(engine, "Shipped")
    with session_scope(engine) as session:
        make_shipment(session, shipment_number="V-6", incoterms="FOB")
    path = tmp_path / "update.csv"
    path.write_text(f"{CSV}V-6,CIF,Shipped\n")
    assert cli.main(["import-shipments", str(path), "--update-existing"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1].endswith(". Queued for Xero by the trigger status: V-6 (row 2).")
    assert stored(engine, "V-6").version == 2
