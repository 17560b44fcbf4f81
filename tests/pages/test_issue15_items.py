"""Issue 15's items where no page test yet did what a user does (click, type, upload) and
read what the page then shows: a shipment with no organisation moved to the trigger status
on the Shipments page (item 2); Enter in Mapping → Customers (item 5); the Dashboard's
customer table never says "None" (item 10); and the CSV import's errors by row and column
with no internal text, and its update mode saying per row what happened, queued for Xero
included (item 10)."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from models import CustomerMapping, Shipment, SyncJob
from services.db import session_scope
from services.mapping import get_sync_settings, update_sync_settings
from tests.pages.helpers import (
    add_connection,
    add_reference_data,
    assert_clean,
    mark_sent,
    open_tab,
    select_rows,
    shipment_by_number,
    table_in,
    texts,
)
from tests.utils.factories import id_of, make_shipment
from ui import state

# Words that only the code's insides would say: a page never shows them to a user.
INTERNAL = (
    "Traceback",
    "Error(",
    "Exception",
    "InvalidOperation",
    "ValueError",
    "Decimal(",
    "sqlalchemy",
    "sqlite3",
    "psycopg",
    "IntegrityError",
    "DataError",
    "StringDataRightTruncation",
    "value too long",
    "<class",
    "NoneType",
)


def queue_at_shipped_in_the_default_organisations_own_settings() -> None:
    """The issue's case: the switch on in the default organisation's own settings; Every
    organisation keeps it off."""
    add_connection("Default Ltd", tenant_id="t-default", is_default=True)
    with session_scope() as session:
        update_sync_settings(
            session=session,
            user="admin",
            tenant_id="t-default",
            changes={"queue_on_trigger": True, "trigger_status": "Shipped"},
        )


def jobs_for(shipment_id: int) -> int:
    with session_scope() as session:
        return session.exec(
            select(func.count()).select_from(SyncJob).where(SyncJob.shipment_id == shipment_id)
        ).one()


def shipments() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(Shipment)).one()


def upload(at, name: str, text: str):
    at.file_uploader[0].upload(name, text.encode(), "text/csv")
    return at.run()


# --- 2: auto-sync by status for a shipment with no organisation ---------------------------


def test_a_shipment_with_no_organisation_moved_to_shipped_on_the_page_is_queued(app_as):
    queue_at_shipped_in_the_default_organisations_own_settings()
    with session_scope() as session:
        shipment_id = id_of(make_shipment(session, shipment_number="AUTO-1", status="Packed"))
    at = app_as("operations", "shipments")
    at.text_input(key=state.SHIP_SEARCH).input("AUTO-1").run()
    at = select_rows(at, [0])
    at.selectbox(key=state.BULK_STATUS).set_value("Shipped")
    at.button(key=state.CHANGE_STATUS).click().run()
    assert jobs_for(shipment_id) == 0  # asked first, nothing done yet
    at.button(key=state.BULK_CONFIRM_BUTTON).click().run()
    assert_clean(at)
    assert "1 shipment(s) moved to Shipped: AUTO-1." in [s.value for s in at.success]
    assert "Queued for Xero by the trigger status: AUTO-1." in [i.value for i in at.info]
    assert jobs_for(shipment_id) == 1
    assert shipment_by_number("AUTO-1").tenant_id is None  # still none of its own


# --- 5: Enter never discards typed input --------------------------------------------------


def test_enter_in_mapping_customers_keeps_the_typed_code(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    at = open_tab(app_as("admin", "mapping"), state.MAPPING_TABS, "Customers")
    at.text_input(key=f"{state.CUSTOMER_MAP_FORM}_code_new").input("ALOK")
    # Enter in a form's text box submits the form, as its Save button does.
    at.button(key=state.CUSTOMER_MAP_SAVE).click().run()
    assert_clean(at, allow_errors=True)
    assert [e.value for e in at.error] == ["Choose a Xero customer, a sales account, or both."]
    # The user then picks the customer and saves, without typing the code again.
    at.selectbox(key=f"{state.CUSTOMER_MAP_FORM}_contact_new").set_value("ALOK-01")
    at.button(key=state.CUSTOMER_MAP_SAVE).click().run()
    assert_clean(at)
    with session_scope() as session:
        saved = session.exec(select(CustomerMapping)).all()
    assert [(m.shipment_code, m.account_number) for m in saved] == [("ALOK", "ALOK-01")]


# --- 10: no "None" in cells; import errors by row and column --------------------------------


def test_the_dashboards_customer_table_never_says_none(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    # A document Xero holds with no contact name and no due date: empty cells, not "None".
    mark_sent("SHP-1001", "INV-0001", total="100", due_date=None)
    at = open_tab(app_as("finance", "dashboard"), state.DASH_TABS, "Customers and documents")
    assert_clean(at)
    table = table_in(at, state.FIN_CUSTOMERS_TABLE)
    assert len(table) >= 1
    cells = {str(v) for column in table.columns for v in table[column]}
    assert not {"None", "nan", "NaN", "<NA>", "NaT"} & cells


BAD_FILES = [
    # (what, the file, the row and column its problem is named at, words of the problem)
    (
        "long buyer code",
        "shipment_number,buyer_code\nBAD-1," + "A" * 61 + "\n",
        (2, "buyer_code"),
        "at most 60 characters",
    ),
    (
        "bad date",
        "shipment_number,invoice_date\nBAD-2,2026-13-01\n",
        (2, "invoice_date"),
        "is not a day in the calendar",
    ),
    (
        "date as a spreadsheet writes it",
        "shipment_number,due_date\nBAD-3,01/12/2026\n",
        (2, "due_date"),
        "use YYYY-MM-DD",
    ),
    (
        "bad currency",
        "shipment_number,currency\nBAD-4,US$\n",
        (2, "currency"),
        "is not a currency code",
    ),
    (
        "unknown organisation",
        "shipment_number,organisation\nBAD-5,Nowhere Ltd\n",
        (2, "organisation"),
        "is not a connected Xero organisation",
    ),
    (
        "missing shipment_number column",
        "buyer_code,currency\nACME,USD\n",
        (1, "shipment_number"),
        "the header has no shipment_number column",
    ),
    (
        "Python's digit separator",
        "shipment_number,quantity,unit_price\nBAD-6,1_000,2.00\n",
        (2, "quantity"),
        "is not a number",
    ),
]


@pytest.mark.parametrize(
    ("text", "where", "says"), [case[1:] for case in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
def test_each_import_error_names_row_and_column_and_never_internal_text(app_as, text, where, says):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    before = shipments()
    at = upload(app_as("operations", "shipments"), "bad.csv", text)
    assert_clean(at, allow_errors=True)
    panel = at.get_by_key(state.IMPORT_PANEL)
    problems = panel.dataframe[-1].value
    assert problems[["Row", "Column"]].values.tolist() == [list(where)]
    [problem] = list(problems["Problem"])
    assert says in problem
    shown = texts(at) + "\n" + "\n".join(problems["Problem"])
    assert [word for word in INTERNAL if word in shown] == []
    assert not panel.button  # nothing to import: no Import button
    assert shipments() == before


def test_an_update_that_reaches_the_trigger_status_says_per_row_it_was_queued(app_as):
    queue_at_shipped_in_the_default_organisations_own_settings()
    with session_scope() as session:
        moved = make_shipment(session, shipment_number="UPD-1", status="Packed", incoterms="FOB")
        make_shipment(session, shipment_number="UPD-2", status="Packed", incoterms="FOB")
    version = shipment_by_number("UPD-1").version
    at = app_as("operations", "shipments")
    at.toggle(key=state.IMPORT_UPDATE_MODE).set_value(True).run()
    at = upload(
        at,
        "u.csv",
        "shipment_number,incoterms,workflow_status\nUPD-1,CIF,Shipped\nUPD-2,FOB,Packed\n",
    )
    assert_clean(at)
    changes = at.get_by_key(state.IMPORT_CHANGES).dataframe[0].value
    assert changes["Change"].tolist() == [
        "incoterms: FOB → CIF",
        "workflow_status: Packed → Shipped",
    ]
    at.button(key=state.IMPORT_BUTTON).click().run()
    assert_clean(at)
    panel = at.get_by_key(state.IMPORT_PANEL)
    assert [s.value for s in panel.success] == [
        "Imported 0 new shipment(s), updated 1, left 1 unchanged (the file holds them as they are)."
    ]
    assert [i.value for i in panel.info] == [
        "Queued for Xero by the trigger status: UPD-1 (row 2)."
    ]
    outcomes = panel.dataframe[-1].value
    assert outcomes.values.tolist() == [
        [2, "UPD-1", "Row 2, UPD-1: updated; queued for Xero by the trigger status Shipped."],
        [3, "UPD-2", "Row 3, UPD-2: unchanged (the file holds it as it is)."],
    ]
    saved = shipment_by_number("UPD-1")
    assert (saved.incoterms, saved.workflow_status, saved.version) == (
        "CIF",
        "Shipped",
        version + 1,
    )
    assert jobs_for(id_of(moved)) == 1


# --- 7: field sources named for what they set -----------------------------------------------


def test_an_admin_sets_the_xero_number_and_reference_sources_and_sees_them_previewed(app_as):
    with session_scope() as session:
        make_shipment(session, shipment_number="PRV-2", exporter_reference="EXP-PRV2")
    at = app_as("admin", "mapping")
    boxes = {w.label: w for w in at.selectbox}
    boxes["Xero number comes from"].set_value("exporter_reference")
    boxes["Xero Reference comes from"].set_value("shipment_number")
    at.button(key=state.MAPPING_SAVE).click().run()
    assert_clean(at)
    said = [s.value for s in at.success]
    assert len(said) == 1 and said[0].startswith("Mapping saved (")
    assert "Preview with PRV-2: Xero number **EXP-PRV2**, Xero Reference **PRV-2**." in texts(at)
    with session_scope() as session:
        settings = get_sync_settings(session=session)
    assert (settings.reference_source, settings.xero_reference_source) == (
        "exporter_reference",
        "shipment_number",
    )
