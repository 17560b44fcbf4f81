"""Changing shipments: create one, edit its fields and lines, move workflow statuses (queued
for Xero at the trigger status), or save a shipment's form, which may do both in one write;
each change audited.

Apart from services/shipments.py, which reads shipments (one by id, a filtered page, totals):
the writes share their checks (a number free, amounts the database holds exactly, a version
not stale) and the queueing at the trigger status, none of which a read needs."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from models import (
    Shipment,
    ShipmentFields,
    ShipmentLine,
    ShipmentLineFields,
    SyncState,
    Trigger,
    WorkflowStatus,
    utcnow,
)
from models.shipment import amount_columns, number_key
from services import audit, claims, money, queue, versions
from services.mapping import get_sync_settings
from services.shipments import ShipmentError, get_shipment

MAX_STATUS_CHANGE = 10


def create_shipment(
    *,
    session: Session,
    fields: ShipmentFields,
    lines: list[ShipmentLineFields],
    user: str | None,
    workflow_status: str = WorkflowStatus.DRAFT,
) -> Shipment:
    """Save a new shipment with its lines. Refuses, saving nothing, a number already used
    (ignoring case and surrounding spaces) or an amount the database cannot hold exactly."""
    fields = _trimmed(fields)
    _check_storable(fields, lines)
    _check_number_free(session, fields.shipment_number)
    shipment = Shipment(
        **fields.model_dump(),
        number_key=number_key(fields.shipment_number),
        workflow_status=workflow_status,
    )
    shipment.lines = _numbered(lines)
    session.add(shipment)
    session.flush()
    audit.record(
        session=session,
        actor=user,
        action="create",
        entity="shipment",
        entity_id=str(shipment.id),
        after={"number": shipment.shipment_number},
    )
    return shipment


def _drop_lines(session: Session, shipment: Shipment) -> None:
    """Delete a shipment's lines ahead of its new ones (which reuse their numbers). Only the
    lines are flushed here, not the shipment, so one save stays one version step."""
    for old in list(shipment.lines):
        session.delete(old)
    session.flush()
    # Reloaded now (empty): loading it after the fields change would autoflush them early.
    session.refresh(shipment, ["lines"])


def update_shipment(
    *,
    session: Session,
    shipment_id: int,
    fields: ShipmentFields,
    lines: list[ShipmentLineFields],
    user: str | None,
    expected_version: int | None = None,
) -> Shipment:
    """Replace a shipment's fields and lines. A processed shipment becomes "changed since sent".
    With `expected_version` (the version the edit started from): refused with
    versions.StaleShipment, saving nothing, once someone else has saved a newer one."""
    if expected_version is not None:
        versions.hold(session=session, shipment_id=shipment_id, expected=expected_version)
    shipment = get_shipment(session=session, shipment_id=shipment_id)
    if claims.held_now(shipment):
        raise ShipmentError(
            f"Shipment {shipment.shipment_number} is being sent right now: edit it in a moment."
        )
    fields = _trimmed(fields)
    _check_storable(fields, lines)
    if number_key(fields.shipment_number) != shipment.number_key:
        _check_number_free(session, fields.shipment_number)
    if _same(shipment, fields, lines):
        # A Save with nothing changed: the shipment is not "changed since" anything.
        return shipment
    before = shipment.model_dump(mode="json")
    _drop_lines(session, shipment)
    shipment.sqlmodel_update(fields.model_dump())
    shipment.number_key = number_key(fields.shipment_number)
    shipment.lines = _numbered(lines)
    if shipment.sync_state == SyncState.PROCESSED:
        shipment.sync_state = SyncState.CHANGED
    shipment.updated_at = utcnow()
    session.add(shipment)
    session.flush()
    session.refresh(shipment, ["version"])  # raised by the flush, as SQL
    audit.record(
        session=session,
        actor=user,
        action="edit",
        entity="shipment",
        entity_id=str(shipment.id),
        before=before,
        after=shipment.model_dump(mode="json"),
    )
    return shipment


def _numbered(lines: list[ShipmentLineFields]) -> list[ShipmentLine]:
    """The shipment's lines to store, numbered in the order they were entered."""
    return [ShipmentLine(**line.model_dump(), line_no=n) for n, line in enumerate(lines, start=1)]


