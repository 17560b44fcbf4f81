"""Shipbridge's document dicts (Xero's JSON shape) to SDK models, and SDK answers back.

Part of the Xero boundary: only `services.xero` modules import `xero_python`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from xero_python.accounting import (
    Contact,
    CreditNote,
    CurrencyCode,
    Invoice,
    LineAmountTypes,
    LineItem,
    Quote,
    QuoteLineAmountTypes,
    QuoteStatusCodes,
)
from xero_python.api_client.serializer import serialize

from models import DocumentType


@dataclass
class ElementResult:
    """Xero's answer for one document of a batch."""

    ok: bool
    document_id: str | None
    number: str | None
    status: str | None
    total: Decimal | None
    amount_due: Decimal | None
    amount_paid: Decimal | None
    errors: list[str]
    warnings: list[str]
    raw: dict[str, Any]
    fully_paid_on: date | None = None
    due_date: date | None = None
    currency_rate: Decimal | None = None
    contact_name: str | None = None
    contact_id: str | None = None


@dataclass
class DocumentState:
    """A document as Xero holds it now: what the drift check compares with the shipment."""

    answer: ElementResult  # ID, number, status, total and money back, as every read gives them
    contact_id: str | None
    currency: str | None
    line_sum: Decimal  # the sum of its LineAmounts: Shipbridge's total, tax aside
    line_count: int
    updated_at: datetime | None


def document_state(model, kind: DocumentType) -> DocumentState:
    """The drift check's view of one document read with its lines (a paged read)."""
    lines = getattr(model, "line_items", None) or []
    return DocumentState(
        answer=element_result(model, kind),
        contact_id=_text(getattr(getattr(model, "contact", None), "contact_id", None)),
        currency=_text(getattr(model.currency_code, "value", model.currency_code)),
        line_sum=sum((to_decimal(x.line_amount) or Decimal(0) for x in lines), Decimal(0)),
        line_count=len(lines),
        updated_at=getattr(model, "updated_date_utc", None),
    )


