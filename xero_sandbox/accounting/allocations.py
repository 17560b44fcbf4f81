"""Allocating a credit note to invoices: PUT /CreditNotes/{id}/Allocations, and taking an
allocation back: DELETE /CreditNotes/{id}/Allocations/{AllocationID}.

xero-facts.md §11: allocating is a separate call from creating the credit note (Xero support,
quoted in xeroizer#196); DELETE of allocations exists since Xero-OpenAPI v2.40.0 (xero-node
PR#648). Each allocation moves money from the credit note's RemainingCredit to the invoice's
AmountCredited; a document with nothing left becomes PAID.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from xero_sandbox.accounting.batch import batch_result
from xero_sandbox.accounting.context import ApiRequest, Outcome, Result
from xero_sandbox.accounting.serialize import amount, dec, put_date
from xero_sandbox.formats import FormatError, money, parse_date, to_decimal

# The invoice Type each credit note Type is allocated to.
INVOICE_TYPE_FOR = {"ACCRECCREDIT": "ACCREC", "ACCPAYCREDIT": "ACCPAY"}


def allocation_json(allocation: dict[str, Any]) -> dict[str, Any]:
    """An allocation as Xero returns it."""
    body: dict[str, Any] = {
        "AllocationID": allocation["AllocationID"],
        "Amount": amount(allocation["Amount"]),
        "Invoice": {
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
    for key in ("InvoiceID", "InvoiceNumber"):
        if allocation.get(key):
            body["Invoice"][key] = allocation[key]
    put_date(body, "Date", allocation["Date"], with_string=False)
    if allocation.get("IsDeleted"):
        body["IsDeleted"] = True
    return body


def _note(ctx: ApiRequest) -> dict | None:
    return ctx.get_by_uuid("creditnote", ctx.path_params["id"])


def _problems(note: dict, invoice: dict, applied: Decimal) -> list[str]:
    """Why Xero refuses this allocation (none: it is taken)."""
    errors = []
    if INVOICE_TYPE_FOR.get(note.get("Type", "ACCRECCREDIT")) != invoice.get("Type", "ACCREC"):
        # xero-facts.md §11: xeroizer#320 shows "Credit Note cannot be allocated to an incorrect
        # invoice t…" cut off; sandbox guess for the end ("type") and for when it fires.
        errors.append("Credit Note cannot be allocated to an incorrect invoice type")
    if note["Status"] != "AUTHORISED" or invoice["Status"] not in ("AUTHORISED", "PAID"):
        # Sandbox guess (not found): Xero's words for allocating a draft or voided document.
        errors.append("Allocations can only be made between AUTHORISED documents.")
    elif applied > 0 and not dec(invoice.get("AmountDue")):
        # xero-facts.md §11 (xeroizer#320; calcinai/xero-php#251).
        errors.append("The invoice you are trying to allocate to has already been paid off")
    elif (
        applied <= 0
        or applied > dec(note.get("AmountDue"))
        or applied > dec(invoice.get("AmountDue"))
    ):
        # xero-facts.md §11 (xeroizer#320; calcinai/xero-php#251), for more than the credit
        # left or the invoice owes. Sandbox guess: the same words for an amount of 0 or less.
        errors.append(
            "Credit Note cannot be allocated as amount is greater than amount outstanding"
        )
    return errors


def _allocate_one(ctx: ApiRequest, note: dict, element: Any) -> Outcome:
    outcome = Outcome(
        {"Amount": "0", "Date": ctx.today().isoformat(), "AllocationID": "", "InvoiceID": ""}
    )
    invoice_ref = element.get("Invoice") if isinstance(element, dict) else None
    invoice = None
    if isinstance(invoice_ref, dict) and invoice_ref.get("InvoiceID"):
        invoice = ctx.get_by_uuid("invoice", invoice_ref["InvoiceID"])
    if invoice is None:
        outcome.errors.append("Invoice could not be found")  # sandbox guess
        return outcome
    try:
        applied = money(to_decimal(element.get("Amount")))
        when = parse_date(element["Date"]) if element.get("Date") else ctx.today()
    except FormatError:
        outcome.errors.append("Allocation Amount and Date must be valid.")  # sandbox guess
        return outcome
    outcome.errors.extend(_problems(note, invoice, applied))
    if outcome.errors:
        # A refused element comes back as it was sent, with its errors.
        outcome.document.update(
            Amount=applied,
            Date=when.isoformat(),
            InvoiceID=invoice["InvoiceID"],
            InvoiceNumber=invoice.get("InvoiceNumber"),
        )
        return outcome
    allocation = {
        "AllocationID": str(uuid.uuid4()),
        "Amount": applied,
        "Date": when.isoformat(),
        "InvoiceID": invoice["InvoiceID"],
        "InvoiceNumber": invoice.get("InvoiceNumber"),
        "CreditNoteID": note["CreditNoteID"],
        "CreditNoteNumber": note.get("CreditNoteNumber"),
    }
    _move_credit(ctx, note, invoice, allocation, applied)
    outcome.document = allocation
    outcome.saved = True
    return outcome


def allocate(ctx: ApiRequest) -> Result:
    """PUT /CreditNotes/{id}/Allocations: apply credit to AUTHORISED invoices."""
    note = _note(ctx)
    if note is None:
        return Result(404, None)
    outcomes = [_allocate_one(ctx, note, element) for element in ctx.elements("Allocations")]
    return batch_result(
        ctx, "Allocations", outcomes, allocation_json, id_field="AllocationID", error_flag=None
    )


def delete_allocation(ctx: ApiRequest) -> Result:
    """DELETE /CreditNotes/{id}/Allocations/{AllocationID}: the credit goes back to the note,
    the invoice owes it again. Answers the Allocation with IsDeleted true (the spec)."""
    note = _note(ctx)
    allocation_id = str(ctx.path_params.get("allocation") or "").lower()
    found = next(
        (a for a in (note or {}).get("Allocations", []) if a["AllocationID"] == allocation_id),
        None,
    )
    if note is None or found is None:
        return Result(404, None)
    invoice = ctx.get("invoice", found["InvoiceID"])
    note["Allocations"] = [a for a in note["Allocations"] if a is not found]
    if invoice is not None:
        invoice["Allocations"] = [
            a for a in invoice.get("Allocations", []) if a["AllocationID"] != allocation_id
        ]
        _move_credit(ctx, note, invoice, None, -dec(found["Amount"]))
    else:
        _move_credit(ctx, note, {}, None, -dec(found["Amount"]))
    return Result(200, allocation_json({**found, "IsDeleted": True}))


def _move_credit(
    ctx: ApiRequest, note: dict, invoice: dict, allocation: dict | None, applied: Decimal
) -> None:
    """Move `applied` from the note's credit to the invoice (negative: back again)."""
    when = allocation["Date"] if allocation else ctx.today().isoformat()
    for document, kind, id_field, taken_field in (
        (note, "creditnote", "CreditNoteID", "AmountPaid"),
        (invoice, "invoice", "InvoiceID", "AmountCredited"),
    ):
        if not document:
            continue
        if allocation is not None:
            document.setdefault("Allocations", []).append(allocation)
        document[taken_field] = money(dec(document.get(taken_field)) + applied)
        document["AmountDue"] = money(dec(document.get("AmountDue")) - applied)
        if dec(document["AmountDue"]) <= 0:
            document["Status"] = "PAID"
            document["FullyPaidOnDate"] = when
        elif document["Status"] == "PAID":
            document["Status"] = "AUTHORISED"
            document.pop("FullyPaidOnDate", None)
        document["UpdatedDateUTC"] = ctx.stamp()
        ctx.put(kind, document[id_field], document)
