"""Payments (API and control endpoint) and credit notes with allocations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest
from xero_python.accounting import (
    Account,
    Allocation,
    Allocations,
    Contact,
    CreditNote,
    CreditNotes,
    Invoice,
    Invoices,
    LineItem,
    Payment,
    PaymentDelete,
    Payments,
)

from tests.xero_sandbox.conftest import TENANT


@pytest.fixture
def authorised(api) -> Invoice:
    """An AUTHORISED NZD invoice for 115.00."""
    doc = Invoice(
        type="ACCREC",
        contact=Contact(name="Evergreen Supplies"),
        status="AUTHORISED",
        date=dt.date(2026, 6, 1),
        due_date=dt.date(2026, 6, 30),
        line_items=[LineItem(description="Goods", quantity=1, unit_amount=100, account_code="200")],
    )
    return api.create_invoices(TENANT, Invoices(invoices=[doc])).invoices[0]


def pay(invoice_id: str, amount: str, **fields) -> Payment:
    return Payment(
        invoice=Invoice(invoice_id=invoice_id),
        account=Account(code="090"),
        amount=Decimal(amount),
        date=dt.date(2026, 6, 10),
        **fields,
    )


def test_part_and_full_payment_through_the_api(api, authorised):
    first = api.create_payments(
        TENANT, Payments(payments=[pay(authorised.invoice_id, "15.00", reference="deposit")])
    ).payments[0]
    assert first.amount == 15 and first.payment_type == "ACCRECPAYMENT"
    part = api.get_invoice(TENANT, authorised.invoice_id).invoices[0]
    assert (part.status, part.amount_paid, part.amount_due) == ("AUTHORISED", 15, 100)
    assert [p.payment_id for p in part.payments] == [first.payment_id]
    api.create_payment(TENANT, pay(authorised.invoice_id, "100.00"))
    paid = api.get_invoice(TENANT, authorised.invoice_id).invoices[0]
    assert (paid.status, paid.amount_due, paid.fully_paid_on_date) == (
        "PAID",
        0,
        dt.date(2026, 6, 10),
    )
    listed = api.get_payments(TENANT, where='Reference=="deposit"').payments
    assert [p.payment_id for p in listed] == [first.payment_id]
    assert api.get_payment(TENANT, first.payment_id).payments[0].invoice.invoice_id == (
        authorised.invoice_id
    )


def test_payment_validation(api, authorised):
    draft = api.create_invoices(
        TENANT,
        Invoices(
            invoices=[
                Invoice(
                    type="ACCREC",
                    contact=Contact(name="Evergreen Supplies"),
                    line_items=[LineItem(description="x", quantity=1, unit_amount=5)],
                )
            ]
        ),
    ).invoices[0]
    result = api.create_payments(
        TENANT,
        Payments(
            payments=[
                pay(authorised.invoice_id, "500.00"),
                pay(draft.invoice_id, "1.00"),
                Payment(
                    invoice=Invoice(invoice_id=authorised.invoice_id),
                    account=Account(code="200"),
                    amount=Decimal(1),
                ),
            ]
        ),
        summarize_errors=False,
    )
    messages = [[e.message for e in p.validation_errors] for p in result.payments]
    assert messages == [
        ["Payment amount exceeds the amount outstanding on this document"],
        ["Payments can only be made against authorised documents."],  # xero-facts.md §9
        ["Account type is invalid for making a payment to/from"],
    ]


def test_deleting_a_payment_reopens_the_invoice(api, authorised):
    payment = api.create_payment(TENANT, pay(authorised.invoice_id, "115.00")).payments[0]
    deleted = api.delete_payment(TENANT, payment.payment_id, PaymentDelete(status="DELETED"))
    assert deleted.payments[0].status == "DELETED"
    invoice = api.get_invoice(TENANT, authorised.invoice_id).invoices[0]
    assert (invoice.status, invoice.amount_due, invoice.payments) == ("AUTHORISED", 115, [])


def test_control_endpoint_payments(sandbox, api, authorised):
    payment = sandbox.record_payment(
        authorised.invoice_id, "15", date="2026-06-05", reference="wire 1"
    )
    assert payment["Account"]["Code"] == "090"
    sandbox.record_payment(authorised.invoice_id, Decimal("100"))
    invoice = api.get_invoice(TENANT, authorised.invoice_id).invoices[0]
    assert invoice.status == "PAID"
    assert invoice.fully_paid_on_date == dt.datetime.now(dt.UTC).date()
    too_much = httpx.post(
        sandbox.url + "/_sandbox/payments", json={"InvoiceID": authorised.invoice_id, "Amount": "1"}
    )
    assert too_much.status_code == 400
    unknown = httpx.post(
        sandbox.url + "/_sandbox/payments",
        json={"InvoiceID": "8a6e6a64-0000-4000-8000-000000000000", "Amount": 1},
    )
    assert unknown.status_code == 404


def test_credit_notes_and_allocations(api, authorised):
    note = api.create_credit_notes(
        TENANT,
        CreditNotes(
            credit_notes=[
                CreditNote(
                    type="ACCRECCREDIT",
                    contact=Contact(name="Evergreen Supplies"),
                    status="AUTHORISED",
                    date=dt.date(2026, 6, 2),
                    line_items=[
                        LineItem(
                            description="Damaged", quantity=1, unit_amount=20, account_code="200"
                        )
                    ],
                )
            ]
        ),
    ).credit_notes[0]
    assert (note.credit_note_number, note.total, note.remaining_credit) == ("CN-0001", 23, 23)
    api.create_credit_note_allocation(
        TENANT,
        note.credit_note_id,
        Allocations(
            allocations=[
                Allocation(
                    invoice=Invoice(invoice_id=authorised.invoice_id),
                    amount=Decimal(23),
                    date=dt.date(2026, 6, 3),
                )
            ]
        ),
    )
    invoice = api.get_invoice(TENANT, authorised.invoice_id).invoices[0]
    assert (invoice.amount_credited, invoice.amount_due) == (23, 92)
    assert invoice.credit_notes[0].credit_note_id == note.credit_note_id
    note = api.get_credit_note(TENANT, note.credit_note_id).credit_notes[0]
    assert (note.status, note.remaining_credit) == ("PAID", 0)
    refused = api.update_or_create_invoices(
        TENANT,
        Invoices(invoices=[Invoice(invoice_id=invoice.invoice_id, reference="x")]),
        summarize_errors=False,
    )
    assert (
        refused.invoices[0]
        .validation_errors[0]
        .message.startswith("This document cannot be edited")
    )


def test_contact_balances_follow_the_clock(sandbox, api, authorised):
    contact_id = authorised.contact.contact_id
    sandbox.set_clock("2026-06-15T00:00:00Z")  # before the due date (tokens stay valid)
    before = api.get_contact(TENANT, contact_id).contacts[0].balances.accounts_receivable
    assert (before.outstanding, before.overdue) == (115, 0)
    sandbox.set_clock("2026-07-01T00:00:00Z")
    after = api.get_contact(TENANT, contact_id).contacts[0].balances.accounts_receivable
    assert (after.outstanding, after.overdue) == (115, 115)