def _same(shipment: Shipment, fields: ShipmentFields, lines: list[ShipmentLineFields]) -> bool:
    now = fields.model_dump()
    if any(getattr(shipment, name) != value for name, value in now.items()):
        return False
    names = list(ShipmentLineFields.model_fields)
    saved = [[getattr(x, n) for n in names] for x in shipment.lines]
    return saved == [[getattr(x, n) for n in names] for x in lines]


@dataclass
class StatusChange:
    """What a status change did: the shipments moved, and those the trigger status queued
    for Xero or could not queue (their cancellation waits: `queue.Queued.cancelling`)."""

    shipments: list[Shipment]
    at_trigger: list[int] = field(default_factory=list)
    queued: queue.Queued = field(default_factory=lambda: queue.Queued(0))

    def numbers(self, ids: Collection[int]) -> list[str]:
        return [s.shipment_number for s in self.shipments if s.id in ids]

    def queued_numbers(self) -> list[str]:
        left_out = set(self.queued.cancelling)
        return self.numbers([i for i in self.at_trigger if i not in left_out])

    def cancelling_numbers(self) -> list[str]:
        return self.numbers(self.queued.cancelling)


def change_status(
    *,
    session: Session,
    shipment_ids: list[int],
    status: str,
    user: str | None,
    expected_versions: dict[int, int] | None = None,
) -> StatusChange:
    """Move up to ten shipments to a workflow status. Queues them when the settings say so.
    With `expected_versions` (id -> the version the user confirmed): nothing is changed if
    any of them has been saved since (versions.StaleShipment)."""
    ids = list(dict.fromkeys(shipment_ids))
    if len(ids) > MAX_STATUS_CHANGE:
        raise ShipmentError(
            f"{len(ids)} shipments are selected; change the status of at most "
            f"{MAX_STATUS_CHANGE} at a time. Nothing was changed."
        )
    if status not in {s.value for s in WorkflowStatus}:
        raise ShipmentError(f"{status!r} is not a workflow status.")
    for shipment_id, version in sorted((expected_versions or {}).items()):
        versions.hold(session=session, shipment_id=shipment_id, expected=version)
    shipments = list(session.exec(select(Shipment).where(col(Shipment.id).in_(ids))))
    to_queue: list[int] = []
    for shipment in shipments:
        before = shipment.workflow_status
        shipment.workflow_status = status
        shipment.updated_at = utcnow()
        session.add(shipment)
        session.flush()
        session.refresh(shipment, ["version"])
        audit.record(
            session=session,
            actor=user,
            action="status",
            entity="shipment",
            entity_id=str(shipment.id),
            before={"status": before},
            after={"status": status, "version": shipment.version},
        )
        if (
            shipment.id is not None  # read from the database, so it always has one
            and at_trigger(session=session, shipment=shipment, before=before)
        ):
            to_queue.append(shipment.id)
    return queue_at_trigger(session=session, moved=shipments, at_trigger=to_queue, user=user)


def at_trigger(*, session: Session, shipment: Shipment, before: str) -> bool:
    """Whether a shipment just moved from status `before` to its status is to be queued for
    Xero: its settings queue at the trigger status, it reached it now, and it has something
    to send. A status change and a CSV update that moves the status both ask this."""
    settings = get_sync_settings(session=session, tenant_id=shipment.tenant_id)
    return bool(
        settings.queue_on_trigger
        and shipment.workflow_status == settings.trigger_status
        and before != shipment.workflow_status
        and shipment.sync_state in (SyncState.NOT_SENT, SyncState.CHANGED, SyncState.REJECTED)
    )


