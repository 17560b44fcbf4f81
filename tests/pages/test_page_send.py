"""The Send to Accounting page: the shared selection, Send, Push remaining, queue counts."""

from __future__ import annotations

from models import IntegrationLog, SyncJob
from pages import state
from tests.pages.helpers import assert_clean, count_rows, select_rows, texts


def test_shows_the_selection_made_on_the_shipments_page(app_as):
    at = select_rows(app_as("operations", "shipments"), [0, 1, 2])
    at.switch_page("pages/send.py").run()
    assert_clean(at)
    assert at.title[0].value == "Send to Accounting"
    assert len(at.dataframe[0].value) == 3
    assert "3 of 10 selected" in texts(at)


def test_nothing_selected_disables_send(app_as):
    at = app_as("operations", "send")
    assert_clean(at)
    assert "Nothing is selected" in texts(at)
    assert at.button(key=state.SEND_BUTTON).disabled


def test_send_without_a_connection_says_so_and_writes_no_log(app_as):
    at = select_rows(app_as("admin", "shipments"), [0])
    at.switch_page("pages/send.py").run()
    at.button(key=state.SEND_BUTTON).click().run()
    assert_clean(at, allow_errors=True)
    assert any("No Xero organisation is connected" in e.value for e in at.error)
    assert count_rows(IntegrationLog) == 0


def test_push_remaining_queues_every_unsent_shipment(app_as):
    at = app_as("operations", "send")
    at.button(key=state.PUSH_REMAINING).click().run()
    assert_clean(at)
    assert any("30 unsent shipment(s) are queued" in s.value for s in at.success)
    assert count_rows(SyncJob) == 30
    waiting = next(m for m in at.metric if m.label == "Waiting")
    assert waiting.value == "30"
    at.button(key=state.PUSH_REMAINING).click().run()
    assert count_rows(SyncJob) == 30  # queued once each
