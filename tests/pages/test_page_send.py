"""The Send to Accounting page: the shared selection, Send, Push remaining, queue counts."""

from __future__ import annotations

from sqlmodel import select

from models import IntegrationLog, SyncJob
from services import queue
from services.db import session_scope
from services.outcomes import BatchResult, ShipmentOutcome
from tests.pages.helpers import (
    add_connection,
    add_reference_data,
    assert_clean,
    count_rows,
    select_rows,
    shipment_by_number,
    texts,
)
from ui import panels, state


def test_shows_the_selection_made_on_the_shipments_page(app_as):
    at = select_rows(app_as("operations", "shipments"), [0, 1, 2])
    at.switch_page("pages/send.py").run()
    assert_clean(at)
    assert at.title[0].value == "Send to Accounting"
    assert len(at.dataframe[0].value) == 3
    assert "3 selected: 3 to send now." in texts(at)
    assert at.button(key=state.SEND_BUTTON).label == "Send 3 to Accounting"


def test_nothing_selected_disables_send(app_as):
    at = app_as("operations", "send")
    assert_clean(at)
    assert "Nothing is selected" in texts(at)
    assert at.button(key=state.SEND_BUTTON).disabled


def test_send_is_disabled_when_the_preview_refuses_every_shipment(app_as):
    """No organisation connected: the preview refuses both, so Send is off and says why."""
    at = select_rows(app_as("admin", "shipments"), [0, 1])
    at.switch_page("pages/send.py").run()
    assert_clean(at)
    assert "**2** will be refused" in texts(at)
    send = at.button(key=state.SEND_BUTTON)
    assert send.disabled
    assert "None of the selected shipments can be sent" in send.help
    assert "None of the selected shipments can be sent" in texts(at)
    assert "? Refresh Xero's codes on the Mapping page" in send.help  # an admin can
    assert count_rows(IntegrationLog) == 0


def test_a_refused_send_tells_operations_to_ask_an_admin_for_a_refresh(app_as):
    at = select_rows(app_as("operations", "shipments"), [0, 1])
    at.switch_page("pages/send.py").run()
    assert_clean(at)
    help_text = at.button(key=state.SEND_BUTTON).help
    assert "ask an admin to refresh Xero's codes on the Mapping page" in help_text


