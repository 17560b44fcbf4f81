"""Voiding, deleting drafts, credit notes and allocations as Xero does them. Every exchange is
checked against Xero's OpenAPI spec by the autouse fixture in conftest.py.

Sources: xero-facts.md §9 (developer.xero.com Invoices endpoint: "delete draft invoices",
"void approved invoices"; DELETED by POSTing Status for DRAFT/SUBMITTED, VOIDED for AUTHORISED
without payments; the lock message from xeroizer PR#211, Fooman, a CiviCRM connector), §11
(allocations: a separate PUT /CreditNotes/{id}/Allocations, Xero support in xeroizer#196;
errors from https://github.com/waynerobinson/xeroizer/issues/320 and calcinai/xero-php#251;
DELETE of allocations, Xero-OpenAPI v2.40.0 / xero-node PR#648)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from xero_python.accounting import (
    Allocation,
    Allocations,
    Contact,
    CreditNote,
    CreditNotes,
    Invoice,
    LineItem,
)

from tests.xero_sandbox.conftest import TENANT
from tests.xero_sandbox.test_invoices import errors_of, invoice, send

LOCKED = "This document cannot be edited as it has a payment or credit note allocated to it."


def credit_note(amount: int = 20, **fields) -> CreditNote:
    values = {
        "type": "ACCRECCREDIT",
        "contact": Contact(name="Acme Imports Inc"),
        "status": "AUTHORISED",
        "date": dt.date(2026, 4, 2),
        "line_items": [
            LineItem(description="Returned", quantity=1, unit_amount=amount, account_code="200")
        ],
    }
    values.update(fields)
    return CreditNote(**values)


def save_notes(api, *notes, method="update_or_create_credit_notes"):
    return getattr(api, method)(
        TENANT, CreditNotes(credit_notes=list(notes)), summarize_errors=False
    )


def allocate(api, note_id, invoice_id, amount) -> list[str]:
    answer = api.create_credit_note_allocation(
        TENANT,
        note_id,
        Allocations(
            allocations=[
                Allocation(
                    invoice=Invoice(invoice_id=invoice_id),
                    amount=Decimal(amount),
                    date=dt.date(2026, 4, 3),
                )
            ]
        ),
        summarize_errors=False,
    )
    return [e.message for a in answer.allocations for e in a.validation_errors or []]


def status_only(invoice_id, status) -> Invoice:
    """What a client sends to void or delete: the ID and the status, nothing else."""
    return Invoice(invoice_id=invoice_id, status=status)


class TestVoidAndDelete:
    def test_voiding_keeps_the_lines_and_totals(self, api):
        saved = send(api, invoice()).invoices[0]
        voided = send(api, status_only(saved.invoice_id, "VOIDED")).invoices[0]
        assert voided.status == "VOIDED"
        assert (voided.total, len(voided.line_items)) == (saved.total, len(saved.line_items))

    @pytest.mark.parametrize("start", ["DRAFT", "SUBMITTED"])
    def test_drafts_and_submitted_invoices_are_deleted(self, api, start):
        saved = send(api, invoice(status=start)).invoices[0]
        deleted = send(api, status_only(saved.invoice_id, "DELETED")).invoices[0]
        assert deleted.status == "DELETED"

    def test_voiding_a_part_paid_invoice_is_refused(self, sandbox, api):
        saved = send(api, invoice()).invoices[0]
        sandbox.record_payment(saved.invoice_id, "1.00")
        refused = send(api, status_only(saved.invoice_id, "VOIDED"))
        assert errors_of(refused) == [[LOCKED]]
        assert api.get_invoice(TENANT, saved.invoice_id).invoices[0].status == "AUTHORISED"

    def test_voiding_an_invoice_with_credit_allocated_is_refused(self, api):
        saved = send(api, invoice()).invoices[0]
        note = save_notes(api, credit_note(5)).credit_notes[0]
        assert allocate(api, note.credit_note_id, saved.invoice_id, "5.75") == []
        assert errors_of(send(api, status_only(saved.invoice_id, "VOIDED"))) == [[LOCKED]]

    def test_a_voided_number_is_never_reused(self, api):
        """xero-facts.md §8: whether Xero frees a voided number is "not found" for the API; the
        sandbox keeps it (the product-ideas page "Invoices - Reuse invoice number if voided")."""
        saved = send(api, invoice(invoice_number="SHP-9")).invoices[0]
        send(api, status_only(saved.invoice_id, "VOIDED"))
        put = send(api, invoice(invoice_number="SHP-9"), method="create_invoices")
        assert errors_of(put) == [["Invoice # must be unique."]]
        post = send(api, invoice(invoice_number="SHP-9"))
        assert errors_of(post) == [["Invoice not of valid status for modification"]]
        fresh = send(api, invoice(invoice_number="SHP-9-2")).invoices[0]
        assert (fresh.status, fresh.invoice_number) == ("AUTHORISED", "SHP-9-2")


class TestCreditNotes:
    def test_a_batch_answers_each_credit_note(self, api):
        result = save_notes(api, credit_note(20), credit_note(20, contact=None))
        good, bad = result.credit_notes
        assert (good.status, good.total, good.remaining_credit) == ("AUTHORISED", 23, 23)
        assert good.credit_note_number == "CN-0001"
        assert bad.has_errors is True and bad.validation_errors

    def test_put_with_a_used_number_is_refused(self, api):
        save_notes(api, credit_note(credit_note_number="CN-X1"))
        again = save_notes(
            api, credit_note(credit_note_number="CN-X1"), method="create_credit_notes"
        )
        assert [e.message for e in again.credit_notes[0].validation_errors] == [
            "Credit Note # must be unique."
        ]

    def test_an_unallocated_credit_note_can_be_voided_an_allocated_one_not(self, api):
        """§9: "Xero also refuses to void a credit note that is allocated"."""
        loose, used = save_notes(api, credit_note(5), credit_note(5)).credit_notes
        saved = send(api, invoice()).invoices[0]
        allocate(api, used.credit_note_id, saved.invoice_id, "5.75")
        voids = api.update_or_create_credit_notes(
            TENANT,
            CreditNotes(
                credit_notes=[
                    CreditNote(credit_note_id=n.credit_note_id, status="VOIDED")
                    for n in (loose, used)
                ]
            ),
            summarize_errors=False,
        ).credit_notes
        assert voids[0].status == "VOIDED"
        assert [e.message for e in voids[1].validation_errors] == [LOCKED]


class TestAllocations:
    def test_part_then_rest_then_too_much(self, api):
        saved = send(api, invoice()).invoices[0]  # 4 x WIDGET-A at 12.50, zero-rated: 50.00
        note = save_notes(api, credit_note(100)).credit_notes[0]  # 100 + 15% GST: 115.00
        assert (saved.total, note.total) == (50, 115)
        assert allocate(api, note.credit_note_id, saved.invoice_id, "20.00") == []
        part = api.get_invoice(TENANT, saved.invoice_id).invoices[0]
        assert (part.amount_credited, part.amount_due, part.status) == (20, 30, "AUTHORISED")
        assert [c.credit_note_id for c in part.credit_notes] == [note.credit_note_id]
        assert allocate(api, note.credit_note_id, saved.invoice_id, "40.00") == [
            "Credit Note cannot be allocated as amount is greater than amount outstanding"
        ]
        assert allocate(api, note.credit_note_id, saved.invoice_id, "30.00") == []
        paid = api.get_invoice(TENANT, saved.invoice_id).invoices[0]
        assert (paid.status, paid.amount_due) == ("PAID", 0)
        assert allocate(api, note.credit_note_id, saved.invoice_id, "1.00") == [
            "The invoice you are trying to allocate to has already been paid off"
        ]
        left = api.get_credit_note(TENANT, note.credit_note_id).credit_notes[0]
        assert (left.status, left.remaining_credit) == ("AUTHORISED", 65)

    def test_a_supplier_credit_goes_to_supplier_bills_only(self, api):
        saved = send(api, invoice()).invoices[0]
        bill_credit = credit_note(5, type="ACCPAYCREDIT")
        bill_credit.line_items[0].account_code = "400"
        note = save_notes(api, bill_credit).credit_notes[0]
        assert note.validation_errors in (None, []), note.validation_errors
        assert allocate(api, note.credit_note_id, saved.invoice_id, "1.00") == [
            "Credit Note cannot be allocated to an incorrect invoice type"
        ]

    def test_deleting_an_allocation_gives_the_credit_back(self, api):
        saved = send(api, invoice()).invoices[0]
        note = save_notes(api, credit_note(50)).credit_notes[0]
        assert allocate(api, note.credit_note_id, saved.invoice_id, "50.00") == []
        [allocation] = api.get_credit_note(TENANT, note.credit_note_id).credit_notes[0].allocations
        deleted = api.delete_credit_note_allocations(
            TENANT, note.credit_note_id, allocation.allocation_id
        )
        assert deleted.is_deleted is True
        back = api.get_invoice(TENANT, saved.invoice_id).invoices[0]
        assert (back.status, back.amount_due, back.amount_credited) == ("AUTHORISED", 50, 0)
        note = api.get_credit_note(TENANT, note.credit_note_id).credit_notes[0]
        assert (note.status, note.remaining_credit, note.allocations) == ("AUTHORISED", 57.5, [])
