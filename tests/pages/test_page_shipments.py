"""The Shipments page: table, selection, send, status change, the form, import/export."""

from __future__ import annotations

from models import IntegrationLog
from tests.pages.helpers import (
    add_connection,
    add_payment,
    add_reference_data,
    assert_clean,
    count_rows,
    log_rejection,
    mark_sent,
    select_rows,
    shipment_by_number,
    texts,
)
from ui import state


def labels(at) -> list[str]:
    return [b.label for b in at.button]


def test_operations_sees_the_demo_shipments_and_the_actions(app_as):
    at = app_as("operations", "shipments")
    assert_clean(at)
    assert at.title[0].value == "Shipments"
    table = at.dataframe(key=state.SHIPMENTS_TABLE)
    assert len(table.value) == 30
    assert "SHP-1030" in set(table.value["Shipment"])
    assert "0 of 10 selected" in [c.value for c in at.caption]
    assert {"Send to Accounting", "Change status", "Create shipment"} <= set(labels(at))
    assert at.file_uploader  # CSV import


def test_finance_sees_the_table_read_only(app_as):
    at = app_as("finance", "shipments")
    assert_clean(at)
    assert len(at.dataframe[0].value) == 30
    assert not {"Send to Accounting", "Change status", "Create shipment", "Import", "Save"} & set(
        labels(at)
    )
    assert not at.file_uploader
    assert not at.data_editor
    assert [t.label for t in at.tabs] == ["Open shipment", "Export"]
    assert at.download_button(key=state.EXPORT_CSV).label == "Export all 30 shipment(s) as CSV"


def test_eleven_selected_send_nothing_and_say_at_most_ten(app_as):
    at = select_rows(app_as("operations", "shipments"), list(range(11)))
    assert "11 of 10 selected" in [c.value for c in at.caption]
    at.button(key=state.SEND_SELECTED).click().run()
    assert_clean(at)
    assert any("Send to Accounting takes at most 10 at a time" in w.value for w in at.warning), (
        texts(at)
    )
    assert at.button(key=state.BULK_CONFIRM_BUTTON).disabled
    assert count_rows(IntegrationLog) == 0


def test_send_with_no_xero_connection_is_off_and_says_why(app_as):
    at = select_rows(app_as("operations", "shipments"), [0, 1])
    assert_clean(at)
    assert at.button(key=state.SEND_SELECTED).disabled
    assert "Send is off: none of the selected shipments can be sent" in texts(at)
    assert "Xero organisation is not connected" in texts(at)
    assert count_rows(IntegrationLog) == 0


