"""The bad-input corpus (tests/data/bad_csv) against the import service, on SQLite and on
PostgreSQL: each bad file is refused with an error naming its row and column, writes
nothing, and gets the same verdict on both databases (the database-free reading's)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import col, func, select

from models import AuditEvent, Shipment, ShipmentLine, SyncState
from services.csv_import import ImportError_, import_shipments, parse_csv, read_csv
from services.db import session_scope
from services.shipment_edits import create_shipment
from tests.utils.bad_csv import (
    ACCEPTED,
    BAD,
    BROKEN,
    CORPUS,
    EXPECTED,
    NAMED,
    NO_SHIPMENTS,
    data,
    where,
)


def written(engine) -> tuple[int, int, int]:
    """Shipments, lines and audit events in the database."""
    with session_scope(engine) as session:
        return tuple(  # type: ignore[return-value]
            session.exec(select(func.count()).select_from(table)).one()
            for table in (Shipment, ShipmentLine, AuditEvent)
        )


def test_the_corpus_has_forty_bad_files_each_in_the_manifest():
    files = {p.name for p in CORPUS.glob("*.csv")}
    assert files == set(EXPECTED)
    assert len(BAD) >= 40
    assert set(BROKEN) <= set(NAMED)


@pytest.mark.parametrize("name", NAMED)
def test_a_bad_file_names_its_row_and_column_and_writes_nothing(engine, name):
    with session_scope(engine) as session:
        preview = parse_csv(data(name), session=session)
        with pytest.raises(ImportError_, match="nothing was imported"):
            import_shipments(session=session, preview=preview, user="test")
    said = EXPECTED[name]["says"]
    assert [(e.row, e.column) for e in preview.errors if said in e.message][:1] == [where(name)]
    # The same verdict on every database: the one the file gives by itself.
    assert [str(e) for e in preview.errors] == [str(e) for e in read_csv(data(name)).errors]
    assert written(engine) == (0, 0, 0)


@pytest.mark.parametrize("name", NO_SHIPMENTS)
def test_a_file_without_shipments_is_refused_as_a_whole(engine, name):
    with session_scope(engine) as session:
        preview = parse_csv(data(name), session=session)
        with pytest.raises(ImportError_, match="has no shipments"):
            import_shipments(session=session, preview=preview, user="test")
    assert preview.is_empty
    assert written(engine) == (0, 0, 0)


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_file_imports_nothing_even_when_only_good_rows_are_asked_for(engine, name):
    with session_scope(engine) as session:
        preview = parse_csv(data(name), session=session)
        with pytest.raises(ImportError_, match="nothing was imported"):
            import_shipments(session=session, preview=preview, user="test", only_good_rows=True)
    assert preview.good_shipments == []
    assert written(engine) == (0, 0, 0)


@pytest.mark.parametrize("name", ACCEPTED)
def test_a_file_that_is_fine_imports_every_shipment(engine, name):
    with session_scope(engine) as session:
        preview = parse_csv(data(name), session=session)
        result = import_shipments(session=session, preview=preview, user="test")
    assert preview.errors == []
    expected = EXPECTED[name]["shipments"]
    assert result.imported == expected
    assert written(engine) == (expected, sum(len(p.lines) for p in preview.shipments), expected)


def test_formula_looking_text_is_stored_as_text(engine):
    with session_scope(engine) as session:
        import_shipments(
            session=session, preview=parse_csv(data("formula_text.csv"), session=session), user="t"
        )
    with session_scope(engine) as session:
        lines = session.exec(select(ShipmentLine).order_by(col(ShipmentLine.id))).all()
        assert [(x.product_code, x.description) for x in lines] == [
            ("WIDGET-A", '=HYPERLINK("http://evil.example","x")'),
            ("@SUM(A1)", "+cmd|' /C calc'!A0"),
        ]


def test_an_imported_shipment_is_saved_as_one_created_on_the_page(engine):
    text = (
        "shipment_number,buyer_code,currency,due_date,workflow_status,product_code,quantity,"
        "unit_price,item_value\n"
        "IMP-1,ACME,USD,2026-12-01,Shipped,WIDGET-A,4,12.50,50.00\n"
        "IMP-1,,,,,CRATE,1,45,45\n"
    )
    with session_scope(engine) as session:
        import_shipments(session=session, preview=parse_csv(text, session=session), user="ann")
    with session_scope(engine) as session:
        shipment = session.exec(select(Shipment)).one()
        assert (shipment.number_key, shipment.workflow_status, shipment.sync_state) == (
            "imp-1",
            "Shipped",
            SyncState.NOT_SENT,
        )
        assert shipment.created_at is not None and shipment.claim_fence == 0
        assert [(x.line_no, x.product_code, x.item_value) for x in shipment.lines] == [
            (1, "WIDGET-A", Decimal("50.00")),
            (2, "CRATE", Decimal("45")),
        ]
        event = session.exec(select(AuditEvent)).one()
        assert (event.actor, event.action, event.entity_id) == ("ann", "create", str(shipment.id))


def test_a_number_created_after_the_preview_makes_the_import_write_nothing(engine):
    text = "shipment_number,buyer_code\nRACE-1,ACME\nRACE-2,ACME\n"
    with session_scope(engine) as session:
        preview = parse_csv(text, session=session)
    with session_scope(engine) as session:
        [race] = [p for p in preview.shipments if p.fields.shipment_number == "RACE-2"]
        create_shipment(session=session, fields=race.fields, lines=[], user="other")
    with (
        session_scope(engine) as session,
        pytest.raises(ImportError_, match=r"created since it was read \(RACE-2\)"),
    ):
        import_shipments(session=session, preview=preview, user="test")
    assert written(engine) == (1, 0, 1)
