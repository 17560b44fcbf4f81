"""Credit notes (ACCRECCREDIT): GET, PUT, POST, POST /{id}, and allocations to invoices."""

from __future__ import annotations

import uuid
from typing import Any

from xero_sandbox.accounting.batch import batch_result, list_result, one_result
from xero_sandbox.accounting.context import ApiRequest, Outcome, Result
from xero_sandbox.accounting.documents import DocKind, find_document, save_document
from xero_sandbox.accounting.invoices import INVOICE, document_contact, payment_summaries
from xero_sandbox.accounting.lines import Reference
from xero_sandbox.accounting.serialize import (
    amount,
    dec,
    line_json,
    put_date,
    stamp,
    totals_json,
)
from xero_sandbox.formats import FormatError, money, parse_date, to_decimal

CREDIT_NOTE = DocKind(
    kind="creditnote",
    label="Credit Note",
    id_field="CreditNoteID",
    number_field="CreditNoteNumber",
    number_prefix="CN-",
    types=("ACCRECCREDIT", "ACCPAYCREDIT"),
    create_statuses=INVOICE.create_statuses,
    transitions=INVOICE.transitions,
    editable=INVOICE.editable,
    text_limits={"CreditNoteNumber": 255, "Reference": 255},
    date_fields=("Date", "DueDate"),
    extra_fields=("BrandingThemeID",),
)


def render_credit_note(ctx: ApiRequest, document: dict[str, Any]) -> dict[str, Any]:
    """A credit note as Xero returns it."""
    body: dict[str, Any] = {"Type": document.get("Type", "ACCRECCREDIT")}
    if document.get("CreditNoteID"):
        body["CreditNoteID"] = document["CreditNoteID"]
    if document.get("CreditNoteNumber") is not None:
        body["CreditNoteNumber"] = document["CreditNoteNumber"]
    body["Reference"] = document.get("Reference") or ""
    body["Contact"] = document_contact(ctx, document)
    put_date(body, "Date", document.get("Date"))
    put_date(body, "DueDate", document.get("DueDate"))
    body["Status"] = document.get("Status", "DRAFT")
    body["LineAmountTypes"] = document.get("LineAmountTypes", "Exclusive")
    body["LineItems"] = [line_json(line, ctx.unitdp) for line in document.get("LineItems", [])]
    body.update(totals_json(document))
    if document.get("UpdatedDateUTC"):
        body["UpdatedDateUTC"] = stamp(document["UpdatedDateUTC"])
    body["CurrencyCode"] = document.get("CurrencyCode") or ctx.organisation["BaseCurrency"]
    body["CurrencyRate"] = dec(document.get("CurrencyRate") or 1)
    put_date(body, "FullyPaidOnDate", document.get("FullyPaidOnDate"), with_string=False)
    active = document.get("Status") in ("AUTHORISED", "PAID")
    body["RemainingCredit"] = amount(document.get("AmountDue")) if active else amount(0)
    body["Allocations"] = [_allocation_json(a) for a in document.get("Allocations", [])]
    body["Payments"] = payment_summaries(ctx, document)
    body["HasAttachments"] = False
    body["HasErrors"] = False
    return body


def _allocation_json(allocation: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "AllocationID": allocation["AllocationID"],
        "Amount": amount(allocation["Amount"]),
        "Invoice": {
            "InvoiceID": allocation["InvoiceID"],
            "InvoiceNumber": allocation.get("InvoiceNumber"),
            "Payments": [],
            "CreditNotes": [],
            "Prepayments": [],
            "Overpayments": [],
            "HasErrors": False,
            "IsDiscounted": False,
            "HasAttachments": False,
            "LineItems": [],
        },
    }
    put_date(body, "Date", allocation["Date"], with_string=False)
    return body


def save_credit_notes(ctx: ApiRequest) -> Result:
    """PUT/POST /CreditNotes and POST /CreditNotes/{CreditNoteID}."""
    ref = Reference(ctx)
    forced_id = ctx.path_params.get("id")
    outcomes = [
        save_document(ctx, CREDIT_NOTE, element, ref, forced_id)
        for element in ctx.elements("CreditNotes")
    ]
    return batch_result(
        ctx,
        "CreditNotes",
        outcomes,
        lambda doc: render_credit_note(ctx, doc),
        id_field="CreditNoteID",
        error_flag="HasErrors",
    )


