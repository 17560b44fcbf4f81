"""The cancel panel on a shipment, its credit notes, Connect's counts by kind and the
Dashboard's net credits, in AppTest. What Xero allows per state follows xero-facts.md §9
(delete for DRAFT/SUBMITTED, void for AUTHORISED without payments, otherwise a credit note);
the real calls are tested in tests/services/test_cancellation.py and the browser journey in
tests/e2e/test_cancel_journey.py."""

from __future__ import annotations

from decimal import Decimal

import pytest

from models import RetiredNumber, XeroCreditNote
from services.db import session_scope
from tests.pages.helpers import add_connection, assert_clean, mark_sent, table_in, texts
from ui import state

TENANT = "tenant-Demo Exports Ltd"


def open_shipment(app_as, shipment_id: int, role: str = "operations"):
    at = app_as(role, "shipments")
    at.selectbox(key=state.OPEN_SHIPMENT).set_value(shipment_id).run()
    return at


def radio_options(at, shipment_id: int) -> list[str]:
    return list(at.radio(key=f"{state.CANCEL_ACTION}_{shipment_id}").options)


def add_credit_note(shipment_id: int, number: str, total: str, allocated: str) -> None:
    with session_scope() as session:
        session.add(
            XeroCreditNote(
                shipment_id=shipment_id,
                tenant_id=TENANT,
                credit_note_id="cn-1",
                credit_note_number=number,
                status="AUTHORISED",
                total=Decimal(total),
                allocated=Decimal(allocated),
                remaining=Decimal(total) - Decimal(allocated),
            )
        )


def test_an_unpaid_cancelled_invoice_offers_void_or_credit(app_as):
    sid = mark_sent("SHP-1001", "INV-0001", total="100.00", workflow_status="Cancelled")
    at = open_shipment(app_as, sid)
    assert_clean(at)
    assert radio_options(at, sid) == [
        "Void the invoice in Xero (it stays there, marked VOIDED, owing nothing)",
        "Raise a credit note in Xero against the invoice",
        "Leave the invoice in Xero as it is",
    ]
    assert "Xero never reuses a voided invoice's number" in texts(at)


def test_a_part_paid_invoice_offers_only_a_credit_note_with_lines(app_as):
    sid = mark_sent(
        "SHP-1002", "INV-0002", total="100.00", paid="40.00", workflow_status="Cancelled"
    )
    at = open_shipment(app_as, sid)
    assert radio_options(at, sid) == [
        "Raise a credit note in Xero against the invoice",
        "Leave the invoice in Xero as it is",
    ]
    at.radio(key=f"{state.CANCEL_SCOPE}_{sid}").set_value("lines").run()
    assert_clean(at)
    lines = at.multiselect(key=f"{state.CANCEL_LINES}_{sid}")
    assert len(lines.options) >= 1


def test_a_draft_offers_delete_and_a_shipped_one_no_panel(app_as):
    draft = mark_sent(
        "SHP-1003", "INV-0003", total="10.00", status="DRAFT", workflow_status="Cancelled"
    )
    at = open_shipment(app_as, draft)
    assert radio_options(at, draft)[0] == "Delete the draft invoice in Xero"
    shipped = mark_sent("SHP-1004", "INV-0004", total="10.00", workflow_status="Shipped")
    at = open_shipment(app_as, shipped)
    assert_clean(at)
    with pytest.raises(KeyError):  # no panel drawn
        at.get_by_key(state.CANCEL_PANEL)


