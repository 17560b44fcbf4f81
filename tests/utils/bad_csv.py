"""The bad-input corpus for the CSV import: tests/data/bad_csv/, one small file a case, and
expected.json saying for each what the import must answer: the row and column its error
names and a phrase of that error, or, for a file that is fine, how many shipments it holds.
Shared by the service, CLI and page tests."""

from __future__ import annotations

import json
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "data" / "bad_csv"
EXPECTED: dict[str, dict] = json.loads((CORPUS / "expected.json").read_text())
# Files refused with an error naming a row (and a column unless the whole row is at fault).
NAMED = sorted(n for n, e in EXPECTED.items() if not e.get("accepted") and e["row"] is not None)
# Files with no shipment at all (empty, header only): refused as a whole.
NO_SHIPMENTS = sorted(n for n, e in EXPECTED.items() if not e.get("accepted") and e["row"] is None)
BAD = sorted(NAMED + NO_SHIPMENTS)
ACCEPTED = sorted(n for n, e in EXPECTED.items() if e.get("accepted"))
# Broken files: no row of them can be trusted, so not even "only the good rows" imports.
BROKEN = [
    "duplicate_header.csv",
    "no_number_column.csv",
    "old_mac_line_endings.csv",
    "quote_closed_at_value_end.csv",
    "quote_closed_rows_later.csv",
    "quote_then_text.csv",
    "semicolon_delimiter.csv",
    "tab_delimiter.csv",
    "unclosed_quote.csv",
    "utf16.csv",
    "windows_1252.csv",
]


def data(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def where(name: str) -> tuple[int, str]:
    """The row and column the file's error names ("" for the whole row)."""
    expected = EXPECTED[name]
    return expected["row"], expected["column"] or ""


def prefix(name: str) -> str:
    """The start of every shipment number in the file (each file has its own)."""
    return name.removesuffix(".csv").upper().replace("_", "-")[:40]
