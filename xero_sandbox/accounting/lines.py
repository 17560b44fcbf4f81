"""Document lines: item defaults, account and tax checks, line tax and document totals.

Line tax is the line amount times the rate, rounded to cents per line
(Inclusive: amount × rate / (100 + rate)); totals are sums of the rounded lines: "Xero
calculates tax on a per line basis, rounding to two decimal places, and then sums the tax totals
of each line" (xero-facts.md §7, developer.xero.com/documentation/guides/how-to-guides/
rounding-in-xero). A LineAmount that disagrees with Quantity × UnitAmount × (1 − DiscountRate/100)
is refused (§7).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from xero_sandbox.accounting.context import ApiRequest
from xero_sandbox.accounting.serialize import dec
from xero_sandbox.formats import FormatError, money, quantize, to_decimal

DESCRIPTION_LIMIT = 4000
LINE_FIELDS = (
    "LineItemID",
    "Description",
    "Quantity",
    "UnitAmount",
    "ItemCode",
    "AccountCode",
    "TaxType",
    "TaxAmount",
    "LineAmount",
    "DiscountRate",
    "DiscountAmount",
    "Tracking",
)


@dataclass
class LineContext:
    """What line checks need to know about the document."""

    line_amount_types: str  # Exclusive | Inclusive | NoTax
    require_account: bool
    sales: bool = True
    errors: list[str] = field(default_factory=list)


class Reference:
    """An organisation's accounts, tax rates and items, indexed for line checks."""

    def __init__(self, ctx: ApiRequest) -> None:
        self.accounts = {a["Code"].lower(): a for a in ctx.records("account")}
        self.tax_rates = {t["TaxType"].upper(): t for t in ctx.records("taxrate")}
        self.items = {i["Code"].lower(): i for i in ctx.records("item")}
        self.default_sales_tax = ctx.organisation.get("SalesTaxType", "NONE")


def _number(raw: Any, label: str, errors: list[str]) -> Decimal | None:
    if raw is None:
        return None
    try:
        return to_decimal(raw)
    except FormatError:
        errors.append(f"{label} must be a number.")  # sandbox guess
        return None


def build_lines(
    incoming: list[Any],
    existing: list[dict[str, Any]],
    ref: Reference,
    lc: LineContext,
    unitdp: int,
) -> list[dict[str, Any]]:
    """Merge incoming lines with existing ones (by LineItemID) and compute each line."""
    by_id = {line["LineItemID"]: line for line in existing}
    lines = []
    for raw in incoming:
        if not isinstance(raw, dict):
            lc.errors.append("Line items must be objects.")  # sandbox guess
            continue
        wanted = {k: v for k, v in raw.items() if k in LINE_FIELDS}
        line_id = str(wanted.get("LineItemID") or "").lower()
        base = dict(by_id.get(line_id, {})) if line_id else {}
        if base:
            # Computed amounts are recomputed unless the client sends them again.
            base.pop("LineAmount", None)
            base.pop("TaxAmount", None)
        base.update(wanted)
        base["LineItemID"] = line_id if line_id in by_id else str(uuid.uuid4())
        explicit_tax = "TaxAmount" in raw
        lines.append(
            _compute_line(
                base, ref, lc, unitdp, explicit_tax, explicit_amount=("LineAmount" in raw)
            )
        )
    return lines


def _compute_line(
    line: dict[str, Any],
    ref: Reference,
    lc: LineContext,
    unitdp: int,
    explicit_tax: bool,
    explicit_amount: bool,
) -> dict[str, Any]:
    errors = lc.errors
    description = line.get("Description")
    if description is not None and len(str(description)) > DESCRIPTION_LIMIT:
        # sandbox guess: wording
        errors.append(f"Description must not be more than {DESCRIPTION_LIMIT} characters long.")
    item = None
    if line.get("ItemCode"):
        item = ref.items.get(str(line["ItemCode"]).lower())
        if item is None:
            # xero-facts.md §3 (magento2-support.fooman.co.nz/article/1706-error-message-
            # invaliditem): no full stop in the source.
            errors.append(f"Item code '{line['ItemCode']}' is not valid")
        else:
            _apply_item_defaults(line, item)
    quantity = _number(line.get("Quantity"), "Quantity", errors)
    unit = _number(line.get("UnitAmount"), "Unit Amount", errors)
    given_amount = (
        _number(line.get("LineAmount"), "Line Amount", errors) if explicit_amount else None
    )
    # Only a line that states all three can disagree with itself.
    check_total = None not in (quantity, unit, given_amount)
    description_only = quantity is None and unit is None and given_amount is None and not item
    if quantity is None:
        quantity = (given_amount / unit) if (given_amount is not None and unit) else Decimal(1)
    if unit is None:
        unit = (given_amount / quantity) if (given_amount is not None and quantity) else Decimal(0)
    # xero-facts.md §7 (Xero staff, community.xero.com/developer/discussion/66891): "we accept
    # 4dp for quantity"; "if you entered more than 2dp for unit price, it will be rounded
    # first" - silently, to 2 dp, or to 4 dp with unitdp=4 (developer.xero.com/documentation/
    # guides/how-to-guides/rounding-in-xero). Half away from zero: "2.165 rounds to 2.17".
    quantity = quantize(quantity, 4)
    unit = quantize(unit, unitdp)
    gross = quantity * unit
    discount_rate = _number(line.get("DiscountRate"), "Discount Rate", errors)
    discount_amount = _number(line.get("DiscountAmount"), "Discount Amount", errors)
    if discount_rate is not None:
        net = gross * (Decimal(100) - discount_rate) / Decimal(100)
    elif discount_amount is not None:
        net = gross - discount_amount
    else:
        net = gross
    line_amount = money(net)
    if check_total and given_amount is not None and money(given_amount) != line_amount:
        # xero-facts.md §7: XeroAPI/Xero-NetStandard#147 ("The line total -0.01 does not match
        # the expected line total 0.00"), community discussion 144129369. Sandbox guess: the
        # given amount is compared after rounding it to the cent.
        errors.append(
            f"The line total {_cents(money(given_amount))} does not match the expected line "
            f"total {_cents(line_amount)}"
        )
    bad_item = bool(line.get("ItemCode")) and item is None
    account = _check_account(line, ref, lc, description_only or bad_item)
    rate = _tax_rate(line, account, ref, lc, description_only)
    if lc.line_amount_types == "NoTax":
        tax = Decimal(0)
    elif explicit_tax and _number(line.get("TaxAmount"), "Tax Amount", errors) is not None:
        tax = money(to_decimal(line["TaxAmount"]))
    elif lc.line_amount_types == "Inclusive":
        tax = money(line_amount * rate / (Decimal(100) + rate))
    else:
        tax = money(line_amount * rate / Decimal(100))
    line.update(
        Quantity=quantize(quantity, 4) if not description_only else None,
        UnitAmount=unit if not description_only else None,
        LineAmount=line_amount,
        TaxAmount=tax,
        Discount=money(gross - net),
        Tracking=line.get("Tracking") or [],
    )
    if description_only:
        line.pop("Quantity", None)
        line.pop("UnitAmount", None)
    return line


