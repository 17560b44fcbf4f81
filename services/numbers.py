"""Numbers as people type them: "12.50", "1,234.50". A comma is only ever a thousands
separator, so "0,59" (a decimal comma) is refused rather than read as 59."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

THOUSANDS = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?")


def parse_decimal(text: str) -> Decimal:
    """The number `text` says; InvalidOperation when it is not one (or not finite)."""
    text = text.strip()
    if "," in text:
        if not THOUSANDS.fullmatch(text):
            raise InvalidOperation(text)
        text = text.replace(",", "")
    value = Decimal(text)
    if not value.is_finite():
        raise InvalidOperation(text)
    return value
