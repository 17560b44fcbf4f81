"""Payments against invoices and credit notes: GET, PUT/POST (create), POST /{id} (delete).

Applying a payment updates the document's AmountPaid and AmountDue; a document
paid in full becomes PAID with a FullyPaidOnDate. Deleting a payment reverses it.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from xero_sandbox.accounting.batch import batch_result, list_result, one_result
from xero_sandbox.accounting.context import ApiRequest, Outcome, Result
from xero_sandbox.accounting.serialize import amount, dec, put_date, stamp
from xero_sandbox.formats import FormatError, money, parse_date, to_decimal

DOCUMENT_KINDS = (
    ("invoice", "InvoiceID", "InvoiceNumber"),
    ("creditnote", "CreditNoteID", "CreditNoteNumber"),
)


def _find_target(ctx: ApiRequest, element: dict) -> tuple[str, dict | None]:
    for kind, id_field, number_field in DOCUMENT_KINDS:
        label = "Invoice" if kind == "invoice" else "CreditNote"
        given = element.get(label)
        if not isinstance(given, dict):
            continue
        if given.get(id_field):
            return kind, ctx.get_by_uuid(kind, given[id_field])
        number = str(given.get(number_field) or "")
        matches = ctx.find(kind, number_field, number) if number else []
        return kind, matches[0] if matches else None
    return "invoice", None


def _find_account(ctx: ApiRequest, given: Any) -> dict | None:
    if not isinstance(given, dict):
        return None
    for account in ctx.records("account"):
        if given.get("AccountID") and account["AccountID"] == str(given["AccountID"]).lower():
            return account
        if given.get("Code") and account["Code"].lower() == str(given["Code"]).lower():
            return account
    return None


def apply_payment(ctx: ApiRequest, element: Any) -> Outcome:
    """Validate and record one payment, updating the document it pays."""
    if not isinstance(element, dict):
        return Outcome({}, ["The payment could not be read."])  # sandbox guess
    kind, target = _find_target(ctx, element)
    payment: dict[str, Any] = {"Status": "AUTHORISED", "Reference": element.get("Reference")}
    outcome = Outcome(payment)
    errors = outcome.errors
    if target is None:
        errors.append("The document with the supplied id was not found for this endpoint.")  # guess
        return outcome
    account = _find_account(ctx, element.get("Account"))
    if account is None:
        # xero-facts.md §1 (Garage Hive "Common Xero Errors", confidence 1).
        errors.append("Account could not be found.")
    elif account["Type"] != "BANK" and not account.get("EnablePaymentsToAccount"):
        errors.append("Account type is invalid for making a payment to/from")  # sandbox guess
    if target["Status"] != "AUTHORISED":
        # xero-facts.md §9 (Garage Hive docs, confidence 1).
        errors.append("Payments can only be made against authorised documents.")
    try:
        paid = money(to_decimal(element.get("Amount")))
    except FormatError:
        paid = Decimal(0)
    if paid <= 0:
        errors.append("Payment amount must be greater than zero.")  # sandbox guess
    elif paid > dec(target.get("AmountDue")):
        # xero-facts.md §9: the OpenAPI spec's example (XeroAPI/Xero-OpenAPI).
        errors.append("Payment amount exceeds the amount outstanding on this document")
    try:
        when = parse_date(element["Date"]) if element.get("Date") else ctx.today()
    except FormatError:
        errors.append(f"Date '{element['Date']}' is not a valid date.")  # sandbox guess
        when = ctx.today()
    rate = element.get("CurrencyRate") or target.get("CurrencyRate") or 1
    payment.update(
        Date=when.isoformat(),
        Amount=paid,
        CurrencyRate=dec(rate),
        PaymentType="ACCRECPAYMENT" if kind == "invoice" else "ARCREDITPAYMENT",
        DocumentKind=kind,
        DocumentID=target.get("InvoiceID") or target.get("CreditNoteID"),
        AccountID=account["AccountID"] if account else None,
        IsReconciled=False,
    )
    if errors:
        return outcome
    payment["PaymentID"] = str(uuid.uuid4())
    payment["UpdatedDateUTC"] = ctx.stamp()
    ctx.put("payment", payment["PaymentID"], payment)
    _settle(ctx, kind, target, paid, payment["PaymentID"], when)
    outcome.saved = True
    return outcome


def _settle(
    ctx: ApiRequest,
    kind: str,
    document: dict,
    paid: Decimal,
    payment_id: str | None,
    when: date | None,
) -> None:
    id_field = "InvoiceID" if kind == "invoice" else "CreditNoteID"
    document["AmountPaid"] = money(dec(document.get("AmountPaid")) + paid)
    document["AmountDue"] = money(dec(document.get("AmountDue")) - paid)
    if payment_id:
        document.setdefault("PaymentIDs", []).append(payment_id)
    if dec(document["AmountDue"]) <= 0 and when is not None:
        document["Status"] = "PAID"
        document["FullyPaidOnDate"] = when.isoformat()
    elif dec(document["AmountDue"]) > 0 and document["Status"] == "PAID":
        document["Status"] = "AUTHORISED"
        document.pop("FullyPaidOnDate", None)
    if kind == "creditnote":
        document["RemainingCredit"] = document["AmountDue"]
    document["UpdatedDateUTC"] = ctx.stamp()
    ctx.put(kind, document[id_field], document)


def render_payment(ctx: ApiRequest, payment: dict[str, Any]) -> dict[str, Any]:
    """A payment as Xero returns it."""
    body: dict[str, Any] = {}
    put_date(body, "Date", payment.get("Date"), with_string=False)
    body.update(
        BankAmount=amount(payment.get("Amount")),
        Amount=amount(payment.get("Amount")),
        CurrencyRate=dec(payment.get("CurrencyRate") or 1),
        PaymentType=payment.get("PaymentType", "ACCRECPAYMENT"),
        Status=payment.get("Status", "AUTHORISED"),
        HasAccount=bool(payment.get("AccountID")),
        IsReconciled=bool(payment.get("IsReconciled")),
        HasValidationErrors=False,
    )
    if payment.get("Reference"):
        body["Reference"] = payment["Reference"]
    if payment.get("UpdatedDateUTC"):
        body["UpdatedDateUTC"] = stamp(payment["UpdatedDateUTC"])
    if payment.get("PaymentID"):
        body["PaymentID"] = payment["PaymentID"]
    if payment.get("AccountID"):
        account = ctx.get("account", payment["AccountID"]) or {}
        body["Account"] = {"AccountID": payment["AccountID"], "Code": account.get("Code")}
    if payment.get("DocumentID"):
        kind = payment.get("DocumentKind", "invoice")
        document = ctx.get(kind, payment["DocumentID"]) or {}
        if kind == "invoice":
            body["Invoice"] = _document_summary(ctx, document, "Invoice")
        else:
            body["CreditNote"] = _document_summary(ctx, document, "CreditNote")
    return body


def _document_summary(ctx: ApiRequest, document: dict, label: str) -> dict[str, Any]:
    contact = ctx.get("contact", document.get("ContactID", "")) or {}
    return {
        "Type": document.get("Type"),
        f"{label}ID": document.get(f"{label}ID"),
        f"{label}Number": document.get(f"{label}Number"),
        "Contact": {"ContactID": contact.get("ContactID"), "Name": contact.get("Name")},
        "CurrencyCode": document.get("CurrencyCode"),
        "Payments": [],
        "CreditNotes": [],
        "Prepayments": [],
        "Overpayments": [],
        "HasErrors": False,
        "IsDiscounted": False,
        "HasAttachments": False,
        "LineItems": [],
    }


def save_payments(ctx: ApiRequest) -> Result:
    """PUT/POST /Payments: create payments."""
    outcomes = [apply_payment(ctx, element) for element in ctx.elements("Payments")]
    return batch_result(
        ctx,
        "Payments",
        outcomes,
        lambda p: render_payment(ctx, p),
        id_field="PaymentID",
        error_flag="HasValidationErrors",
    )


def delete_payment(ctx: ApiRequest) -> Result:
    """POST /Payments/{PaymentID} with Status DELETED: reverse a payment."""
    payment = ctx.get_by_uuid("payment", ctx.path_params["id"])
    if payment is None:
        return Result(404, None)
    # The SDK sends PaymentDelete ({"Status": "DELETED"}); a Payments wrapper works too.
    elements = ctx.elements("Payments")
    wanted = elements[0].get("Status") if elements and isinstance(elements[0], dict) else None
    outcome = Outcome(payment)
    if wanted != "DELETED":
        outcome.errors.append("Only the Status of a payment can be updated, to DELETED.")  # guess
    elif payment["Status"] != "DELETED":
        payment["Status"] = "DELETED"
        payment["UpdatedDateUTC"] = ctx.stamp()
        ctx.put("payment", payment["PaymentID"], payment)
        document = ctx.get(payment["DocumentKind"], payment["DocumentID"])
        if document is not None:
            _settle(ctx, payment["DocumentKind"], document, -dec(payment["Amount"]), None, None)
        outcome.saved = True
    return batch_result(
        ctx,
        "Payments",
        [outcome],
        lambda p: render_payment(ctx, p),
        id_field="PaymentID",
        error_flag="HasValidationErrors",
    )


def get_payments(ctx: ApiRequest) -> Result:
    """GET /Payments with where, order, page and If-Modified-Since."""
    return list_result(
        ctx,
        "Payments",
        "Payment",
        ctx.records("payment"),
        lambda p: render_payment(ctx, p),
        pageable=True,
    )


def get_payment(ctx: ApiRequest) -> Result:
    """GET /Payments/{PaymentID}."""
    payment = ctx.get_by_uuid("payment", ctx.path_params["id"])
    return one_result(ctx, "Payments", payment, lambda p: render_payment(ctx, p))
