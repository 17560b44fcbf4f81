"""What a shipments CSV does to the database beyond creating shipments: its organisation
column resolved to a connected Xero organisation, and the "update existing shipments" mode
(what changes, field: old → new, before anything is saved; then the updates applied with
the version each was read at, so a shipment saved since the preview is never overwritten)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from models import Shipment, ShipmentFields, ShipmentLineFields
from models.shipment import number_key
from services import connections, shipment_edits, shipments, versions
from services.csv_rows import (
    LINE_COLUMNS,
    ORGANISATION,
    SHIPMENT_COLUMNS,
    ImportedLine,
    ImportPreview,
    ParsedShipment,
    RowError,
)
from services.errors import UserError
from services.queue import CANCELLATION_WAITS

CHUNK = 500  # shipments looked up per statement


def resolve_organisations(session: Session, preview: ImportPreview) -> None:
    """Each shipment's organisation cell → its tenant id: a connected organisation's name
    (ignoring case) or tenant id. Unknown: an error naming the row and column."""
    found = connections.list_connections(session=session)
    by_name = {c.tenant_name.casefold(): c.tenant_id for c in found}
    by_name |= {c.tenant_id.casefold(): c.tenant_id for c in found}
    names = ", ".join(c.tenant_name for c in found)
    # Rows whose organisation cell is already in question (rows of one shipment disagree):
    # that error says what to fix first.
    questioned = {e.row for e in preview.errors if e.column == ORGANISATION}
    for parsed in preview.shipments:
        if not parsed.organisation or questioned.intersection(parsed.rows):
            continue
        tenant_id = by_name.get(parsed.organisation.casefold())
        if tenant_id is None:
            preview.errors.append(
                RowError(parsed.rows[0], ORGANISATION, _unknown(parsed.organisation, names))
            )
            continue
        parsed.fields.tenant_id = tenant_id


def _unknown(name: str, names: str) -> str:
    if not names:
        return (
            f"{name!r} is not a connected Xero organisation (none is connected yet): connect "
            "it on the Connect page, or leave organisation empty"
        )
    return (
        f"{name!r} is not a connected Xero organisation: use one of {names} (as the Connect "
        "page names them), or leave it empty for the default organisation"
    )


def existing(session: Session, preview: ImportPreview) -> list[tuple[ParsedShipment, Shipment]]:
    """The file's shipments whose number is already taken (ignoring case and spaces), with
    the shipment that holds it (its lines loaded), in chunks."""
    pairs: list[tuple[ParsedShipment, Shipment]] = []
    for start in range(0, len(preview.shipments), CHUNK):
        by_key = {
            number_key(p.fields.shipment_number): p
            for p in preview.shipments[start : start + CHUNK]
        }
        pairs += [
            (by_key[saved.number_key], saved)
            for saved in session.exec(
                select(Shipment)
                .where(col(Shipment.number_key).in_(list(by_key)))
                .options(selectinload(Shipment.lines))  # type: ignore[arg-type]
            )
        ]
    return pairs


def plan_updates(preview: ImportPreview, pairs: list[tuple[ParsedShipment, Shipment]]) -> None:
    """Update mode: each existing shipment's changes, field: old → new. A column the file
    leaves out is kept as it is; an empty cell in a column it has clears the value."""
    given = set(preview.columns)
    for parsed, saved in pairs:
        parsed.existing_id = saved.id
        parsed.existing_version = saved.version
        if parsed.fields.shipment_number != saved.shipment_number:
            preview.errors.append(
                RowError(
                    parsed.rows[0],
                    "shipment_number",
                    f"updates shipment {saved.shipment_number}: spell its number as it is "
                    "saved (numbers that differ only in capitals are one number)",
                )
            )
            continue
        _keep_what_the_file_leaves_out(parsed, saved, given)
        parsed.changes = list(_changes(parsed, saved, given))


def _keep_what_the_file_leaves_out(parsed: ParsedShipment, saved: Shipment, given: set) -> None:
    for name in ShipmentFields.model_fields:
        if name not in given and name != "shipment_number":
            if name == "tenant_id" and ORGANISATION in given:
                continue
            setattr(parsed.fields, name, getattr(saved, name))
    if "workflow_status" not in given:
        parsed.workflow_status = saved.workflow_status
    if not given.intersection(LINE_COLUMNS):
        parsed.lines = [_as_line(x) for x in saved.lines]


def _as_line(line: Any) -> ImportedLine:
    return ImportedLine(*(getattr(line, c) for c in LINE_COLUMNS))


def _changes(parsed: ParsedShipment, saved: Shipment, given: set) -> Iterable[str]:
    for column in SHIPMENT_COLUMNS[1:]:
        if column not in given:
            continue
        if column == ORGANISATION:
            old, new = saved.tenant_id, parsed.fields.tenant_id
        elif column == "workflow_status":
            old, new = saved.workflow_status, parsed.workflow_status
        else:
            old, new = getattr(saved, column), getattr(parsed.fields, column)
        if old == new:  # Decimals compare by value: 12.5 == 12.50
            continue
        shown = parsed.organisation if column == ORGANISATION and new else _text(new)
        yield f"{column}: {_text(old)} → {shown}"
    # A description is shown only when one differs: most files leave it as it is.
    described = _descriptions(saved.lines) != _descriptions(parsed.lines)
    before = [_line_text(x, described) for x in saved.lines]
    after = [_line_text(x, described) for x in parsed.lines]
    if before != after:
        yield f"lines: {'; '.join(before) or 'none'} → {'; '.join(after) or 'none'}"


def _text(value: object) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _descriptions(lines: Iterable[Any]) -> list[str]:
    return [x.description or "" for x in lines]


def _line_text(line: Any, described: bool = False) -> str:
    code = line.product_code or "(no product)"
    if described:
        code += f" ({_text(line.description)})"
    return f"{code} × {_text(line.quantity)} @ {_text(line.unit_price)} = {_text(line.item_value)}"


# What an update did to a shipment (RowOutcome.what).
UPDATED, UNCHANGED, QUEUED, NOT_QUEUED = "updated", "unchanged", "queued", "not queued"


@dataclass(frozen=True)
class RowOutcome:
    """What an update-mode import did to one existing shipment, named by its first row."""

    row: int
    number: str
    what: str  # UPDATED, UNCHANGED, QUEUED or NOT_QUEUED
    status: str | None = None  # the status it moved to, when it moved

    def sentence(self) -> str:
        """E.g. "Row 2, SHP-1: updated; queued for Xero by the trigger status Shipped."."""
        said = {
            UPDATED: "updated.",
            UNCHANGED: "unchanged (the file holds it as it is).",
            QUEUED: f"updated; queued for Xero by the trigger status {self.status}.",
            NOT_QUEUED: f"updated; not queued for Xero at {self.status}. {CANCELLATION_WAITS}",
        }[self.what]
        return f"Row {self.row}, {self.number}: {said}"


def apply_updates(
    *, session: Session, chosen: list[ParsedShipment], user: str | None
) -> list[RowOutcome]:
    """Save each update with the version its preview read: one saved since is refused, with
    its row, and nothing of the file is saved (the caller's one transaction). One row is one
    version step and one audit record; a row that moves the status to the trigger status
    queues the shipment as the Shipments page's status change does. Returns what happened to
    each shipment, in the file's order."""
    outcomes = []
    for parsed in chosen:
        assert parsed.existing_id is not None
        try:
            outcomes.append(_apply(session, parsed, user))
        except versions.StaleShipment:
            raise UserError(
                f"Row {parsed.rows[0]}, shipment_number: shipment "
                f"{parsed.fields.shipment_number} was changed by someone else since the file "
                "was read; nothing was imported. Upload the file again to see its changes."
            ) from None
        except UserError as error:  # e.g. being sent right now: its own sentence, then ours
            said = str(error).removesuffix(" Nothing was saved.").rstrip(".")
            raise UserError(
                f"Row {parsed.rows[0]}, shipment_number: {said}. Nothing was imported."
            ) from None
    return outcomes


def _apply(session: Session, parsed: ParsedShipment, user: str | None) -> RowOutcome:
    """One shipment's update as one save (shipment_edits.save_with_status, as the Shipments
    page's form saves): one version step, one audit record, queued at the trigger status as
    a status change would."""
    row, number = parsed.rows[0], parsed.fields.shipment_number
    if not parsed.changes:
        return RowOutcome(row, number, UNCHANGED)
    shipment_id, version = parsed.existing_id, parsed.existing_version
    assert shipment_id is not None and version is not None
    before = shipments.get_shipment(session=session, shipment_id=shipment_id).workflow_status
    status = parsed.workflow_status
    moved = shipment_edits.save_with_status(
        session=session,
        shipment_id=shipment_id,
        fields=parsed.fields,
        lines=[ShipmentLineFields(**x.model_dump()) for x in parsed.lines],
        status=status,
        user=user,
        expected_version=version,
    )
    if before == status:
        return RowOutcome(row, number, UPDATED)
    if moved.cancelling_numbers():
        return RowOutcome(row, number, NOT_QUEUED, status)
    if moved.queued_numbers():
        return RowOutcome(row, number, QUEUED, status)
    return RowOutcome(row, number, UPDATED, status)
