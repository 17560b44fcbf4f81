"""CSV import, issue 15 item 10: the organisation column, "update existing shipments" as an
explicit mode with a preview of each change (field: old → new) before anything is saved,
and the export with sync state, Xero number and Xero link. On SQLite, and on PostgreSQL when
TEST_DATABASE_URL is set."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from sqlmodel import select

from models import AuditEvent, Shipment, SyncState, XeroConnection
from services import cli
from services.csv_import import ImportError_, export_csv, import_shipments, parse_csv, read_csv
from services.db import session_scope
from services.shipment_edits import update_shipment
from services.shipments import list_shipments
from tests.utils.factories import id_of, line, make_shipment, shipment_fields

HEADER = (
    "shipment_number,buyer_code,currency,exchange_rate,invoice_date,due_date,incoterms,"
    "workflow_status,product_code,description,quantity,unit_price,item_value"
)

ROW = "ACME,USD,0.59,2026-11-01,2026-12-01,FOB,Draft,WIDGET-A,,4,12.50,50.00"


def saved(engine, number: str) -> Shipment:
    with session_scope(engine) as session:
        shipment = session.exec(select(Shipment).where(Shipment.shipment_number == number)).one()
        shipment.lines  # noqa: B018 - loaded before the session closes
        return shipment


def add_organisation(session, tenant_id: str, name: str) -> None:
    session.add(XeroConnection(tenant_id=tenant_id, tenant_name=name, base_currency="NZD"))
    session.flush()


def test_an_existing_number_without_update_mode_is_an_error_naming_its_row(engine):
    with session_scope(engine) as session:
        make_shipment(session, shipment_number="U-1")
    text = f"{HEADER}\nU-1,ACME,USD,0.59,2026-11-01,2026-12-01,FOB,Draft,WIDGET-A,,4,12.50,50.00\n"
    with session_scope(engine) as session:
        preview = parse_csv(text, session=session)
    assert [str(e) for e in preview.errors] == [
        "Row 2, shipment_number: shipment U-1 already exists: remove the row or change the number"
    ]


def test_update_mode_previews_each_change_and_saves_nothing_until_imported(engine):
    with session_scope(engine) as session:
        make_shipment(session, shipment_number="U-2", incoterms="FOB")
    before = saved(engine, "U-2")
    text = (
        "shipment_number,incoterms,product_code,quantity,unit_price,item_value\n"
        "U-2,CIF,WIDGET-B,5,10.00,50.00\n"
        "NEW-1,FOB,WIDGET-A,1,2.00,2.00\n"
    )
    with session_scope(engine) as session:
        preview = parse_csv(text, session=session, update_existing=True)
    assert preview.errors == []
    update, new = preview.shipments
    assert update.existing_id == before.id and new.existing_id is None
    assert update.changes == [
        "incoterms: FOB → CIF",
        "lines: WIDGET-A × 4 @ 12.5 = 50 → WIDGET-B × 5 @ 10 = 50",
    ]
    assert saved(engine, "U-2").incoterms == "FOB"  # a preview saves nothing

    with session_scope(engine) as session:
        result = import_shipments(session=session, preview=preview, user="ops")
    assert (result.imported, result.updated, result.unchanged) == (1, 1, 0)
    assert result.sentence() == (
        "Imported 1 new shipment(s), updated 1, left 0 unchanged (the file holds them as they are)."
    )
    after = saved(engine, "U-2")
    assert after.incoterms == "CIF"
    # Columns the file leaves out are kept as they were.
    assert (after.buyer_code, after.currency, after.due_date) == (
        before.buyer_code,
        before.currency,
        before.due_date,
    )
    assert [(x.product_code, x.quantity) for x in after.lines] == [("WIDGET-B", Decimal("5"))]
    assert after.version > before.version  # a new version: a form open on it cannot overwrite it
    with session_scope(engine) as session:
        edits = session.exec(
            select(AuditEvent).where(
                AuditEvent.entity_id == str(before.id), AuditEvent.action == "edit"
            )
        ).all()
    assert [e.actor for e in edits] == ["ops"]


def test_a_sent_shipment_updated_by_csv_becomes_changed_since_sent(engine):
    with session_scope(engine) as session:
        shipment = make_shipment(session, shipment_number="U-3")
        shipment.sync_state = SyncState.PROCESSED
        session.add(shipment)
    text = "shipment_number,incoterms\nU-3,DAP\n"
    with session_scope(engine) as session:
        preview = parse_csv(text, session=session, update_existing=True)
        import_shipments(session=session, preview=preview, user="ops")
    assert saved(engine, "U-3").sync_state == SyncState.CHANGED


def test_an_unchanged_shipment_is_left_as_it_is(engine):
    with session_scope(engine) as session:
        make_shipment(session, shipment_number="U-4", incoterms="FOB")
    version = saved(engine, "U-4").version
    with session_scope(engine) as session:
        preview = parse_csv("shipment_number,incoterms\nU-4,FOB\n", session=session,
                            update_existing=True)  # fmt: skip
        result = import_shipments(session=session, preview=preview, user="ops")
    assert preview.shipments[0].changes == []
    assert (result.imported, result.updated, result.unchanged) == (0, 0, 1)
    assert saved(engine, "U-4").version == version


def test_a_shipment_saved_after_the_preview_is_not_overwritten(engine):
    with session_scope(engine) as session:
        shipment = make_shipment(session, shipment_number="U-5", incoterms="FOB")
        shipment_id = id_of(shipment)
    with session_scope(engine) as session:
        preview = parse_csv("shipment_number,incoterms\nU-5,CIF\n", session=session,
                            update_existing=True)  # fmt: skip
    with session_scope(engine) as session:  # someone saves it meanwhile
        update_shipment(
            session=session,
            shipment_id=shipment_id,
            fields=shipment_fields(shipment_number="U-5", incoterms="EXW"),
            lines=[line()],
            user="someone",
        )
    stale = r"^Row 2, shipment_number: shipment U-5 was changed by someone else"
    with pytest.raises(ImportError_, match=stale), session_scope(engine) as session:
        import_shipments(session=session, preview=preview, user="ops")
    assert saved(engine, "U-5").incoterms == "EXW"


def test_the_organisation_column_sets_the_shipments_organisation(engine):
    with session_scope(engine) as session:
        add_organisation(session, "t-eu", "Demo Europe GmbH")
    text = (
        f"{HEADER},organisation\n"
        f"O-1,{ROW},demo europe gmbh\n"  # the name as the Connect page shows it, any case
        f"O-2,{ROW},\n"
    )
    with session_scope(engine) as session:
        preview = parse_csv(text, session=session)
        assert preview.errors == []
        import_shipments(session=session, preview=preview, user="ops")
    assert saved(engine, "O-1").tenant_id == "t-eu"
    assert saved(engine, "O-2").tenant_id is None  # empty: the default organisation


def test_an_unknown_organisation_names_its_row_and_column_and_the_known_ones(engine):
    with session_scope(engine) as session:
        add_organisation(session, "t-eu", "Demo Europe GmbH")
    text = f"{HEADER},organisation\nO-3,{ROW},Nowhere Ltd\n"
    with session_scope(engine) as session:
        preview = parse_csv(text, session=session)
        with pytest.raises(ImportError_, match="nothing was imported"):
            import_shipments(session=session, preview=preview, user="ops")
    assert [str(e) for e in preview.errors] == [
        "Row 2, organisation: 'Nowhere Ltd' is not a connected Xero organisation: use one of "
        "Demo Europe GmbH (as the Connect page names them), or leave it empty for the default "
        "organisation"
    ]


def test_update_mode_moves_a_shipment_to_another_organisation(engine):
    with session_scope(engine) as session:
        add_organisation(session, "t-eu", "Demo Europe GmbH")
        make_shipment(session, shipment_number="O-4")
    with session_scope(engine) as session:
        preview = parse_csv("shipment_number,organisation\nO-4,Demo Europe GmbH\n",
                            session=session, update_existing=True)  # fmt: skip
        assert preview.shipments[0].changes == ["organisation: (empty) → Demo Europe GmbH"]
        import_shipments(session=session, preview=preview, user="ops")
    assert saved(engine, "O-4").tenant_id == "t-eu"


def test_export_has_sync_state_xero_number_link_and_organisation_and_reads_back(engine):
    with session_scope(engine) as session:
        add_organisation(session, "t-eu", "Demo Europe GmbH")
        shipment = make_shipment(session, shipment_number="E-1", tenant_id="t-eu")
        shipment.sync_state = SyncState.PROCESSED
        shipment.xero_document_number = "INV-0042"
        shipment.xero_document_id = "doc-42"
        session.add(shipment)
    with session_scope(engine) as session:
        rows = list_shipments(session=session, page_size=10).rows
        exported = export_csv(
            rows,
            organisations={"t-eu": "Demo Europe GmbH"},
            link=lambda s: f"https://go.xero.com/doc/{s.xero_document_id}",
        )
    [row] = list(csv.DictReader(io.StringIO(exported)))
    assert (row["sync_state"], row["xero_number"], row["xero_link"], row["organisation"]) == (
        "Processed",
        "INV-0042",
        "https://go.xero.com/doc/doc-42",
        "Demo Europe GmbH",
    )
    again = read_csv(exported)  # the import ignores the three Xero columns
    assert again.errors == []
    assert again.shipments[0].organisation == "Demo Europe GmbH"


def cli_says(capsys, path, *flags: str) -> tuple[int, list[str], list[str]]:
    code = cli.main(["import-shipments", str(path), *flags])
    out = capsys.readouterr()
    said = [line for line in out.err.splitlines() if not line.startswith("{")]
    return code, said, out.out.splitlines()


def test_the_cli_update_mode_prints_each_change_as_the_preview_lists_it(
    engine, logging_restored, capsys, tmp_path
):
    with session_scope(engine) as session:
        make_shipment(session, shipment_number="C-1", incoterms="FOB")
    path = tmp_path / "update.csv"
    path.write_text("shipment_number,incoterms\nC-1,CIF\n")
    with session_scope(engine) as session:
        preview = parse_csv(path.read_bytes(), session=session, update_existing=True)
    code, said, out = cli_says(capsys, path, "--update-existing")
    assert (code, said) == (0, [])
    assert out == [
        f"Row 2, C-1: {preview.shipments[0].changes[0]}",
        "Imported 0 new shipment(s), updated 1, left 0 unchanged (the file holds them as they "
        "are).",
    ]
    assert saved(engine, "C-1").incoterms == "CIF"


def test_the_cli_without_update_mode_refuses_an_existing_number_with_exit_2(
    engine, logging_restored, capsys, tmp_path
):
    with session_scope(engine) as session:
        make_shipment(session, shipment_number="C-2")
    path = tmp_path / "again.csv"
    path.write_text("shipment_number,incoterms\nC-2,CIF\n")
    code, said, out = cli_says(capsys, path)
    assert code == 2
    assert said[0] == (
        "Row 2, shipment_number: shipment C-2 already exists: remove the row or change the number"
    )
    assert "nothing was imported" in said[-1]
    assert out == []


def test_the_cli_names_an_unknown_organisation_as_the_page_does(
    engine, logging_restored, capsys, tmp_path
):
    with session_scope(engine) as session:
        add_organisation(session, "t-eu", "Demo Europe GmbH")
    path = tmp_path / "organisation.csv"
    path.write_text(f"{HEADER},organisation\nC-3,{ROW},Nowhere Ltd\n")
    with session_scope(engine) as session:
        expected = [str(e) for e in parse_csv(path.read_bytes(), session=session).errors]
    code, said, _ = cli_says(capsys, path)
    assert code == 2
    assert expected and said[: len(expected)] == expected
    assert expected[0].startswith("Row 2, organisation: 'Nowhere Ltd' is not a connected")