def queue_at_trigger(
    *, session: Session, moved: list[Shipment], at_trigger: list[int], user: str | None
) -> StatusChange:
    """What a status change did, with the shipments `at_trigger` queued for Xero (one whose
    cancellation waits is not queued: StatusChange.cancelling_numbers names it)."""
    change = StatusChange(moved, at_trigger=at_trigger)
    if at_trigger:
        change.queued = queue.enqueue(
            session=session, shipment_ids=at_trigger, trigger=Trigger.STATUS, user=user
        )
    session.flush()
    return change


class FieldsAndStatus(ShipmentFields):
    """Fields with a new status: update_shipment writes every field it is given and audits
    the whole shipment before and after, so both go in one write (one version step, one
    audit record)."""

    workflow_status: str


def save_with_status(
    *,
    session: Session,
    shipment_id: int,
    fields: ShipmentFields,
    lines: list[ShipmentLineFields],
    status: str,
    user: str | None,
    expected_version: int | None = None,
) -> StatusChange:
    """One save of a shipment's form: its fields and lines (update_shipment), its status
    alone (change_status: a sent shipment is not "changed since sent" by it), or both in one
    write; queued at the trigger status exactly as change_status queues. One version step,
    one audit record."""
    shipment = get_shipment(session=session, shipment_id=shipment_id)
    before = shipment.workflow_status
    if status == before:
        saved = update_shipment(
            session=session,
            shipment_id=shipment_id,
            fields=fields,
            lines=lines,
            user=user,
            expected_version=expected_version,
        )
        return StatusChange([saved])
    if _same(shipment, _trimmed(fields), lines):
        held = {shipment_id: expected_version} if expected_version is not None else None
        return change_status(
            session=session,
            shipment_ids=[shipment_id],
            status=status,
            user=user,
            expected_versions=held,
        )
    if status not in {s.value for s in WorkflowStatus}:
        raise ShipmentError(f"{status!r} is not a workflow status.")
    saved = update_shipment(
        session=session,
        shipment_id=shipment_id,
        fields=FieldsAndStatus(**fields.model_dump(), workflow_status=status),
        lines=lines,
        user=user,
        expected_version=expected_version,
    )
    queued = [shipment_id] if at_trigger(session=session, shipment=saved, before=before) else []
    return queue_at_trigger(session=session, moved=[saved], at_trigger=queued, user=user)


def _trimmed(fields: ShipmentFields) -> ShipmentFields:
    """The fields with the shipment number stored as typed, less surrounding spaces."""
    return fields.model_copy(update={"shipment_number": (fields.shipment_number or "").strip()})


def _check_storable(fields: ShipmentFields, lines: list[ShipmentLineFields]) -> None:
    """Refuse an amount outside its column's range or with more decimals than it keeps (the
    database would store a different number, SQLite without a word), and a currency that is
    not three letters (it is shown in Markdown, where `$x$` would read as maths)."""
    problems = [
        f"{name.replace('_', ' ').capitalize()} {refused}."
        for name, digits in amount_columns(Shipment).items()
        if name in ShipmentFields.model_fields
        and (refused := money.storage_problem(getattr(fields, name), digits))
    ]
    currency = fields.currency or ""
    if currency and not (len(currency) == 3 and currency.isalpha()):  # as the CSV import
        problems.append("Currency is not a currency code: use three letters, e.g. USD.")
    line_digits = amount_columns(ShipmentLine)
    for n, line in enumerate(lines, start=1):
        problems += [
            f"Line {n} {name.replace('_', ' ')} {refused}."
            for name, digits in line_digits.items()
            if (refused := money.storage_problem(getattr(line, name), digits))
        ]
    if problems:
        raise ShipmentError(" ".join(problems) + " Nothing was saved.")


def _check_number_free(session: Session, number: str) -> None:
    if not number or not number.strip():
        raise ShipmentError("Shipment number is required.")
    taken = session.exec(
        select(Shipment.shipment_number).where(Shipment.number_key == number_key(number))
    ).first()
    if taken == number:
        raise ShipmentError(f"Shipment number {number} is already used: choose another.")
    if taken:
        raise ShipmentError(
            f"Shipment number {number} is already used as {taken} (numbers that differ only "
            "in capitals or spaces are one number, in Shipbridge and in Xero): choose another."
        )
