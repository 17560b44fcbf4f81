"""The Accounting Logs page: newest first, filters, View error, CSV export."""

from __future__ import annotations

from models import SyncJob
from pages import panels, state
from services.sync import BatchResult, ShipmentOutcome
from tests.pages.helpers import (
    add_connection,
    assert_clean,
    count_rows,
    log_rejection,
    set_sync_state,
    shipment_by_number,
    texts,
)


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
        "API calls (batch)",
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


def test_filter_by_organisation(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_connection("UK Exports Ltd", tenant_id="t2", is_default=False)
    log_rejection("SHP-1005", tenant_id="t1")
    log_rejection("SHP-1010", tenant_id="t2")
    at = app_as("operations", "logs")
    at.selectbox(key=state.LOG_ORGANISATION).set_value("t2").run()
    assert_clean(at)
    assert list(at.dataframe[0].value["Shipment"]) == ["SHP-1010"]


def test_times_are_local(app_as):
    log_rejection("SHP-1005")
    at = app_as("finance", "logs")
    assert "times in Pacific/Auckland" in texts(at)


def test_retry_shows_only_to_senders_and_only_for_shipments_still_rejected(app_as):
    fixed = log_rejection("SHP-1001")
    rejected = log_rejection("SHP-1005")
    set_sync_state(["SHP-1005"], "Rejected")  # SHP-1001 was fixed and sent since
    at = app_as("operations", "logs")
    assert_clean(at)
    retry_keys = [b.key for b in at.button if b.label == "Retry"]
    assert retry_keys == [f"{state.LOG_RETRY_PREFIX}{rejected}"]
    assert f"{state.LOG_RETRY_PREFIX}{fixed}" not in [b.key for b in at.button]
    assert "1 shipment(s) are rejected now" in texts(at)
    # Sending goes through the real send: with no organisation connected, it says so.
    at.button(key=f"{state.LOG_RETRY_PREFIX}{rejected}").click().run()
    assert_clean(at, allow_errors=True)
    assert any("No Xero organisation is connected" in e.value for e in at.error)
    at = app_as("finance", "logs")
    assert not [b for b in at.button if b.label.startswith("Retry")]


def fake_send(calls):
    def send_shipments(*, shipment_ids, trigger, user, progress):
        calls.append((shipment_ids, trigger, user))
        progress(1.0, "Done.")
        result = BatchResult(batch_id="b2", api_calls=1)
        result.outcomes = [
            ShipmentOutcome(i, f"SHP-{i}", "Processed", document_number=f"INV-{i}")
            for i in shipment_ids
        ]
        return result

    return send_shipments


def test_retry_one_shows_the_outcome(app_as, monkeypatch):
    calls = []
    monkeypatch.setattr(panels, "send_shipments", fake_send(calls))
    entry = log_rejection("SHP-1005")
    set_sync_state(["SHP-1005"], "Rejected")
    at = app_as("admin", "logs")
    at.button(key=f"{state.LOG_RETRY_PREFIX}{entry}").click().run()
    assert_clean(at)
    shipment_id = shipment_by_number("SHP-1005").id
    assert calls == [([shipment_id], "retry", "admin")]
    assert any("Retry — Sent: 1 processed. 1 API call(s)." in i.value for i in at.info)
    assert any(f"SHP-{shipment_id}: Processed — Xero INV-{shipment_id}" in s.value
               for s in at.success)  # fmt: skip


def test_retry_all_rejected_sends_ten_or_queues_more(app_as, monkeypatch):
    calls = []
    monkeypatch.setattr(panels, "send_shipments", fake_send(calls))
    set_sync_state(["SHP-1005", "SHP-1010"], "Rejected")
    at = app_as("operations", "logs")
    at.button(key=state.LOG_RETRY_ALL).click().run()
    assert_clean(at)
    assert [(sorted(ids), trigger) for ids, trigger, _ in calls] == [
        (sorted(shipment_by_number(n).id for n in ("SHP-1005", "SHP-1010")), "retry")
    ]
    # Eleven rejected: more than one batch, so they go to the worker's queue.
    set_sync_state([f"SHP-{n}" for n in range(1001, 1012)], "Rejected")
    at = app_as("operations", "logs")
    assert "11 shipments are rejected now" in texts(at)
    at.button(key=state.LOG_RETRY_ALL).click().run()
    assert_clean(at)
    assert len(calls) == 1
    assert count_rows(SyncJob) == 11
    assert any("11 rejected shipments are queued for the worker" in s.value for s in at.success)
    assert "No shipment is rejected now." in texts(at)  # they are queued now
    assert at.button(key=state.LOG_RETRY_ALL).disabled
