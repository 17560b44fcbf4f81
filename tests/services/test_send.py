"""Sending shipments to the sandbox through the real xero-python SDK."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from sqlmodel import col, select

from models import (
    ConnectionStatus,
    IntegrationLog,
    Shipment,
    ShipmentFields,
    SyncState,
    XeroConnection,
    XeroContact,
)
from services import connections, reference_data
from services.db import session_scope
from services.fencing import UNCHANGED
from services.mapping import update_sync_settings
from services.shipment_edits import update_shipment
from services.sync import SyncError, send_shipments
from tests.utils.factories import line, make_shipment, stored


def create_calls(sandbox, kind="Invoices"):
    return [
        c
        for c in sandbox.calls()
        if c["method"] in ("PUT", "POST") and c["path"].rstrip("/").endswith(f"/{kind}")
    ]


def shipments(engine, n, **overrides):
    with session_scope(engine) as session:
        return [make_shipment(session, **overrides).id for _ in range(n)]


def test_connect_shows_the_organisation(connected):
    assert connected.tenant_name == "Shipbridge Demo Exports Ltd"
    assert connected.base_currency == "NZD"
    assert connected.access_token_enc and "." not in connected.access_token_enc[:4]
    assert connected.short_code == "!sbNZ1"  # Xero's ShortCode, for links into Xero


def test_a_sent_documents_link_opens_it_in_its_organisation(engine, connected, sandbox):
    """The link the pages show goes through Xero's organisation login hop (with the short
    code) and lands on the invoice's own page."""
    from ui.xero_document import document_url

    [sid] = shipments(engine, 1)
    [outcome] = send_shipments(shipment_ids=[sid], trigger="bulk", user="ops").outcomes
    assert outcome.outcome == "Processed", outcome.messages
    with session_scope(engine) as session:
        shipment = stored(session, Shipment, sid)
        url = document_url(shipment, {connected.tenant_id: connected.short_code})
    assert url is not None
    assert url.startswith(f"{sandbox.url}/organisationlogin/default.aspx?shortcode=%21sbNZ1&")
    page = httpx.get(url, follow_redirects=True)
    assert page.status_code == 200
    assert str(page.url).endswith(
        f"/AccountsReceivable/View.aspx?InvoiceID={shipment.xero_document_id}"
    )
    assert shipment.xero_document_number is not None
    assert shipment.xero_document_number in page.text


def test_batch_of_ten_with_two_invalid_is_one_api_call(engine, connected, sandbox):
    ids = shipments(engine, 8)
    with session_scope(engine) as session:
        ids.append(make_shipment(session, buyer_code="ALOK").id)
        ids.append(make_shipment(session, due_date=None).id)
    result = send_shipments(shipment_ids=ids, trigger="bulk", user="ops")
    assert result.count("Processed") == 8 and result.count("Rejected") == 2
    assert len(create_calls(sandbox)) == 1
    by_id = {o.shipment_id: o for o in result.outcomes}
    assert by_id[ids[8]].messages == [
        "Customer code ALOK is not a Xero contact's account number: fix the code or add it "
        "in Xero (did you mean ALOK-01?)."
    ]
    assert by_id[ids[9]].messages == ["Due date is missing: enter the date payment is due."]
    with session_scope(engine) as session:
        rows = {s.id: s for s in session.exec(select(Shipment))}
        assert all(rows[i].sync_state == SyncState.PROCESSED for i in ids[:8])
        assert all(rows[i].xero_document_number == rows[i].shipment_number for i in ids[:8])
        assert {rows[i].sync_state for i in ids[8:]} == {SyncState.REJECTED}
        logs = session.exec(select(IntegrationLog)).all()
        assert len(logs) == 10 and {log.batch_id for log in logs} == {result.batch_id}
        numbers = [rows[i].shipment_number for i in ids]
        # What Xero holds, read back through the SDK: the eight taken, not the two refused.
        in_xero = connections.adapter_for(connected, session=session).find_invoices(
            connected.tenant_id, numbers
        )
    assert sorted(invoice.number or "" for invoice in in_xero) == sorted(numbers[:8])


