"""What the pages read, asked of the services (pages never query the database themselves):
each function answers from real rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import (
    ConnectionStatus,
    CustomerMapping,
    IntegrationLog,
    Outcome,
    ProductMapping,
    SyncState,
    Trigger,
    XeroConnection,
    XeroPayment,
    as_utc,
    utcnow,
)
from services import aliases, audit, connections, finance, integration_log, shipments
from services.connections import ConnectError
from tests.utils.factories import id_of, make_shipment


def organisation(session, name: str, *, default: bool = False) -> XeroConnection:
    row = XeroConnection(
        tenant_id=f"t-{name}",
        tenant_name=name,
        status=ConnectionStatus.ACTIVE,
        is_default=default,
    )
    session.add(row)
    session.flush()
    return row


def attempt(session, *, outcome: str, age: timedelta, **fields) -> IntegrationLog:
    entry = integration_log.write(
        session=session,
        trigger=Trigger.BULK,
        outcome=outcome,
        created_at=utcnow() - age,
        **fields,
    )
    session.flush()
    return entry


def test_activity_counts_each_organisations_documents_failures_and_payments(session):
    exports = organisation(session, "Demo Exports Ltd", default=True)
    uk = organisation(session, "Demo UK Ltd")
    in_xero = make_shipment(session, tenant_id=uk.tenant_id)
    in_xero.xero_document_id = "doc-uk"
    unassigned_in_xero = make_shipment(session)  # no organisation: goes to the default
    unassigned_in_xero.xero_document_id = "doc-default"
    rejected = make_shipment(session, tenant_id=uk.tenant_id)
    rejected.sync_state = SyncState.REJECTED
    make_shipment(session, tenant_id=exports.tenant_id)  # not sent: counts nowhere
    session.add_all([in_xero, unassigned_in_xero, rejected])
    for n in range(2):
        session.add(XeroPayment(tenant_id=uk.tenant_id, payment_id=f"p-{n}", invoice_id="doc-uk"))
    session.flush()

    activity = connections.activity(session=session, connections=[exports, uk])

    assert activity[id_of(exports)] == connections.ConnectionActivity(
        documents_pushed=1, failing=0, payments_pulled=0
    )
    assert activity[id_of(uk)] == connections.ConnectionActivity(
        documents_pushed=1, failing=1, payments_pulled=2
    )


def test_get_connection_reads_the_row_again_and_says_when_it_is_gone(session):
    row = organisation(session, "Demo Exports Ltd")
    assert connections.get_connection(session=session, connection_id=id_of(row)).tenant_name == (
        "Demo Exports Ltd"
    )
    with pytest.raises(ConnectError, match="no longer in Shipbridge"):
        connections.get_connection(session=session, connection_id=id_of(row) + 1)


def test_attempts_since_are_counted_per_quarter_hour_and_outcome_leaving_out_older(session):
    attempt(session, outcome=Outcome.PROCESSED, age=timedelta(days=40))
    attempt(session, outcome=Outcome.REJECTED, age=timedelta(days=2))
    attempt(session, outcome=Outcome.REJECTED, age=timedelta(days=2))
    held = attempt(session, outcome=Outcome.HELD, age=timedelta(hours=1))

    found = integration_log.attempts_since(session=session, since=utcnow() - timedelta(days=30))

    assert [(outcome, n) for _, outcome, n in found] == [
        (Outcome.REJECTED, 2),
        (Outcome.HELD, 1),
    ]
    quarter = found[-1][0]
    # The quarter hour holds the attempt: it starts at most 15 minutes before it.
    assert timedelta(0) <= as_utc(held.created_at) - quarter < timedelta(minutes=15)
    assert quarter.minute % 15 == 0 and quarter.second == 0


def test_rejection_reasons_are_the_first_fix_of_each_newest_first(session):
    week = timedelta(days=7)
    attempt(
        session,
        outcome=Outcome.REJECTED,
        age=timedelta(days=3),
        errors_plain=["Set the currency.", "Add a due date."],
    )
    attempt(session, outcome=Outcome.REJECTED, age=timedelta(days=2), errors_xero=["Bad code"])
    attempt(session, outcome=Outcome.REJECTED, age=timedelta(days=1), note="Held too long")
    attempt(session, outcome=Outcome.REJECTED, age=timedelta(days=1))
    attempt(session, outcome=Outcome.PROCESSED, age=timedelta(hours=1))
    attempt(session, outcome=Outcome.REJECTED, age=timedelta(days=20), errors_plain=["Old"])

    since = utcnow() - week
    reasons = integration_log.rejection_reasons(session=session, since=since, limit=10)
    newest_two = integration_log.rejection_reasons(session=session, since=since, limit=2)

    assert reasons == [
        "No reason was recorded.",
        "Held too long",
        "Bad code",
        "Set the currency.",
    ]
    assert newest_two == reasons[:2]


def test_shipments_by_id_and_rejected_among_read_only_those_asked_for(session):
    first, second, other = (make_shipment(session) for _ in range(3))
    second.sync_state = other.sync_state = SyncState.REJECTED
    session.add_all([second, other])
    session.flush()
    asked = {id_of(first), id_of(second), id_of(other) + 100}

    found = shipments.shipments_by_id(session=session, shipment_ids=asked)

    assert [s.shipment_number for s in found] == [first.shipment_number, second.shipment_number]
    assert shipments.rejected_among(session=session, shipment_ids=asked) == {id_of(second)}
    assert shipments.rejected_among(session=session, shipment_ids=set()) == set()


def test_pinned_ids_are_the_users_own_pins_among_those_asked_for(session):
    one, two, three = (make_shipment(session) for _ in range(3))
    finance.pin(session=session, username="fiona", shipment_id=id_of(one))
    finance.pin(session=session, username="fiona", shipment_id=id_of(three))
    finance.pin(session=session, username="oscar", shipment_id=id_of(two))
    session.flush()

    pinned = finance.pinned_ids(
        session=session, username="fiona", shipment_ids=[id_of(one), id_of(two)]
    )

    assert pinned == {id_of(one)}
    assert finance.pinned_ids(session=session, username="fiona", shipment_ids=[]) == set()


def test_history_of_lists_only_those_entities_newest_first_up_to_the_limit(session):
    for n, entity in enumerate(["customer_mapping", "xero_connection", "product_mapping"] * 2):
        audit.record(session=session, actor="admin", action=f"change {n}", entity=entity)
    session.flush()

    events = audit.history_of(
        session=session, entities={"customer_mapping", "product_mapping"}, limit=3
    )

    assert [e.action for e in events] == ["change 5", "change 3", "change 2"]


def test_get_mapping_finds_a_mapping_by_kind_and_id_and_none_once_deleted(session):
    customer = CustomerMapping(tenant_id="t-1", shipment_code="ACME-OLD", account_number="ACME")
    product = ProductMapping(tenant_id="t-1", shipment_code="WID", item_code="WIDGET-A")
    session.add_all([customer, product])
    session.flush()

    found = aliases.get_mapping(session=session, model=ProductMapping, mapping_id=id_of(product))
    assert found is not None
    assert (found.shipment_code, found.item_code) == ("WID", "WIDGET-A")

    aliases.delete_mapping(session=session, row=customer, user="admin")
    session.flush()
    assert (
        aliases.get_mapping(session=session, model=CustomerMapping, mapping_id=id_of(customer))
        is None
    )
