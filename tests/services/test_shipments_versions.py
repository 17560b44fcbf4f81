"""Issue 15 item 4, no lost update: every save raises the shipment's version; a save that
started from an older version is refused, saying who changed what and when; of two saves
started from one version exactly one wins (SQLite, and PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlmodel import col

from models import Shipment
from services import shipment_edits, shipments
from services.db import session_scope
from services.versions import StaleShipment
from tests.utils.factories import id_of, line, make_shipment, shipment_fields


def _new(engine) -> tuple[int, int]:
    with session_scope(engine) as session:
        shipment = make_shipment(
            session, shipment_number="V-1", exporter_reference="E", freight_amount=Decimal("10")
        )
        session.flush()
        return id_of(shipment), shipment.version


def _version(engine, shipment_id: int) -> int:
    with session_scope(engine) as session:
        return shipments.get_shipment(session=session, shipment_id=shipment_id).version


def _save(engine, shipment_id: int, expected: int, user: str, **changes) -> None:
    with session_scope(engine) as session:
        shipment_edits.update_shipment(
            session=session,
            shipment_id=shipment_id,
            fields=shipment_fields(shipment_number="V-1", exporter_reference="E", **changes),
            lines=[line()],
            user=user,
            expected_version=expected,
        )


def test_every_kind_of_save_raises_the_version_and_a_send_does_not(engine):
    shipment_id, first = _new(engine)
    _save(engine, shipment_id, first, "alice", freight_amount=Decimal("12"))
    edited = _version(engine, shipment_id)
    assert edited > first
    with session_scope(engine) as session:
        shipment_edits.change_status(
            session=session, shipment_ids=[shipment_id], status="Shipped", user="bob"
        )
    moved = _version(engine, shipment_id)
    assert moved > edited
    with session_scope(engine) as session:  # a send's outcome: Xero's columns only
        shipment = shipments.get_shipment(session=session, shipment_id=shipment_id)
        shipment.sync_state, shipment.xero_document_number = "Processed", "INV-1"
        session.add(shipment)
    assert _version(engine, shipment_id) == moved
    with session_scope(engine) as session:  # any other ORM path that edits a field
        shipment = shipments.get_shipment(session=session, shipment_id=shipment_id)
        shipment.incoterms = "CIF"
        session.add(shipment)
    assert _version(engine, shipment_id) > moved


def test_a_save_over_a_newer_version_is_refused_naming_who_what_and_when(engine):
    shipment_id, opened = _new(engine)
    _save(engine, shipment_id, opened, "alice", freight_amount=Decimal("25"))  # tab A
    with pytest.raises(StaleShipment) as refused:  # tab B, opened before A saved
        _save(engine, shipment_id, opened, "bob", freight_amount=Decimal("99"))
    message = str(refused.value)
    assert message.startswith("Not saved: V-1 was changed after you opened it — alice at ")
    assert "changed freight amount 10.00 → 25." in message  # and nothing else
    assert "Your input is kept" in message
    with session_scope(engine) as session:
        kept = shipments.get_shipment(session=session, shipment_id=shipment_id)
        assert kept.freight_amount == Decimal("25.00")


def test_a_status_change_confirmed_on_an_old_version_changes_nothing(engine):
    shipment_id, seen = _new(engine)
    _save(engine, shipment_id, seen, "alice", incoterms="CIF")
    with (
        pytest.raises(StaleShipment, match="incoterms FOB → CIF"),
        session_scope(engine) as session,
    ):
        shipment_edits.change_status(
            session=session,
            shipment_ids=[shipment_id],
            status="Cancelled",
            user="bob",
            expected_versions={shipment_id: seen},
        )
    with session_scope(engine) as session:
        assert shipments.get_shipment(session=session, shipment_id=shipment_id).workflow_status == (
            "Draft"
        )


def test_two_saves_from_one_version_at_once_exactly_one_wins(engine):
    shipment_id, opened = _new(engine)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(user: str, freight: str) -> None:
        try:
            with session_scope(engine) as session:
                barrier.wait(timeout=10)
                shipment_edits.update_shipment(
                    session=session,
                    shipment_id=shipment_id,
                    fields=shipment_fields(shipment_number="V-1", freight_amount=Decimal(freight)),
                    lines=[line()],
                    user=user,
                    expected_version=opened,
                )
            outcomes[user] = "saved"
        except StaleShipment:
            outcomes[user] = "refused"

    threads = [
        threading.Thread(target=save, args=("alice", "11")),
        threading.Thread(target=save, args=("bob", "22")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["refused", "saved"]
    winner = next(user for user, said in outcomes.items() if said == "saved")
    with session_scope(engine) as session:
        saved = shipments.get_shipment(session=session, shipment_id=shipment_id)
        assert saved.freight_amount == Decimal({"alice": "11.00", "bob": "22.00"}[winner])


def test_an_update_statement_that_skips_the_orm_does_not_fool_the_check(engine):
    """A writer that raises the version itself (as SQL) is seen like any other save."""
    shipment_id, opened = _new(engine)
    with session_scope(engine) as session:
        session.exec(
            update(Shipment)
            .where(col(Shipment.id) == shipment_id)
            .values(incoterms="DAP", version=Shipment.version + 1)
        )
    with pytest.raises(StaleShipment, match="changed meanwhile"):
        _save(engine, shipment_id, opened, "bob", incoterms="EXW")
