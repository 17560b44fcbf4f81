"""The drift check's comparison, without Xero or a database: a shipment as Shipbridge sent it
against a document as Xero holds it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from services.differences import cancelled_but_owed, compare
from services.xero.convert import DocumentState, ElementResult
from tests.utils.factories import line, shipment_in_memory

EDITED = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


def document(*, line_sum: str, lines: int, status="AUTHORISED", contact="c-ACME", currency="USD",
             paid="0", due=None) -> DocumentState:  # fmt: skip
    due = Decimal(line_sum) - Decimal(paid) if due is None else Decimal(due)
    answer = ElementResult(
        ok=True, document_id="doc-1", number="INV-1", status=status, total=Decimal(line_sum),
        amount_due=due, amount_paid=Decimal(paid), errors=[], warnings=[], raw={},
    )  # fmt: skip
    return DocumentState(
        answer=answer,
        contact_id=contact,
        currency=currency,
        line_sum=Decimal(line_sum),
        line_count=lines,
        updated_at=EDITED,
    )


def sent(**overrides):
    shipment = shipment_in_memory(**overrides)
    shipment.sync_state, shipment.xero_status = "Processed", "AUTHORISED"
    shipment.xero_contact_id, shipment.xero_amount_paid = "c-ACME", Decimal(0)
    return shipment


def test_freight_is_a_line_and_part_of_the_total():
    shipment = sent(freight_amount=Decimal("17.35"))  # 4 × 12.50 + 17.35
    assert compare(shipment, document(line_sum="67.35", lines=2)) == []
    [total] = compare(shipment, document(line_sum="67.36", lines=2))
    assert total.detail == "total 67.35 here, 67.36 in Xero — edited in Xero on 3 Dec"


def test_a_total_is_compared_to_the_cent_as_xero_rounds():
    shipment = sent(lines=[line(quantity="1", unit_price="0.125", item_value="0.125")])
    assert compare(shipment, document(line_sum="0.13", lines=1)) == []


def test_currency_and_contact_are_named_as_people_know_them():
    found = compare(
        sent(),
        document(line_sum="50", lines=1, contact="c-BOLT", currency="EUR"),
        contact_names={"c-ACME": "Acme Imports Inc", "c-BOLT": "Bolt Ltd"},
    )
    assert [d.detail for d in found] == [
        "contact Acme Imports Inc here, Bolt Ltd in Xero — changed in Xero on 3 Dec",
        "currency USD here, EUR in Xero — changed in Xero on 3 Dec",
    ]


def test_a_status_changed_in_xero_is_said_unless_a_payment_explains_it():
    [status] = compare(sent(), document(line_sum="50", lines=1, status="SUBMITTED"))
    assert status.detail == "status AUTHORISED here, SUBMITTED in Xero — changed in Xero on 3 Dec"
    found = compare(sent(), document(line_sum="50", lines=1, status="PAID", paid="50"))
    assert [d.kind for d in found] == ["paid"]


def test_only_a_cancelled_shipment_still_owed_differs_without_a_read():
    shipment = sent(status="Cancelled")
    shipment.xero_amount_due = Decimal("50.00")
    owed = cancelled_but_owed(shipment)
    assert owed is not None
    assert owed.detail == (
        "cancelled here, still owed in Xero: 50.00 due (AUTHORISED); "
        "void it or credit it from the shipment"
    )
    shipment.xero_status = "VOIDED"
    assert cancelled_but_owed(shipment) is None
    assert cancelled_but_owed(sent()) is None


def test_a_returned_shipment_still_owed_differs_too():
    shipment = sent(status="Returned")
    shipment.xero_amount_due = Decimal("20.00")
    owed = cancelled_but_owed(shipment)
    assert owed is not None
    assert owed.here == "Returned"
    assert owed.detail.startswith("returned here, still owed in Xero: 20.00 due")
