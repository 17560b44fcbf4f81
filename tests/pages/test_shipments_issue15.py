"""Issue 15 on the Shipments page: bulk actions act on what the user sees (3), no lost update
(4), reload keeps work (5), and a table built for the work (10)."""

from __future__ import annotations

from decimal import Decimal

from tests.pages.conftest import logged_in_as, new_app
from tests.pages.helpers import (
    add_connection,
    add_reference_data,
    assert_clean,
    select_rows,
    set_sync_state,
    shipment_by_number,
    texts,
)
from ui import state


def field(at, label: str, where: str = "edit"):
    return next(t for t in at.text_input if t.label == label and t.key.startswith(where))


def open_by_row(at, number: str):
    """Search for the shipment, then click its cell in the table (a cell selection event)."""
    at.text_input(key=state.SHIP_SEARCH).input(number).run()
    at.session_state[state.SHIPMENTS_TABLE] = {
        "selection": {"rows": [], "columns": [], "cells": [(0, "Shipment")]}
    }
    return at.run()


def second_tab(database) -> object:
    """The same user in another browser tab: a session of its own."""
    at = new_app()
    logged_in_as(at, "operations")
    at.switch_page("pages/shipments.py")
    return at.run()


# --- 4: no lost update ----------------------------------------------------------------------


def test_tab_b_opened_before_tab_a_saved_is_refused_and_keeps_its_input(app_as, database):
    tab_a = open_by_row(app_as("operations", "shipments"), "SHP-1013")
    tab_b = open_by_row(second_tab(database), "SHP-1013")
    field(tab_a, "Freight amount").input("111.00")
    tab_a.button(key=state.SAVE_SHIPMENT).click().run()
    assert any("Saved SHP-1013" in s.value for s in tab_a.success)

    field(tab_b, "Freight amount").input("222.00")
    tab_b.button(key=state.SAVE_SHIPMENT).click().run()
    assert_clean(tab_b, allow_errors=True)
    assert not [s.value for s in tab_b.success if "Saved" in s.value]
    [refused] = [e.value for e in tab_b.error]
    assert refused.startswith("Not saved: SHP-1013 was changed after you opened it — operations")
    assert "freight amount" in refused and "111" in refused
    assert field(tab_b, "Freight amount").value == "222.00"  # kept to re-apply
    assert shipment_by_number("SHP-1013").freight_amount == Decimal("111.00")
    assert "was changed after you opened it" in texts(tab_b)  # the conflict box

    tab_b.button(key=state.EDIT_REAPPLY).click().run()
    assert field(tab_b, "Freight amount").value == "222.00"
    tab_b.button(key=state.SAVE_SHIPMENT).click().run()
    assert_clean(tab_b)
    assert any("Saved SHP-1013" in s.value for s in tab_b.success)
    assert shipment_by_number("SHP-1013").freight_amount == Decimal("222.00")


def test_discard_shows_the_latest_version(app_as, database):
    tab_a = open_by_row(app_as("operations", "shipments"), "SHP-1014")
    tab_b = open_by_row(second_tab(database), "SHP-1014")
    field(tab_a, "Freight amount").input("333.00")
    tab_a.button(key=state.SAVE_SHIPMENT).click().run()
    field(tab_b, "Freight amount").input("444.00")
    tab_b.run()  # before any Save, tab B already says who changed what
    [warning] = [w.value for w in tab_b.get_by_key(state.EDIT_CONFLICT).warning]
    assert "SHP-1014 was changed after you opened it" in warning
    assert "operations at" in warning and "333" in warning
    tab_b.button(key=state.EDIT_DISCARD).click().run()
    assert_clean(tab_b)
    assert field(tab_b, "Freight amount").value == "333.00"
    assert "was changed after you opened it" not in texts(tab_b)


# --- 3: bulk actions act on what the user sees ------------------------------------------------


def _select_by_search(at, number: str):
    at.text_input(key=state.SHIP_SEARCH).input(number).run()
    return select_rows(at, [0])


