"""Credit notes (ACCRECCREDIT): GET, PUT, POST, POST /{id} (allocations: allocations.py)."""

from __future__ import annotations

from typing import Any

from xero_sandbox.accounting.allocations import allocation_json
from xero_sandbox.accounting.batch import batch_result, list_result, one_result
from xero_sandbox.accounting.context import ApiRequest, Result
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
    body["Allocations"] = [allocation_json(a) for a in document.get("Allocations", [])]
    body["Payments"] = payment_summaries(ctx, document)
    body["HasAttachments"] = False
    body["HasErrors"] = False
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
