"""The Accounting Logs page: newest first, filters, View error, CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from models import IntegrationLog, SyncJob
from services.sync import BatchResult, ShipmentOutcome
from tests.pages.conftest import logged_in_as, new_app
from tests.pages.helpers import (
    add_connection,
    assert_clean,
    count_rows,
    log_rejection,
    set_sync_state,
    shipment_by_number,
    texts,
)
from ui import panels, state


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
        "API calls (batch)", "Attempt",
    ]  # fmt: skip
    assert list(table["Attempt"]) == ["Latest", "Latest"]  # one attempt per shipment
    assert "2 attempts · page 1 of 1" in texts(at)
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
    log_rejection("SHP-1005", triggered_by="admin", trigger="sync now")
    log_rejection("SHP-1010")
    log_rejection("SHP-1015", triggered_by="someone")  # no longer a user: shown by username
    at = app_as("admin", "logs")
    who = at.selectbox(key=state.LOG_USER)
    # Everyone in the log, by the name the sidebar shows (the username beside it).
    assert who.options == ["Ada Admin (admin)", "Oscar Operations (operations)", "someone"]
    who.set_value("admin").run()
    assert_clean(at)
    assert list(at.dataframe[0].value["Shipment"]) == ["SHP-1005"]
    assert "1 attempt · page 1 of 1" in texts(at)
    at.selectbox(key=state.LOG_USER).set_value(None).run()
    at.selectbox(key=state.LOG_TRIGGER).set_value("bulk").run()
    assert list(at.dataframe[0].value["Shipment"]) == ["SHP-1015", "SHP-1010"]


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
    calls: list[tuple] = []
    monkeypatch.setattr(panels, "send_shipments", fake_send(calls))
    entry = log_rejection("SHP-1005")
    set_sync_state(["SHP-1005"], "Rejected")
    at = app_as("admin", "logs")
    at.button(key=f"{state.LOG_RETRY_PREFIX}{entry}").click().run()
    assert_clean(at)
    shipment_id = shipment_by_number("SHP-1005").id
    assert calls == [([shipment_id], "retry", "admin")]
    assert any("Retry — Sent: 1 processed. 1 API call." in i.value for i in at.info)
    assert any(f"SHP-{shipment_id}: Processed — Xero INV-{shipment_id}" in s.value
               for s in at.success)  # fmt: skip


def test_retry_all_rejected_sends_ten_or_queues_more(app_as, monkeypatch):
    calls: list[tuple] = []
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


def test_retry_only_on_a_shipments_latest_attempt_and_older_ones_say_superseded(app_as):
    older = [log_rejection("SHP-1020") for _ in range(3)]
    latest = log_rejection("SHP-1020")
    processed = log_rejection("SHP-1025", outcome="Processed", errors_xero=None)
    set_sync_state(["SHP-1020"], "Rejected")
    at = app_as("operations", "logs")
    assert_clean(at)
    table = at.dataframe[0].value
    assert list(table["Attempt"]) == ["Latest", "Latest", "Superseded", "Superseded", "Superseded"]
    assert list(table["Shipment"]) == ["SHP-1025", *["SHP-1020"] * 4]
    # Every rejection keeps its View error; only the newest one can be retried.
    views = [b.key for b in at.button if b.label == "View error"]
    assert views == [f"{state.VIEW_ERROR_PREFIX}{i}" for i in (latest, *reversed(older))]
    assert [b.key for b in at.button if b.label == "Retry"] == [f"{state.LOG_RETRY_PREFIX}{latest}"]
    rows = [m.value for m in at.markdown if str(m.value).startswith("SHP-1020 · ")]
    assert len(rows) == 4
    assert sum("superseded by a later attempt" in r for r in rows) == 3
    assert "superseded by a later attempt" not in rows[0]
    assert "Superseded: a later attempt to send the same shipment exists" in texts(at)
    assert processed not in older


def test_view_error_of_a_shipment_never_sent_explains_the_batchs_api_calls(app_as):
    never_sent = log_rejection(
        "SHP-1020",
        batch_id="b9",
        payload=None,
        errors_xero=None,
        errors_plain=["Line 1: item value must be quantity × unit price."],
        api_calls=6,
        note="Rejected by Shipbridge before sending; no API call.",  # as older sends wrote it
    )
    at = app_as("operations", "logs")
    at.button(key=f"{state.VIEW_ERROR_PREFIX}{never_sent}").click().run()
    assert_clean(at)
    shown = texts(at)
    assert "no API call" not in shown
    assert (
        "Xero was not sent this shipment: Shipbridge found the problem first. Its batch's "
        "6 API calls only read Xero's codes (contacts, items, accounts, tax rates) to check "
        "the shipments; no document was sent."
    ) in shown
    assert "Rejected by Shipbridge before sending: not sent to Xero." in shown
    assert "Nothing was sent to Xero." in shown


def test_view_error_names_the_documents_its_batch_did_send(app_as):
    """The batch sent another shipment's document: its calls were not all reads."""
    never_sent = log_rejection(
        "SHP-1020", batch_id="b7", payload=None, errors_xero=None, api_calls=2
    )
    log_rejection("SHP-1001", batch_id="b7", outcome="Processed", errors_xero=None, api_calls=2)
    at = app_as("operations", "logs")
    at.button(key=f"{state.VIEW_ERROR_PREFIX}{never_sent}").click().run()
    assert (
        "The 2 API calls in the table are its batch's: for the batch's other shipments "
        "(1 document sent to Xero), and for reading Xero's codes when the check needed them."
    ) in texts(at)


