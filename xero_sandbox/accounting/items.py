"""Items: GET (list and one), PUT, POST, POST /Items/{id}."""

from __future__ import annotations

import uuid
from typing import Any

from xero_sandbox.accounting.batch import batch_result, list_result, one_result
from xero_sandbox.accounting.context import ApiRequest, Outcome, Result
from xero_sandbox.accounting.lines import Reference
from xero_sandbox.accounting.serialize import item_json
from xero_sandbox.formats import FormatError, quantize, to_decimal

TEXT_LIMITS = {"Code": 30, "Name": 50, "Description": 4000, "PurchaseDescription": 4000}
WRITABLE = (*TEXT_LIMITS, "IsSold", "IsPurchased", "SalesDetails", "PurchaseDetails")


def find_item(ctx: ApiRequest, key: str) -> dict[str, Any] | None:
    """An item by ItemID or Code (case-insensitive)."""
    found = ctx.get_by_uuid("item", key)
    if found:
        return found
    matches = ctx.find("item", "Code", key)
    return matches[0] if matches else None


def _check_details(ctx: ApiRequest, ref: Reference, details: Any, errors: list[str]) -> dict:
    if not isinstance(details, dict):
        return {}
    details = dict(details)
    if details.get("UnitPrice") is not None:
        try:
            details["UnitPrice"] = quantize(to_decimal(details["UnitPrice"]), ctx.unitdp)
        except FormatError:
            errors.append("Unit Price must be a number.")  # sandbox guess
    code = details.get("AccountCode")
    if code and str(code).lower() not in ref.accounts:
        # xero-facts.md §1 (XeroAPI/Xero-NetStandard#364).
        errors.append(f"Account code '{code}' is not a valid code for this document.")
    tax_type = details.get("TaxType")
    if tax_type and str(tax_type).upper() not in ref.tax_rates:
        errors.append(
            # xero-facts.md §2 (XeroAPI/Xero-Java#336): the code is not quoted.
            f"The TaxType code {tax_type} does not exist or cannot be used for this type of "
            "transaction."
        )
    return details


def _save_element(ctx: ApiRequest, ref: Reference, element: Any, forced_id: str | None) -> Outcome:
    if not isinstance(element, dict):
        return Outcome({}, ["The item could not be read."])
    existing, by_code = None, False
    if forced_id or element.get("ItemID"):
        existing = find_item(ctx, str(forced_id or element["ItemID"]))
        if existing is None:
            return Outcome(dict(element), ["Item could not be found"])
    elif element.get("Code") and ctx.method == "POST":
        existing = find_item(ctx, str(element["Code"]))
        by_code = existing is not None
    item = (
        dict(existing)
        if existing
        else {
            "ItemID": str(uuid.uuid4()),
            "IsSold": True,
            "IsPurchased": False,
            "IsTrackedAsInventory": False,
            "SalesDetails": {},
            "PurchaseDetails": {},
        }
    )
    outcome = Outcome(item)
    for key in WRITABLE:
        if key in element and not (key == "Code" and by_code):
            item[key] = element[key]
    for key in ("SalesDetails", "PurchaseDetails"):
        item[key] = _check_details(ctx, ref, item.get(key), outcome.errors)
    code = str(item.get("Code") or "").strip()
    if not code:
        outcome.errors.append("Item Code cannot be empty.")  # sandbox guess
    else:
        clash = find_item(ctx, code)
        if clash and clash["ItemID"] != item["ItemID"]:
            # xero-facts.md §3: the OpenAPI spec's Items example (XeroAPI/Xero-OpenAPI).
            outcome.errors.append(f"Price List Item with Code '{code}' already exists")
    for key, limit in TEXT_LIMITS.items():
        if item.get(key) is not None and len(str(item[key])) > limit:
            outcome.errors.append(f"{key} must not be more than {limit} characters long.")  # guess
    if not outcome.errors:
        item["UpdatedDateUTC"] = ctx.stamp()
        ctx.put("item", item["ItemID"], item)
        outcome.saved = True
    return outcome


def save_items(ctx: ApiRequest) -> Result:
    """PUT/POST /Items and POST /Items/{ItemID}."""
    ref = Reference(ctx)
    forced_id = ctx.path_params.get("id")
    outcomes = [_save_element(ctx, ref, e, forced_id) for e in ctx.elements("Items")]
    return batch_result(
        ctx,
        "Items",
        outcomes,
        lambda item: item_json(item, ctx.unitdp),
        id_field="ItemID",
        error_flag=None,
    )


def get_items(ctx: ApiRequest) -> Result:
    """GET /Items with where, order and If-Modified-Since."""
    return list_result(
        ctx,
        "Items",
        "Item",
        ctx.records("item"),
        lambda i: item_json(i, ctx.unitdp),
        pageable=False,
    )


def get_item(ctx: ApiRequest) -> Result:
    """GET /Items/{ItemID or Code}."""
    item = find_item(ctx, ctx.path_params["id"])
    return one_result(ctx, "Items", item, lambda i: item_json(i, ctx.unitdp))
