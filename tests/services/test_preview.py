"""The Send page's preview: exactly what a send then sends, and the refusals it then
records, worked out from the database alone."""

from __future__ import annotations

import json
import uuid

from sqlmodel import col, select

from models import IntegrationLog, Outcome, Shipment, ShipmentFields, XeroConnection
from services import connections, preview
from services.db import session_scope
from services.shipment_edits import update_shipment
from services.sync import send_shipments
from tests.utils.factories import id_of, line, make_shipment, shipment_fields


def api_calls(sandbox) -> int:
    return sum(1 for c in sandbox.calls() if "/api.xro/" in c["path"])


def test_the_preview_is_exactly_what_is_sent_and_refused(engine, connected, sandbox):
    with session_scope(engine) as session:
        good = id_of(make_shipment(session, freight_amount="85.00"))
        other = id_of(make_shipment(session, buyer_code="BOLT", currency="EUR", exchange_rate=None))
        unknown = id_of(make_shipment(session, buyer_code="ALOK"))
        bad_item = id_of(make_shipment(session, lines=[line("WIDGET-Z")]))
    ids = [good, other, unknown, bad_item]
    # The first goes now (which caches Xero's codes), then changes: the next send of it is
    # an update (unchanged, it would not be sent again).
    send_shipments(shipment_ids=[good], trigger="bulk", user="ops")
    with session_scope(engine) as session:
        sent = session.get(Shipment, good)
        assert sent is not None
        update_shipment(
            session=session,
            shipment_id=good,
            fields=ShipmentFields(**sent.model_dump(include=set(ShipmentFields.model_fields))),
            lines=[line(quantity="3")],
            user="ops",
        )
    calls_before = api_calls(sandbox)
    assert calls_before > 0
    with session_scope(engine) as session:
        shown = preview.preview(session=session, shipment_ids=ids)
    assert api_calls(sandbox) == calls_before  # the preview asks Xero nothing

    assert [p.verdict for p in shown] == [preview.SEND, preview.SEND, "refuse", "refuse"]
    first, second = shown[0], shown[1]
    assert first.document is not None and second.document is not None
    assert (first.contact_name, first.contact_account) == ("Acme Imports Inc", "ACME")
    assert first.organisation == connected.tenant_name
    assert first.document["InvoiceID"]  # already in Xero: the send updates it
    assert [x["AccountCode"] for x in first.document["LineItems"]] == ["210", "265"]
    assert "CurrencyRate" not in second.document  # no rate on the shipment: Xero's own
    assert shown[2].problems == [
        "Customer code ALOK is not a Xero contact's account number: fix the code or add it "
        "in Xero (did you mean ALOK-01?)."
    ]
    assert shown[3].problems[0].startswith("Line 1: product code WIDGET-Z is not a Xero item")

    send_shipments(shipment_ids=ids, trigger="bulk", user="ops")
    with session_scope(engine) as session:
        newest = {
            e.shipment_id: e
            for e in session.exec(
                select(IntegrationLog).order_by(col(IntegrationLog.id))  # the last entry wins
            )
        }
    for p in shown[:2]:
        assert newest[p.shipment_id].outcome == Outcome.PROCESSED
        assert json.loads(newest[p.shipment_id].payload or "null") == p.document
    for p in shown[2:]:
        assert newest[p.shipment_id].outcome == Outcome.REJECTED
        assert json.loads(newest[p.shipment_id].errors_plain or "null") == p.problems


def test_a_connection_needing_reconnect_is_previewed_as_held(engine, connected):
    with session_scope(engine) as session:
        sid = id_of(make_shipment(session))
        row = session.exec(select(XeroConnection)).one()
        row.status = "Needs reconnecting"
    with session_scope(engine) as session:
        [shown] = preview.preview(session=session, shipment_ids=[sid])
    assert shown.verdict == preview.HOLD
    assert shown.problems == [
        f"{connected.tenant_name} needs reconnecting: an admin must reconnect it on the "
        "Connect page. Sends wait in the queue until then."
    ]


