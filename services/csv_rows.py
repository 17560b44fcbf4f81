"""A shipments CSV's rows read into shipments: each cell checked against its column's
declared limits (length, format, range), each problem kept with its row and column, rows
sharing a shipment number gathered and compared. services.csv_import reads the file with
it, and checks against the database and writes."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from models import ShipmentFields, WorkflowStatus
from models.shipment import number_key
from services import csv_reading, csv_safety, money, validation
from services.csv_columns import (  # the columns' declarations, re-exported for the import
    COLUMNS,
    DATES,
    DECIMALS,
    DIGITS,
    EXPORT_ONLY,
    ISO_DATE,
    LINE_COLUMNS,
    MAX_LENGTH,
    ORGANISATION,
    SHIPMENT_COLUMNS,
    STATUSES,
    NoSuchDay,
    calendar_day,
    cell_problem,
    expected,
    number,
)

__all__ = [
    "COLUMNS",
    "DATES",
    "DECIMALS",
    "EXPORT_ONLY",
    "LINE_COLUMNS",
    "ORGANISATION",
    "SHIPMENT_COLUMNS",
    "ImportPreview",
    "ImportedLine",
    "ParsedShipment",
    "Reading",
    "RowError",
    "parse_row",
]


@dataclass
class RowError:
    row: int  # as a spreadsheet shows it: the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
        where = f"Row {self.row}, {self.column}" if self.column else f"Row {self.row}"
        return f"{where}: {self.message}"


@dataclass(slots=True)
class ImportedLine:
    """A line as read, with ShipmentLineFields' values (checked by _parse_row). Slotted: a
    100,000-row file holds 100,000 of them, a tenth of the memory of the model."""

    product_code: str | None
    description: str | None
    quantity: Decimal | None
    unit_price: Decimal | None
    item_value: Decimal | None

    def model_dump(self) -> dict[str, Any]:
        return {c: getattr(self, c) for c in LINE_COLUMNS}


@dataclass(slots=True)  # one a shipment: 100,000 in a large file
class ParsedShipment:
    fields: ShipmentFields
    workflow_status: str
    lines: list[ImportedLine]
    rows: list[int]
    # What the checks before a send (services/validation.py) say of it once imported; empty
    # when a send would take it. Not worked out for a shipment with a row error.
    send_problems: list[str] = field(default_factory=list)
    organisation: str | None = None  # as the file names it; fields.tenant_id once resolved
    # Update mode: the shipment this row updates, the version read, and what changes
    # ("field: old → new"); an update that changes nothing has no changes.
    existing_id: int | None = None
    existing_version: int | None = None
    changes: list[str] = field(default_factory=list)


@dataclass
class ImportPreview:
    shipments: list[ParsedShipment] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # The organisation whose cached Xero codes the shipments were checked against; None when
    # only the fields could be checked (nothing connected, or its codes not read yet).
    checked_against: str | None = None
    # The file itself is broken (not UTF-8, a quote never closed, a header that cannot be
    # read): no row of it can be trusted, so none is importable, not even "the good rows".
    broken: bool = False
    # The header's known columns: in update mode, a column the file leaves out is kept.
    columns: list[str] = field(default_factory=list)
    update_existing: bool = False

    @property
    def is_empty(self) -> bool:
        """No shipment in it and nothing wrong: the file is empty or only a header."""
        return not self.shipments and not self.errors

    def ready_to_send(self, parsed: ParsedShipment) -> str:
        """Yes only when the send's own checks, Xero's codes included, find nothing."""
        if self.bad_rows.intersection(parsed.rows) or parsed.send_problems:
            return "no"
        return "yes" if self.checked_against else "not checked"

    @property
    def bad_rows(self) -> set[int]:
        return {e.row for e in self.errors}

    @property
    def good_shipments(self) -> list[ParsedShipment]:
        if self.broken:
            return []
        bad = self.bad_rows
        return [s for s in self.shipments if not bad.intersection(s.rows)]


class Reading:
    """read_csv's state: the header, and the shipments read so far by number."""

    def __init__(self, preview: ImportPreview) -> None:
        self.preview = preview
        self.header: list[str] | None = None
        # number_key → the shipment, its number spelled as its first row spells it
        self.by_key: dict[str, ParsedShipment] = {}
        # number → the status its first row gave (a shipment's other first values are in
        # its fields; only this one is defaulted there)
        self.first_status: dict[str, str] = {}

    def column_name(self, index: int | None) -> str:
        if index is None:
            return ""
        if self.header is not None and index < len(self.header) and self.header[index]:
            return self.header[index]
        return f"column {index + 1}"

    def error(self, row: int, column: str, message: str) -> None:
        self.preview.errors.append(RowError(row, column, message))

    def add(self, row_no: int, cells: list[str]) -> bool:
        """Take one record; False when the file cannot be read further."""
        if not any(c.strip() for c in cells):
            return True  # a blank line
        if self.header is None:
            return self._read_header(row_no, cells)
        if len(cells) > len(self.header) and any(c.strip() for c in cells[len(self.header) :]):
            return self._too_many_values(row_no, cells)
        swallowed = self._swallowed_rows(cells)
        if swallowed is not None:
            self.error(row_no, self.column_name(swallowed), SWALLOWED)
            self.preview.broken = True
            return False
        row = {
            name: cell.strip()
            for name, cell in zip(self.header, cells, strict=False)
            if name in COLUMNS
        }
        self._add_row(row_no, row)
        return True

    def _read_header(self, row_no: int, cells: list[str]) -> bool:
        header = [h.strip() for h in cells]
        self.header = header
        if "shipment_number" not in header:
            self.preview.broken = True
            first = header[0] if len(header) == 1 else ""
            separator = next((s for s in (";", "\t", "|") if s in first), None)
            if separator is not None:
                name = "tab" if separator == "\t" else repr(separator)
                self.error(
                    row_no,
                    "shipment_number",
                    f"the columns are separated by {name}, not by commas: save the file as "
                    "CSV UTF-8 (comma delimited) and upload it again",
                )
            else:
                self.error(
                    row_no,
                    "shipment_number",
                    "the header has no shipment_number column; expected columns: "
                    + ", ".join(COLUMNS),
                )
            return False
        seen: dict[str, int] = {}
        for position, name in enumerate(header, start=1):
            if not name:
                continue  # a trailing delimiter: a column with no name and, below, no values
            if name in seen:
                self.preview.broken = True
                self.error(
                    row_no,
                    name,
                    f"appears twice in the header (columns {seen[name]} and {position}): keep one",
                )
            seen.setdefault(name, position)
            if name not in COLUMNS and name not in EXPORT_ONLY:
                self.error(row_no, name, f"unknown column; expected: {', '.join(COLUMNS)}")
        self.preview.columns = [name for name in header if name in COLUMNS]
        return not self.preview.broken

    def _too_many_values(self, row_no: int, cells: list[str]) -> bool:
        assert self.header is not None
        swallowed = self._swallowed_rows(cells, any_break=True)
        if swallowed is not None:
            self.error(row_no, self.column_name(swallowed), SWALLOWED)
            self.preview.broken = True
            return False
        self.error(
            row_no,
            f"column {len(self.header) + 1}",
            f"the row has {len(cells)} values but the header has {len(self.header)} columns: "
            "remove the extra values, or name their column in the header",
        )
        return True

    def _swallowed_rows(self, cells: list[str], *, any_break: bool = False) -> int | None:
        """The column whose value holds whole rows: a quote closed only rows later (the
        rows between were read into one value). A line break in a value with as many
        commas as a row has is taken for one."""
        assert self.header is not None
        commas = max(len(self.header) - 2, 1)
        for index, cell in enumerate(cells):
            if "\n" not in cell:
                continue
            if any_break or any(line.count(",") >= commas for line in cell.splitlines()[1:]):
                return index
        return None

    def _add_row(self, row_no: int, row: dict[str, str]) -> None:
        preview = self.preview
        values, errors = parse_row(row_no, row)
        preview.errors.extend(errors)
        number = values.get("shipment_number")
        if not number:
            return
        key = number_key(number)
        parsed = self.by_key.get(key)
        if parsed is not None and parsed.fields.shipment_number != number:
            spelled = parsed.fields.shipment_number
            self.error(
                row_no,
                "shipment_number",
                f"{number} is the same number as {spelled} in row {parsed.rows[0]} "
                "(numbers that differ only in capitals are one number): spell it the same way, "
                "or change it",
            )
            return
        has_line = any(values.get(c) is not None for c in LINE_COLUMNS)
        if parsed is not None:
            # Every shipment column, status included: a later row never silently loses to
            # the first, nor the first to it.
            for column in SHIPMENT_COLUMNS[1:]:
                here = values.get(column)
                if column == "workflow_status":
                    there = self.first_status.get(key)
                elif column == ORGANISATION:
                    there = parsed.organisation
                else:
                    there = getattr(parsed.fields, column)
                if here is not None and here != there:
                    self.error(
                        row_no,
                        column,
                        f"differs from row {parsed.rows[0]} of shipment {number} "
                        f"({_shown(there)} there, {_shown(here)} here): give "
                        "every row of a shipment the same value, or leave it empty after "
                        "the first",
                    )
            parsed.rows.append(row_no)
        else:
            shipment_values: dict[str, Any] = {
                c: values.get(c)
                for c in SHIPMENT_COLUMNS
                if c not in ("workflow_status", ORGANISATION)
            }
            parsed = ParsedShipment(
                # Built without validating again (parse_row gave each value its type and
                # length), sharing one set of field names: every field is given, and a
                # 100,000-shipment file would otherwise hold 100,000 copies of that set.
                ShipmentFields.model_construct(_fields_set=ALL_FIELDS, **shipment_values),
                values.get("workflow_status") or WorkflowStatus.DRAFT,
                [],
                [row_no],
            )
            parsed.organisation = values.get(ORGANISATION)
            self.by_key[key] = parsed
            if values.get("workflow_status"):
                self.first_status[key] = values["workflow_status"]
            preview.shipments.append(parsed)
        if has_line:
            parsed.lines.append(ImportedLine(*(values.get(c) for c in LINE_COLUMNS)))


