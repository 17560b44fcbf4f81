"""Stored records to Xero's JSON: envelopes, `/Date()/` stamps, money, embedded contacts."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from xero_sandbox.accounting.context import ApiRequest
from xero_sandbox.formats import (
    date_string,
    iso_to_datetime,
    money,
    ms_date,
    ms_datetime,
    quantize,
)
from xero_sandbox.responses import PROVIDER_NAME
from xero_sandbox.seed import CURRENCY_NAMES

BLANK_ADDRESSES = [
    {"AddressType": kind, "City": "", "Region": "", "PostalCode": "", "Country": ""}
    for kind in ("STREET", "POBOX")
]
BLANK_PHONES = [
    {"PhoneType": kind, "PhoneNumber": "", "PhoneAreaCode": "", "PhoneCountryCode": ""}
    for kind in ("DEFAULT", "DDI", "FAX", "MOBILE")
]


def envelope(ctx: ApiRequest, collection: str, items: list, pagination: dict | None = None) -> dict:
    """Xero's response envelope around a collection."""
    body: dict[str, Any] = {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": PROVIDER_NAME,
        "DateTimeUTC": ms_datetime(ctx.now).replace("+0000", ""),
    }
    if pagination is not None:
        body["pagination"] = pagination
    body[collection] = items
    return body


def dec(value: Any) -> Decimal:
    """A stored amount as a Decimal (missing means zero)."""
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def amount(value: Any) -> Decimal:
    """A stored amount rounded to cents."""
    return money(dec(value))


def stamp(value: str | None) -> str | None:
    """A stored ISO timestamp as `/Date(ms+0000)/`."""
    return ms_datetime(iso_to_datetime(value)) if value else None


def put_date(target: dict, key: str, value: str | None, with_string: bool = True) -> None:
    """Set ``key`` (and ``keyString``) from a stored ISO date, when there is one."""
    if not value:
        return
    day = date.fromisoformat(value)
    if with_string:
        target[f"{key}String"] = date_string(day)
    target[key] = ms_date(day)


def contact_json(contact: dict[str, Any], *, embedded: bool = False) -> dict[str, Any]:
    """A contact as Xero returns it (full, or embedded in a document)."""
    body: dict[str, Any] = {"ContactID": contact.get("ContactID")}
    for key in ("ContactNumber", "AccountNumber"):
        if contact.get(key):
            body[key] = contact[key]
    body["ContactStatus"] = contact.get("ContactStatus", "ACTIVE")
    for key in ("Name", "FirstName", "LastName", "EmailAddress", "CompanyNumber", "TaxNumber"):
        if contact.get(key) is not None:
            body[key] = contact[key]
    body["BankAccountDetails"] = contact.get("BankAccountDetails", "")
    body["Addresses"] = contact.get("Addresses") or BLANK_ADDRESSES
    body["Phones"] = contact.get("Phones") or BLANK_PHONES
    if contact.get("UpdatedDateUTC"):
        body["UpdatedDateUTC"] = stamp(contact["UpdatedDateUTC"])
    body["ContactGroups"] = []
    body["IsSupplier"] = bool(contact.get("IsSupplier"))
    body["IsCustomer"] = bool(contact.get("IsCustomer"))
    if contact.get("DefaultCurrency"):
        body["DefaultCurrency"] = contact["DefaultCurrency"]
    body["SalesTrackingCategories"] = []
    body["PurchasesTrackingCategories"] = []
    body["ContactPersons"] = contact.get("ContactPersons", [])
    if not embedded:
        body["HasAttachments"] = False
    body["HasValidationErrors"] = False
    return body


def item_json(item: dict[str, Any], unitdp: int = 2) -> dict[str, Any]:
    """An item, with unit prices at ``unitdp`` places."""
    body: dict[str, Any] = {"ItemID": item.get("ItemID"), "Code": item.get("Code", "")}
    for key in ("Name", "Description", "PurchaseDescription"):
        if item.get(key) is not None:
            body[key] = item[key]
    if item.get("UpdatedDateUTC"):
        body["UpdatedDateUTC"] = stamp(item["UpdatedDateUTC"])
    for key in ("PurchaseDetails", "SalesDetails"):
        details = dict(item.get(key) or {})
        if "UnitPrice" in details:
            details["UnitPrice"] = quantize(dec(details["UnitPrice"]), unitdp)
        body[key] = details
    body["IsTrackedAsInventory"] = bool(item.get("IsTrackedAsInventory"))
    body["IsSold"] = bool(item.get("IsSold", True))
    body["IsPurchased"] = bool(item.get("IsPurchased", False))
    return body


def account_json(account: dict[str, Any]) -> dict[str, Any]:
    """An account from the chart of accounts."""
    body = dict(account)
    body["UpdatedDateUTC"] = stamp(account.get("UpdatedDateUTC"))
    return body


def tax_rate_json(rate: dict[str, Any]) -> dict[str, Any]:
    """A tax rate with numeric rates."""
    body = dict(rate)
    body["TaxComponents"] = [
        {**component, "Rate": dec(component["Rate"])} for component in rate["TaxComponents"]
    ]
    body["DisplayTaxRate"] = dec(rate["DisplayTaxRate"])
    body["EffectiveRate"] = dec(rate["EffectiveRate"])
    return body


def currency_json(code: str) -> dict[str, Any]:
    """A subscribed currency."""
    return {"Code": code, "Description": CURRENCY_NAMES.get(code, code)}


def organisation_json(organisation: dict[str, Any]) -> dict[str, Any]:
    """The Organisation resource (internal keys dropped)."""
    body = {k: v for k, v in organisation.items() if k not in ("Currencies", "SalesTaxType")}
    body["CreatedDateUTC"] = stamp(organisation["CreatedDateUTC"])
    body.update(
        {"APIKey": "", "Addresses": [], "Phones": [], "ExternalLinks": [], "PaymentTerms": {}}
    )
    return body


def line_json(line: dict[str, Any], unitdp: int) -> dict[str, Any]:
    """A document line as Xero returns it."""
    body: dict[str, Any] = {}
    if line.get("ItemCode"):
        body["ItemCode"] = line["ItemCode"]
    body["Description"] = line.get("Description", "")
    if line.get("UnitAmount") is not None:
        body["UnitAmount"] = quantize(dec(line["UnitAmount"]), unitdp)
    if line.get("TaxType"):
        body["TaxType"] = line["TaxType"]
    body["TaxAmount"] = amount(line.get("TaxAmount"))
    body["LineAmount"] = amount(line.get("LineAmount"))
    if line.get("AccountCode"):
        body["AccountCode"] = line["AccountCode"]
    if line.get("AccountID"):
        body["AccountID"] = line["AccountID"]
    if line.get("Item"):
        body["Item"] = line["Item"]
    body["Tracking"] = line.get("Tracking", [])
    if line.get("Quantity") is not None:
        body["Quantity"] = quantize(dec(line["Quantity"]), 4)
    for key in ("DiscountRate", "DiscountAmount"):
        if line.get(key) is not None:
            body[key] = amount(line[key])
    body["LineItemID"] = line["LineItemID"]
    body["ValidationErrors"] = []
    return body


def totals_json(document: dict[str, Any]) -> dict[str, Any]:
    """SubTotal, TotalTax, Total (and TotalDiscount when there is one)."""
    body = {key: amount(document.get(key)) for key in ("SubTotal", "TotalTax", "Total")}
    if dec(document.get("TotalDiscount")):
        body["TotalDiscount"] = amount(document["TotalDiscount"])
    return body
