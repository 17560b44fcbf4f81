"""Shipments: create, edit, list (paged in SQL), status changes."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, func, or_
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import Session, col, select

from models import (
    IntegrationLog,
    Shipment,
    ShipmentFields,
    ShipmentLine,
    ShipmentLineFields,
    SyncState,
    Trigger,
    WorkflowStatus,
    as_utc,
    utcnow,
)
from models.shipment import amount_columns, number_key
from services import audit, claims, finance_summary, money, planner, queue, search, versions
from services.errors import UserError
from services.mapping import get_sync_settings
from services.paging import Page, count_text, counted

MAX_STATUS_CHANGE = 10
# What "unsent only" shows; in the order of migration a6e3f1c8d2b7's partial index condition.
UNSENT = (SyncState.NOT_SENT.value, SyncState.CHANGED.value, SyncState.REJECTED.value)
SORTABLE = {
    "created": Shipment.created_at,
    "number": Shipment.shipment_number,
    "customer": Shipment.buyer_code,
    "due": Shipment.due_date,
    "status": Shipment.workflow_status,
    "sync": Shipment.sync_state,
}


class ShipmentError(UserError):
    """A change that cannot be made; the message says why."""


@dataclass
class ShipmentFilter:
    search: str | None = None  # shipment number, customer code or product code
    workflow_status: list[str] = field(default_factory=list)
    sync_state: list[str] = field(default_factory=list)
    tenant_id: str | None = None
    # The organisation chosen is the default one: shipments with none of their own go there.
    with_unassigned: bool = False
    date_from: date | None = None
    date_to: date | None = None
    unsent_only: bool = False


@dataclass
class ShipmentPage:
    rows: list[Shipment]
    total: int
    page: int
    page_size: int
    capped: bool = False  # more than `total` match: counting stopped at paging.COUNT_CAP

    @property
    def pages(self) -> int:
        return Page(self.page, self.page_size, self.total).count

    @property
    def total_text(self) -> str:
        """The count as a page shows it: "1,234", or "10,000+" when counting stopped."""
        return count_text(self.total, self.capped)


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


def last_attempts(*, session: Session, shipment_ids: list[int]) -> dict[int, datetime]:
    """When each shipment was last sent (an attempt of any outcome), by shipment id; a
    shipment never sent is left out. One query for a table page."""
    if not shipment_ids:
        return {}
    rows = session.exec(
        select(col(IntegrationLog.shipment_id), func.max(IntegrationLog.created_at))
        .where(col(IntegrationLog.shipment_id).in_(shipment_ids))
        .group_by(col(IntegrationLog.shipment_id))
    ).all()
    return {
        shipment_id: as_utc(at)
        for shipment_id, at in rows
        if shipment_id is not None and at is not None
    }


def changed_since_attempt(shipment: Shipment, attempted_at: datetime | None) -> bool:
    """Was the shipment edited (or its status changed) after its last attempt? Then what
    that attempt said (its last_error) may no longer be true: it is history, not a problem."""
    return attempted_at is not None and as_utc(shipment.updated_at) > as_utc(attempted_at)


def count_matching(*, session: Session, flt: ShipmentFilter, numbers: list[str]) -> int:
    """How many of these shipment numbers the filter shows (e.g. just-imported shipments)."""
    query = _filtered(select(func.count(col(Shipment.id))), flt)
    found = 0
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        found += int(session.exec(query.where(col(Shipment.shipment_number).in_(chunk))).one())
    return found


def matching_ids(*, session: Session, flt: ShipmentFilter, shipment_ids: list[int]) -> set[int]:
    """Which of these shipments the filter shows (the rest of a selection is hidden by it)."""
    found: set[int] = set()
    for start in range(0, len(shipment_ids), 500):
        chunk = shipment_ids[start : start + 500]
        query = _filtered(select(col(Shipment.id)), flt).where(col(Shipment.id).in_(chunk))
        found |= {i for i in session.exec(query) if i is not None}
    return found


def get_shipment(*, session: Session, shipment_id: int) -> Shipment:
    shipment = session.get(Shipment, shipment_id)
    if shipment is None:
        raise ShipmentError(f"Shipment {shipment_id} does not exist.")
    return shipment


def shipments_by_id(*, session: Session, shipment_ids: Collection[int]) -> list[Shipment]:
    """These shipments, in id order; an id that no longer exists is left out."""
    if not shipment_ids:
        return []
    return list(
        session.exec(
            select(Shipment)
            .where(col(Shipment.id).in_(list(shipment_ids)))
            .order_by(col(Shipment.id))
        )
    )


def rejected_among(*, session: Session, shipment_ids: Collection[int]) -> set[int]:
    """Which of these shipments are Rejected now (a later send may have fixed the others)."""
    if not shipment_ids:
        return set()
    rejected = session.exec(
        select(col(Shipment.id)).where(
            col(Shipment.id).in_(list(shipment_ids)),
            Shipment.sync_state == SyncState.REJECTED,
        )
    )
    return {shipment_id for shipment_id in rejected if shipment_id is not None}


def list_shipments(
    *,
    session: Session,
    flt: ShipmentFilter | None = None,
    page: int = 1,
    page_size: int = 50,
    sort: str = "created",
    descending: bool = True,
    count_cap: int | None = None,
) -> ShipmentPage:
    """One page of shipments, filtered and sorted in SQL; a page past the last (the filter
    shrank the result) reads as the last. With `count_cap` (paging.COUNT_CAP) counting stops
    past that many: a million shipments are not counted one by one on every page."""
    flt = flt or ShipmentFilter()
    column = col(SORTABLE.get(sort, Shipment.created_at))
    order = column.desc() if descending else column.asc()
    order_by = (order, col(Shipment.id).desc() if descending else col(Shipment.id).asc())
    if count_cap is not None and flt.search and flt.search.strip():
        return _capped_page(session, flt, order_by, page, page_size, count_cap)
    query = _filtered(select(Shipment), flt).order_by(*order_by)
    # Without a search the filters are index ranges: counting (up to the cap) is cheap.
    total, capped = counted(session, _filtered(select(col(Shipment.id)), flt), count_cap)
    shown = Page(page, page_size, int(total)).clamped()
    rows = session.exec(query.offset(shown.offset).limit(page_size)).all()
    return ShipmentPage(list(rows), int(total), shown.number, page_size, capped)


def _capped_page(
    session: Session, flt: ShipmentFilter, order_by: tuple, page: int, size: int, cap: int
) -> ShipmentPage:
    """One read of the matching ids in order (at most cap + 1: the count and every page
    up to the cap), then the page's rows by id: the search runs once, not once to count and
    again to page. A term most shipments match is tested on each shipment in order instead
    of collecting them all (search.walk_wanted)."""
    walk = search.walk_wanted(session, flt.search or "")
    matching = _filtered(select(col(Shipment.id)), flt, walk=walk)
    ids = list(session.exec(matching.order_by(*order_by).limit(cap + 1)))
    total, capped = min(len(ids), cap), len(ids) > cap
    shown = Page(page, size, total).clamped()
    chosen = ids[shown.offset : shown.offset + size]
    found = {s.id: s for s in shipments_by_id(session=session, shipment_ids=chosen)}
    rows = [found[i] for i in chosen if i in found]
    return ShipmentPage(rows, total, shown.number, size, capped)


def _filtered(query, flt: ShipmentFilter, *, walk: bool = False):
    if flt.search and flt.search.strip():
        # Indexed on both databases (services/search.py says how a term matches).
        query = query.where(search.matches(flt.search, walk=walk))
    if flt.workflow_status:
        query = query.where(col(Shipment.workflow_status).in_(flt.workflow_status))
    if flt.sync_state:
        query = query.where(col(Shipment.sync_state).in_(flt.sync_state))
    if flt.unsent_only:
        # Written out as literals, in UNSENT's order: SQLite uses the partial index
        # scale_shipment_unsent (migration a6e3f1c8d2b7: the unsent shipments by creation)
        # only for the very condition it was made with; likely() keeps it from preferring
        # the sync_state index and a sort of every unsent shipment.
        unsent: BindParameter = bindparam(
            "unsent", list(UNSENT), expanding=True, literal_execute=True
        )
        query = query.where(planner.likely(col(Shipment.sync_state).in_(unsent)))
    if flt.tenant_id and flt.with_unassigned:
        query = query.where(
            or_(col(Shipment.tenant_id) == flt.tenant_id, col(Shipment.tenant_id).is_(None))
        )
    elif flt.tenant_id:
        query = query.where(Shipment.tenant_id == flt.tenant_id)
    if flt.date_from:
        query = query.where(col(Shipment.invoice_date) >= flt.date_from)
    if flt.date_to:
        query = query.where(col(Shipment.invoice_date) <= flt.date_to)
    return query


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


def unsent_ids(*, session: Session) -> list[int]:
    ids = session.exec(
        select(col(Shipment.id))
        .where(col(Shipment.sync_state).in_([SyncState.NOT_SENT, SyncState.CHANGED]))
        .order_by(col(Shipment.id))
    )
    return [shipment_id for shipment_id in ids if shipment_id is not None]


def totals_by_currency(*, session: Session) -> list[tuple[str, str, Decimal, int]]:
    """(currency, sync state, total, shipments), a shipment's total being what its document
    adds up to: its lines plus freight. Never adds currencies together. From the summary kept
    on write (services/finance_summary.py), not from every shipment."""
    rows = finance_summary.totals_by_currency(session=session)
    return [(c or "—", state or "", total, n) for c, state, total, n in rows]


def shipment_total(shipment: Shipment) -> Decimal | None:
    """What the shipment's document adds up to (lines plus freight); None with no amounts."""
    amounts = [line.item_value for line in shipment.lines if line.item_value is not None]
    if shipment.freight_amount is not None:
        amounts.append(shipment.freight_amount)
    return sum(amounts, Decimal(0)) if amounts else None


def counts_by_sync_state(*, session: Session) -> dict[str, int]:
    rows = session.exec(
        select(Shipment.sync_state, func.count()).group_by(col(Shipment.sync_state))
    )
    return {state: n for state, n in rows}


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
