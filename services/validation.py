"""Checks a shipment before any API call. Problems are plain sentences that say what to fix."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from rapidfuzz import fuzz, process

from models import Shipment, SyncSettings, XeroContact, XeroItem
from models.shipment import AMOUNT
from services import money
from services.reference_data import ReferenceData

CUSTOMER_CODE_SOURCES = {"buyer_code": "buyer code", "consignee_code": "consignee code"}
REFERENCE_SOURCES = {
    "shipment_number": "shipment number",
    "exporter_reference": "exporter reference",
    "invoice_number": "invoice number",
}
# What Xero's Reference field holds (REFERENCE_SOURCES sets the Xero number).
XERO_REFERENCE_SOURCES = {
    "incoterms_shipment": "incoterms and shipment number",
    "shipment_number": "shipment number",
    "exporter_reference": "exporter reference",
    "invoice_number": "invoice number",
}
DATE_SOURCES = {
    "invoice_date": "invoice date",
    "date_of_issue": "date of issue",
    "created_at": "created date",
}
# Amounts no shipment may hold, whoever enters them (form, import or send): a negative
# amount, or an exchange rate of 0 or less.
NON_NEGATIVE = ("freight_amount", "quantity", "unit_price", "item_value")
Row = TypeVar("Row")


@dataclass
class ResolvedLine:
    item: XeroItem | None
    item_code: str


@dataclass
class Resolved:
    """What validation worked out, for the document builder."""

    customer_code: str
    contact: XeroContact | None
    reference: str
    document_date: date
    lines: list[ResolvedLine]
    sales_account: str


def customer_code(shipment: Shipment, settings: SyncSettings) -> str | None:
    return _text(getattr(shipment, settings.customer_code_source, None))


def reference(shipment: Shipment, settings: SyncSettings) -> str | None:
    return _text(getattr(shipment, settings.reference_source, None))


def document_date(shipment: Shipment, settings: SyncSettings) -> date | None:
    value = getattr(shipment, settings.date_source, None)
    # A date source may be a moment (datetime); the document takes its day.
    return value.date() if isinstance(value, datetime) else value


def sign_problem(field: str, value: Decimal | None) -> str | None:
    """Why `value` cannot stand in `field` (one of NON_NEGATIVE or exchange_rate), as the
    end of a sentence that names the field first; None when it can. The form and the import
    refuse such a value before saving; the send refuses a shipment that still holds one."""
    if value is None:
        return None
    if field == "exchange_rate" and value <= 0:
        return (
            f"{_plain(value)} is not valid: enter a rate above 0, or leave it empty to let "
            "Xero apply its daily rate"
        )
    if field in NON_NEGATIVE and value < 0:
        return f"{_plain(value)} cannot be negative: enter 0 or more"
    return None


def required_field_problems(shipment: Shipment, settings: SyncSettings) -> list[str]:
    """Missing or inconsistent fields; needs nothing from Xero."""
    problems: list[str] = []
    code_field = CUSTOMER_CODE_SOURCES.get(settings.customer_code_source, "customer code")
    if not customer_code(shipment, settings):
        problems.append(
            f"Customer code is missing: fill in the {code_field} "
            "(the Mapping page sets which field holds the customer code)."
        )
    if not _text(shipment.currency):
        problems.append("Currency is missing: enter a three-letter currency code such as USD.")
    if shipment.exchange_rate is not None and shipment.exchange_rate <= 0:
        problems.append(
            f"Exchange rate {shipment.exchange_rate} is not valid: enter a rate above 0, "
            "or leave it empty to let Xero apply its daily rate."
        )
    if shipment.freight_amount is not None and shipment.freight_amount < 0:
        problems.append(
            f"Freight amount {_plain(shipment.freight_amount)} cannot be negative: "
            "enter 0 or more, or leave it empty."
        )
    if not reference(shipment, settings):
        field = REFERENCE_SOURCES.get(settings.reference_source, "reference")
        problems.append(f"Reference number is missing: fill in the {field}.")
    if not document_date(shipment, settings):
        field = DATE_SOURCES.get(settings.date_source, "date")
        problems.append(f"Document date is missing: fill in the {field}.")
    issued = document_date(shipment, settings)
    if not shipment.due_date:
        problems.append("Due date is missing: enter the date payment is due.")
    elif issued and shipment.due_date < issued:
        problems.append(
            f"Due date {shipment.due_date.isoformat()} is before the document date "
            f"{issued.isoformat()}: correct one of them."
        )
    if not _text(shipment.incoterms):
        problems.append("Incoterms are missing: enter the incoterms, such as FOB or CIF.")
    if not shipment.lines:
        problems.append(
            "The shipment has no lines: add at least one line with a product code, "
            "quantity, unit price and item value."
        )
    for number, line in enumerate(shipment.lines, start=1):
        problems.extend(_line_problems(number, line))
    # Each amount fits its column (the form and the import see to it), but their sum is what
    # Xero answers and Shipbridge stores as the document's total.
    total = _lines_and_freight(shipment)
    refused = money.storage_problem(total, AMOUNT) if total > 0 else None
    if refused:
        problems.append(f"Total (lines and freight) {refused}: split the shipment.")
    return problems


def _lines_and_freight(shipment: Shipment) -> Decimal:
    amounts = [line.item_value for line in shipment.lines if line.item_value is not None]
    return money.round_amount(sum(amounts, shipment.freight_amount or Decimal(0)))


def _line_problems(number: int, line) -> list[str]:
    problems = []
    missing = [
        name
        for name, value in (
            ("product code", _text(line.product_code)),
            ("quantity", line.quantity),
            ("unit price", line.unit_price),
            ("item value", line.item_value),
        )
        if value is None or value == ""
    ]
    if missing:
        names = " and ".join(
            [", ".join(missing[:-1]), missing[-1]] if len(missing) > 1 else missing
        )
        verb = "are" if len(missing) > 1 else "is"
        problems.append(f"Line {number}: {names} {verb} missing: fill in every line field.")
        return problems
    if line.quantity <= 0:
        problems.append(f"Line {number}: quantity {_plain(line.quantity)} must be more than 0.")
    if line.unit_price < 0:
        problems.append(f"Line {number}: unit price {_plain(line.unit_price)} cannot be negative.")
    if line.item_value < 0:
        problems.append(f"Line {number}: item value {_plain(line.item_value)} cannot be negative.")
    expected = money.line_amount(quantity=line.quantity, unit_price=line.unit_price)
    if money.round_amount(line.item_value) != expected:
        problems.append(
            f"Line {number}: item value {money.round_amount(line.item_value)} is not quantity × "
            f"unit price ({_plain(line.quantity)} × {_plain(line.unit_price)} = {expected}): "
            "correct the quantity, the unit price or the item value."
        )
    return problems


def check(
    shipment: Shipment, settings: SyncSettings, ref: ReferenceData
) -> tuple[list[str], Resolved | None]:
    """All problems with a shipment, or none and what the document builder needs."""
    problems = required_field_problems(shipment, settings)
    code = customer_code(shipment, settings)
    contact = None
    if code:
        _, contact = _mapped(code, ref.customer_aliases, ref.customers)
        if contact is None:
            problems.append(
                f"Customer code {code} is not a Xero contact's account number: fix the code "
                f"or add it in Xero{_suggest(code, ref.customers)}."
            )
    currency = _text(shipment.currency)
    if currency and ref.currencies and currency.upper() not in ref.currencies:
        problems.append(
            f"Currency {currency} is not enabled in the Xero organisation: add it in Xero "
            "(Settings → Currencies) or change the shipment's currency."
        )
    lines = []
    for number, line in enumerate(shipment.lines, start=1):
        code_on_line = _text(line.product_code)
        if not code_on_line:
            continue
        item_code, item = _mapped(code_on_line, ref.product_aliases, ref.items)
        if item is None:
            problems.append(
                f"Line {number}: product code {code_on_line} is not a Xero item code: fix the "
                f"code or add the item in Xero{_suggest(code_on_line, ref.items)}."
            )
        lines.append(ResolvedLine(item=item, item_code=item.code if item else item_code))
    sales_account = settings.sales_account_code
    if contact is not None:
        sales_account = ref.sales_account_overrides.get(
            (contact.account_number or "").upper(), sales_account
        )
    for label, account in (("Sales", sales_account), ("Freight", settings.freight_account_code)):
        if label == "Freight" and not shipment.freight_amount:
            continue
        if ref.accounts and account not in ref.accounts:
            problems.append(
                f"{label} account {account} does not exist in Xero: choose an active revenue "
                f"account on the Mapping page{_suggest(account, ref.accounts)}."
            )
    if ref.tax_types and settings.tax_type not in ref.tax_types:
        problems.append(
            f"Tax type {settings.tax_type} does not exist in Xero: choose a tax type on the "
            f"Mapping page{_suggest(settings.tax_type, sales_tax_types(ref))}."
        )
    elif ref.tax_types and ref.tax_types[settings.tax_type].can_apply_to_revenue is False:
        problems.append(
            f"Tax type {settings.tax_type} is for purchases, not sales: choose a sales tax "
            "rate on the Mapping page."
        )
    tax_rate = ref.tax_types.get(settings.tax_type)
    if not problems and tax_rate is not None and settings.line_amount_types == "Exclusive":
        # Tax on top: Xero's total is more than the lines, and Shipbridge stores it too.
        with_tax = _lines_and_freight(shipment) * (1 + Decimal(str(tax_rate.rate or 0)) / 100)
        refused = money.storage_problem(money.round_amount(with_tax), AMOUNT)
        if refused:
            problems.append(f"Total with {settings.tax_type} tax {refused}: split the shipment.")
    if problems:
        return problems, None
    issued = document_date(shipment, settings)
    assert issued is not None  # a missing date is one of required_field_problems
    return problems, Resolved(
        customer_code=code or "",
        contact=contact,
        reference=reference(shipment, settings) or "",
        document_date=issued,
        lines=lines,
        sales_account=sales_account,
    )


# Below this similarity (difflib's ratio) a code is not suggested.
SIMILAR = 0.6


def nearest(code: str, known) -> list[str]:
    """Known codes closest to `code`: same prefix first, then by similarity, ties A→Z.

    Similarity is difflib's ratio, as before; rapidfuzz picks the candidates first. Its
    ratio counts the longest common subsequence, never fewer characters than difflib's
    matching blocks, so every code difflib rates ≥ 0.6 is among them and the answers are
    exactly difflib's, at a fraction of the cost (tests/services/test_suggestions.py)."""
    upper = code.upper()
    names = sorted(str(k) for k in known)
    uppers = [k.upper() for k in names]
    prefixed = [
        k for k, u in zip(names, uppers, strict=True) if u.startswith(upper) or upper.startswith(u)
    ]
    candidates = process.extract(
        upper, uppers, scorer=fuzz.ratio, score_cutoff=SIMILAR * 100 - 0.1, limit=None
    )
    scored = sorted(
        (-difflib.SequenceMatcher(None, upper, u).ratio(), names[index])
        for u, _score, index in candidates
    )
    similar = [k for score, k in scored if -score >= SIMILAR]
    return list(dict.fromkeys(prefixed + similar))[:3]


def _suggest(code: str, known) -> str:
    close = nearest(code, known)
    if not close:
        return ""
    return " (did you mean " + " or ".join(close) + "?)"


def _text(value) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _mapped(
    code: str, aliases: Mapping[str, str], rows: Mapping[str, Row]
) -> tuple[str, Row | None]:
    """The Xero code a shipment's code stands for (a mapping, else the code itself) and the
    cached Xero row with that code, if any. Codes match in any case."""
    target = aliases.get(code.upper(), code)
    return target, rows.get(target.upper())


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


def sales_tax_types(ref: ReferenceData) -> dict:
    """The cached tax rates a sales document may use (Xero's CanApplyToRevenue)."""
    return {t: r for t, r in ref.tax_types.items() if r.can_apply_to_revenue is not False}
