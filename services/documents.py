"""Turns a validated shipment into a Xero document (a dict in Xero's JSON shape). Pure."""

from __future__ import annotations

from decimal import Decimal

from models import Shipment, ShipmentLine, SyncSettings
from services import money
from services.document_kinds import QUOTE, kind_of
from services.validation import Resolved


def build_document(
    shipment: Shipment,
    settings: SyncSettings,
    resolved: Resolved,
    *,
    base_currency: str | None,
) -> dict:
    """The document (of the mapping's kind) for one shipment, exactly as it will be sent (and
    logged)."""
    kind = kind_of(settings.document_type)
    currency = (shipment.currency or "").upper()
    lines = [
        {
            "ItemCode": r.item_code,
            "Description": line.description or (r.item.name if r.item else r.item_code),
            "Quantity": _amount(line.quantity),
            # Sent with unitdp=4; LineAmount is what Xero computes from these two, or Xero
            # refuses the line ("The line total … does not match …").
            "UnitAmount": _amount(_unit_amount(line)),
            "AccountCode": resolved.sales_account,
            "TaxType": settings.tax_type,
            "LineAmount": _amount(_line_amount(line)),
        }
        for line, r in zip(shipment.lines, resolved.lines, strict=True)
    ]
    if shipment.freight_amount:
        lines.append(
            {
                "Description": f"Freight ({shipment.incoterms})",
                "Quantity": "1",
                "UnitAmount": _amount(money.round_amount(shipment.freight_amount)),
                "AccountCode": settings.freight_account_code,
                "TaxType": settings.tax_type,
                "LineAmount": _amount(money.round_amount(shipment.freight_amount)),
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
    # Quotes carry a title, terms and an expiry date where invoices have a type and due date.
    if kind is QUOTE:
        document[kind.number_field] = resolved.reference
        document.update(
            Reference=xero_reference(shipment, settings),
            Title=f"Shipment {shipment.shipment_number}",
            Terms=f"Incoterms: {shipment.incoterms}",
            ExpiryDate=due,
        )
    else:
        document["Type"] = kind.xero_type
        document[kind.number_field] = resolved.reference
        document.update(
            Reference=xero_reference(shipment, settings),
            DueDate=due,
        )
    document["Status"] = kind.status_in(settings)
    # Sent before as this kind: update that document rather than create another.
    if shipment.xero_document_id and shipment.xero_document_type == kind.document_type:
        document[kind.id_field] = shipment.xero_document_id
    return document


def xero_reference(shipment: Shipment, settings: SyncSettings) -> str | None:
    """What Xero's Reference field holds, by the setting "Xero Reference comes from" (the
    default: "FOB · SHP-1001" on an invoice, the shipment number on a quote)."""
    source = getattr(settings, "xero_reference_source", "incoterms_shipment")
    if source == "incoterms_shipment":
        if kind_of(settings.document_type) is QUOTE:
            return shipment.shipment_number
        return f"{shipment.incoterms} · {shipment.shipment_number}"
    value = getattr(shipment, source, None)
    return str(value).strip() or None if value is not None else None


def _unit_amount(line: ShipmentLine) -> Decimal:
    """The unit price as Xero keeps it with unitdp=4."""
    assert line.unit_price is not None, "validation refuses a line without a unit price"
    return money.round_unit_price(line.unit_price)


def _line_amount(line: ShipmentLine) -> Decimal:
    """Quantity × the unit price sent, rounded as Xero rounds when it checks the line."""
    assert line.quantity is not None, "validation refuses a line without a quantity"
    return money.line_amount(quantity=line.quantity, unit_price=_unit_amount(line))


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")
