"""CSV exports a spreadsheet cannot execute: OWASP's CSV-injection rule, in one place, for
every export Shipbridge writes."""

from __future__ import annotations

import csv
import io
import numbers
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

# A spreadsheet reads a cell starting with one of these as a formula (tab and carriage
# return are skipped by some before they look). The fullwidth forms are included because
# some spreadsheets fold them to their ASCII twins.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
NEUTRALISER = "'"


def inert_cell(value: object) -> object:
    """`value` as a cell no spreadsheet runs: text starting like a formula gets a leading
    single quote (OWASP). Numbers are left as numbers, so a negative amount stays -12.50:
    only text can carry a formula, and a number's minus sign is not one."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return NEUTRALISER + value
    return value


def restored_cell(text: str) -> str:
    """The text `inert_cell` neutralised, as it was: what an export wrote, the import reads
    back unchanged."""
    if text.startswith(NEUTRALISER) and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def csv_text(*, columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> str:
    """`rows` (each a mapping of column to value) as CSV text with a header, every text cell
    inert. Embedded quotes are doubled and cells holding a comma, quote or line break are
    quoted, as RFC 4180 says. A Decimal is written in plain digits (12.50, never 1.25E+1)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns))
    writer.writeheader()
    for row in rows:
        writer.writerow({column: _written(row.get(column)) for column in columns})
    return out.getvalue()


def _written(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, numbers.Number):  # int, float, numpy's numbers: written as numbers
        return value
    return inert_cell(str(value))
