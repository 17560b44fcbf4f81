"""The Send to Accounting page: the shared selection, Send, Push remaining, queue counts."""

from __future__ import annotations

from sqlmodel import select

from models import IntegrationLog, SyncJob
from pages import state
from services import queue
from services.db import session_scope
from tests.pages.helpers import (
    add_connection,
    add_reference_data,
    assert_clean,
    count_rows,
    select_rows,
    shipment_by_number,
    texts,
)


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
    assert queue_progress(at) == (0, "0 of 30 sent, 30 waiting for the worker.")
    at.button(key=state.PUSH_REMAINING).click().run()
    assert count_rows(SyncJob) == 30  # queued once each

    # The worker sends ten of them: the bar moves on.
    with session_scope() as session:
        first_ten = session.exec(select(SyncJob.shipment_id).limit(10)).all()
        queue.complete(session=session, shipment_ids=list(first_ten))
    at.button(key=state.QUEUE_REFRESH).click().run()
    assert queue_progress(at) == (33, "10 of 30 sent, 20 waiting for the worker.")


def queue_progress(at) -> tuple[int, str]:
    [bar] = at.get("progress")
    return bar.proto.value, bar.proto.text


def open_send_with(at, numbers: list[str]):
    """The Send page with these shipments selected (as ticked on the Shipments page)."""
    at.session_state[state.SELECTED_IDS] = [shipment_by_number(n).id for n in numbers]
    at.switch_page("pages/send.py").run()
    assert_clean(at)
    return at


def test_preview_shows_each_document_and_which_will_be_refused_and_why(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    at = open_send_with(app_as("operations", "shipments"), ["SHP-1001", "SHP-1025"])
    shown = texts(at)
    assert "**1** will be sent · **1** will be refused" in shown
    refused = [e.value for e in at.warning]
    assert len(refused) == 1 and refused[0].startswith("**SHP-1025** will be refused:")
    assert "product code WIDGET-Z is not a Xero item code" in refused[0]
    [document] = at.expander
    # One product line and the freight line (85.00): 210.00 USD in all.
    assert document.label == (
        "SHP-1001 → Invoice SHP-1001 to Acme Imports Inc · 2 line(s) · 210.00 USD"
    )
    facts = document.markdown[0].value
    for fact in (
        "**Organisation**: Demo Exports Ltd",
        "**Contact**: Acme Imports Inc (account number ACME)",
        "**Status**: DRAFT",
        "**Currency**: USD",
        "**In Xero**: creates a new document",
    ):
        assert fact in facts
    lines = document.dataframe[0].value
    assert list(lines.columns) == [
        "Item", "Description", "Quantity", "Unit price", "Account", "Tax", "Amount"
    ]  # fmt: skip
    assert lines[["Item", "Account", "Tax", "Amount"]].values.tolist() == [
        ["WIDGET-A", "210", "ZERORATED", "125.00 USD"],
        ["", "265", "ZERORATED", "85.00 USD"],
    ]
    assert document.json[0].value  # the payload exactly as it will be sent


def test_preview_without_an_organisation_says_it_will_be_refused(app_as):
    at = open_send_with(app_as("operations", "shipments"), ["SHP-1002"])
    [refused] = at.warning
    assert refused.value.startswith("**SHP-1002** will be refused:")
    assert "Xero organisation is not connected" in refused.value
    assert count_rows(IntegrationLog) == 0  # a preview sends and records nothing
