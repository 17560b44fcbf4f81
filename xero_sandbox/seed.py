"""Demo organisations the sandbox starts with; Shipbridge's demo data depends on these codes.

IDs are fixed (tenants) or derived deterministically from the tenant and code
(everything else), so they are the same after every reset.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from xero_sandbox.store import Store

DEMO_TENANT_ID = "3f5b8c1e-2d4a-4e6f-9a7b-1c2d3e4f5a01"
UK_TENANT_ID = "3f5b8c1e-2d4a-4e6f-9a7b-1c2d3e4f5a02"
AU_TENANT_ID = "3f5b8c1e-2d4a-4e6f-9a7b-1c2d3e4f5a03"
DEMO_TENANT_IDS = (DEMO_TENANT_ID, UK_TENANT_ID, AU_TENANT_ID)

DEMO_ORG_NAME = "Shipbridge Demo Exports Ltd"
UK_ORG_NAME = "Shipbridge Demo UK Ltd"
AU_ORG_NAME = "Shipbridge Demo AU Pty"

SEED_TIMESTAMP = "2026-01-01T00:00:00+00:00"
BANK_ACCOUNT_CODE = "090"

_ID_NAMESPACE = uuid.UUID("6b1d3c1a-8f0e-4b7a-9d55-0c6a1e2f3b4c")

CURRENCY_NAMES = {
    "NZD": "New Zealand Dollar",
    "USD": "United States Dollar",
    "EUR": "Euro",
    "AUD": "Australian Dollar",
    "GBP": "British Pound",
    "JPY": "Japanese Yen",
}

# Units of each currency per US dollar: the sandbox's fixed "XE day rate" table.
UNITS_PER_USD = {
    "USD": Decimal("1"),
    "NZD": Decimal("1.70"),
    "AUD": Decimal("1.52"),
    "EUR": Decimal("0.92"),
    "GBP": Decimal("0.79"),
    "JPY": Decimal("150"),
}


def seed_id(tenant_id: str, kind: str, code: str) -> str:
    """The stable ID of a seeded record."""
    return str(uuid.uuid5(_ID_NAMESPACE, f"{tenant_id}:{kind}:{code}"))


def day_rate(base: str, foreign: str) -> Decimal:
    """The sandbox's fixed rate: units of ``foreign`` per one unit of ``base``."""
    rate = UNITS_PER_USD[foreign] / UNITS_PER_USD[base]
    return rate.quantize(Decimal("0.000001"))


# (code, name, type, tax type, status)
_NZ_ACCOUNTS = [
    ("200", "Sales", "REVENUE", "OUTPUT2", "ACTIVE"),
    ("210", "Export Sales", "REVENUE", "ZERORATED", "ACTIVE"),
    ("260", "Other Revenue", "REVENUE", "OUTPUT2", "ACTIVE"),
    ("265", "Freight Recovered", "REVENUE", "OUTPUT2", "ACTIVE"),
    ("299", "Old Sales", "REVENUE", "OUTPUT2", "ARCHIVED"),
    ("400", "Advertising", "EXPENSE", "INPUT2", "ACTIVE"),
    (BANK_ACCOUNT_CODE, "Business Bank Account", "BANK", "NONE", "ACTIVE"),
]
_UK_ACCOUNTS = [
    ("200", "Sales", "REVENUE", "OUTPUT2", "ACTIVE"),
    ("260", "Other Revenue", "REVENUE", "OUTPUT2", "ACTIVE"),
    ("265", "Freight Recovered", "REVENUE", "OUTPUT2", "ACTIVE"),
    (BANK_ACCOUNT_CODE, "Business Bank Account", "BANK", "NONE", "ACTIVE"),
]
_AU_ACCOUNTS = [
    ("200", "Sales", "REVENUE", "OUTPUT", "ACTIVE"),
    ("260", "Other Revenue", "REVENUE", "OUTPUT", "ACTIVE"),
    ("265", "Freight Recovered", "REVENUE", "OUTPUT", "ACTIVE"),
    (BANK_ACCOUNT_CODE, "Business Bank Account", "BANK", "BASEXCLUDED", "ACTIVE"),
]

# (tax type, name, rate, side: "sales" | "purchases" | "both", report tax type)
_NZ_TAX = [
    ("OUTPUT2", "GST on Income", "15", "sales", "OUTPUT"),
    ("ZERORATED", "Zero Rated", "0", "both", None),
    ("NONE", "No GST", "0", "both", "NONE"),
    ("INPUT2", "GST on Expenses", "15", "purchases", "INPUT"),
]
_UK_TAX = [
    ("OUTPUT2", "20% (VAT on Income)", "20", "sales", "OUTPUT"),
    ("ZERORATEDOUTPUT", "Zero Rated Income", "0", "sales", "ZERORATEDOUTPUT"),
    ("NONE", "No VAT", "0", "both", "NONE"),
    ("INPUT2", "20% (VAT on Expenses)", "20", "purchases", "INPUT"),
]
_AU_TAX = [
    ("OUTPUT", "GST on Income", "10", "sales", "OUTPUT"),
    ("EXEMPTEXPORT", "GST Free Exports", "0", "sales", "EXEMPTEXPORT"),
    ("NONE", "BAS Excluded", "0", "both", "NONE"),
    ("BASEXCLUDED", "BAS Excluded (Bank)", "0", "both", "BASEXCLUDED"),
    ("INPUT", "GST on Expenses", "10", "purchases", "INPUT"),
]