def test_a_link_can_open_the_log_filtered_to_rejections(app_as):
    log_rejection("SHP-1020")
    log_rejection("SHP-1001", outcome="Processed", errors_xero=None)
    at = new_app()
    logged_in_as(at, "operations")
    at.query_params["outcome"] = "Rejected"
    at.switch_page("pages/logs.py").run()
    assert_clean(at)
    assert at.selectbox(key=state.LOG_OUTCOME).value == "Rejected"
    assert list(at.dataframe[0].value["Shipment"]) == ["SHP-1020"]
    # Asked once: the user can widen the filter again.
    at.selectbox(key=state.LOG_OUTCOME).set_value(None).run()
    assert list(at.dataframe[0].value["Shipment"]) == ["SHP-1001", "SHP-1020"]


def test_csv_export_writes_the_users_time_zone_with_its_offset(app_as, monkeypatch):
    """Streamlit builds the file after the page run, where the browser's time zone is not
    known: the page hands the export the zone it showed the times in."""
    from streamlit.delta_generator import DeltaGenerator

    from services.db import session_scope

    entry = log_rejection("SHP-1005")
    with session_scope() as session:
        row = session.get(IntegrationLog, entry)
        assert row is not None
        row.created_at = datetime(2026, 11, 29, 10, 3, tzinfo=UTC)
        session.add(row)
    made = {}
    original = DeltaGenerator.download_button

    def download_button(self, label, data, *args, **kwargs):
        made[kwargs.get("key")] = data
        return original(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", download_button)
    at = app_as("finance", "logs")
    assert_clean(at)
    assert at.dataframe[0].value["When"][0] == "2026-11-29 23:03"  # the page: Auckland time
    text = made[state.LOG_EXPORT]()  # as Streamlit calls it: outside the page run
    header, first = list(csv.reader(io.StringIO(text)))[:2]
    assert header[0] == "When (Pacific/Auckland)"
    assert first[0] == "2026-11-29T23:03:00+13:00"


def test_attempt_counts_read_as_words():
    """For the Integration tab's caption (it said "1 attempt(s); the newest 1 are shown.")."""
    assert panels.attempts_caption(1, 1) == "1 attempt, newest first."
    assert panels.attempts_caption(120, 50) == "120 attempts; the newest 50 are shown."