def test_send_stays_enabled_while_one_can_be_sent(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    at = open_send_with(app_as("operations", "shipments"), ["SHP-1001", "SHP-1025"])
    assert not at.button(key=state.SEND_BUTTON).disabled
    assert "None of the selected shipments can be sent" not in texts(at)


def push_and_confirm(at):
    """Push remaining, then the confirmation's "Queue n shipments"."""
    at.button(key=state.PUSH_REMAINING).click().run()
    assert_clean(at)
    return at.button(key=state.PUSH_CONFIRM_BUTTON).click().run()


def test_push_remaining_asks_first_how_many_and_as_what(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    at = app_as("operations", "send")
    at.button(key=state.PUSH_REMAINING).click().run()
    assert_clean(at)
    assert count_rows(SyncJob) == 0  # nothing is queued until confirmed
    box = at.get_by_key(state.PUSH_CONFIRM)
    asked = "\n".join(m.value for m in box.markdown)
    assert "**Queue 30 shipments for the worker?**" in asked
    # The demo's shipments have no organisation of their own: they go to the default one, as
    # the default mapping settings say (draft invoices).
    assert "- 30 shipments as DRAFT invoices in Demo Exports Ltd" in asked
    assert at.button(key=state.PUSH_CONFIRM_BUTTON).label == "Queue 30 shipments"
    at.button(key=state.PUSH_CANCEL).click().run()
    assert_clean(at)
    assert state.PUSH_CONFIRM_BUTTON not in [b.key for b in at.button]
    assert count_rows(SyncJob) == 0


def test_push_remaining_says_quotes_and_their_status_from_the_mapping(app_as):
    from services.mapping import update_sync_settings

    add_connection("Demo Exports Ltd", tenant_id="t1")
    with session_scope() as session:
        update_sync_settings(
            session=session,
            changes={"document_type": "quote", "quote_status": "SENT"},
            user="admin",
            tenant_id="t1",
        )
    at = app_as("operations", "send")
    at.button(key=state.PUSH_REMAINING).click().run()
    asked = "\n".join(m.value for m in at.get_by_key(state.PUSH_CONFIRM).markdown)
    assert "- 30 shipments as SENT quotes in Demo Exports Ltd" in asked


def test_push_remaining_queues_every_unsent_shipment(app_as):
    at = push_and_confirm(app_as("operations", "send"))
    assert_clean(at)
    assert any("30 shipments queued for the worker" in s.value for s in at.success)
    assert count_rows(SyncJob) == 30
    assert state.PUSH_CONFIRM_BUTTON not in [b.key for b in at.button]  # asked and answered
    waiting = next(m for m in at.metric if m.label == "Waiting")
    assert waiting.value == "30"
    assert queue_progress(at) == (0, "0 of 30 sent, 30 waiting for the worker.")
    at.button(key=state.PUSH_REMAINING).click().run()
    assert "Nothing to queue: every shipment is sent or in the queue already." in texts(at)
    assert count_rows(SyncJob) == 30  # queued once each

    # The worker sends ten of them: the bar moves on.
    with session_scope() as session:
        first_ten = session.exec(select(SyncJob.shipment_id).limit(10)).all()
        queue.complete(session=session, shipment_ids=list(first_ten))
    at.button(key=state.QUEUE_REFRESH).click().run()
    assert queue_progress(at) == (33, "10 of 30 sent, 20 waiting for the worker.")


def test_the_finished_queue_says_how_many_were_rejected_and_which(app_as):
    at = push_and_confirm(app_as("operations", "send"))
    rejected = {"SHP-1020", "SHP-1025", "SHP-1029"}
    with session_scope() as session:
        jobs = session.exec(select(SyncJob.shipment_id)).all()
        ids = {shipment_by_number(n).id for n in rejected}
        queue.complete(session=session, shipment_ids=[i for i in jobs if i not in ids])
        queue.complete(session=session, shipment_ids=list(ids), rejected="Fix it.")
    at.button(key=state.QUEUE_REFRESH).click().run()
    assert_clean(at)
    shown = texts(at)
    assert "every queued shipment has been sent" not in shown
    assert "The queue is empty. Its last run: 27 of 30 sent, 3 rejected." in shown
    assert "Rejected, not sent: SHP-1020, SHP-1025, SHP-1029." in shown
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Sent"], metrics["Rejected"]) == ("27", "3")
    assert "Done" not in metrics
    [link] = [e for e in at.get("page_link") if "rejections" in e.proto.label]
    assert "logs" in link.proto.page
    assert "outcome=Rejected" in link.proto.query_string


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
    # Money with its currency and two decimals, as the total in the title.
    assert list(lines["Unit price"]) == ["12.50 USD", "85.00 USD"]
    assert document.json[0].value  # the payload exactly as it will be sent


def test_preview_without_an_organisation_says_it_will_be_refused(app_as):
    at = open_send_with(app_as("operations", "shipments"), ["SHP-1002"])
    [refused] = [w for w in at.warning if "will be refused" in w.value]  # and ui.xero_status
    assert refused.value.startswith("**SHP-1002** will be refused:")
    assert "Xero organisation is not connected" in refused.value
    # Said to operations, who cannot connect: it names who can (issue 15 item 8).
    assert "an admin must connect it on the Connect page" in refused.value
    assert count_rows(IntegrationLog) == 0  # a preview sends and records nothing


def fake_send(outcomes, api_calls):
    def send_shipments(*, shipment_ids, trigger, user, progress):
        progress(1.0, "Done.")
        return BatchResult(batch_id="b1", outcomes=outcomes(shipment_ids), api_calls=api_calls)

    return send_shipments


def test_a_send_that_sent_nothing_never_says_sent_and_explains_its_api_calls(app_as, monkeypatch):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    refused = lambda ids: [  # noqa: E731 - Shipbridge's checks refused them: nothing went
        ShipmentOutcome(i, f"SHP-{i}", "Rejected", ["Fix the item value."]) for i in ids
    ]
    monkeypatch.setattr(panels, "send_shipments", fake_send(refused, api_calls=6))
    at = open_send_with(app_as("operations", "shipments"), ["SHP-1001", "SHP-1003"])
    at.button(key=state.SEND_BUTTON).click().run()
    assert_clean(at, allow_errors=True)  # each rejection is shown as an error
    [summary] = [c.value for c in at.caption if "API call" in c.value]
    assert summary.startswith(
        "Nothing was sent to Xero: 2 rejected. 6 API calls, all reading Xero's codes "
        "(contacts, items, accounts, tax rates) to check the shipments; no document was sent."
    )
    assert "Sent:" not in texts(at)


def test_a_send_xero_refused_says_xero_took_none(app_as, monkeypatch):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    refused_by_xero = lambda ids: [  # noqa: E731
        ShipmentOutcome(i, f"SHP-{i}", "Rejected", sent_to_xero=True) for i in ids
    ]
    monkeypatch.setattr(panels, "send_shipments", fake_send(refused_by_xero, api_calls=1))
    at = open_send_with(app_as("operations", "shipments"), ["SHP-1001"])
    at.button(key=state.SEND_BUTTON).click().run()
    [summary] = [c.value for c in at.caption if "API call" in c.value]
    assert summary.startswith("Xero took none of them: 1 rejected. 1 API call. Took ")