ALL_FIELDS = set(ShipmentFields.model_fields)


def _shown(value: Any) -> str:
    return "empty" if value is None else str(value)


SWALLOWED = csv_reading.QUOTE_SWALLOWED_ROWS


def parse_row(row_no: int, row: dict[str, str]) -> tuple[dict, list[RowError]]:
    values: dict = {}
    errors: list[RowError] = []
    for column in COLUMNS:
        text = row.get(column, "")
        if text == "":
            values[column] = None
            continue
        if column in MAX_LENGTH:
            text = csv_safety.restored_cell(text)
        problem = cell_problem(column, text)
        if problem:
            values[column] = None
            errors.append(RowError(row_no, column, problem))
            continue
        try:
            if column in DATES:
                if not ISO_DATE.fullmatch(text):
                    raise ValueError
                values[column] = calendar_day(text)  # cached: files repeat their dates
            elif column in DECIMALS:
                values[column] = number(text)
            elif column == "currency":
                if len(text) != 3 or not text.isalpha():
                    raise ValueError
                values[column] = text.upper()
            elif column == "workflow_status":
                match = STATUSES.get(text.lower())
                if match is None:
                    raise ValueError
                values[column] = match
            else:
                # Codes repeat row after row: one copy of each kept, not one a row.
                values[column] = sys.intern(text) if len(text) <= 60 else text
        except NoSuchDay:
            values[column] = None
            errors.append(
                RowError(
                    row_no,
                    column,
                    f"{text!r} is not a day in the calendar: check the day and the month "
                    "(YYYY-MM-DD)",
                )
            )
            continue
        except (ValueError, InvalidOperation):
            values[column] = None
            errors.append(RowError(row_no, column, expected(column, text)))
            continue
        refused = None
        if column in DECIMALS:
            refused = validation.sign_problem(column, values[column]) or money.storage_problem(
                values[column], DIGITS[column]
            )
        if refused:
            values[column] = None
            errors.append(RowError(row_no, column, refused))
    if not values.get("shipment_number"):
        errors.append(RowError(row_no, "shipment_number", "is empty: every row needs one"))
    return values, errors
