"""One save is one version step (issue 15 item 4 leftover): a form save and a CSV update each
raise a shipment's version by exactly 1, whether they change fields, lines or both (SQLite, and
PostgreSQL with TEST_DATABASE_URL). Before, update_shipment flushed twice and the before_update
hook in models/shipment.py counted both flushes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select

from models import Shipment
from services import shipment_edits
from services.csv_import import import_shipments, parse_csv
from services.db import session_scope
from tests.utils.factories import id_of, line, make_shipment, shipment_fields


def _saved(engine, number: str) -> tuple[int, int, list[tuple[str | None, Decimal | None]]]:
    with session_scope(engine) as session:
        found = session.exec(select(Shipment).where(Shipment.shipment_number == number)).one()
        return id_of(found), found.version, [(x.product_code, x.quantity) for x in found.lines]


@pytest.mark.parametrize(
    ("changes", "lines"),
    [
        ({"incoterms": "CIF"}, None),  # a field only
        ({}, [line(product_code="WIDGET-B", quantity="3")]),  # the lines only
        ({"incoterms": "DAP"}, [line(product_code="WIDGET-B")]),  # both
    ],
)
def test_a_form_save_raises_the_version_by_one(engine, changes, lines):
    with session_scope(engine) as session:
        make_shipment(session, shipment_number="ONE-1", exporter_reference="E", incoterms="FOB")
    shipment_id, before, _ = _saved(engine, "ONE-1")
    with session_scope(engine) as session:
        shipment_edits.update_shipment(
            session=session,
            shipment_id=shipment_id,
            fields=shipment_fields(
                shipment_number="ONE-1", exporter_reference="E", **{"incoterms": "FOB", **changes}
            ),
            lines=lines or [line()],
            user="ops",
            expected_version=before,
        )
    _, after, _ = _saved(engine, "ONE-1")
    assert after == before + 1


def test_a_csv_update_raises_the_version_by_one_and_replaces_the_lines(engine):
    with session_scope(engine) as session:
        make_shipment(session, shipment_number="ONE-2", incoterms="FOB")
    _, before, _ = _saved(engine, "ONE-2")
    text = (
        "shipment_number,incoterms,product_code,quantity,unit_price,item_value\n"
        "ONE-2,CIF,WIDGET-B,5,10.00,50.00\n"
    )
    with session_scope(engine) as session:
        preview = parse_csv(text, session=session, update_existing=True)
        result = import_shipments(session=session, preview=preview, user="ops")
    assert result.updated == 1
    _, after, lines = _saved(engine, "ONE-2")
    assert after == before + 1
    assert lines == [("WIDGET-B", Decimal("5"))]