def _cents(amount: Decimal) -> str:
    """An amount as Xero writes it in messages: two places, never "-0.00"."""
    return format(abs(amount) if amount == 0 else amount, "f")


def _apply_item_defaults(line: dict[str, Any], item: dict[str, Any]) -> None:
    details = item.get("SalesDetails") or {}
    line["ItemCode"] = item["Code"]
    line["Item"] = {"ItemID": item["ItemID"], "Name": item.get("Name", ""), "Code": item["Code"]}
    if not line.get("Description"):
        line["Description"] = item.get("Description") or item.get("Name", "")
    if line.get("UnitAmount") is None and details.get("UnitPrice") is not None:
        line["UnitAmount"] = dec(details["UnitPrice"])
    if not line.get("AccountCode") and details.get("AccountCode"):
        line["AccountCode"] = details["AccountCode"]
    if not line.get("TaxType") and details.get("TaxType"):
        line["TaxType"] = details["TaxType"]


def _check_account(
    line: dict[str, Any], ref: Reference, lc: LineContext, description_only: bool
) -> dict[str, Any] | None:
    code = str(line.get("AccountCode") or "").strip()
    if not code:
        line.pop("AccountID", None)
        if lc.require_account and not description_only:
            # xero-facts.md §1 (calcinai/xero-php#230; benedwards44/Apex-for-Xero#9).
            lc.errors.append("Account code must be specified")
        return None
    account = ref.accounts.get(code.lower())
    if account is None or account["Type"] == "BANK" or account["Status"] == "DELETED":
        # xero-facts.md §1 (XeroAPI/Xero-NetStandard#364; the full stop is in the fixtures).
        lc.errors.append(f"Account code '{code}' is not a valid code for this document.")
        return None
    if account["Status"] == "ARCHIVED":
        # xero-facts.md §1 (one integration's test fixture, confidence 1).
        lc.errors.append(
            f"Account code '{code}' has been archived, or has been deleted. "
            "Each line item must reference a valid account."
        )
        return None
    line["AccountCode"] = account["Code"]
    line["AccountID"] = account["AccountID"]
    return account


def _tax_rate(
    line: dict[str, Any],
    account: dict[str, Any] | None,
    ref: Reference,
    lc: LineContext,
    description_only: bool,
) -> Decimal:
    tax_type = str(line.get("TaxType") or "").strip().upper()
    if not tax_type:
        if lc.line_amount_types == "NoTax":
            tax_type = "NONE"
        elif account is not None and account.get("TaxType"):
            tax_type = account["TaxType"]
        elif description_only:
            return Decimal(0)
        else:
            tax_type = ref.default_sales_tax
    rate = ref.tax_rates.get(tax_type)
    usable = (
        rate is not None
        and rate["Status"] == "ACTIVE"
        and (rate["CanApplyToRevenue"] if lc.sales else rate["CanApplyToExpenses"])
    )
    if not usable:
        # xero-facts.md §2 (XeroAPI/Xero-Java#336): the code is NOT quoted in this message.
        lc.errors.append(
            f"The TaxType code {line.get('TaxType') or tax_type} does not exist or cannot be "
            "used for this type of transaction."
        )
        return Decimal(0)
    line["TaxType"] = tax_type
    return dec(rate["EffectiveRate"])


def totals(lines: list[dict[str, Any]], line_amount_types: str) -> dict[str, Decimal]:
    """SubTotal, TotalTax, Total and TotalDiscount from computed lines."""
    line_total = sum((dec(line["LineAmount"]) for line in lines), Decimal(0))
    tax_total = sum((dec(line["TaxAmount"]) for line in lines), Decimal(0))
    discount = sum((dec(line.get("Discount")) for line in lines), Decimal(0))
    if line_amount_types == "Inclusive":
        sub_total, total = line_total - tax_total, line_total
    else:
        sub_total, total = line_total, line_total + tax_total
    return {
        "SubTotal": money(sub_total),
        "TotalTax": money(tax_total),
        "Total": money(total),
        "TotalDiscount": money(discount),
    }