def get_credit_notes(ctx: ApiRequest) -> Result:
    """GET /CreditNotes with where, order, page and If-Modified-Since."""
    return list_result(
        ctx,
        "CreditNotes",
        "CreditNote",
        ctx.records("creditnote"),
        lambda doc: render_credit_note(ctx, doc),
        pageable=True,
    )


def get_credit_note(ctx: ApiRequest) -> Result:
    """GET /CreditNotes/{CreditNoteID or CreditNoteNumber}."""
    document = find_document(ctx, CREDIT_NOTE, ctx.path_params["id"])
    return one_result(ctx, "CreditNotes", document, lambda doc: render_credit_note(ctx, doc))


def allocate(ctx: ApiRequest) -> Result:
    """PUT /CreditNotes/{id}/Allocations: apply credit to AUTHORISED invoices."""
    note = find_document(ctx, CREDIT_NOTE, ctx.path_params["id"])
    if note is None:
        return Result(404, None)
    outcomes = []
    for element in ctx.elements("Allocations"):
        outcome = Outcome(
            {"Amount": "0", "Date": ctx.today().isoformat(), "AllocationID": "", "InvoiceID": ""}
        )
        outcomes.append(outcome)
        invoice_ref = element.get("Invoice") if isinstance(element, dict) else None
        invoice = None
        if isinstance(invoice_ref, dict) and invoice_ref.get("InvoiceID"):
            invoice = ctx.get_by_uuid("invoice", invoice_ref["InvoiceID"])
        if invoice is None:
            outcome.errors.append("Invoice could not be found")  # sandbox guess
            continue
        try:
            applied = money(to_decimal(element.get("Amount")))
            when = parse_date(element["Date"]) if element.get("Date") else ctx.today()
        except FormatError:
            outcome.errors.append("Allocation Amount and Date must be valid.")  # sandbox guess
            continue
        if note["Status"] != "AUTHORISED" or invoice["Status"] != "AUTHORISED":
            outcome.errors.append("Allocations can only be made between AUTHORISED documents.")
        elif applied > 0 and not dec(invoice.get("AmountDue")):
            # xero-facts.md §11 (xeroizer#320; calcinai/xero-php#251).
            outcome.errors.append(
                "The invoice you are trying to allocate to has already been paid off"
            )
        elif (
            applied <= 0
            or applied > dec(note.get("AmountDue"))
            or applied > dec(invoice.get("AmountDue"))
        ):
            # xero-facts.md §11 (xeroizer#320; calcinai/xero-php#251), for more than the credit
            # left or the invoice owes. Sandbox guess: the same words for an amount of 0 or less.
            outcome.errors.append(
                "Credit Note cannot be allocated as amount is greater than amount outstanding"
            )
        if outcome.errors:
            continue
        allocation = {
            "AllocationID": str(uuid.uuid4()),
            "Amount": applied,
            "Date": when.isoformat(),
            "InvoiceID": invoice["InvoiceID"],
            "InvoiceNumber": invoice.get("InvoiceNumber"),
            "CreditNoteID": note["CreditNoteID"],
            "CreditNoteNumber": note.get("CreditNoteNumber"),
        }
        _apply_credit(ctx, note, invoice, allocation, when.isoformat())
        outcome.document = allocation
        outcome.saved = True
    return batch_result(
        ctx,
        "Allocations",
        outcomes,
        _allocation_json,
        id_field="AllocationID",
        error_flag=None,
    )


def _apply_credit(ctx: ApiRequest, note: dict, invoice: dict, allocation: dict, when: str) -> None:
    applied = dec(allocation["Amount"])
    for document, kind, id_field, paid_field in (
        (note, "creditnote", "CreditNoteID", "AmountPaid"),
        (invoice, "invoice", "InvoiceID", "AmountCredited"),
    ):
        document.setdefault("Allocations", []).append(allocation)
        document[paid_field] = money(dec(document.get(paid_field)) + applied)
        document["AmountDue"] = money(dec(document.get("AmountDue")) - applied)
        if dec(document["AmountDue"]) <= 0:
            document["Status"] = "PAID"
            document["FullyPaidOnDate"] = when
        document["UpdatedDateUTC"] = ctx.stamp()
        ctx.put(kind, document[id_field], document)