# (name, account number, currency, customer, supplier, status, first, last)
_NZ_CONTACTS = [
    ("Acme Imports Inc", "ACME", "USD", True, False, "ACTIVE", "Alice", "Acme"),
    ("Alok Industries", "ALOK-01", "USD", True, False, "ACTIVE", "Alok", "Sharma"),
    ("Bolt Trading GmbH", "BOLT", "EUR", True, False, "ACTIVE", "Berta", "Bolt"),
    ("Cascade Foods Pty", "CASC", "AUD", True, False, "ACTIVE", "Cam", "Cascade"),
    ("Delta Retail Ltd", "DELTA", "GBP", True, False, "ACTIVE", "Dana", "Delta"),
    ("Evergreen Supplies", "EVER", "NZD", True, False, "ACTIVE", "Evan", "Green"),
    ("Pacific Packaging", "PACPACK", "NZD", False, True, "ACTIVE", "Pia", "Pack"),
    ("Old Partner Co", "OLDCO", "NZD", True, False, "ARCHIVED", "Otto", "Old"),
]
_UK_CONTACTS = [
    ("Acme Imports Inc", "ACME", "USD", True, False, "ACTIVE", "Alice", "Acme"),
    ("Bolt Trading GmbH", "BOLT", "EUR", True, False, "ACTIVE", "Berta", "Bolt"),
    ("Harbour Stores", "HARB", "GBP", True, False, "ACTIVE", "Hal", "Harbour"),
]
_AU_CONTACTS = [
    ("Acme Imports Inc", "ACME", "USD", True, False, "ACTIVE", "Alice", "Acme"),
    ("Kiwi Distributors", "KIWI", "NZD", True, False, "ACTIVE", "Kim", "Kiwi"),
]

# (code, name, unit price, account code, tax type)
_NZ_ITEMS = [
    ("WIDGET-A", "Widget A", "12.50", "210", "ZERORATED"),
    ("WIDGET-B", "Widget B", "20.00", "210", "ZERORATED"),
    ("GEAR-100", "Gear 100", "7.25", "210", "ZERORATED"),
    ("CRATE", "Export crate", "45.00", "210", "ZERORATED"),
    ("PALLET", "Pallet", "18.00", "210", "ZERORATED"),
    ("MANUKA-250", "Manuka honey 250g", "9.90", "210", "ZERORATED"),
]
_UK_ITEMS = [
    ("WIDGET-A", "Widget A", "12.50", "200", "ZERORATEDOUTPUT"),
    ("CRATE", "Export crate", "45.00", "200", "ZERORATEDOUTPUT"),
]
_AU_ITEMS = [
    ("WIDGET-A", "Widget A", "12.50", "200", "EXEMPTEXPORT"),
    ("CRATE", "Export crate", "45.00", "200", "EXEMPTEXPORT"),
]

ORGANISATIONS: list[dict[str, Any]] = [
    {
        "tenant_id": DEMO_TENANT_ID,
        "name": DEMO_ORG_NAME,
        "base": "NZD",
        "country": "NZ",
        "version": "NZ",
        "timezone": "NEWZEALANDSTANDARDTIME",
        "short_code": "!sbNZ1",
        "currencies": ["NZD", "USD", "EUR", "AUD", "GBP"],
        "accounts": _NZ_ACCOUNTS,
        "taxes": _NZ_TAX,
        "contacts": _NZ_CONTACTS,
        "items": _NZ_ITEMS,
        "sales_tax": "OUTPUT2",
    },
    {
        "tenant_id": UK_TENANT_ID,
        "name": UK_ORG_NAME,
        "base": "GBP",
        "country": "GB",
        "version": "UK",
        "timezone": "GMTSTANDARDTIME",
        "short_code": "!sbUK1",
        "currencies": ["GBP", "USD", "EUR"],
        "accounts": _UK_ACCOUNTS,
        "taxes": _UK_TAX,
        "contacts": _UK_CONTACTS,
        "items": _UK_ITEMS,
        "sales_tax": "OUTPUT2",
    },
    {
        "tenant_id": AU_TENANT_ID,
        "name": AU_ORG_NAME,
        "base": "AUD",
        "country": "AU",
        "version": "AU",
        "timezone": "AUSEASTERNSTANDARDTIME",
        "short_code": "!sbAU1",
        "currencies": ["AUD", "USD", "NZD"],
        "accounts": _AU_ACCOUNTS,
        "taxes": _AU_TAX,
        "contacts": _AU_CONTACTS,
        "items": _AU_ITEMS,
        "sales_tax": "OUTPUT",
    },
]


