"""The data versions the UI keeps its slow reads under (services/data_versions.py) change
with every write that changes what those reads return, in every way the app writes (ORM,
bulk UPDATE, compaction), on SQLite and PostgreSQL; reading leaves them as they are."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import update
from sqlmodel import col

from models import IntegrationLog, Shipment, ShipmentLine, XeroCreditNote, XeroPayment
from services import data_versions, finance_summary, integration_log
from services.db import session_scope
from tests.utils.factories import id_of, line, make_shipment


def shipments_version(engine) -> tuple:
    with session_scope(engine) as session:
        return data_versions.shipments(session=session)


def test_every_shipment_write_changes_the_shipments_version(engine):
    with session_scope(engine) as session:
        shipment_id = id_of(make_shipment(session, lines=[line()]))
    seen = [shipments_version(engine)]
    assert shipments_version(engine) == seen[-1]  # a read changes nothing

    def changed() -> None:
        now = shipments_version(engine)
        assert now not in seen, now
        seen.append(now)

    with session_scope(engine) as session:  # a bulk UPDATE, as the queue writes states
        session.exec(
            update(Shipment).where(col(Shipment.id) == shipment_id).values(sync_state="Queued")
        )
    changed()
    with session_scope(engine) as session:  # the ORM, as a send records its document
        shipment = session.get(Shipment, shipment_id)
        assert shipment is not None
        shipment.xero_document_id, shipment.xero_document_type = "doc-1", "invoice"
        session.add(shipment)
    changed()
    with session_scope(engine) as session:  # a payments pull
        shipment = session.get(Shipment, shipment_id)
        assert shipment is not None
        shipment.xero_amount_paid, shipment.xero_amount_due = Decimal("5"), Decimal("45")
        session.add(shipment)
    changed()
    with session_scope(engine) as session:  # a line's value
        session.add(
            ShipmentLine(
                shipment_id=shipment_id,
                product_code="WIDGET-B",
                quantity=Decimal("1"),
                unit_price=Decimal("3"),
                item_value=Decimal("3"),
            )
        )
    changed()
    finance_summary.compact(engine=engine)
    changed()
    with session_scope(engine) as session:
        session.delete(session.get(Shipment, shipment_id))
    changed()


def test_a_log_entry_changes_the_log_version(engine):
    with session_scope(engine) as session:
        shipment = make_shipment(session)
        before = data_versions.integration_log(session=session)
        integration_log.write(
            session=session,
            shipment_id=shipment.id,
            shipment_number=shipment.shipment_number,
            trigger="bulk",
            outcome="Rejected",
        )
    with session_scope(engine) as session:
        after = data_versions.integration_log(session=session)
        assert after != before
        assert session.get(IntegrationLog, after[0]) is not None


def test_credit_notes_and_payments_change_their_versions(engine):
    with session_scope(engine) as session:
        shipment_id = id_of(make_shipment(session))
        notes, paid = (
            data_versions.credit_notes(session=session),
            data_versions.payments(session=session),
        )
        assert notes[0] == 0 and paid[0] == 0
    with session_scope(engine) as session:
        session.add(
            XeroCreditNote(
                shipment_id=shipment_id,
                tenant_id="t1",
                credit_note_number="CN-1",
                total=Decimal("12.34"),
            )
        )
        session.add(
            XeroPayment(
                tenant_id="t1",
                payment_id="p-1",
                invoice_id="inv-1",
                shipment_id=shipment_id,
                amount=Decimal("1"),
                date=date(2026, 11, 1),
            )
        )
    with session_scope(engine) as session:
        assert data_versions.credit_notes(session=session) != notes
        assert data_versions.payments(session=session) != paid
