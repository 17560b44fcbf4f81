"""Invoice status rules: transitions, editability until paid, final states."""

from __future__ import annotations

import pytest
from xero_python.accounting import Invoice

from tests.xero_sandbox.conftest import TENANT
from tests.xero_sandbox.test_invoices import errors_of, invoice, send


class TestStatusRules:
    def test_draft_to_submitted_to_authorised(self, api):
        saved = send(api, invoice(status="DRAFT")).invoices[0]
        for status in ("SUBMITTED", "AUTHORISED"):
            saved = send(api, Invoice(invoice_id=saved.invoice_id, status=status)).invoices[0]
            assert saved.status == status

    def test_authorised_invoices_stay_editable_until_paid(self, sandbox, api):
        saved = send(api, invoice()).invoices[0]
        edited = send(api, Invoice(invoice_id=saved.invoice_id, reference="edited")).invoices[0]
        assert edited.reference == "edited"
        sandbox.record_payment(saved.invoice_id, "10.00")
        refused = send(api, Invoice(invoice_id=saved.invoice_id, reference="again"))
        assert errors_of(refused) == [
            ["This document cannot be edited as it has a payment or credit note allocated to it."]
        ]
        sandbox.record_payment(saved.invoice_id, str(saved.total - 10))
        paid = api.get_invoice(TENANT, saved.invoice_id).invoices[0]
        assert paid.status == "PAID"
        refused = send(api, Invoice(invoice_id=saved.invoice_id, status="VOIDED"))
        assert errors_of(refused) == [
            ["This document cannot be edited as it has a payment or credit note allocated to it."]
        ]

    @pytest.mark.parametrize(
        ("start", "target"),
        [("AUTHORISED", "DELETED"), ("DRAFT", "VOIDED"), ("AUTHORISED", "DRAFT")],
    )
    def test_invalid_transitions(self, api, start, target):
        """xero-facts.md §9 (stackoverflow q/52517629; Fooman; Clouddepot KB): Xero's one known
        refusal of a status change is "Invoice not of valid status for modification"."""
        message = "Invoice not of valid status for modification"
        saved = send(api, invoice(status=start)).invoices[0]
        refused = send(api, Invoice(invoice_id=saved.invoice_id, status=target))
        assert errors_of(refused) == [[message]]

    def test_voided_and_deleted_invoices_are_final(self, api):
        voided = send(api, invoice()).invoices[0]
        send(api, Invoice(invoice_id=voided.invoice_id, status="VOIDED"))
        deleted = send(api, invoice(status="DRAFT")).invoices[0]
        send(api, Invoice(invoice_id=deleted.invoice_id, status="DELETED"))
        for saved in (voided, deleted):
            refused = send(api, Invoice(invoice_id=saved.invoice_id, reference="x"))
            assert errors_of(refused) == [["Invoice not of valid status for modification"]]

    def test_unknown_invoice_id(self, api):
        refused = send(api, Invoice(invoice_id="5a1f9f0e-0000-4000-8000-000000000001"))
        assert errors_of(refused) == [
            ["The document with the supplied id was not found for this endpoint."]
        ]


def test_renumbering_onto_another_invoice_is_refused(api):
    send(api, invoice(invoice_number="SHIP-1"))
    second = send(api, invoice(invoice_number="SHIP-2")).invoices[0]
    refused = send(api, Invoice(invoice_id=second.invoice_id, invoice_number="ship-1"))
    assert errors_of(refused) == [["Invoice # must be unique."]]