def _organisation(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "OrganisationID": spec["tenant_id"],
        "Name": spec["name"],
        "LegalName": spec["name"],
        "PaysTax": True,
        "Version": spec["version"],
        "OrganisationType": "COMPANY",
        "OrganisationEntityType": "COMPANY",
        "BaseCurrency": spec["base"],
        "CountryCode": spec["country"],
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": 31,
        "FinancialYearEndMonth": 3,
        "SalesTaxBasis": "INVOICE" if spec["version"] != "UK" else "ACCRUALS",
        "SalesTaxPeriod": "TWOMONTHS" if spec["version"] == "NZ" else "QUARTERLY1",
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": SEED_TIMESTAMP,
        "Timezone": spec["timezone"],
        "ShortCode": spec["short_code"],
        "Class": "PREMIUM",
        "Edition": "BUSINESS",
        "Currencies": spec["currencies"],
        "SalesTaxType": spec["sales_tax"],
    }


def _account(tenant_id: str, row: tuple) -> dict[str, Any]:
    code, name, kind, tax_type, status = row
    account = {
        "AccountID": seed_id(tenant_id, "account", code),
        "Code": code,
        "Name": name,
        "Type": kind,
        "TaxType": tax_type,
        "Status": status,
        "Class": {"REVENUE": "REVENUE", "EXPENSE": "EXPENSE", "BANK": "ASSET"}[kind],
        "EnablePaymentsToAccount": False,
        "ShowInExpenseClaims": False,
        "ReportingCode": {"REVENUE": "REV", "EXPENSE": "EXP", "BANK": "ASS"}[kind],
        "HasAttachments": False,
        "AddToWatchlist": False,
        "UpdatedDateUTC": SEED_TIMESTAMP,
    }
    if kind == "BANK":
        account["BankAccountNumber"] = "0201234567890000"
        account["BankAccountType"] = "BANK"
    return account


def _tax_rate(row: tuple) -> dict[str, Any]:
    tax_type, name, rate, side, report_type = row
    sales = side in ("sales", "both")
    purchases = side in ("purchases", "both")
    body = {
        "Name": name,
        "TaxType": tax_type,
        "TaxComponents": [
            {"Name": name, "Rate": rate, "IsCompound": False, "IsNonRecoverable": False}
        ],
        "Status": "ACTIVE",
        "CanApplyToAssets": True,
        "CanApplyToEquity": True,
        "CanApplyToExpenses": purchases,
        "CanApplyToLiabilities": True,
        "CanApplyToRevenue": sales,
        "DisplayTaxRate": rate,
        "EffectiveRate": rate,
    }
    if report_type:
        body["ReportTaxType"] = report_type
    return body


def _contact(tenant_id: str, row: tuple) -> dict[str, Any]:
    name, number, currency, customer, supplier, status, first, last = row
    email = f"{first.lower()}@{number.lower().replace('-', '')}.example.com"
    return {
        "ContactID": seed_id(tenant_id, "contact", number),
        "AccountNumber": number,
        "ContactStatus": status,
        "Name": name,
        "FirstName": first,
        "LastName": last,
        "EmailAddress": email,
        "IsSupplier": supplier,
        "IsCustomer": customer,
        "DefaultCurrency": currency,
        "ContactPersons": [],
        "UpdatedDateUTC": SEED_TIMESTAMP,
    }


def _item(tenant_id: str, row: tuple) -> dict[str, Any]:
    code, name, price, account_code, tax_type = row
    return {
        "ItemID": seed_id(tenant_id, "item", code),
        "Code": code,
        "Name": name,
        "Description": name,
        "IsSold": True,
        "IsPurchased": False,
        "IsTrackedAsInventory": False,
        "SalesDetails": {"UnitPrice": price, "AccountCode": account_code, "TaxType": tax_type},
        "PurchaseDetails": {},
        "UpdatedDateUTC": SEED_TIMESTAMP,
    }


def seed(store: Store) -> None:
    """Create any missing demo organisation and its reference data (idempotent)."""
    with store.transaction():
        for position, spec in enumerate(ORGANISATIONS):
            tenant_id = spec["tenant_id"]
            if store.organisation(tenant_id) is not None:
                continue
            store.put_organisation(position, _organisation(spec))
            for row in spec["accounts"]:
                body = _account(tenant_id, row)
                store.put("account", body["AccountID"], tenant_id, body)
            for row in spec["taxes"]:
                body = _tax_rate(row)
                store.put("taxrate", seed_id(tenant_id, "taxrate", row[0]), tenant_id, body)
            for row in spec["contacts"]:
                body = _contact(tenant_id, row)
                store.put("contact", body["ContactID"], tenant_id, body)
            for row in spec["items"]:
                body = _item(tenant_id, row)
                store.put("item", body["ItemID"], tenant_id, body)
