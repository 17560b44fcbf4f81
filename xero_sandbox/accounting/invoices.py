"""Invoices: GET (list and one), PUT (create), POST (create or update), POST /Invoices/{id}."""

from __future__ import annotations

from typing import Any

from xero_sandbox.accounting.batch import batch_result, list_result, one_result
from xero_sandbox.accounting.context import ApiRequest, Result
from xero_sandbox.accounting.documents import DocKind, find_document, save_document
from xero_sandbox.accounting.lines import Reference
from xero_sandbox.accounting.serialize import (
    amount,
    contact_json,
    dec,
    line_json,
    put_date,
    stamp,
    totals_json,
)

INVOICE = DocKind(
    kind="invoice",
    label="Invoice",
    id_field="InvoiceID",
    number_field="InvoiceNumber",
    number_prefix="INV-",
    types=("ACCREC", "ACCPAY"),
    create_statuses=("DRAFT", "SUBMITTED", "AUTHORISED"),
    transitions={
        "DRAFT": ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"),
        "SUBMITTED": ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"),
        "AUTHORISED": ("AUTHORISED", "VOIDED"),
        "PAID": (),
        "VOIDED": (),
        "DELETED": (),
    },
    editable=("DRAFT", "SUBMITTED", "AUTHORISED"),
    text_limits={"InvoiceNumber": 255, "Reference": 255, "Url": 2000},
    date_fields=("Date", "DueDate", "ExpectedPaymentDate", "PlannedPaymentDate"),
    extra_fields=("SentToContact", "BrandingThemeID"),
)


def document_contact(ctx: ApiRequest, document: dict[str, Any]) -> dict[str, Any]:
    """The contact embedded in a rendered document (or what the client sent, if unsaved)."""
    if document.get("ContactID"):
        contact = ctx.get("contact", document["ContactID"])
        if contact:
            return contact_json(contact, embedded=True)
    return dict(document.get("ContactEcho") or {})


def payment_summaries(ctx: ApiRequest, document: dict[str, Any]) -> list[dict[str, Any]]:
    """The Payments array of an invoice or credit note."""
    summaries = []
    for payment_id in document.get("PaymentIDs", []):
        payment = ctx.get("payment", payment_id)
        if payment is None or payment.get("Status") == "DELETED":
            continue
        summary: dict[str, Any] = {"PaymentID": payment["PaymentID"]}
        put_date(summary, "Date", payment["Date"], with_string=False)
        summary.update(
            Amount=amount(payment["Amount"]),
            CurrencyRate=dec(payment["CurrencyRate"]),
            HasAccount=False,
            HasValidationErrors=False,
        )
        if payment.get("Reference"):
            summary["Reference"] = payment["Reference"]
        summaries.append(summary)
    return summaries


def render_invoice(ctx: ApiRequest, document: dict[str, Any], *, lines: bool = True) -> dict:
    """An invoice as Xero returns it."""
    body: dict[str, Any] = {"Type": document.get("Type", "ACCREC")}
    if document.get("InvoiceID"):
        body["InvoiceID"] = document["InvoiceID"]
    if document.get("InvoiceNumber") is not None:
        body["InvoiceNumber"] = document["InvoiceNumber"]
    body["Reference"] = document.get("Reference") or ""
    body["Payments"] = payment_summaries(ctx, document)
    body["CreditNotes"] = [
        {
            "CreditNoteID": a["CreditNoteID"],
            "CreditNoteNumber": a.get("CreditNoteNumber", ""),
            "AppliedAmount": amount(a["Amount"]),
        }
        for a in document.get("Allocations", [])
    ]
    body["Prepayments"] = []
    body["Overpayments"] = []
    body["AmountDue"] = amount(document.get("AmountDue"))
    body["AmountPaid"] = amount(document.get("AmountPaid"))
    body["AmountCredited"] = amount(document.get("AmountCredited"))
    body["SentToContact"] = bool(document.get("SentToContact"))
    body["CurrencyRate"] = dec(document.get("CurrencyRate") or 1)
    body["IsDiscounted"] = bool(dec(document.get("TotalDiscount")))
    body["HasAttachments"] = False
    body["HasErrors"] = False
    body["Contact"] = document_contact(ctx, document)
    put_date(body, "Date", document.get("Date"))
    put_date(body, "DueDate", document.get("DueDate"))
    put_date(body, "ExpectedPaymentDate", document.get("ExpectedPaymentDate"), with_string=False)
    put_date(body, "PlannedPaymentDate", document.get("PlannedPaymentDate"), with_string=False)
    if document.get("BrandingThemeID"):
        body["BrandingThemeID"] = document["BrandingThemeID"]
    if document.get("Url"):
        body["Url"] = document["Url"]
    body["Status"] = document.get("Status", "DRAFT")
    body["LineAmountTypes"] = document.get("LineAmountTypes", "Exclusive")
    body["LineItems"] = (
        [line_json(line, ctx.unitdp) for line in document.get("LineItems", [])] if lines else []
    )
    body.update(totals_json(document))
    if document.get("UpdatedDateUTC"):
        body["UpdatedDateUTC"] = stamp(document["UpdatedDateUTC"])
    body["CurrencyCode"] = document.get("CurrencyCode") or ctx.organisation["BaseCurrency"]
    put_date(body, "FullyPaidOnDate", document.get("FullyPaidOnDate"), with_string=False)
    return body


def save_invoices(ctx: ApiRequest) -> Result:
    """PUT/POST /Invoices and POST /Invoices/{InvoiceID}."""
    ref = Reference(ctx)
    forced_id = ctx.path_params.get("id")
    outcomes = [
        save_document(ctx, INVOICE, element, ref, forced_id) for element in ctx.elements("Invoices")
    ]
    return batch_result(
        ctx,
        "Invoices",
        outcomes,
        lambda doc: render_invoice(ctx, doc),
        id_field="InvoiceID",
        error_flag="HasErrors",
    )


def get_invoices(ctx: ApiRequest) -> Result:
    """GET /Invoices: IDs, InvoiceNumbers, ContactIDs, Statuses, where, order, page."""
    records = ctx.records("invoice")
    ids = {value.lower() for value in ctx.list_arg("IDs")}
    numbers = {value.lower() for value in ctx.list_arg("InvoiceNumbers")}
    contacts = {value.lower() for value in ctx.list_arg("ContactIDs")}
    statuses = {value.upper() for value in ctx.list_arg("Statuses")}
    records = [
        r
        for r in records
        if (not ids or r["InvoiceID"] in ids)
        and (not numbers or str(r.get("InvoiceNumber") or "").lower() in numbers)
        and (not contacts or r.get("ContactID") in contacts)
        and (not statuses or r["Status"] in statuses)
    ]
    # Xero only returns line items on a list when it is paged.
    with_lines = ctx.arg("page") is not None and not ctx.flag("summaryOnly", default=False)
    return list_result(
        ctx,
        "Invoices",
        "Invoice",
        records,
        lambda doc: render_invoice(ctx, doc, lines=with_lines),
        pageable=True,
    )


def get_invoice(ctx: ApiRequest) -> Result:
    """GET /Invoices/{InvoiceID or InvoiceNumber}."""
    document = find_document(ctx, INVOICE, ctx.path_params["id"])
    return one_result(ctx, "Invoices", document, lambda doc: render_invoice(ctx, doc))
