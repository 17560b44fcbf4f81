"""The bad-input corpus (tests/data/bad_csv) uploaded on the Shipments page's import: each
file's problems are listed with the row, column and sentence the service and the CLI give,
without a traceback, and nothing is written."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import func, select

from models import Shipment
from services.csv_import import read_csv
from services.db import session_scope
from services.shipments import ShipmentFilter
from tests.pages.helpers import (
    add_connection,
    assert_clean,
    mark_sent,
    shipment_by_number,
    texts,
)
from tests.utils.bad_csv import BROKEN, data, where
from ui import shipment_import, state

# Every broken file (encoding, quotes, header), and one of each other kind of problem.
ON_THE_PAGE = BROKEN + [
    "nul_byte.csv",
    "escape_character.csv",
    "exponent_overflow.csv",
    "nan_amount.csv",
    "decimal_comma.csv",
    "long_description.csv",
    "long_number.csv",
    "conflicting_status.csv",
    "conflicting_customer.csv",
    "day_31_02.csv",
    "extra_values.csv",
    "too_many_decimals_price.csv",
    # Issue 15: a long buyer code is named by row and column, never as internal text; the
    # organisation column's own problems likewise.
    "long_buyer_code.csv",
    "long_organisation.csv",
    "conflicting_organisation.csv",
    "line_break_in_organisation.csv",
]


def shipments() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(Shipment)).one()


@pytest.mark.parametrize("name", ON_THE_PAGE)
def test_a_bad_file_lists_its_problems_by_row_and_column_and_saves_nothing(app_as, name):
    at = app_as("operations", "shipments")
    before = shipments()
    at.file_uploader[0].upload(name, data(name), "text/csv")
    at.run()
    assert_clean(at, allow_errors=True)
    panel = at.get_by_key(state.IMPORT_PANEL)
    problems = panel.dataframe[-1].value
    expected = read_csv(data(name)).errors
    assert problems[["Row", "Column", "Problem"]].values.tolist() == [
        [e.row, e.column, e.message] for e in expected
    ]
    assert where(name) in [(e.row, e.column) for e in expected]
    assert any("nothing" in e.value for e in panel.error)
    assert shipments() == before


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_file_offers_no_import(app_as, name):
    at = app_as("operations", "shipments")
    at.file_uploader[0].upload(name, data(name), "text/csv")
    at.run()
    panel = at.get_by_key(state.IMPORT_PANEL)
    assert not panel.checkbox and not panel.button
    assert any("nothing can be imported" in e.value for e in panel.error)


def upload(at, name: str, text: str):
    at.file_uploader[0].upload(name, text.encode(), "text/csv")
    return at.run()


def test_an_existing_number_is_an_error_unless_update_mode_is_chosen(app_as):
    at = upload(
        app_as("operations", "shipments"), "u.csv", "shipment_number,incoterms\nSHP-1001,DAP\n"
    )
    assert_clean(at, allow_errors=True)
    panel = at.get_by_key(state.IMPORT_PANEL)
    problems = panel.dataframe[-1].value
    assert problems[["Row", "Column"]].values.tolist() == [[2, "shipment_number"]]
    assert "SHP-1001 already exists" in problems["Problem"][0]
    assert not at.toggle(key=state.IMPORT_UPDATE_MODE).value  # off unless chosen


def test_update_mode_shows_each_change_then_applies_it(app_as):
    before = shipment_by_number("SHP-1001")
    new_terms = "DAP" if before.incoterms != "DAP" else "CIF"
    at = app_as("operations", "shipments")
    at.toggle(key=state.IMPORT_UPDATE_MODE).set_value(True).run()
    at = upload(at, "u.csv", f"shipment_number,incoterms\nSHP-1001,{new_terms}\n")
    assert_clean(at)
    changes = at.get_by_key(state.IMPORT_CHANGES).dataframe[0].value
    assert changes.values.tolist() == [
        ["SHP-1001", 2, f"incoterms: {before.incoterms or '(empty)'} → {new_terms}"]
    ]
    assert "1 to update, 0 unchanged, 0 new. Nothing is saved until you import." in texts(at)
    assert shipment_by_number("SHP-1001").incoterms == before.incoterms  # not yet
    button = at.button(key=state.IMPORT_BUTTON)
    assert button.label == "Import 0 new, update 1"
    button.click().run()
    assert_clean(at)
    assert shipment_by_number("SHP-1001").incoterms == new_terms
    assert shipment_by_number("SHP-1001").buyer_code == before.buyer_code  # left out: kept
    said = [s.value for s in at.get_by_key(state.IMPORT_PANEL).success]
    assert said == [
        "Imported 0 new shipment(s), updated 1, left 0 unchanged (the file holds them as they are)."
    ]


def test_an_unknown_organisation_is_named_by_row_and_column(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    at = upload(
        app_as("operations", "shipments"),
        "o.csv",
        "shipment_number,organisation\nORG-1,Demo Exports Ltd\nORG-2,Elsewhere Ltd\n",
    )
    assert_clean(at, allow_errors=True)
    problems = at.get_by_key(state.IMPORT_PANEL).dataframe[-1].value
    assert problems.values.tolist() == [
        [
            3,
            "organisation",
            "'Elsewhere Ltd' is not a connected Xero organisation: use one of Demo Exports Ltd "
            "(as the Connect page names them), or leave it empty for the default organisation",
        ]
    ]


def test_the_export_holds_sync_state_xero_number_link_and_organisation(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1", short_code="!demo1")
    app_as("operations", "shipments")  # the seeded database the page reads
    mark_sent("SHP-1001", "INV-0101", total="210.00", tenant_id="t1")
    exported = shipment_import.export_text(ShipmentFilter(), sort="number", descending=False)
    rows = {r["shipment_number"]: r for r in csv.DictReader(io.StringIO(exported))}
    sent, unsent = rows["SHP-1001"], rows["SHP-1002"]
    assert (sent["sync_state"], sent["xero_number"], sent["organisation"]) == (
        "Processed",
        "INV-0101",
        "Demo Exports Ltd",
    )
    document_id = shipment_by_number("SHP-1001").xero_document_id
    assert sent["xero_link"].startswith("http") and document_id in sent["xero_link"]
    assert (unsent["sync_state"], unsent["xero_number"], unsent["xero_link"]) == (
        "Not sent",
        "",
        "",
    )
    assert read_csv(exported).errors == []  # it imports back as it is