def test_a_new_connections_codes_are_read_once_for_the_preview(engine, connected, sandbox):
    with session_scope(engine) as session:
        ids = [id_of(make_shipment(session)), id_of(make_shipment(session, buyer_code="ALOK"))]
    with session_scope(engine) as session:
        [unchecked, _] = preview.preview(session=session, shipment_ids=ids)
    assert unchecked.verdict == preview.UNCHECKED  # nothing cached yet, and no API call
    with session_scope(engine) as session:
        loaded = preview.load_missing_codes(session=session, shipment_ids=ids)
    assert loaded == [connected.tenant_name]
    calls = api_calls(sandbox)
    with session_scope(engine) as session:
        assert preview.load_missing_codes(session=session, shipment_ids=ids) == []
        shown = preview.preview(session=session, shipment_ids=ids)
    assert api_calls(sandbox) == calls  # cached now: read once
    assert [p.verdict for p in shown] == [preview.SEND, preview.REFUSE]


def test_push_plan_says_how_many_and_as_what_per_organisation(engine, connected):
    from services.mapping import update_sync_settings

    with session_scope(engine) as session:
        ids = [id_of(make_shipment(session)) for _ in range(3)]
        ids.append(id_of(make_shipment(session, tenant_id="gone")))  # its organisation is not here
    with session_scope(engine) as session:
        [ours, nowhere] = preview.push_plan(session=session, shipment_ids=ids)
    assert (ours.organisation, ours.count, ours.document_type, ours.status) == (
        connected.tenant_name,
        3,
        "invoice",
        "DRAFT",
    )
    assert not ours.needs_reconnect
    assert (nowhere.organisation, nowhere.count) == (None, 1)
    with session_scope(engine) as session:
        update_sync_settings(
            session=session,
            changes={"document_type": "quote", "quote_status": "SENT"},
            user="admin",
            tenant_id=connected.tenant_id,
        )
    with session_scope(engine) as session:
        [ours, _] = preview.push_plan(session=session, shipment_ids=ids)
    assert (ours.document_type, ours.status, ours.count) == ("quote", "SENT", 3)


def test_the_preview_says_when_xero_already_holds_an_invoice_with_the_number(
    engine, connected, sandbox
):
    """A new shipment whose number is an invoice made in Xero by someone else, or one
    Shipbridge sent for another shipment since renumbered: the preview says a send would
    update it. One call for the batch."""
    with session_scope(engine) as session:
        sent_id = id_of(make_shipment(session, shipment_number="EXT-0"))
    send_shipments(shipment_ids=[sent_id], trigger="bulk", user="ops")
    with session_scope(engine) as session:
        [log] = session.exec(select(IntegrationLog)).all()
        made_in_xero = {**json.loads(log.payload or "{}"), "InvoiceNumber": "EXT-2"}
        made_in_xero.pop("InvoiceID", None)
        adapter = connections.adapter_for(connected, session=session)
        [made] = adapter.save_invoices(
            connected.tenant_id, [made_in_xero], idempotency_key=str(uuid.uuid4())
        )
        assert made.ok, made.errors
        update_shipment(
            session=session,
            shipment_id=sent_id,
            fields=shipment_fields(shipment_number="OLD-0"),
            lines=[line()],
            user="ops",
        )
    with session_scope(engine) as session:
        ids = [
            id_of(make_shipment(session, shipment_number=number))
            for number in ("EXT-2", "EXT-0", "NEW-3")
        ]
    calls_before = api_calls(sandbox)
    with session_scope(engine) as session:
        said = preview.documents_not_sent_by_us(session=session, shipment_ids=ids)
        shown = preview.preview(session=session, shipment_ids=ids, existing_in_xero=said)
    assert api_calls(sandbox) == calls_before + 1
    assert sorted(said) == sorted(ids[:2])
    assert said[ids[0]].startswith("Xero already holds invoice EXT-2 (DRAFT, to Acme Imports Inc")
    assert said[ids[0]].endswith(
        "which Shipbridge did not create: sending would update that invoice with this "
        "shipment, not create a new one. Check it in Xero, or give this shipment another number."
    )
    assert (
        "sent by Shipbridge for shipment OLD-0: sending this shipment would overwrite it"
        in (said[ids[1]])
    )
    assert [p.existing_in_xero for p in shown] == [said[ids[0]], said[ids[1]], None]
