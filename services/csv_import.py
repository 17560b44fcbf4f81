"""CSV import and export of shipments. One CSV row is one shipment line; rows sharing a
shipment number form one shipment."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import insert
from sqlmodel import Session, SQLModel, col, select

from models import AuditEvent, Shipment, ShipmentLine
from models.shipment import number_key
from services import (
    connections,
    csv_reading,
    csv_safety,
    csv_update,
    reference_data,
    validation,
)
from services.csv_reading import Source
from services.csv_rows import (  # the rows' shapes, here where the import's callers look
    COLUMNS,
    DATES,
    DECIMALS,
    EXPORT_ONLY,
    LINE_COLUMNS,
    ORGANISATION,
    SHIPMENT_COLUMNS,
    ImportedLine,
    ImportPreview,
    ParsedShipment,
    Reading,
    RowError,
)
from services.errors import UserError
from services.mapping import get_sync_settings
from services.queue import CANCELLATION_WAITS

__all__ = [
    "COLUMNS",
    "DATES",
    "DECIMALS",
    "EXPORT_ONLY",
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
NAMED = 20  # shipments a result's sentence names, by row, before it counts the rest


class ImportError_(UserError):
    """The file cannot be imported as it is."""


def parse_csv(source: Source, *, session: Session, update_existing: bool = False) -> ImportPreview:
    """Read a CSV into shipments, and every problem with its row and column, including
    numbers that already exist (unless `update_existing`: then each existing shipment's
    changes, field: old → new), unknown organisations and what a send would refuse. Saves
    nothing."""
    preview = read_csv(source)
    preview.update_existing = update_existing
    if not preview.shipments:
        return preview
    csv_update.resolve_organisations(session, preview)
    if update_existing:
        csv_update.plan_updates(preview, csv_update.existing(session, preview))
        preview.errors.sort(key=lambda e: (e.row, e.column))
        _check_for_send(session, preview)
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
    """Run the send's checks on each importable shipment as it would be saved, against its
    organisation's cached codes (the default organisation's for a shipment with none of its
    own), so the preview never calls ready what a send would refuse."""
    checks: dict[str | None, tuple[Any, Any]] = {}
    checked: set[str] = set()
    bad = preview.bad_rows
    for parsed in preview.shipments:
        if bad.intersection(parsed.rows):
            continue
        tenant_id = parsed.fields.tenant_id
        if tenant_id not in checks:
            checks[tenant_id] = _checks_for(session, tenant_id, checked)
        settings, ref = checks[tenant_id]
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
    # Named when every checked shipment was checked against Xero's codes.
    if checked and all(ref is not None for _, ref in checks.values()):
        preview.checked_against = ", ".join(sorted(checked))


def _checks_for(session: Session, tenant_id: str | None, checked: set[str]) -> tuple[Any, Any]:
    """The settings and cached codes (None when not read yet) a shipment of this
    organisation is checked against; the organisation's name joins `checked`."""
    connection = connections.connection_for(session=session, tenant_id=tenant_id)
    ref = reference_data.load(session=session, connection=connection) if connection else None
    if ref is not None and ref.is_empty:
        ref = None
    settings = get_sync_settings(
        session=session, tenant_id=connection.tenant_id if connection else None
    )
    if connection is not None and ref is not None:
        checked.add(connection.tenant_name)
    return settings, ref


@dataclass
class ImportResult:
    imported: int
    skipped_rows: list[int]
    updated: int = 0
    unchanged: int = 0  # update mode: existing shipments the file holds as they are
    # Update mode: what happened to each existing shipment, in the file's order.
    outcomes: list[csv_update.RowOutcome] = field(default_factory=list)

    def summary(self) -> str:
        """The counts: what was created, updated, left as it was, and left out."""
        if not self.outcomes:
            parts = [f"Imported {self.imported} shipment(s)"]
        else:
            parts = [f"Imported {self.imported} new shipment(s)"]
            parts.append(f"updated {self.updated}")
            parts.append(f"left {self.unchanged} unchanged (the file holds them as they are)")
        text = ", ".join(parts) + "."
        if self.skipped_rows:
            text += f" Rows left out: {', '.join(map(str, self.skipped_rows))}."
        return text

    def queued_text(self) -> str | None:
        """The updated shipments the trigger status queued for Xero, by row."""
        queued = self._named(csv_update.QUEUED)
        return f"Queued for Xero by the trigger status: {queued}." if queued else None

    def waiting_text(self) -> str | None:
        """The updated shipments at the trigger status not queued: a cancellation waits."""
        waiting = self._named(csv_update.NOT_QUEUED)
        return f"Not queued for Xero: {waiting}. {CANCELLATION_WAITS}" if waiting else None

    def unchanged_text(self) -> str | None:
        """The existing shipments the file holds as they are, by row."""
        same = self._named(csv_update.UNCHANGED)
        return f"Unchanged: {same}." if same else None

    def sentence(self) -> str:
        """What the import did, the same words on the page and in the CLI: the counts, then
        the shipments left unchanged, and those queued or not queued by their new status."""
        said = [self.summary(), self.unchanged_text(), self.queued_text(), self.waiting_text()]
        return " ".join(s for s in said if s)

    def _named(self, what: str) -> str:
        """E.g. "SHP-1 (row 2), SHP-4 (row 7)"; past NAMED, how many more (the page's table
        lists every row)."""
        named = [f"{o.number} (row {o.row})" for o in self.outcomes if o.what == what]
        more = f" and {len(named) - NAMED} more" if len(named) > NAMED else ""
        return ", ".join(named[:NAMED]) + more


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
    good = preview.good_shipments
    updates = [p for p in good if p.existing_id is not None]
    chosen = [p for p in good if p.existing_id is None]
    if not good:
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
    try:
        outcomes = csv_update.apply_updates(session=session, chosen=updates, user=user)
    except UserError as error:
        raise ImportError_(str(error)) from None
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
    unchanged = sum(1 for o in outcomes if o.what == csv_update.UNCHANGED)
    return ImportResult(
        imported=len(chosen),
        skipped_rows=skipped,
        updated=len(outcomes) - unchanged,
        unchanged=unchanged,
        outcomes=outcomes,
    )


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


def export_csv(
    shipments: list[Shipment],
    *,
    organisations: dict[str, str] | None = None,
    link: Callable[[Shipment], str | None] | None = None,
) -> str:
    """The format the import reads, plus where each shipment stands with Xero (its sync
    state, Xero number and a link to the document: `link`), which the import ignores. A
    round trip is lossless (a text cell the export neutralised against spreadsheet formulas
    is read back as it was). `organisations` names each tenant id (the organisation column)."""
    names = organisations or {}
    rows = []
    for shipment in shipments:
        base = {c: getattr(shipment, c) for c in SHIPMENT_COLUMNS if c != ORGANISATION}
        tenant = shipment.tenant_id
        base[ORGANISATION] = names.get(tenant, tenant) if tenant else None
        base["sync_state"] = shipment.sync_state
        base["xero_number"] = shipment.xero_document_number
        base["xero_link"] = link(shipment) if link else None
        lines: list[ShipmentLine | None] = list(shipment.lines) or [None]  # a row without lines
        for line in lines:
            row = dict(base)
            if line is not None:
                row.update({c: getattr(line, c) for c in LINE_COLUMNS})
            rows.append(row)
    return csv_safety.csv_text(columns=COLUMNS + EXPORT_ONLY, rows=rows)