def test_a_bulk_change_lists_the_hidden_selection_before_changing_anything(app_as):
    set_sync_state(["SHP-1002"], "Processed")  # a sent shipment, soon hidden by the search
    at = _select_by_search(app_as("operations", "shipments"), "SHP-1002")
    at = _select_by_search(at, "SHP-1003")
    assert "2 selected, 1 not shown (1 hidden by the filters)" in texts(at)
    at.selectbox(key=state.BULK_STATUS).set_value("Cancelled")
    at.button(key=state.CHANGE_STATUS).click().run()
    assert_clean(at)
    assert shipment_by_number("SHP-1002").workflow_status != "Cancelled"
    listed = at.get_by_key(state.BULK_CONFIRM).dataframe[0].value
    assert dict(zip(listed["Shipment"], listed["Where"], strict=True)) == {
        "SHP-1002": "hidden by the filters",
        "SHP-1003": "on this page",
    }
    at.button(key=state.BULK_CONFIRM_BUTTON).click().run()
    assert_clean(at)
    assert any("2 shipment(s) moved to Cancelled" in s.value for s in at.success)
    assert shipment_by_number("SHP-1002").workflow_status == "Cancelled"


def test_the_hidden_ones_can_be_taken_out_before_confirming(app_as):
    at = _select_by_search(app_as("operations", "shipments"), "SHP-1004")
    at = _select_by_search(at, "SHP-1006")
    at.button(key=state.CHANGE_STATUS).click().run()
    at.button(key=state.BULK_DROP_HIDDEN).click().run()
    assert_clean(at)
    assert at.session_state[state.SELECTED_IDS] == [shipment_by_number("SHP-1006").id]
    assert "1 selected, 0 not shown" in texts(at)


def test_a_confirmed_list_that_changed_meanwhile_changes_nothing(app_as, database):
    at = _select_by_search(app_as("operations", "shipments"), "SHP-1007")
    at.selectbox(key=state.BULK_STATUS).set_value("Delivered")
    at.button(key=state.CHANGE_STATUS).click().run()
    other = open_by_row(second_tab(database), "SHP-1007")  # someone else edits it meanwhile
    field(other, "Incoterms").input("CIP")
    other.button(key=state.SAVE_SHIPMENT).click().run()
    at.button(key=state.BULK_CONFIRM_BUTTON).click().run()
    assert_clean(at, allow_errors=True)
    assert any("SHP-1007 was changed after you opened it" in e.value for e in at.error)
    assert shipment_by_number("SHP-1007").workflow_status != "Delivered"


