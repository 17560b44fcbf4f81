"""The Xero document a validated shipment becomes. Pure: built in memory."""

from __future__ import annotations

from decimal import Decimal

from models import DocumentType, SyncSettings
from services.documents import build_document
from services.validation import check
from tests.utils.factories import reference_in_memory, shipment_in_memory


def document_of(shipment, settings=None, *, base_currency="NZD") -> dict:
    settings = settings or SyncSettings()
    problems, resolved = check(shipment, settings, reference_in_memory())
    assert problems == []
    assert resolved is not None
    return build_document(shipment, settings, resolved, base_currency=base_currency)


def test_document_carries_rate_only_for_foreign_currency():
    shipment = shipment_in_memory(freight_amount=Decimal("85"))
    document = document_of(shipment)
    assert document["CurrencyRate"] == "0.59"
    assert document["InvoiceNumber"] == shipment.shipment_number
    assert document["Contact"] == {"ContactID": "c-ACME"}
    assert [x["AccountCode"] for x in document["LineItems"]] == ["210", "265"]
    assert document["LineItems"][1]["LineAmount"] == "85"
    home = shipment_in_memory(currency="NZD", exchange_rate=Decimal("1.5"))
    assert "CurrencyRate" not in document_of(home)


def test_a_quote_has_a_title_terms_and_expiry_where_an_invoice_has_a_due_date():
    shipment = shipment_in_memory(incoterms="CIF")
    invoice = document_of(shipment)
    assert invoice["DueDate"] == "2026-12-01" and "ExpiryDate" not in invoice
    quote = document_of(shipment, SyncSettings(document_type=DocumentType.QUOTE))
    assert quote["QuoteNumber"] == shipment.shipment_number
    assert quote["Title"] == f"Shipment {shipment.shipment_number}"
    assert quote["Terms"] == "Incoterms: CIF"
    assert quote["ExpiryDate"] == "2026-12-01"
    assert "DueDate" not in quote and "InvoiceNumber" not in quote


def test_a_shipment_sent_before_updates_its_document():
    shipment = shipment_in_memory()
    assert "InvoiceID" not in document_of(shipment)
    shipment.xero_document_id, shipment.xero_document_type = "doc-1", DocumentType.INVOICE
    assert document_of(shipment)["InvoiceID"] == "doc-1"
    shipment.xero_document_type = DocumentType.QUOTE  # sent as a quote: a new invoice
    assert "InvoiceID" not in document_of(shipment)
