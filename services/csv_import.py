"""CSV import and export of shipments. One CSV row is one shipment line; rows sharing a
shipment number form one shipment."""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import insert
from sqlmodel import Session, SQLModel, col, select

from models import AuditEvent, Shipment, ShipmentLine
from models.shipment import number_key
from services import connections, csv_reading, csv_safety, reference_data, validation
from services.csv_reading import Source
from services.csv_rows import (  # the rows' shapes, here where the import's callers look
    COLUMNS,
    DATES,
    DECIMALS,
    LINE_COLUMNS,
    SHIPMENT_COLUMNS,
    ImportedLine,
    ImportPreview,
    ParsedShipment,
    Reading,
    RowError,
)
from services.errors import UserError
from services.mapping import get_sync_settings

__all__ = [
    "COLUMNS",
    "DATES",
    "DECIMALS",
    "LINE_COLUMNS",
    "SHIPMENT_COLUMNS",
    "ImportError_",
    "ImportPreview",
    "ImportResult",
    "ImportedLine",
    "ParsedShipment",
    "RowError",
    "export_csv",
    "import_shipments",
    "parse_csv",
    "read_csv",
]

WRITE_BATCH = 1000  # shipments written per flush


class ImportError_(UserError):
    """The file cannot be imported as it is."""


def parse_csv(source: Source, *, session: Session) -> ImportPreview:
    """Read a CSV into shipments, and every problem with its row and column, including
    numbers that already exist and what a send would refuse. Saves nothing."""
    preview = read_csv(source)
    if not preview.shipments:
        return preview
    existing: list[tuple[ParsedShipment, str]] = []
    for start in range(0, len(preview.shipments), 500):
        by_key = {
            number_key(p.fields.shipment_number): p for p in preview.shipments[start : start + 500]
        }
        existing += [
            (by_key[key], saved)
            for key, saved in session.exec(
                select(Shipment.number_key, Shipment.shipment_number).where(
                    col(Shipment.number_key).in_(list(by_key))
                )
            )
        ]
    for parsed, saved in existing:
        number = parsed.fields.shipment_number
        preview.errors.append(
            RowError(
                parsed.rows[0],
                "shipment_number",
                f"shipment {number} already exists: remove the row or change the number"
                if saved == number
                else f"shipment {number} already exists as {saved} (numbers that differ only "
                "in capitals are one number): remove the row or change the number",
            )
        )
    preview.errors.sort(key=lambda e: (e.row, e.column))
    _check_for_send(session, preview)
    return preview