def edit_lines(engine, sid: int, *, quantity: str) -> None:
    """Someone changes the shipment's lines after it was sent."""
    with session_scope(engine) as session:
        shipment = stored(session, Shipment, sid)
        update_shipment(
            session=session,
            shipment_id=sid,
            fields=ShipmentFields(**shipment.model_dump(include=set(ShipmentFields.model_fields))),
            lines=[line(quantity=quantity)],
            user="ops",
        )


def test_sending_again_what_xero_already_holds_unchanged_sends_nothing(engine, connected, sandbox):
    [sid] = shipments(engine, 1)
    first = send_shipments(shipment_ids=[sid], trigger="bulk", user="ops").outcomes[0]
    assert first.outcome == "Processed", first.messages
    calls = len(create_calls(sandbox))
    again = send_shipments(shipment_ids=[sid], trigger="retry", user="ops").outcomes[0]
    assert (again.outcome, again.messages) == ("Skipped", [UNCHANGED])
    assert again.document_id == first.document_id
    assert len(create_calls(sandbox)) == calls


def test_eleven_selected_sends_nothing(engine, connected, sandbox):
    ids = shipments(engine, 11)
    with pytest.raises(SyncError, match="11 shipments are selected; send at most 10"):
        send_shipments(shipment_ids=ids, trigger="bulk", user="ops")
    assert create_calls(sandbox) == []
    with session_scope(engine) as session:
        assert session.exec(select(IntegrationLog)).all() == []


def test_resending_an_edited_shipment_updates_not_duplicates(engine, connected, sandbox):
    [sid] = shipments(engine, 1)
    first = send_shipments(shipment_ids=[sid], trigger="bulk", user="ops").outcomes[0]
    edit_lines(engine, sid, quantity="3")
    second = send_shipments(shipment_ids=[sid], trigger="retry", user="ops").outcomes[0]
    assert first.outcome == second.outcome == "Processed"
    assert first.document_id == second.document_id
    with session_scope(engine) as session:
        actions = [
            x.action for x in session.exec(select(IntegrationLog).order_by(col(IntegrationLog.id)))
        ]
    assert actions == ["create", "update"]


def test_a_sent_shipment_stays_with_its_organisation_when_the_default_changes(
    engine, connected, sandbox
):
    """A shipment with no organisation of its own goes to the default one; once its document
    is there, a later send updates it there, never creates a second one elsewhere."""
    [sid] = shipments(engine, 1)
    first = send_shipments(shipment_ids=[sid], trigger="bulk", user="ops").outcomes[0]
    assert first.outcome == "Processed", first.messages
    with session_scope(engine) as session:
        assert stored(session, Shipment, sid).tenant_id == connected.tenant_id
        stored(session, XeroConnection, connected.id).is_default = False
        session.add(
            XeroConnection(
                tenant_id="another-organisation",
                tenant_name="Another Ltd",
                status=ConnectionStatus.ACTIVE,
                is_default=True,
            )
        )
    edit_lines(engine, sid, quantity="3")
    second = send_shipments(shipment_ids=[sid], trigger="retry", user="ops").outcomes[0]
    assert second.outcome == "Processed", second.messages
    assert second.document_id == first.document_id
    with session_scope(engine) as session:
        attempts = session.exec(select(IntegrationLog).order_by(col(IntegrationLog.id))).all()
    assert [(a.action, a.tenant_id) for a in attempts] == [
        ("create", connected.tenant_id),
        ("update", connected.tenant_id),
    ]


def test_quotes_when_the_setting_says_so(engine, connected, sandbox):
    with session_scope(engine) as session:
        update_sync_settings(session=session, user="admin", changes={"document_type": "quote"})
    ids = shipments(engine, 3)
    result = send_shipments(shipment_ids=ids, trigger="bulk", user="ops")
    assert result.count("Processed") == 3, result.outcomes
    assert len(create_calls(sandbox, "Quotes")) == 1 and create_calls(sandbox) == []


def test_without_a_connection_the_send_says_so(engine, sandbox):
    ids = shipments(engine, 1)
    with pytest.raises(SyncError, match="No Xero organisation is connected"):
        send_shipments(shipment_ids=ids, trigger="bulk", user="ops")


