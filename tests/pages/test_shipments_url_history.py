"""The Shipments page's work in the URL (ui.shipment_url): a new session takes every filter,
the sort, rows per page, page, selection and open shipment from it; the page writes them
all back in one write; and on a rerun that is not Back/Forward the session leads, so a URL
lagging a click behind never undoes that click. (Back and Forward themselves are proved in
a real browser: tests/e2e/test_shipments_history.py.)"""

from __future__ import annotations

from datetime import date

from tests.pages.conftest import logged_in_as, new_app
from tests.pages.helpers import assert_clean, shipment_by_number
from ui import state


def opened_with(params: dict[str, str | list[str]]):
    """A new session (a reload, a pasted link) on the Shipments page with this URL."""
    at = new_app()
    logged_in_as(at, "operations")
    at.switch_page("pages/shipments.py")
    at.query_params.update(params)
    return at.run()


def shown_numbers(at) -> list[str]:
    return list(at.dataframe(key=state.SHIPMENTS_TABLE).value["Shipment"])


def test_a_shared_link_sets_every_filter_sort_page_and_the_open_shipment(database):
    chosen = shipment_by_number("SHP-1007").id
    at = opened_with(
        {
            state.SHIP_SEARCH: "SHP-10",
            state.SHIP_SORT: "number",
            state.SHIP_DESCENDING: "false",
            state.SHIP_PAGE_SIZE: "25",
            state.SHIP_PAGE: "2",
            state.SHIP_DATE_FROM: "2000-01-01",
            state.URL_SELECTED: str(chosen),
            state.URL_OPEN: str(chosen),
        }
    )
    assert_clean(at)
    assert at.text_input(key=state.SHIP_SEARCH).value == "SHP-10"
    assert at.selectbox(key=state.SHIP_SORT).value == "number"
    assert at.toggle(key=state.SHIP_DESCENDING).value is False
    assert at.selectbox(key=state.SHIP_PAGE_SIZE).value == 25
    assert at.date_input(key=state.SHIP_DATE_FROM).value == date(2000, 1, 1)
    assert at.number_input(key=state.SHIP_PAGE).value == 2
    assert shown_numbers(at) == ["SHP-1026", "SHP-1027", "SHP-1028", "SHP-1029", "SHP-1030"]
    assert at.session_state[state.SELECTED_IDS] == [chosen]
    assert at.session_state[state.OPEN_SHIPMENT] == chosen


def test_a_url_with_values_the_page_cannot_use_falls_back_to_the_defaults(database):
    at = opened_with(
        {
            state.SHIP_SORT: "nonsense",
            state.SHIP_PAGE_SIZE: "7",
            state.SHIP_PAGE: "-3",
            state.SHIP_DATE_TO: "yesterday",
            state.URL_OPEN: "abc",
        }
    )
    assert_clean(at)
    assert at.selectbox(key=state.SHIP_SORT).value == "created"
    assert at.selectbox(key=state.SHIP_PAGE_SIZE).value == 50
    assert at.number_input(key=state.SHIP_PAGE).value == 1
    assert at.date_input(key=state.SHIP_DATE_TO).value is None
    assert at.session_state[state.OPEN_SHIPMENT] is None
    # The page rewrote the URL to what it shows: defaults are left out but the page number.
    assert dict(at.query_params) == {state.SHIP_PAGE: "1"}


def test_each_change_is_written_to_the_url_and_defaults_leave_it(database):
    at = opened_with({})
    at.selectbox(key=state.SHIP_PAGE_SIZE).set_value(25).run()
    at.selectbox(key=state.SHIP_SORT).set_value("number").run()
    at.button(key=state.SHIP_NEXT).click().run()
    assert_clean(at)
    assert at.query_params[state.SHIP_PAGE_SIZE] == "25"
    assert at.query_params[state.SHIP_SORT] == "number"
    assert at.query_params[state.SHIP_PAGE] == "2"
    at.selectbox(key=state.SHIP_PAGE_SIZE).set_value(50).run()  # back to one page, default
    assert state.SHIP_PAGE_SIZE not in at.query_params
    assert at.query_params[state.SHIP_PAGE] == "1"


def test_a_url_lagging_behind_the_session_never_undoes_a_click(database):
    """Only Back/Forward (or a new session) takes the URL: a rerun whose URL is older than
    the session's last write (the browser had not applied it yet) keeps the session's work."""
    at = opened_with({})
    at.text_input(key=state.SHIP_SEARCH).input("SHP-1011").run()
    assert at.query_params[state.SHIP_SEARCH] == "SHP-1011"
    at.query_params.clear()  # the URL the browser showed before that run
    at.query_params[state.SHIP_SEARCH] = "SHP-1002"
    at.run()
    assert_clean(at)
    assert at.text_input(key=state.SHIP_SEARCH).value == "SHP-1011"
    assert shown_numbers(at) == ["SHP-1011"]
    assert at.query_params[state.SHIP_SEARCH] == "SHP-1011"
