"""CSV import and export of shipments. One CSV row is one shipment line; rows sharing a
shipment number form one shipment."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlmodel import Session, select

from models import Shipment, ShipmentFields, ShipmentLine, ShipmentLineFields, WorkflowStatus
from services import connections, reference_data, validation
from services.errors import UserError
from services.mapping import get_sync_settings
from services.numbers import parse_decimal
from services.shipments import create_shipment

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
)
LINE_COLUMNS = ("product_code", "description", "quantity", "unit_price", "item_value")
COLUMNS = SHIPMENT_COLUMNS + LINE_COLUMNS
DATES = {"invoice_date", "date_of_issue", "due_date"}
DECIMALS = {"exchange_rate", "freight_amount", "quantity", "unit_price", "item_value"}


class ImportError_(UserError):
    """The file cannot be imported as it is."""


@dataclass
class RowError:
    row: int  # as a spreadsheet shows it: the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, {self.column}: {self.message}"


@dataclass
class ParsedShipment:
    fields: ShipmentFields
    workflow_status: str
    lines: list[ShipmentLineFields]
    rows: list[int]
    # What the checks before a send (services/validation.py) say of it once imported; empty
    # when a send would take it. Not worked out for a shipment with a row error.
    send_problems: list[str] = field(default_factory=list)


@dataclass
class ImportPreview:
    shipments: list[ParsedShipment] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # The organisation whose cached Xero codes the shipments were checked against; None when
    # only the fields could be checked (nothing connected, or its codes not read yet).
    checked_against: str | None = None

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
        bad = self.bad_rows
        return [s for s in self.shipments if not bad.intersection(s.rows)]


def parse_csv(text: str, *, session: Session) -> ImportPreview:
    """Read a CSV into shipments, and every problem with its row and column, including
    numbers that already exist and what a send would refuse. Saves nothing."""
    preview = read_csv(text)
    if not preview.shipments:
        return preview
    by_number = {p.fields.shipment_number: p for p in preview.shipments}
    numbers = list(by_number)
    existing = set()
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        existing |= set(
            session.exec(
                select(Shipment.shipment_number).where(Shipment.shipment_number.in_(chunk))
            )
        )
    for number in existing:
        parsed = by_number[number]
        preview.errors.append(
            RowError(
                parsed.rows[0],
                "shipment_number",
                f"shipment {number} already exists: remove the row or change the number",
            )
        )
    preview.errors.sort(key=lambda e: (e.row, e.column))
    _check_for_send(session, preview)
    return preview


def read_csv(text: str) -> ImportPreview:
    """The shipments a CSV holds, and every problem the file shows by itself, with its row and
    column. Pure: what the database holds is parse_csv's part."""
    preview = ImportPreview()
    if not text.lstrip("\ufeff").strip():
        return preview
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    if "shipment_number" not in header:
        preview.errors.append(
            RowError(
                1,
                "shipment_number",
                f"the header has no shipment_number column; expected columns: {', '.join(COLUMNS)}",
            )
        )
        return preview
    unknown = [h for h in header if h and h not in COLUMNS]
    for name in unknown:
        preview.errors.append(RowError(1, name, f"unknown column; expected: {', '.join(COLUMNS)}"))
    by_number: dict[str, ParsedShipment] = {}
    for row_no, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k}
        if not any(row.values()):
            continue
        values, errors = _parse_row(row_no, row)
        preview.errors.extend(errors)
        number = values.get("shipment_number")
        if not number:
            continue
        line = ShipmentLineFields(**{c: values.get(c) for c in LINE_COLUMNS})
        has_line = any(values.get(c) is not None for c in LINE_COLUMNS)
        if number in by_number:
            parsed = by_number[number]
            first = parsed.fields.model_dump()
            for column in SHIPMENT_COLUMNS[1:-1]:
                if values.get(column) is not None and values.get(column) != first.get(column):
                    preview.errors.append(
                        RowError(
                            row_no,
                            column,
                            f"differs from row {parsed.rows[0]} of shipment {number} "
                            f"({first.get(column)!s} there, {values.get(column)!s} here)",
                        )
                    )
            parsed.rows.append(row_no)
        else:
            shipment_values = {c: values.get(c) for c in SHIPMENT_COLUMNS if c != "workflow_status"}
            parsed = ParsedShipment(
                ShipmentFields(**shipment_values),
                values.get("workflow_status") or WorkflowStatus.DRAFT,
                [],
                [row_no],
            )
            by_number[number] = parsed
            preview.shipments.append(parsed)
        if has_line:
            parsed.lines.append(line)
    preview.errors.sort(key=lambda e: (e.row, e.column))
    return preview