def test_a_document_made_by_hand_in_xero_is_updated_not_duplicated(engine, connected, sandbox):
    [sid] = shipments(engine, 1)
    with session_scope(engine) as session:
        shipment = stored(session, Shipment, sid)
        adapter = connections.adapter_for(connected, session=session)
        reference_data.refresh(session=session, connection=connected, adapter=adapter)
        number, contact = (
            shipment.shipment_number,
            session.exec(select(XeroContact).where(XeroContact.account_number == "ACME")).first(),
        )
    assert contact is not None
    # Someone keyed the invoice into Xero first, under the same number.
    [by_hand] = adapter.save_invoices(
        connected.tenant_id,
        [
            {
                "Type": "ACCREC",
                "Contact": {"ContactID": contact.contact_id},
                "InvoiceNumber": number,
                "Date": "2026-11-01",
                "DueDate": "2026-12-01",
                "Status": "DRAFT",
                "LineItems": [
                    {
                        "Description": "typed by hand",
                        "Quantity": "1",
                        "UnitAmount": "1",
                        "AccountCode": "200",
                        "TaxType": "NONE",
                    }
                ],
            }
        ],
        idempotency_key="by-hand-1",
    )
    assert by_hand.ok
    outcome = send_shipments(shipment_ids=[sid], trigger="bulk", user="ops").outcomes[0]
    assert outcome.outcome == "Processed" and outcome.document_id == by_hand.document_id
    found = adapter.find_invoices(connected.tenant_id, [number])
    assert len(found) == 1 and found[0].total == Decimal("50.00")


def test_a_paid_document_is_refused_with_what_to_do(engine, connected, sandbox):
    with session_scope(engine) as session:
        update_sync_settings(
            session=session, user="admin", changes={"invoice_status": "AUTHORISED"}
        )
    [sid] = shipments(engine, 1)
    first = send_shipments(shipment_ids=[sid], trigger="bulk", user="ops").outcomes[0]
    sandbox.record_payment(first.document_id, "50.00")
    with session_scope(engine) as session:
        shipment = stored(session, Shipment, sid)
        update_shipment(
            session=session,
            shipment_id=sid,
            fields=ShipmentFields(**shipment.model_dump(include=set(ShipmentFields.model_fields))),
            lines=[line(quantity="5")],
            user="ops",
        )
        assert shipment.sync_state == SyncState.CHANGED
    again = send_shipments(shipment_ids=[sid], trigger="retry", user="ops").outcomes[0]
    assert again.outcome == "Rejected"
    assert again.xero_messages == [
        "This document cannot be edited as it has a payment or credit note allocated to it."
    ]
    assert again.messages[0].startswith("The document is paid or credited in Xero")


def test_a_send_reports_its_progress(engine, connected, sandbox):
    ids = shipments(engine, 3) + shipments(engine, 1, buyer_code="ALOK")
    heard: list[tuple[float, str]] = []
    send_shipments(
        shipment_ids=ids, trigger="bulk", user="ops", progress=lambda *p: heard.append(p)
    )
    assert heard == [
        (0.1, "Checking 4 shipment(s)…"),
        (0.4, f"Sending 3 document(s) to {connected.tenant_name} in one call…"),
        (1.0, "Done."),
    ]


def test_the_log_keeps_xeros_answer_as_xero_sent_it(engine, connected, sandbox):
    """The log's response is the element of Xero's JSON body as received (issue 16: no SDK
    models serialised back): Xero's own date format (`/Date(ms+0000)/`, as xero-python's
    deserializer expects it, MS_DATETIME_RE, and the sandbox sends it, xero_sandbox/formats.py)
    and its field names, the totals as Xero gave them."""
    import json

    [sid] = shipments(engine, 1)
    [outcome] = send_shipments(shipment_ids=[sid], trigger="bulk", user="ops").outcomes
    assert outcome.outcome == "Processed", outcome.messages
    with session_scope(engine) as session:
        [entry] = session.exec(select(IntegrationLog).where(IntegrationLog.shipment_id == sid))
        shipment = stored(session, Shipment, sid)
    assert entry.response is not None
    answer = json.loads(entry.response)
    assert answer["InvoiceID"] == shipment.xero_document_id == outcome.document_id
    assert answer["InvoiceNumber"] == shipment.xero_document_number
    assert answer["Date"].startswith("/Date(") and answer["DueDate"].startswith("/Date(")
    assert Decimal(str(answer["Total"])) == shipment.xero_total
    assert Decimal(str(answer["AmountDue"])) == shipment.xero_amount_due
