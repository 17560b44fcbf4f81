"""Shipbridge's document dicts (Xero's JSON shape) to SDK models, and SDK answers back.

Part of the Xero boundary: only `services.xero` modules import `xero_python`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from xero_python.accounting import (
    Contact,
    CurrencyCode,
    Invoice,
    LineAmountTypes,
    LineItem,
    Quote,
    QuoteLineAmountTypes,
    QuoteStatusCodes,
)
from xero_python.api_client.serializer import serialize


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


def invoice_model(doc: dict) -> Invoice:
    return Invoice(
        invoice_id=doc.get("InvoiceID"),
        type=doc.get("Type", "ACCREC"),
        contact=_contact(doc),
        invoice_number=doc.get("InvoiceNumber"),
        reference=doc.get("Reference"),
        date=_day(doc.get("Date")),
        due_date=_day(doc.get("DueDate")),
        currency_code=CurrencyCode(doc["CurrencyCode"]) if doc.get("CurrencyCode") else None,
        currency_rate=to_decimal(doc.get("CurrencyRate")),
        status=doc.get("Status"),
        line_amount_types=LineAmountTypes(doc.get("LineAmountTypes", "Exclusive")),
        line_items=[_line(x) for x in doc.get("LineItems", [])],
    )


def quote_model(doc: dict) -> Quote:
    return Quote(
        quote_id=doc.get("QuoteID"),
        contact=_contact(doc),
        quote_number=doc.get("QuoteNumber"),
        reference=doc.get("Reference"),
        title=doc.get("Title"),
        terms=doc.get("Terms"),
        date=_day(doc.get("Date")),
        expiry_date=_day(doc.get("ExpiryDate")),
        currency_code=CurrencyCode(doc["CurrencyCode"]) if doc.get("CurrencyCode") else None,
        currency_rate=to_decimal(doc.get("CurrencyRate")),
        status=QuoteStatusCodes(doc.get("Status", "DRAFT")),
        # Quotes spell the same three choices in capitals.
        line_amount_types=QuoteLineAmountTypes(doc.get("LineAmountTypes", "Exclusive").upper()),
        line_items=[_line(x) for x in doc.get("LineItems", [])],
    )


def element_result(model, kind: str) -> ElementResult:
    errors = [e.message for e in (getattr(model, "validation_errors", None) or []) if e.message]
    warnings = [w.message for w in (getattr(model, "warnings", None) or []) if w.message]
    if kind == "invoice":
        doc_id, number = model.invoice_id, model.invoice_number
        due, paid = model.amount_due, model.amount_paid
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
    )