def test_send_is_off_only_when_every_selected_shipment_would_be_refused(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    at = app_as("operations", "shipments")
    for number in ("SHP-1005", "SHP-1010"):  # an unknown customer code; no due date
        at.text_input(key=state.SHIP_SEARCH).input(number).run()
        at = select_rows(at, [0])
    assert "2 of 10 selected" in [c.value for c in at.caption]
    assert at.button(key=state.SEND_SELECTED).disabled
    shown = texts(at)
    assert "SHP-1005: Customer code ALOK is not a Xero contact's account number" in shown
    assert "SHP-1010: Due date is missing" in shown
    at.text_input(key=state.SHIP_SEARCH).input("SHP-1001").run()  # a good one
    at = select_rows(at, [0])
    assert "3 of 10 selected" in [c.value for c in at.caption]
    assert not at.button(key=state.SEND_SELECTED).disabled
    assert "Send is off" not in texts(at)


def test_selection_is_kept_by_shipment_across_table_pages(app_as):
    at = app_as("operations", "shipments")
    at.selectbox(key=state.SHIP_PAGE_SIZE).set_value(25).run()
    assert len(at.dataframe(key=state.SHIPMENTS_TABLE).value) == 25
    at = select_rows(at, [0, 1])
    first_two = list(at.dataframe(key=state.SHIPMENTS_TABLE).value["Shipment"][:2])
    at.button(key=state.SHIP_NEXT).click().run()
    assert len(at.dataframe(key=state.SHIPMENTS_TABLE).value) == 5
    at = select_rows(at, [4])
    assert "3 of 10 selected" in [c.value for c in at.caption]
    at.button(key=state.SHIP_PREV).click().run()
    assert at.session_state[state.SHIPMENTS_TABLE]["selection"]["rows"] == [0, 1]
    selected = at.session_state[state.SELECTED_IDS]
    assert [shipment_by_number(n).id for n in first_two] == selected[:2]
    at.button(key=state.CLEAR_SELECTION).click().run()
    assert "0 of 10 selected" in [c.value for c in at.caption]
    assert at.session_state[state.SHIPMENTS_TABLE]["selection"]["rows"] == []


def test_search_filters_in_sql(app_as):
    at = app_as("operations", "shipments")
    at.text_input(key=state.SHIP_SEARCH).input("SHP-1005").run()
    assert list(at.dataframe(key=state.SHIPMENTS_TABLE).value["Shipment"]) == ["SHP-1005"]
    at.multiselect(key=state.SHIP_STATUS).set_value(["Shipped"]).run()
    assert len(at.dataframe(key=state.SHIPMENTS_TABLE).value) == 0


def test_filter_by_organisation_counts_unassigned_shipments_under_the_default(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")  # the default organisation
    add_connection("UK Exports Ltd", tenant_id="t2", is_default=False)
    mark_sent("SHP-1002", "INV-1", total="10.00", tenant_id="t2")
    at = app_as("operations", "shipments")
    organisation = at.selectbox(key=state.SHIP_ORGANISATION)
    assert organisation.options == ["Demo Exports Ltd", "UK Exports Ltd"]
    organisation.set_value("t2").run()
    assert list(at.dataframe(key=state.SHIPMENTS_TABLE).value["Shipment"]) == ["SHP-1002"]
    at.selectbox(key=state.SHIP_ORGANISATION).set_value("t1").run()
    assert "29 shipment(s) · page 1 of 1" in texts(at)  # all but SHP-1002: none has its own


def test_change_status_of_the_selection(app_as):
    at = app_as("operations", "shipments")
    at.text_input(key=state.SHIP_SEARCH).input("SHP-100").run()  # SHP-1001 .. SHP-1009
    at = select_rows(at, [0, 1])
    numbers = list(at.dataframe(key=state.SHIPMENTS_TABLE).value["Shipment"][:2])
    at.selectbox(key=state.BULK_STATUS).set_value("Delivered")
    at.button(key=state.CHANGE_STATUS).click().run()
    before = [shipment_by_number(n).workflow_status for n in numbers]
    assert "Delivered" not in before  # it asks first
    at.button(key=state.BULK_CONFIRM_BUTTON).click().run()
    assert_clean(at)
    assert any("2 shipment(s) moved to Delivered" in s.value for s in at.success)
    assert [shipment_by_number(n).workflow_status for n in numbers] == ["Delivered"] * 2


def open_shipment(at, number: str):
    at.text_input(key=state.SHIP_SEARCH).input(number).run()
    at.selectbox(key=state.OPEN_SHIPMENT).set_value(shipment_by_number(number).id).run()
    return at


def test_sync_now_appears_at_the_trigger_status_and_sends_on_save(app_as):
    at = open_shipment(app_as("operations", "shipments"), "SHP-1001")  # Draft
    assert_clean(at)
    assert not [c for c in at.checkbox if c.label == "Sync now"]
    status = next(s for s in at.selectbox if s.label == "Status" and "edit" in s.key)
    status.set_value("Shipped").run()  # the default trigger status
    sync_now = next(c for c in at.checkbox if c.label == "Sync now")
    sync_now.check()
    at.button(key=state.SAVE_SHIPMENT).click().run()
    assert_clean(at, allow_errors=True)
    assert shipment_by_number("SHP-1001").workflow_status == "Shipped"
    assert any("No Xero organisation is connected" in e.value for e in at.error)


def test_edit_saves_fields(app_as):
    at = open_shipment(app_as("operations", "shipments"), "SHP-1015")  # no incoterms
    incoterms = next(t for t in at.text_input if t.label == "Incoterms")
    incoterms.input("CIF")
    at.button(key=state.SAVE_SHIPMENT).click().run()
    assert_clean(at)
    assert shipment_by_number("SHP-1015").incoterms == "CIF"
    assert any("Saved SHP-1015" in s.value for s in at.success)


def test_the_form_checks_as_you_type_against_xeros_codes(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    at = open_shipment(app_as("operations", "shipments"), "SHP-1005")  # customer code ALOK
    [refusal] = [w.value for w in at.warning]
    assert refusal.startswith("It can be saved, but Xero would refuse it as it is:")
    assert "Customer code ALOK is not a Xero contact's account number" in refusal
    buyer = next(t for t in at.text_input if t.label == "Buyer code" and "edit" in t.key)
    buyer.input("ALOK-01").run()  # typed, not saved
    assert not at.warning
    assert [s.value for s in at.success] == ["Ready for Xero: nothing to fix before sending."]
    assert shipment_by_number("SHP-1005").buyer_code == "ALOK"
    rate = next(t for t in at.text_input if t.label == "Exchange rate" and "edit" in t.key)
    rate.input("0,59").run()
    [fix] = [w.value for w in at.warning]
    assert fix.startswith("To fix before saving:")
    assert "Exchange rate: '0,59' is not a number" in fix


def test_a_new_form_says_nothing_until_something_is_typed(app_as):
    at = app_as("operations", "shipments")
    assert not at.warning
    fields = {t.label: t for t in at.text_input if t.key.startswith("new")}
    fields["Exchange rate"].input("abc").run()
    assert any("'abc' is not a number" in w.value for w in at.warning)


def test_create_a_shipment_with_a_line(app_as):
    at = app_as("operations", "shipments")
    fields = {t.label: t for t in at.text_input if t.key.startswith("new")}
    fields["Shipment number"].input("SHP-2001")
    fields["Buyer code"].input("ACME")
    fields["Currency"].input("usd")
    editor = at.data_editor[0]
    at.session_state[editor.key] = {
        "edited_rows": {},
        "added_rows": [{"product_code": "WIDGET-A", "quantity": "4", "unit_price": "12.50"}],
        "deleted_rows": [],
    }
    at.run()
    at.button(key=state.CREATE_SHIPMENT).click().run()
    assert_clean(at)
    created = shipment_by_number("SHP-2001")
    assert created.currency == "USD"
    assert [(ln.product_code, str(ln.item_value)) for ln in created.lines] == [
        ("WIDGET-A", "50.00")
    ]


def test_create_refuses_a_bad_number_in_plain_words(app_as):
    at = app_as("operations", "shipments")
    fields = {t.label: t for t in at.text_input if t.key.startswith("new")}
    fields["Shipment number"].input("SHP-1001")  # taken
    fields["Exchange rate"].input("abc")
    at.button(key=state.CREATE_SHIPMENT).click().run()
    assert_clean(at, allow_errors=True)
    assert any("'abc' is not a number" in e.value for e in at.error)
    fields = {t.label: t for t in at.text_input if t.key.startswith("new")}
    fields["Exchange rate"].input("")
    at.button(key=state.CREATE_SHIPMENT).click().run()
    assert any("already used" in e.value for e in at.error)


def test_create_refuses_a_number_differing_only_in_case_and_an_amount_too_large(app_as):
    at = app_as("operations", "shipments")
    fields = {t.label: t for t in at.text_input if t.key.startswith("new")}
    fields["Shipment number"].input(" shp-1001 ")  # SHP-1001 exists
    at.button(key=state.CREATE_SHIPMENT).click().run()
    assert_clean(at, allow_errors=True)
    assert any("shp-1001 is already used as SHP-1001" in e.value for e in at.error)
    fields = {t.label: t for t in at.text_input if t.key.startswith("new")}
    fields["Shipment number"].input("SHP-2002")
    fields["Freight amount"].input("1e20")
    at.button(key=state.CREATE_SHIPMENT).click().run()
    assert any(
        "Freight amount 100000000000000000000 is larger than Shipbridge can hold" in e.value
        for e in at.error
    )
    assert count_rows_named("SHP-2002") == 0


CSV = (
    "shipment_number,buyer_code,currency,invoice_date,due_date,incoterms,product_code,quantity,"
    "unit_price,item_value\n"
    "SHP-3001,ACME,USD,2026-11-01,2026-12-01,FOB,WIDGET-A,2,12.50,25.00\n"
    "SHP-3002,ACME,USD,01/11/2026,2026-12-01,FOB,WIDGET-A,2,12.50,25.00\n"
)


def test_csv_import_previews_problems_and_imports_only_good_rows_when_asked(app_as):
    at = app_as("operations", "shipments")
    at.file_uploader[0].upload("shipments.csv", CSV.encode(), "text/csv")
    at.run()
    assert_clean(at, allow_errors=True)
    assert any("1 problem(s)" in e.value for e in at.error)
    problems = at.dataframe[-1].value
    assert list(problems["Row"]) == [3] and list(problems["Column"]) == ["invoice_date"]
    at.button(key=state.IMPORT_BUTTON).click().run()
    assert any("nothing was imported" in e.value for e in at.error)
    assert count_rows_named("SHP-300") == 0
    at.checkbox(key=state.IMPORT_GOOD_ROWS).check()
    at.button(key=state.IMPORT_BUTTON).click().run()
    assert_clean(at)
    assert any("Imported 1 shipment(s). Rows left out: 3." in s.value for s in at.success)
    assert count_rows_named("SHP-300") == 1


def count_rows_named(prefix: str) -> int:
    from sqlmodel import col, func, select

    from models import Shipment
    from services.db import session_scope

    with session_scope() as session:
        query = select(func.count()).where(col(Shipment.shipment_number).like(f"{prefix}%"))
        return session.exec(query).one()


def test_integration_history_shows_xero_words_and_the_fix(app_as):
    entry_id = log_rejection("SHP-1005")
    at = open_shipment(app_as("operations", "shipments"), "SHP-1005")
    assert_clean(at)
    history = next(t for t in at.tabs if t.label == "Integration")
    assert list(history.dataframe[0].value["Outcome"]) == ["Rejected"]
    at.button(key=f"{state.VIEW_ERROR_PREFIX}{entry_id}").click().run()
    shown = texts(at)
    assert "Account code '999' is not a valid code" in shown
    assert "choose an active revenue account" in shown
    assert at.json  # the payload sent
    at.button(key=state.INTEGRATION_REFRESH).click().run()
    assert_clean(at)


def test_finance_opens_a_shipment_read_only(app_as):
    at = app_as("finance", "shipments")
    at.selectbox(key=state.OPEN_SHIPMENT).set_value(shipment_by_number("SHP-1002").id).run()
    assert_clean(at)
    assert state.SAVE_SHIPMENT not in [b.key for b in at.button]
    assert "Sync state: **Not sent**" in texts(at)


def test_too_long_values_are_refused_in_plain_words(app_as):
    at = app_as("operations", "shipments")
    fields = {t.label: t for t in at.text_input if t.key.startswith("new")}
    fields["Shipment number"].input("SHP-" + "9" * 70)
    at.session_state[at.data_editor[0].key] = {
        "edited_rows": {},
        "added_rows": [{"product_code": "X" * 61, "quantity": "1", "unit_price": "2"}],
        "deleted_rows": [],
    }
    at.button(key=state.CREATE_SHIPMENT).click().run()
    assert_clean(at, allow_errors=True)
    shown = " ".join(e.value for e in at.error)
    assert "Shipment number: use at most 60 characters." in shown
    assert "Line 1 product code: use at most 60 characters." in shown


def test_shipment_shows_its_xero_document_and_payments(app_as):
    from datetime import date

    shipment_id = mark_sent("SHP-1002", "INV-0042", total="300.00", paid="125.00")
    add_payment(shipment_id, "100.00", date(2026, 11, 10), reference="first instalment")
    add_payment(shipment_id, "25.00", date(2026, 11, 20), reference="second instalment")
    at = app_as("finance", "shipments")
    at.selectbox(key=state.OPEN_SHIPMENT).set_value(shipment_id).run()
    assert_clean(at)
    panel = at.get_by_key(state.XERO_DOCUMENT)
    assert {m.label: m.value for m in panel.metric} == {
        "Status": "AUTHORISED", "Total": "300.00 USD", "Paid": "125.00 USD",
        "Balance": "175.00 USD",
    }  # fmt: skip
    link = next(m.value for m in panel.markdown if "INV-0042" in m.value)
    assert "/AccountsReceivable/View.aspx?InvoiceID=doc-SHP-1002)" in link
    instalments = panel.dataframe[0].value
    assert instalments[["Date", "Amount", "Reference"]].to_dict("records") == [
        {"Date": "2026-11-10", "Amount": "100.00 USD", "Reference": "first instalment"},
        {"Date": "2026-11-20", "Amount": "25.00 USD", "Reference": "second instalment"},
    ]
    assert "Changed since sent" not in texts(at)


def test_changed_since_sent_is_said_plainly_and_quotes_link_to_quotes(app_as):
    shipment_id = mark_sent(
        "SHP-1002", "QU-0007", total="300.00", document_type="quote", status="SENT",
        sync_state="Changed since sent",
    )  # fmt: skip
    at = app_as("operations", "shipments")
    at.selectbox(key=state.OPEN_SHIPMENT).set_value(shipment_id).run()
    assert_clean(at)
    warnings = [w.value for w in at.warning if "Changed since sent" in w.value]
    assert len(warnings) == 2  # on the Details tab and in the Integration tab's document
    assert "Xero still has the old version: send it again to update QU-0007" in warnings[0]
    panel = at.get_by_key(state.XERO_DOCUMENT)
    assert any("/app/quotes/view/doc-SHP-1002)" in m.value for m in panel.markdown)
    assert [m.label for m in panel.metric] == ["Status", "Total"]
    assert "Quotes take no payments." in [c.value for c in panel.caption]


def test_a_missing_shipment_number_is_said_plainly(app_as):
    at = app_as("operations", "shipments")
    fields = {t.label: t for t in at.text_input if t.key.startswith("new")}
    fields["Buyer code"].input("ACME").run()
    assert any("Shipment number: required." in w.value for w in at.warning)


def reject(number: str, reason: str) -> int:
    """The shipment as a rejected send leaves it: its state, its last error, the log entry."""
    from models import Shipment
    from services.db import session_scope

    with session_scope() as session:
        shipment = session.get(Shipment, shipment_by_number(number).id)
        assert shipment is not None
        shipment.sync_state = "Rejected"
        shipment.last_error = reason
        session.add(shipment)
    return log_rejection(number, errors_plain=[reason], errors_xero=[])


def open_tab(at, key: str) -> int:
    """The index of the tab a tab set shows (what the browser is told to show)."""
    return at.get_by_key(key).proto.tab_container.default_tab_index


def test_a_fixed_shipment_shows_its_old_rejection_as_the_last_attempts(app_as):
    from datetime import date

    due = "Due date is missing: enter the date payment is due."
    reject("SHP-1010", due)
    at = open_shipment(app_as("operations", "shipments"), "SHP-1010")
    assert_clean(at)
    [said] = [w.value for w in at.warning if due in w.value]
    assert said.startswith("The last attempt (") and said.endswith(f") said: {due}")
    assert at.dataframe(key=state.SHIPMENTS_TABLE).value["Problem"][0] == due

    day = next(d for d in at.date_input if d.label == "Due date" and "edit" in d.key)
    day.set_value(date(2026, 12, 31))
    at.button(key=state.SAVE_SHIPMENT).click().run()
    assert_clean(at)
    assert shipment_by_number("SHP-1010").due_date == date(2026, 12, 31)
    assert not [w.value for w in at.warning if due in w.value]  # not a current problem
    [history] = [i.value for i in at.info if due in i.value]
    assert history.startswith("The last attempt (")
    assert "changed since, so this may be fixed: send it again" in history
    state_line = next(m.value for m in at.markdown if m.value.startswith("Sync state:"))
    assert state_line.startswith("Sync state: **Rejected** · last attempt ")
    assert state_line.endswith(" · changed since then")
    problem = at.dataframe(key=state.SHIPMENTS_TABLE).value["Problem"][0]
    assert problem.startswith("Changed since the last attempt (")
    assert problem.endswith(f"): send it again. That attempt said: {due}")


def test_a_save_with_nothing_changed_leaves_the_rejection_current(app_as):
    due = "Due date is missing: enter the date payment is due."
    reject("SHP-1010", due)
    at = open_shipment(app_as("operations", "shipments"), "SHP-1010")
    at.button(key=state.SAVE_SHIPMENT).click().run()
    assert_clean(at)
    assert [w.value for w in at.warning if due in w.value]
    assert at.dataframe(key=state.SHIPMENTS_TABLE).value["Problem"][0] == due


def test_view_error_and_refresh_keep_the_integration_tab_open(app_as):
    entry_id = log_rejection("SHP-1005")
    at = open_shipment(app_as("operations", "shipments"), "SHP-1005")
    assert open_tab(at, state.SHIPMENT_TABS) == 0  # Details first
    at.session_state[state.SHIPMENT_TABS] = "Integration"  # the user opens the tab
    at.run()
    at.button(key=f"{state.VIEW_ERROR_PREFIX}{entry_id}").click().run()
    assert_clean(at)
    assert "choose an active revenue account" in texts(at)
    assert open_tab(at, state.SHIPMENT_TABS) == 1
    at.button(key=state.INTEGRATION_REFRESH).click().run()
    assert open_tab(at, state.SHIPMENT_TABS) == 1
    # Another shipment opens on its Details tab.
    at.text_input(key=state.SHIP_SEARCH).input("SHP-100").run()
    at.selectbox(key=state.OPEN_SHIPMENT).set_value(shipment_by_number("SHP-1002").id).run()
    assert open_tab(at, state.SHIPMENT_TABS) == 0


GOOD_CSV = (
    "shipment_number,buyer_code,currency,invoice_date,due_date,incoterms,product_code,quantity,"
    "unit_price,item_value\n"
    "SHP-3001,ACME,USD,2026-11-01,2026-12-01,FOB,WIDGET-A,2,12.50,25.00\n"
    "SHP-3002,ACME,USD,2026-11-01,2026-12-01,FOB,WIDGET-A,2,12.50,25.00\n"
)


def test_import_stays_on_its_tab_and_says_there_what_the_filters_hide(app_as):
    at = app_as("operations", "shipments")
    at.text_input(key=state.SHIP_SEARCH).input("SHP-100").run()
    at.session_state[state.SHIP_TABS] = "Import / export"  # the user opens the tab
    at.run()
    at.file_uploader[0].upload("shipments.csv", GOOD_CSV.encode(), "text/csv")
    at.run()
    assert open_tab(at, state.SHIP_TABS) == 2
    at.button(key=state.IMPORT_BUTTON).click().run()
    assert_clean(at)
    assert open_tab(at, state.SHIP_TABS) == 2  # still on Import / export
    panel = at.get_by_key(state.IMPORT_PANEL)
    assert [s.value for s in panel.success] == ["Imported 2 shipment(s)."]
    [hidden] = [i.value for i in panel.info]
    assert hidden.startswith("2 of the 2 imported shipment(s) are not in the table")
    assert count_rows_named("SHP-300") == 2
    at.text_input(key=state.SHIP_SEARCH).input("SHP-300").run()
    panel = at.get_by_key(state.IMPORT_PANEL)
    assert [s.value for s in panel.success] == ["Imported 2 shipment(s)."]
    assert not panel.info  # nothing hidden now


CHECKED_CSV = (
    "shipment_number,buyer_code,currency,invoice_date,due_date,incoterms,freight_amount,"
    "product_code,quantity,unit_price,item_value\n"
    "SHP-4001,ACME,USD,2026-11-01,2026-12-01,FOB,,WIDGET-A,2,12.50,25.00\n"
    "SHP-4002,ACME,USD,2026-11-01,2026-12-01,FOB,,WIDGET-A,-2,12.50,-25.00\n"
    "SHP-4003,ACME,USD,2026-11-01,2026-12-01,FOB,,WIDGET-A,2,12.50,30.00\n"
    "SHP-4004,ACME,USD,2026-11-01,2026-12-01,FOB,-5,WIDGET-A,2,12.50,25.00\n"
    "SHP-4005,ACME,USD,2026-11-01,,FOB,,WIDGET-A,2,12.50,25.00\n"
    "SHP-4006,ALOK,USD,2026-11-01,2026-12-01,FOB,,WIDGET-A,2,12.50,25.00\n"
)


def test_import_preview_calls_ready_only_what_the_send_takes(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    at = app_as("operations", "shipments")
    at.file_uploader[0].upload("shipments.csv", CHECKED_CSV.encode(), "text/csv")
    at.run()
    assert_clean(at, allow_errors=True)
    panel = at.get_by_key(state.IMPORT_PANEL)
    preview = panel.dataframe[0].value.set_index("Shipment")
    assert dict(preview["Ready to send"]) == {
        "SHP-4001": "yes",
        "SHP-4002": "no",
        "SHP-4003": "no",
        "SHP-4004": "no",
        "SHP-4005": "no",
        "SHP-4006": "no",
    }
    assert preview["To fix before sending"]["SHP-4003"].startswith(
        "Line 1: item value 30.00 is not quantity × unit price"
    )
    assert preview["To fix before sending"]["SHP-4005"] == (
        "Due date is missing: enter the date payment is due."
    )
    assert "Customer code ALOK is not" in preview["To fix before sending"]["SHP-4006"]
    problems = panel.dataframe[1].value
    assert problems[["Row", "Column", "Problem"]].values.tolist() == [
        [3, "item_value", "-25 cannot be negative: enter 0 or more"],
        [3, "quantity", "-2 cannot be negative: enter 0 or more"],
        [5, "freight_amount", "-5 cannot be negative: enter 0 or more"],
    ]


def test_an_empty_file_says_it_has_no_shipments_and_offers_no_import(app_as):
    at = app_as("operations", "shipments")
    for text in (GOOD_CSV.splitlines()[0] + "\n", ""):
        at.file_uploader[0].upload("empty.csv", text.encode(), "text/csv")
        at.run()
        assert_clean(at)
        panel = at.get_by_key(state.IMPORT_PANEL)
        assert [w.value for w in panel.warning] == [
            "The file has no shipments: it is empty or has only a header row. Add one row per "
            "shipment line and upload it again."
        ]
        assert not panel.checkbox and not panel.button
        assert "Imported 0" not in texts(at)


def test_negative_freight_and_rate_are_fixed_before_saving(app_as):
    at = open_shipment(app_as("operations", "shipments"), "SHP-1002")
    before = shipment_by_number("SHP-1002")
    fields = {t.label: t for t in at.text_input if "edit" in t.key}
    fields["Freight amount"].input("-5")
    fields["Exchange rate"].input("-3").run()
    [fix] = [w.value for w in at.warning if w.value.startswith("To fix before saving:")]
    assert "Freight amount -5 cannot be negative: enter 0 or more." in fix
    assert "Exchange rate -3 is not valid: enter a rate above 0" in fix
    at.button(key=state.SAVE_SHIPMENT).click().run()
    assert_clean(at, allow_errors=True)
    assert any("Freight amount -5 cannot be negative" in e.value for e in at.error)
    after = shipment_by_number("SHP-1002")
    assert (after.freight_amount, after.exchange_rate) == (
        before.freight_amount,
        before.exchange_rate,
    )


def test_export_says_what_it_exports(app_as):
    at = app_as("operations", "shipments")
    assert at.download_button(key=state.EXPORT_CSV).label == "Export all 30 shipment(s) as CSV"
    assert not [b for b in at.download_button if b.key == state.EXPORT_ALL_CSV]
    at.text_input(key=state.SHIP_SEARCH).input("SHP-100").run()
    assert at.download_button(key=state.EXPORT_CSV).label == (
        "Export the 9 shipment(s) these filters show, as CSV"
    )
    assert at.download_button(key=state.EXPORT_ALL_CSV).label == (
        "Export all 30 shipment(s) as CSV"
    )


def test_each_filter_has_at_least_a_quarter_of_the_width(app_as):
    at = app_as("operations", "shipments")
    keys = [
        state.SHIP_SEARCH,
        state.SHIP_ORGANISATION,
        state.SHIP_STATUS,
        state.SHIP_SYNC,
        state.SHIP_DATE_FROM,
        state.SHIP_DATE_TO,
    ]
    for key in keys:
        [column] = [c for c in at.columns if any(getattr(w, "key", None) == key for w in c)]
        assert column.weight >= 0.25, (key, column.weight)


def test_ticked_rows_stay_ticked_after_another_page(app_as):
    """Leaving the page drops the table's own selection; coming back shows the same rows
    ticked, and the next click keeps them in the selection (it dropped them silently)."""
    at = select_rows(app_as("operations", "shipments"), [0, 1])
    ticked = list(at.session_state[state.SELECTED_IDS])
    at.switch_page("pages/logs.py").run()
    at.switch_page("pages/shipments.py").run()
    assert_clean(at)
    assert at.session_state[state.SHIPMENTS_TABLE]["selection"]["rows"] == [0, 1]
    at.text_input(key=state.SHIP_SEARCH).input("").run()  # any other click: a rerun
    assert at.session_state[state.SELECTED_IDS] == ticked
    assert "2 of 10 selected" in [c.value for c in at.caption]