def _check_for_send(session: Session, preview: ImportPreview) -> None:
    """Run the send's checks on each importable shipment as it would be saved, against the
    default organisation's cached codes (an imported shipment has no organisation of its
    own), so the preview never calls ready what a send would refuse."""
    connection = connections.connection_for(session=session, tenant_id=None)
    ref = reference_data.load(session=session, connection=connection) if connection else None
    if ref is not None and ref.is_empty:
        ref = None
    settings = get_sync_settings(
        session=session, tenant_id=connection.tenant_id if connection else None
    )
    preview.checked_against = connection.tenant_name if ref is not None else None
    bad = preview.bad_rows
    for parsed in preview.shipments:
        if bad.intersection(parsed.rows):
            continue
        draft = Shipment(**parsed.fields.model_dump(), workflow_status=parsed.workflow_status)
        draft.lines = [
            ShipmentLine(**line.model_dump(), line_no=n)
            for n, line in enumerate(parsed.lines, start=1)
        ]
        if ref is None:
            parsed.send_problems = validation.required_field_problems(draft, settings)
        else:
            parsed.send_problems = validation.check(draft, settings, ref)[0]


def _parse_row(row_no: int, row: dict[str, str]) -> tuple[dict, list[RowError]]:
    values: dict = {}
    errors: list[RowError] = []
    for column in COLUMNS:
        text = row.get(column, "")
        if text == "":
            values[column] = None
            continue
        try:
            if column in DATES:
                values[column] = date.fromisoformat(text)
            elif column in DECIMALS:
                values[column] = parse_decimal(text)
            elif column == "currency":
                if len(text) != 3 or not text.isalpha():
                    raise ValueError
                values[column] = text.upper()
            elif column == "workflow_status":
                match = {s.value.lower(): s.value for s in WorkflowStatus}.get(text.lower())
                if match is None:
                    raise ValueError
                values[column] = match
            else:
                values[column] = text
        except (ValueError, InvalidOperation):
            values[column] = None
            errors.append(RowError(row_no, column, _expected(column, text)))
            continue
        refused = validation.sign_problem(column, values[column]) if column in DECIMALS else None
        if refused:
            values[column] = None
            errors.append(RowError(row_no, column, refused))
    if not values.get("shipment_number"):
        errors.append(RowError(row_no, "shipment_number", "is empty: every row needs one"))
    return values, errors


def _expected(column: str, text: str) -> str:
    if column in DATES:
        return f"{text!r} is not a date: use YYYY-MM-DD, e.g. 2026-11-30"
    if column in DECIMALS:
        return f"{text!r} is not a number: use digits with a dot for decimals, e.g. 12.50"
    if column == "currency":
        return f"{text!r} is not a currency code: use three letters, e.g. USD"
    if column == "workflow_status":
        return f"{text!r} is not a status: use one of {', '.join(s.value for s in WorkflowStatus)}"
    return f"{text!r} is not valid"


@dataclass
class ImportResult:
    imported: int
    skipped_rows: list[int]


def import_shipments(
    *, session: Session, preview: ImportPreview, user: str | None, only_good_rows: bool = False
) -> ImportResult:
    """Save the previewed shipments in one transaction. A file with errors saves nothing,
    unless the user chose to import only the good rows; a file with no good shipment saves
    nothing and says so (never "imported 0")."""
    if preview.is_empty:
        raise ImportError_(
            "The file has no shipments (it is empty or has only a header row); nothing was "
            "imported. Add one row per shipment line."
        )
    if preview.errors and not only_good_rows:
        raise ImportError_(
            f"The file has {len(preview.errors)} problem(s); nothing was imported. "
            "Fix them, or choose to import only the good rows."
        )
    chosen = preview.good_shipments
    if not chosen:
        raise ImportError_(
            f"Every shipment in the file has a problem ({len(preview.errors)} in all); nothing "
            "was imported. Fix them and upload the file again."
        )
    for parsed in chosen:
        create_shipment(
            session=session,
            fields=parsed.fields,
            lines=parsed.lines,
            user=user,
            workflow_status=parsed.workflow_status,
        )
    skipped = sorted({r for s in preview.shipments if s not in chosen for r in s.rows})
    return ImportResult(imported=len(chosen), skipped_rows=skipped)


def export_csv(shipments: list[Shipment]) -> str:
    """The same format the import reads, plus nothing: a round trip is lossless."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for shipment in shipments:
        base = {c: _cell(getattr(shipment, c)) for c in SHIPMENT_COLUMNS}
        for line in shipment.lines or [None]:
            row = dict(base)
            if line is not None:
                row.update({c: _cell(getattr(line, c)) for c in LINE_COLUMNS})
            writer.writerow(row)
    return out.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)
