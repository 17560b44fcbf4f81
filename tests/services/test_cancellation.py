"""Cancelling shipments in Xero: delete a draft, void an unpaid invoice, credit a paid or
part-paid one (whole or chosen lines, allocated when Xero allows), and a voided shipment sent
again under a new number. Against the sandbox over HTTP through the SDK.

Xero's rules (xero-facts.md §9): deleting is POSTing Status DELETED (DRAFT/SUBMITTED only),
voiding is POSTing Status VOIDED (AUTHORISED, no payments); §11: allocation is a separate
`PUT /CreditNotes/{id}/Allocations` call (Xero support quoted in xeroizer#196)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import col, select

from models import IntegrationLog, RetiredNumber, Shipment, XeroConnection, XeroCreditNote
from services import connections
from services.cancellation import (
    Action,
    CancelError,
    CancelRequest,
    actions_for,
    cancel_in_xero,
)
from services.credits import credit_notes_of, net_credits
from services.db import session_scope
from services.mapping import update_sync_settings
from services.sync import send_shipments
from tests.utils.factories import id_of, line, make_shipment, stored


def sent(engine, status: str = "AUTHORISED", lines=None) -> Shipment:
    with session_scope(engine) as session:
        update_sync_settings(session=session, user="admin", changes={"invoice_status": status})
        extra = {"lines": lines} if lines is not None else {}
        sid = id_of(make_shipment(session, **extra))
    [outcome] = send_shipments(shipment_ids=[sid], trigger="bulk", user="ops").outcomes
    assert outcome.outcome == "Processed", outcome.messages
    with session_scope(engine) as session:
        return stored(session, Shipment, sid)


def xero(engine):
    """The SDK adapter for the connected organisation: reads what Xero holds."""
    with session_scope(engine) as session:
        connection = connections.default_connection(session=session)
        assert connection is not None
        return connections.adapter_for(connection, session=session), connection.tenant_id


def invoice_in_xero(engine, invoice_id: str | None) -> dict:
    adapter, tenant_id = xero(engine)
    [found] = adapter.invoices_by_id(tenant_id, [invoice_id or ""])
    return found.raw


def credit_note_in_xero(engine, number: str) -> dict:
    adapter, tenant_id = xero(engine)
    [found] = adapter.find_credit_notes(tenant_id, [number])
    return found.raw


def calls_to(sandbox, method: str, ending: str) -> list[dict]:
    return [
        c
        for c in sandbox.calls()
        if c["method"] == method and c["path"].rstrip("/").endswith(ending)
    ]


def test_what_xero_allows_for_each_state():
    assert actions_for("DRAFT") == [Action.DELETE]
    assert actions_for("SUBMITTED") == [Action.DELETE]
    assert actions_for("AUTHORISED", 0) == [Action.VOID, Action.CREDIT]
    assert actions_for("AUTHORISED", Decimal("10")) == [Action.CREDIT]
    assert actions_for("PAID", Decimal("115")) == [Action.CREDIT]
    assert actions_for("VOIDED") == []


def test_a_draft_is_deleted_and_its_number_retired(engine, connected, sandbox):
    shipment = sent(engine, "DRAFT")
    result = cancel_in_xero(requests=[CancelRequest(id_of(shipment), Action.DELETE)], user="ops")
    [outcome] = result.outcomes
    assert outcome.done, outcome.message
    assert f"Deleted {shipment.xero_document_number}" in outcome.message
    assert invoice_in_xero(engine, shipment.xero_document_id)["Status"] == "DELETED"
    with session_scope(engine) as session:
        again = stored(session, Shipment, shipment.id)
        assert again.xero_status == "DELETED"
        retired = session.exec(select(RetiredNumber)).all()
        assert [r.number for r in retired] == [shipment.xero_document_number]
        log = session.exec(
            select(IntegrationLog).where(col(IntegrationLog.trigger) == "cancel")
        ).one()
        assert (log.action, log.outcome) == ("delete", "Processed")


def test_an_unpaid_invoice_is_voided_in_one_call_per_batch(engine, connected, sandbox):
    first, second = sent(engine), sent(engine)
    before = len(calls_to(sandbox, "POST", "/Invoices"))
    result = cancel_in_xero(
        requests=[CancelRequest(id_of(s), Action.VOID) for s in (first, second)], user="ops"
    )
    assert [o.done for o in result.outcomes] == [True, True], result.outcomes
    assert len(calls_to(sandbox, "POST", "/Invoices")) == before + 1
    for shipment in (first, second):
        assert invoice_in_xero(engine, shipment.xero_document_id)["Status"] == "VOIDED"


def test_a_voided_shipment_sent_again_gets_a_new_number(engine, connected, sandbox):
    """Xero never gives a voided invoice's number back (xero-facts.md §8: the product-ideas
    page "Invoices - Reuse invoice number if voided"): the re-send is a new invoice."""
    shipment = sent(engine)
    old_number, old_id = shipment.xero_document_number, shipment.xero_document_id
    cancel_in_xero(requests=[CancelRequest(id_of(shipment), Action.VOID)], user="ops")
    [outcome] = send_shipments(shipment_ids=[id_of(shipment)], trigger="bulk", user="ops").outcomes
    assert outcome.outcome == "Processed", outcome.messages
    with session_scope(engine) as session:
        again = stored(session, Shipment, shipment.id)
    assert again.xero_document_number == f"{old_number}-2"
    assert again.xero_document_id != old_id
    assert again.xero_status == "AUTHORISED"
    assert invoice_in_xero(engine, old_id)["Status"] == "VOIDED"


def test_a_part_paid_invoice_cannot_be_voided_and_is_credited_and_allocated(
    engine, connected, sandbox
):
    shipment = sent(engine)
    sandbox.record_payment(shipment.xero_document_id, "10.00")
    refused = cancel_in_xero(requests=[CancelRequest(id_of(shipment), Action.VOID)], user="ops")
    [outcome] = refused.outcomes
    assert not outcome.done and "cannot void it" in outcome.message
    assert invoice_in_xero(engine, shipment.xero_document_id)["Status"] == "AUTHORISED"

    result = cancel_in_xero(requests=[CancelRequest(id_of(shipment), Action.CREDIT)], user="ops")
    [outcome] = result.outcomes
    assert outcome.done, outcome.message
    invoice = invoice_in_xero(engine, shipment.xero_document_id)
    total = Decimal(str(invoice["Total"]))
    # The credit covers the whole invoice; what is still owing (total - 10) is allocated.
    assert Decimal(str(invoice["AmountCredited"])) == total - 10
    assert Decimal(str(invoice["AmountDue"])) == 0 and invoice["Status"] == "PAID"
    assert len(calls_to(sandbox, "PUT", "/Allocations")) == 1
    with session_scope(engine) as session:
        [note] = credit_notes_of(session=session, shipment_id=id_of(shipment))
        assert note.credit_note_number == f"{shipment.xero_document_number}-CN1"
        assert (note.total, note.allocated, note.remaining) == (total, total - 10, 10)
        [net] = [n for n in net_credits(session=session) if n.currency == "USD"]
        assert net.credited == total and net.net == net.invoiced - total
        rows = list(session.exec(select(XeroConnection)))
        [counts] = connections.activity_and_kinds(session=session, connections=rows)[1].values()
        assert (counts.invoices, counts.credit_notes) == (1, 1)


def test_chosen_lines_of_a_paid_invoice_are_credited_and_not_allocated(engine, connected, sandbox):
    shipment = sent(engine, lines=[line(), line(product_code="WIDGET-B", quantity="1")])
    paid = invoice_in_xero(engine, shipment.xero_document_id)
    sandbox.record_payment(shipment.xero_document_id, str(paid["Total"]))
    result = cancel_in_xero(
        requests=[CancelRequest(id_of(shipment), Action.CREDIT, line_numbers=(2,))], user="ops"
    )
    [outcome] = result.outcomes
    assert outcome.done and "stays on the customer's account" in outcome.message
    assert calls_to(sandbox, "PUT", "/Allocations") == []
    with session_scope(engine) as session:
        [note] = session.exec(select(XeroCreditNote)).all()
    second_line = paid["LineItems"][1]
    assert note.line_numbers == "2"
    assert note.total is not None and note.total >= Decimal(str(second_line["LineAmount"]))
    assert note.total < Decimal(str(paid["Total"]))
    in_xero = credit_note_in_xero(engine, note.credit_note_number)
    assert [x["Description"] for x in in_xero["LineItems"]] == [second_line["Description"]]


def test_too_many_at_once_changes_nothing(engine, connected):
    with pytest.raises(CancelError, match="at most"):
        cancel_in_xero(requests=[CancelRequest(i, Action.VOID) for i in range(1, 12)], user="ops")


def test_a_rejected_credit_note_is_logged_with_xeros_words(engine, connected, sandbox):
    shipment = sent(engine)
    sandbox.record_payment(shipment.xero_document_id, "1.00")
    result = cancel_in_xero(
        requests=[CancelRequest(id_of(shipment), Action.CREDIT, line_numbers=(9,))], user="ops"
    )
    [outcome] = result.outcomes
    assert not outcome.done and "No line" in outcome.message
    with session_scope(engine) as session:
        assert session.exec(select(XeroCreditNote)).all() == []
