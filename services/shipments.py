"""Shipments read: one by id, a filtered page (paged in SQL), totals. Creating, editing and
changing their status: services/shipment_edits.py."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, func, or_
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import Session, col, select

from models import IntegrationLog, Shipment, SyncState, as_utc
from services import finance_summary, planner, search
from services.errors import UserError
from services.paging import Page, count_text, counted

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