def read_csv(source: Source) -> ImportPreview:
    """The shipments a CSV holds, and every problem the file shows by itself, with its row and
    column. `source` is the text, the file's bytes or a binary file: read a line at a time,
    never whole, so a large file costs time in proportion to its rows and little memory.
    Pure: what the database holds is parse_csv's part."""
    preview = ImportPreview()
    reading = Reading(preview)
    try:
        for row_no, cells in csv_reading.records(source):
            if not reading.add(row_no, cells):
                break
    except csv_reading.BrokenFile as broken:
        preview.broken = True
        preview.errors.append(
            RowError(broken.row, reading.column_name(broken.column), broken.message)
        )
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
    preview.checked_against = (
        connection.tenant_name if connection is not None and ref is not None else None
    )
    bad = preview.bad_rows
    for parsed in preview.shipments:
        if bad.intersection(parsed.rows):
            continue
        # The shipment as it would be saved, read by the checks as a Shipment is; a table
        # model would cost more to build than the whole import of its row.
        draft = cast(
            Shipment,
            SimpleNamespace(
                **dict(parsed.fields), workflow_status=parsed.workflow_status, lines=parsed.lines
            ),
        )
        if ref is None:
            parsed.send_problems = validation.required_field_problems(draft, settings)
        else:
            parsed.send_problems = validation.check(draft, settings, ref)[0]


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
    taken = _numbers_taken(session, [p.fields.shipment_number for p in chosen])
    if taken:
        # Created since the preview was read (another page or import): nothing is saved.
        raise ImportError_(
            f"{len(taken)} shipment number(s) in the file were created since it was read "
            f"({', '.join(taken[:5])}{', ...' if len(taken) > 5 else ''}); nothing was "
            "imported. Upload the file again to see them."
        )
    # In batches of plain INSERTs (many rows a statement), in the caller's one transaction:
    # a failure saves nothing. The rows were checked as create_shipment checks them (amounts
    # storable, numbers free) when read; building ORM objects would cost more than the rest.
    for start in range(0, len(chosen), WRITE_BATCH):
        batch = chosen[start : start + WRITE_BATCH]
        shipment_defaults = _defaults(Shipment)
        ids = (
            session.execute(
                insert(Shipment.__table__).returning(  # type: ignore[attr-defined]
                    Shipment.__table__.c.id,  # type: ignore[attr-defined]
                    sort_by_parameter_order=True,
                ),
                [
                    {
                        **shipment_defaults,
                        **parsed.fields.model_dump(),
                        "number_key": number_key(parsed.fields.shipment_number),
                        "workflow_status": parsed.workflow_status,
                    }
                    for parsed in batch
                ],
            )
            .scalars()
            .all()
        )
        line_defaults = _defaults(ShipmentLine)
        lines = [
            {**line_defaults, **line.model_dump(), "shipment_id": shipment_id, "line_no": n}
            for shipment_id, parsed in zip(ids, batch, strict=True)
            for n, line in enumerate(parsed.lines, start=1)
        ]
        if lines:
            session.execute(insert(ShipmentLine.__table__), lines)  # type: ignore[attr-defined]
        audit_defaults = _defaults(AuditEvent)
        session.execute(
            insert(AuditEvent.__table__),  # type: ignore[attr-defined]
            [
                {
                    **audit_defaults,
                    "actor": user,
                    "action": "create",
                    "entity": "shipment",
                    "entity_id": str(shipment_id),
                    "after": json.dumps({"number": parsed.fields.shipment_number}),
                }
                for shipment_id, parsed in zip(ids, batch, strict=True)
            ],
        )
    # Left out: the shipments good_shipments left out, those with a row in error.
    bad = preview.bad_rows
    skipped = sorted({r for s in preview.shipments if not bad.isdisjoint(s.rows) for r in s.rows})
    return ImportResult(imported=len(chosen), skipped_rows=skipped)


def _defaults(model: type[SQLModel]) -> dict[str, Any]:
    """The values a table model fills in itself (created_at, sync_state, ...), for rows
    written without building the model."""
    columns = model.__table__.c  # type: ignore[attr-defined]
    return {
        name: info.get_default(call_default_factory=True)
        for name, info in model.model_fields.items()
        if name in columns and name != "id"
    }


def _numbers_taken(session: Session, numbers: list[str]) -> list[str]:
    """The numbers (as the database holds them) already used, ignoring case and spaces."""
    keys = [number_key(n) for n in numbers]
    taken: list[str] = []
    for start in range(0, len(keys), 500):
        taken += session.exec(
            select(Shipment.shipment_number).where(
                col(Shipment.number_key).in_(keys[start : start + 500])
            )
        ).all()
    return taken


def export_csv(shipments: list[Shipment]) -> str:
    """The same format the import reads, plus nothing: a round trip is lossless (a text cell
    the export neutralised against spreadsheet formulas is read back as it was)."""
    rows = []
    for shipment in shipments:
        base = {c: getattr(shipment, c) for c in SHIPMENT_COLUMNS}
        lines: list[ShipmentLine | None] = list(shipment.lines) or [None]  # a row without lines
        for line in lines:
            row = dict(base)
            if line is not None:
                row.update({c: getattr(line, c) for c in LINE_COLUMNS})
            rows.append(row)
    return csv_safety.csv_text(columns=COLUMNS, rows=rows)