def test_doing_it_queues_it_for_the_worker_and_says_so(app_as):
    """Issue 15 item 1: cancellations go through the queue like sends; the panel only queues
    (the worker's part is tested in tests/services/test_cancel_queue.py)."""
    add_connection("Demo Exports Ltd")
    sid = mark_sent(
        "SHP-1005", "INV-0005", total="10.00", workflow_status="Cancelled", tenant_id=TENANT
    )
    at = open_shipment(app_as, sid)
    at.button(key=f"{state.CANCEL_DO}_{sid}").click().run()
    assert_clean(at)
    infos = [i.value for i in at.info]
    assert (
        "Queued: void INV-0005 in Xero; the worker will do it within seconds. The result shows "
        "on the shipment's Integration tab and in Accounting Logs."
    ) in infos
    # Said once, not twice in other words.
    assert not [i for i in infos if i.startswith("Queued: void the invoice")]
    with pytest.raises(KeyError):
        at.get_by_key(f"{state.CANCEL_DO}_{sid}")
    # While it waits, a later run says so instead of offering the choice again.
    at.run()
    waiting = [i.value for i in at.info]
    assert "Queued: void the invoice in Xero; the worker will do it within seconds." in waiting
    with pytest.raises(KeyError):
        at.get_by_key(f"{state.CANCEL_DO}_{sid}")


def test_a_returned_shipment_opens_the_same_panel(app_as):
    sid = mark_sent("SHP-1007", "INV-0007", total="100.00", workflow_status="Returned")
    at = open_shipment(app_as, sid)
    assert_clean(at)
    assert "Returned: what should happen in Xero?" in texts(at)
    assert radio_options(at, sid)[0] == (
        "Void the invoice in Xero (it stays there, marked VOIDED, owing nothing)"
    )


def test_the_shipment_shows_its_credit_notes_and_finance_nets_them(app_as):
    sid = mark_sent(
        "SHP-1006",
        "INV-0006",
        total="100.00",
        paid="100.00",
        status="PAID",
        workflow_status="Cancelled",
        currency="USD",
    )
    add_credit_note(sid, "INV-0006-CN1", "30.00", "0")
    at = open_shipment(app_as, sid, role="finance")
    assert_clean(at)
    notes = table_in(at, state.CREDIT_NOTES).to_dict("records")
    assert [(n["Number"], n["Amount"], n["Status"]) for n in notes] == [
        ("INV-0006-CN1", "30.00 USD", "AUTHORISED")
    ]
    dashboard = app_as("finance", "dashboard")
    assert_clean(dashboard)
    net = table_in(dashboard, state.NET_CREDITS).to_dict("records")
    [usd] = [r for r in net if r["Currency"] == "USD"]
    assert usd["Credited"] == "30.00 USD"


def test_a_voided_shipment_says_which_number_a_resend_uses(app_as):
    sid = mark_sent(
        "SHP-1007",
        "SHP-1007",
        total="10.00",
        status="VOIDED",
        workflow_status="Cancelled",
        tenant_id=TENANT,
    )
    with session_scope() as session:
        session.add(
            RetiredNumber(
                shipment_id=sid,
                tenant_id=TENANT,
                number="SHP-1007",
                number_key="shp-1007",
                xero_status="VOIDED",
            )
        )
    at = open_shipment(app_as, sid)
    assert_clean(at)
    assert "sent again, SHP-1007 goes to Xero as a new invoice, SHP-1007-2." in texts(at)
    assert "there is nothing more to cancel there" in texts(at)


def test_connect_counts_each_kind(app_as):
    add_connection("Demo Exports Ltd")
    mark_sent("SHP-1001", "INV-0001", total="10.00", tenant_id=TENANT)
    mark_sent("SHP-1002", "QU-0001", total="10.00", document_type="quote", tenant_id=TENANT)
    sid = mark_sent("SHP-1003", "INV-0003", total="10.00", tenant_id=TENANT)
    add_credit_note(sid, "INV-0003-CN1", "5.00", "5.00")
    at = app_as("admin", "connect")
    assert_clean(at)
    tables = [t.value for t in at.dataframe if "Credit notes" in t.value.columns]
    [table] = tables
    row = table.set_index("Organisation").loc["Demo Exports Ltd"]
    assert (row["Invoices"], row["Quotes"], row["Credit notes"]) == (2, 1, 1)