def to_decimal(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _day(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _line(data: dict) -> LineItem:
    return LineItem(
        item_code=data.get("ItemCode"),
        description=data.get("Description"),
        quantity=to_decimal(data.get("Quantity")),
        unit_amount=to_decimal(data.get("UnitAmount")),
        account_code=data.get("AccountCode"),
        tax_type=data.get("TaxType"),
        line_amount=to_decimal(data.get("LineAmount")),
    )


def _contact(data: dict) -> Contact:
    contact = data.get("Contact") or {}
    return Contact(contact_id=contact.get("ContactID"), name=contact.get("Name"))


def _document(doc: dict) -> dict[str, Any]:
    """The fields every kind of document shares, as SDK keyword arguments."""
    return dict(
        contact=_contact(doc),
        reference=doc.get("Reference"),
        date=_day(doc.get("Date")),
        currency_code=CurrencyCode(doc["CurrencyCode"]) if doc.get("CurrencyCode") else None,
        currency_rate=to_decimal(doc.get("CurrencyRate")),
        line_items=[_line(x) for x in doc.get("LineItems", [])],
    )


def _receivable(doc: dict) -> dict[str, Any]:
    """The fields invoices and credit notes share, as SDK keyword arguments."""
    return dict(
        _document(doc),
        due_date=_day(doc.get("DueDate")),
        status=doc.get("Status"),
        line_amount_types=LineAmountTypes(doc.get("LineAmountTypes", "Exclusive")),
    )


def invoice_model(doc: dict) -> Invoice:
    return Invoice(
        invoice_id=doc.get("InvoiceID"),
        type=doc.get("Type", "ACCREC"),
        invoice_number=doc.get("InvoiceNumber"),
        **_receivable(doc),
    )


def quote_model(doc: dict) -> Quote:
    return Quote(
        quote_id=doc.get("QuoteID"),
        quote_number=doc.get("QuoteNumber"),
        title=doc.get("Title"),
        terms=doc.get("Terms"),
        expiry_date=_day(doc.get("ExpiryDate")),
        status=QuoteStatusCodes(doc.get("Status", "DRAFT")),
        # Quotes spell the same three choices in capitals.
        line_amount_types=QuoteLineAmountTypes(doc.get("LineAmountTypes", "Exclusive").upper()),
        **_document(doc),
    )


def credit_note_model(doc: dict) -> CreditNote:
    return CreditNote(
        credit_note_id=doc.get("CreditNoteID"),
        type=doc.get("Type", "ACCRECCREDIT"),
        credit_note_number=doc.get("CreditNoteNumber"),
        **_receivable(doc),
    )


def element_result(model, kind: DocumentType) -> ElementResult:
    """The outcome of one document in Xero's answer; `kind` says which kind it is."""
    errors = [e.message for e in (getattr(model, "validation_errors", None) or []) if e.message]
    warnings = [w.message for w in (getattr(model, "warnings", None) or []) if w.message]
    if kind == DocumentType.INVOICE:
        doc_id, number = model.invoice_id, model.invoice_number
        due, paid = model.amount_due, model.amount_paid
    elif kind == DocumentType.CREDIT_NOTE:
        # What is left of a credit note is the credit not yet allocated to invoices.
        doc_id, number = model.credit_note_id, model.credit_note_number
        due, paid = model.remaining_credit, None
    else:
        doc_id, number, due, paid = model.quote_id, model.quote_number, None, None
    status = getattr(model.status, "value", model.status)
    return ElementResult(
        ok=not errors and not getattr(model, "has_errors", False),
        document_id=str(doc_id) if doc_id else None,
        number=number,
        status=str(status) if status else None,
        total=to_decimal(model.total),
        amount_due=to_decimal(due),
        amount_paid=to_decimal(paid),
        errors=errors,
        warnings=warnings,
        raw=serialize(model),
        fully_paid_on=getattr(model, "fully_paid_on_date", None),
        currency_rate=to_decimal(getattr(model, "currency_rate", None)),
        due_date=getattr(model, "due_date", None) or getattr(model, "expiry_date", None),
        contact_name=getattr(getattr(model, "contact", None), "name", None),
        contact_id=_text(getattr(getattr(model, "contact", None), "contact_id", None)),
    )


def _text(value) -> str | None:
    return str(value) if value else None


# Xero's JSON names for each kind: (ID, number, amount left to pay, amount paid).
_JSON_FIELDS: dict[DocumentType, tuple[str, str, str | None, str | None]] = {
    DocumentType.INVOICE: ("InvoiceID", "InvoiceNumber", "AmountDue", "AmountPaid"),
    # What is left of a credit note is the credit not yet allocated to invoices.
    DocumentType.CREDIT_NOTE: ("CreditNoteID", "CreditNoteNumber", "RemainingCredit", None),
    DocumentType.QUOTE: ("QuoteID", "QuoteNumber", None, None),
}
_MS_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{2,4})?\)/")


def json_day(value) -> date | None:
    """A date as Xero's JSON spells it (`/Date(1767225600000+0000)/`, or an ISO string)."""
    if not value or not isinstance(value, str):
        return None
    stamp = _MS_DATE.fullmatch(value)
    if stamp:
        return datetime.fromtimestamp(int(stamp.group(1)) / 1000, tz=UTC).date()
    return date.fromisoformat(value[:10])


def element_from_json(element: dict[str, Any], kind: DocumentType) -> ElementResult:
    """The outcome of one document in Xero's answer, read straight from the JSON Xero sent
    (no SDK models built and serialised back): `raw` is Xero's own element, as received."""
    id_key, number_key, due_key, paid_key = _JSON_FIELDS[kind]
    errors = [e["Message"] for e in element.get("ValidationErrors") or [] if e.get("Message")]
    warnings = [w["Message"] for w in element.get("Warnings") or [] if w.get("Message")]
    contact = element.get("Contact") or {}
    return ElementResult(
        ok=not errors and not element.get("HasErrors", False),
        document_id=_text(element.get(id_key)),
        number=element.get(number_key),
        status=_text(element.get("Status")),
        total=to_decimal(element.get("Total")),
        amount_due=to_decimal(element.get(due_key)) if due_key else None,
        amount_paid=to_decimal(element.get(paid_key)) if paid_key else None,
        errors=errors,
        warnings=warnings,
        raw=element,
        fully_paid_on=json_day(element.get("FullyPaidOnDate")),
        currency_rate=to_decimal(element.get("CurrencyRate")),
        due_date=json_day(element.get("DueDate") or element.get("ExpiryDate")),
        contact_name=contact.get("Name"),
        contact_id=_text(contact.get("ContactID")),
    )