def test_send_from_shipments_lists_what_it_will_send_first(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    at = _select_by_search(app_as("operations", "shipments"), "SHP-1001")  # a good one
    at = _select_by_search(at, "SHP-1009")
    at.button(key=state.SEND_SELECTED).click().run()
    assert_clean(at)
    listed = at.get_by_key(state.BULK_CONFIRM).dataframe[0].value
    assert dict(zip(listed["Shipment"], listed["Where"], strict=True)) == {
        "SHP-1001": "hidden by the filters",
        "SHP-1009": "on this page",
    }
    assert "Send to Accounting: 2 shipment(s)" in texts(at)
    at.button(key=state.BULK_CANCEL).click().run()
    assert_clean(at)
    assert "Send to Accounting: 2 shipment(s)" not in texts(at)
    assert at.session_state[state.SELECTED_IDS] == [
        shipment_by_number(n).id for n in ("SHP-1001", "SHP-1009")
    ]


# --- 5: reload keeps work ---------------------------------------------------------------------


def test_a_reload_finds_filters_selection_and_open_shipment_in_the_url(app_as):
    at = _select_by_search(app_as("operations", "shipments"), "SHP-1011")
    chosen = shipment_by_number("SHP-1011").id
    assert at.query_params[state.URL_SELECTED] == str(chosen)
    at = open_by_row(at, "SHP-1011")
    assert at.query_params[state.URL_OPEN] == str(chosen)

    reloaded = new_app()  # a reload is a new session with the URL the browser shows
    logged_in_as(reloaded, "operations")
    reloaded.switch_page("pages/shipments.py")
    reloaded.query_params.update(
        {
            state.SHIP_SEARCH: "SHP-1011",
            state.URL_SELECTED: str(chosen),
            state.URL_OPEN: str(chosen),
        }
    )
    reloaded.run()
    assert_clean(reloaded)
    assert reloaded.text_input(key=state.SHIP_SEARCH).value == "SHP-1011"
    assert list(reloaded.dataframe(key=state.SHIPMENTS_TABLE).value["Shipment"]) == ["SHP-1011"]
    assert reloaded.session_state[state.SELECTED_IDS] == [chosen]
    assert field(reloaded, "Shipment number").value == "SHP-1011"


def test_a_half_typed_new_shipment_survives_a_reload_and_enter(app_as):
    at = app_as("operations", "shipments")
    field(at, "Shipment number", "new").input("SHP-7001").run()  # Enter: the value commits
    field(at, "Buyer code", "new").input("ACME").run()
    assert field(at, "Shipment number", "new").value == "SHP-7001"  # Enter kept the first

    reloaded = new_app()
    logged_in_as(reloaded, "operations")
    reloaded.switch_page("pages/shipments.py")
    reloaded.run()
    assert field(reloaded, "Shipment number", "new").value == "SHP-7001"
    assert field(reloaded, "Buyer code", "new").value == "ACME"
    reloaded.button(key=state.CREATE_SHIPMENT).click().run()
    assert_clean(reloaded)
    assert shipment_by_number("SHP-7001").buyer_code == "ACME"

    again = new_app()  # created: the draft is gone
    logged_in_as(again, "operations")
    again.switch_page("pages/shipments.py")
    again.run()
    assert field(again, "Shipment number", "new").value == ""


# --- 10: the table ------------------------------------------------------------------------------


def test_the_table_names_customer_and_organisation_and_never_says_none(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    at = app_as("operations", "shipments")
    table = at.dataframe(key=state.SHIPMENTS_TABLE).value
    acme = table[table["Customer code"] == "ACME"]
    assert not acme.empty
    assert set(acme["Customer"]) == {"Acme Imports Inc"}
    assert set(table["Organisation"]) == {"Default (Demo Exports Ltd)"}
    cells = {str(v) for column in table.columns for v in table[column]}
    assert not {"None", "nan", "<NA>"} & cells


def test_a_long_problem_is_shown_in_full_and_a_row_click_opens_the_shipment(app_as):
    from services.db import session_scope

    long_problem = "Account code 999 cannot be used in Xero. " * 8 + "END-OF-PROBLEM"
    with session_scope() as session:
        from sqlmodel import select

        from models import Shipment

        shipment = session.exec(
            select(Shipment).where(Shipment.shipment_number == "SHP-1012")
        ).one()
        shipment.last_error = long_problem
        session.add(shipment)
    at = app_as("operations", "shipments")
    problems = at.get_by_key(state.SHIP_PROBLEMS)
    assert any("END-OF-PROBLEM" in m.value for m in problems.markdown)
    at = open_by_row(at, "SHP-1012")
    assert_clean(at)
    assert field(at, "Shipment number").value == "SHP-1012"
    assert at.session_state[state.SHIPMENTS_TABLE]["selection"]["cells"] == []


def test_finance_opens_a_shipment_from_its_row(app_as):
    at = open_by_row(app_as("finance", "shipments"), "SHP-1010")
    assert_clean(at)
    assert at.selectbox(key=state.OPEN_SHIPMENT).value == shipment_by_number("SHP-1010").id


def test_a_draft_is_its_users_own(app_as):
    at = app_as("operations", "shipments")
    field(at, "Shipment number", "new").input("SHP-7002").run()
    other = new_app()
    logged_in_as(other, "admin")
    other.switch_page("pages/shipments.py")
    other.run()
    assert_clean(other)
    assert field(other, "Shipment number", "new").value == ""
