"""Voiding and deleting invoices and allocating credit notes in Xero, through the SDK.

Kept apart from adapter.py (which saves and finds documents) so that file does not grow:
these are the calls a cancellation makes, each ONE call for its whole batch where Xero's API
takes a batch (status changes), and one per credit note where it does not (allocations:
`PUT /CreditNotes/{id}/Allocations` takes one credit note)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from xero_python.accounting import Allocation, Allocations, Invoice, Invoices

from models import DocumentType
from services.xero.adapter import UNIT_DECIMAL_PLACES, XeroAdapter
from services.xero.convert import ElementResult, element_result


def set_invoice_statuses(
    adapter: XeroAdapter, tenant_id: str, changes: list[tuple[str, str]], *, idempotency_key: str
) -> list[ElementResult]:
    """POST /Invoices with only InvoiceID and Status for each (InvoiceID, "VOIDED"/"DELETED"):
    Xero voids approved invoices and deletes drafts this way (xero-facts.md §9). One call;
    one answer per invoice, in order."""
    body = Invoices(invoices=[Invoice(invoice_id=i, status=s) for i, s in changes])
    answer = adapter._api(
        adapter.accounting.update_or_create_invoices,
        tenant_id,
        body,
        summarize_errors=False,
        unitdp=UNIT_DECIMAL_PLACES,
        idempotency_key=idempotency_key,
    )
    return [element_result(i, DocumentType.INVOICE) for i in answer.invoices or []]


def allocate(
    adapter: XeroAdapter,
    tenant_id: str,
    *,
    credit_note_id: str,
    invoice_id: str,
    amount: Decimal,
    on: date,
    idempotency_key: str,
) -> list[str]:
    """Allocate `amount` of a credit note to an invoice; Xero's words if it refused ([] if
    it took it). A separate call from creating the credit note, as Xero requires (§11)."""
    body = Allocations(
        allocations=[Allocation(invoice=Invoice(invoice_id=invoice_id), amount=amount, date=on)]
    )
    answer = adapter._api(
        adapter.accounting.create_credit_note_allocation,
        tenant_id,
        credit_note_id,
        body,
        summarize_errors=False,
        idempotency_key=idempotency_key,
    )
    errors: list[str] = []
    for allocation in answer.allocations or []:
        errors += [e.message for e in allocation.validation_errors or [] if e.message]
    return errors
