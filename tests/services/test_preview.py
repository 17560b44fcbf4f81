"""The Send page's preview: exactly what a send then sends, and the refusals it then
records, worked out from the database alone."""

from __future__ import annotations

import json

from sqlmodel import select

from models import IntegrationLog, Outcome, XeroConnection
from services import preview
from services.db import session_scope
from services.sync import send_shipments
from tests.utils.factories import line, make_shipment


def api_calls(sandbox) -> int:
    return sum(1 for c in sandbox.calls() if "/api.xro/" in c["path"])


def test_the_preview_is_exactly_what_is_sent_and_refused(engine, connected, sandbox):
    with session_scope(engine) as session:
        good = make_shipment(session, freight_amount="85.00").id
        other = make_shipment(session, buyer_code="BOLT", currency="EUR", exchange_rate=None).id
        unknown = make_shipment(session, buyer_code="ALOK").id
        bad_item = make_shipment(session, lines=[line("WIDGET-Z")]).id
    ids = [good, other, unknown, bad_item]
    # The first goes now (which caches Xero's codes): the next send of it is an update.
    send_shipments(shipment_ids=[good], trigger="bulk", user="ops")
    calls_before = api_calls(sandbox)
    assert calls_before > 0
    with session_scope(engine) as session:
        shown = preview.preview(session=session, shipment_ids=ids)
    assert api_calls(sandbox) == calls_before  # the preview asks Xero nothing

    assert [p.verdict for p in shown] == [preview.SEND, preview.SEND, "refuse", "refuse"]
    first, second = shown[0], shown[1]
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
                select(IntegrationLog).order_by(IntegrationLog.id)  # the last entry wins
            )
        }
    for p in shown[:2]:
        assert newest[p.shipment_id].outcome == Outcome.PROCESSED
        assert json.loads(newest[p.shipment_id].payload) == p.document
    for p in shown[2:]:
        assert newest[p.shipment_id].outcome == Outcome.REJECTED
        assert json.loads(newest[p.shipment_id].errors_plain) == p.problems


def test_a_connection_needing_reconnect_is_previewed_as_held(engine, connected):
    with session_scope(engine) as session:
        sid = make_shipment(session).id
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
        ids = [make_shipment(session).id, make_shipment(session, buyer_code="ALOK").id]
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
        ids = [make_shipment(session).id for _ in range(3)]
        ids.append(make_shipment(session, tenant_id="gone").id)  # its organisation is not here
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
