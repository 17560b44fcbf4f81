"""A shipments CSV's columns, declared once, and how one cell is checked by itself: its
length, its characters, its format (services.csv_rows reads rows with them)."""

from __future__ import annotations

import functools
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from annotated_types import MaxLen

from models import Shipment, ShipmentFields, ShipmentLine, ShipmentLineFields, WorkflowStatus
from models.shipment import amount_columns
from services.numbers import parse_decimal

SHIPMENT_COLUMNS = (
    "shipment_number",
    "exporter_reference",
    "invoice_number",
    "buyer_code",
    "consignee_code",
    "currency",
    "exchange_rate",
    "invoice_date",
    "date_of_issue",
    "due_date",
    "incoterms",
    "freight_amount",
    "workflow_status",
    "organisation",  # the Xero organisation's name (or tenant id); empty: the default one
)
ORGANISATION = "organisation"
# Written by the export, ignored by the import (where the shipment stands with Xero).
EXPORT_ONLY = ("sync_state", "xero_number", "xero_link")
LINE_COLUMNS = ("product_code", "description", "quantity", "unit_price", "item_value")
COLUMNS = SHIPMENT_COLUMNS + LINE_COLUMNS
DATES = {"invoice_date", "date_of_issue", "due_date"}
DECIMALS = {"exchange_rate", "freight_amount", "quantity", "unit_price", "item_value"}
# What each number column may hold (models.shipment declares it): more is refused by row.
DIGITS = amount_columns(Shipment) | amount_columns(ShipmentLine)
# The longest text each free-text column holds: the models' max_length, the one declaration.
MAX_LENGTH = {
    name: limit.max_length
    for model in (ShipmentFields, ShipmentLineFields)
    for name, info in model.model_fields.items()
    for limit in info.metadata
    if isinstance(limit, MaxLen) and name in COLUMNS and name not in ("currency",)
} | {ORGANISATION: 255}  # XeroConnection.tenant_name's length
# Dates, numbers, currency and status are checked by their format; longer than this, a cell
# cannot be one (15 digits with separators, sign and point fit in 25).
FORMATTED_LENGTH = 40
STATUSES = {s.value.lower(): s.value for s in WorkflowStatus}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Control characters are not text (tab, line feed and carriage return are).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class NoSuchDay(ValueError):
    pass


@functools.lru_cache(maxsize=4096)
def number(text: str) -> Decimal:
    """parse_decimal, one Decimal kept for each repeated text (quantities and prices repeat;
    a Decimal is immutable, so sharing it is safe). Python reads "1_000" as 1000; no
    spreadsheet writes it, so it is refused as not a number rather than guessed at."""
    if "_" in text:
        raise InvalidOperation(text)
    return parse_decimal(text)


@functools.lru_cache(maxsize=4096)
def calendar_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise NoSuchDay(text) from None


def cell_problem(column: str, text: str) -> str | None:
    """Why a cell cannot be read at all, before its format is looked at: too long for its
    column, a NUL byte or another control character, a line break outside description."""
    limit = MAX_LENGTH.get(column, FORMATTED_LENGTH)
    if len(text) > limit:
        kind = (
            "characters"
            if column in MAX_LENGTH
            else "characters for a "
            + ("date" if column in DATES else "number" if column in DECIMALS else "code")
        )
        return f"is {len(text):,} characters long: at most {limit:,} {kind} fit"
    control = CONTROL.search(text)
    if control:
        found = control.group()
        what = "a NUL byte" if found == "\x00" else f"a control character (U+{ord(found):04X})"
        return (
            f"contains {what}, which is not text: remove it (the file may not be a CSV "
            "saved from a spreadsheet)"
        )
    if column != "description" and ("\n" in text or "\r" in text):
        return "contains a line break: only description may hold one"
    return None


def expected(column: str, text: str) -> str:
    if column in DATES:
        return f"{text!r} is not a date: use YYYY-MM-DD, e.g. 2026-11-30"
    if column in DECIMALS:
        return f"{text!r} is not a number: use digits with a dot for decimals, e.g. 12.50"
    if column == "currency":
        return f"{text!r} is not a currency code: use three letters, e.g. USD"
    if column == "workflow_status":
        return f"{text!r} is not a status: use one of {', '.join(s.value for s in WorkflowStatus)}"
    return f"{text!r} is not valid"
