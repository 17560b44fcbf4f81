"""The Accounting Logs page: newest first, filters, View error, CSV export."""

from __future__ import annotations

from pages import state
from tests.pages.helpers import assert_clean, log_rejection, texts


def test_empty_log_says_so(app_as):
    at = app_as("finance", "logs")
    assert_clean(at)
    assert at.title[0].value == "Accounting Logs"
    assert "No attempts match" in texts(at)


def test_entries_newest_first_with_view_error(app_as):
    first = log_rejection("SHP-1005")
    log_rejection(
        "SHP-1001",
        outcome="Processed",
        document_number="INV-0042",
        errors_xero=None,
        errors_plain=None,
    )
    at = app_as("operations", "logs")
    assert_clean(at)
    table = at.dataframe[0].value
    assert list(table["Shipment"]) == ["SHP-1001", "SHP-1005"]
    assert list(table["Xero number"]) == ["INV-0042", ""]
    assert list(table.columns) == [
        "When", "Shipment", "Trigger", "Who", "Document", "Action", "Outcome", "Xero number",
        "API calls",
    ]  # fmt: skip
    view = [b for b in at.button if b.label == "View error"]
    assert [b.key for b in view] == [f"{state.VIEW_ERROR_PREFIX}{first}"]
    view[0].click().run()
    shown = texts(at)
    assert "Account code '999' is not a valid code" in shown
    assert "choose an active revenue account" in shown
    assert at.json[0].value  # the payload sent
    at.selectbox(key=state.LOG_OUTCOME).set_value("Processed").run()
    assert list(at.dataframe[0].value["Outcome"]) == ["Processed"]
    assert at.download_button(key=state.LOG_EXPORT).label == "Export CSV"


def test_filter_by_user_and_trigger(app_as):
    log_rejection("SHP-1005", triggered_by="someone", trigger="sync now")
    log_rejection("SHP-1010")
    at = app_as("admin", "logs")
    at.text_input(key=state.LOG_USER).input("someone").run()
    assert list(at.dataframe[0].value["Shipment"]) == ["SHP-1005"]
    at.text_input(key=state.LOG_USER).input("").run()
    at.selectbox(key=state.LOG_TRIGGER).set_value("bulk").run()
    assert list(at.dataframe[0].value["Shipment"]) == ["SHP-1010"]


def test_times_are_local(app_as):
    log_rejection("SHP-1005")
    at = app_as("finance", "logs")
    assert "times in Pacific/Auckland" in texts(at)
