"""Turns a validated shipment into a Xero document (a dict in Xero's JSON shape). Pure."""

from __future__ import annotations

from decimal import Decimal

from models import DocumentType, Shipment, SyncSettings
from services.validation import Resolved


def build_document(
    shipment: Shipment,
    settings: SyncSettings,
    resolved: Resolved,
    *,
    base_currency: str | None,
) -> dict:
    """The invoice or quote for one shipment, exactly as it will be sent (and logged)."""
    currency = (shipment.currency or "").upper()
    lines = [
        {
            "ItemCode": r.item_code,
            "Description": line.description or (r.item.name if r.item else r.item_code),
            "Quantity": _amount(line.quantity),
            "UnitAmount": _amount(line.unit_price),
            "AccountCode": resolved.sales_account,
            "TaxType": settings.tax_type,
            "LineAmount": _amount(line.item_value),
        }
        for line, r in zip(shipment.lines, resolved.lines, strict=True)
    ]
    if shipment.freight_amount:
        lines.append(
            {
                "Description": f"Freight ({shipment.incoterms})",
                "Quantity": "1",
                "UnitAmount": _amount(shipment.freight_amount),
                "AccountCode": settings.freight_account_code,
                "TaxType": settings.tax_type,
                "LineAmount": _amount(shipment.freight_amount),
            }
        )
    document: dict = {
        "Contact": {"ContactID": resolved.contact.contact_id if resolved.contact else None},
        "Date": resolved.document_date.isoformat(),
        "CurrencyCode": currency,
        "LineAmountTypes": settings.line_amount_types,
        "LineItems": lines,
    }
    if shipment.exchange_rate and currency != (base_currency or "").upper():
        document["CurrencyRate"] = _amount(shipment.exchange_rate)
    due = shipment.due_date.isoformat() if shipment.due_date else None
    if settings.document_type == DocumentType.QUOTE:
        document.update(
            QuoteNumber=resolved.reference,
            Reference=shipment.shipment_number,
            Title=f"Shipment {shipment.shipment_number}",
            Terms=f"Incoterms: {shipment.incoterms}",
            ExpiryDate=due,
            Status=settings.quote_status,
        )
        if shipment.xero_document_id and shipment.xero_document_type == DocumentType.QUOTE:
            document["QuoteID"] = shipment.xero_document_id
    else:
        document.update(
            Type="ACCREC",
            InvoiceNumber=resolved.reference,
            Reference=f"{shipment.incoterms} · {shipment.shipment_number}",
            DueDate=due,
            Status=settings.invoice_status,
        )
        if shipment.xero_document_id and shipment.xero_document_type == DocumentType.INVOICE:
            document["InvoiceID"] = shipment.xero_document_id
    return document


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")
