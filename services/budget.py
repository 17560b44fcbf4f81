"""A day's budget of Xero calls per organisation: sends always keep most of it.

Xero limits each organisation's calls a day by the app's pricing tier (Starter 1,000, the
others 5,000; xero-facts.md §13, §14) and says what is left in X-DayLimit-Remaining.
Scheduled reads (payment pulls, reference-data refreshes, drift checks) run only when something
can have changed, take at most a set share of the day (`xero_scheduled_read_share`, 20 % by
default), and space themselves out as what is left of that share and of the day falls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from models import Shipment, XeroConnection, as_utc, utcnow
from services import usage
from services.settings import Settings, get_settings

DAY_LIMITS = {"starter": 1000, "core": 5000, "plus": 5000, "advanced": 5000, "enterprise": 5000}
# How often each scheduled read runs while the day's budget is untouched.
EVERY = {
    "payments": timedelta(minutes=5),
    "reference": timedelta(minutes=15),
    "drift": timedelta(hours=1),
}
# Calls one scheduled read makes at most when little has changed (reference data: accounts,
# contacts, items, tax rates, currencies, organisation): it starts only if they all fit.
READ_CALLS = {"payments": 3, "reference": 6, "drift": 3}
# A document in one of these states can no longer be paid or change status in Xero.
SETTLED = ("PAID", "VOIDED", "DELETED")


def day_limit(settings: Settings | None = None) -> int:
    """Calls a day per organisation for the app's pricing tier."""
    return DAY_LIMITS[(settings or get_settings()).xero_pricing_tier]


def read_spacing(
    *,
    every: timedelta,
    day_limit: int,
    day_left: int,
    read_share: float,
    calls: int,
    reads: int,
    read_calls: int = 1,
) -> timedelta | None:
    """How long a scheduled read waits after the last one, or None when it may not run today.

    Reads may take `read_share` of `day_limit`; the calls sends have not used of their part
    (the rest) are never read into, whatever Xero says is left (`day_left`); a read that
    needs `read_calls` calls starts only if they fit in what is left of the share. The wait is
    `every` divided by the fraction left of the reads' room or of the day, whichever is
    smaller: at half the share left reads come half as often, so they slow down well before
    the share runs out instead of using it up by noon."""
    allowance = int(day_limit * read_share)
    if allowance <= 0:
        return None
    sends_reserve = max(0, (day_limit - allowance) - (calls - reads))
    room = min(allowance - reads, day_left - sends_reserve)
    if room < max(read_calls, 1):
        return None
    fraction = min(room / allowance, day_left / day_limit)
    return every / fraction


def day_left(*, count: usage.DayCount, limit: int) -> int:
    """Calls left today: the tier's limit less today's calls, or Xero's own word if lower."""
    left = limit - count.calls
    return left if count.day_remaining is None else min(left, count.day_remaining)


def may_read(
    *,
    session: Session,
    tenant_id: str,
    kind: str,
    last_read: datetime | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> bool:
    """True when the organisation's scheduled read of `kind` ("payments", "reference",
    "drift") may run now: something can have changed, the reads' share of the day is not used
    up, and the spacing since `last_read` has passed."""
    settings = settings or get_settings()
    # Never read yet: read once, so the organisation's data is there to look at.
    changed = last_read is None or something_can_have_changed(
        session=session, tenant_id=tenant_id, kind=kind
    )
    if not changed:
        return False
    limit = day_limit(settings)
    count = usage.day_count(session=session, tenant_id=tenant_id)
    spacing = read_spacing(
        every=EVERY.get(kind, EVERY["reference"]) / settings.xero_rate_clock_scale,
        day_limit=limit,
        day_left=day_left(count=count, limit=limit),
        read_share=settings.xero_scheduled_read_share,
        calls=count.calls,
        reads=count.reads,
        read_calls=READ_CALLS.get(kind, 1),
    )
    if spacing is None:
        return False
    return last_read is None or (now or utcnow()) - as_utc(last_read) >= spacing


def something_can_have_changed(*, session: Session, tenant_id: str, kind: str) -> bool:
    """False when a scheduled read could only find what Shipbridge already knows: no payment
    or status to pull when every document sent is settled, nothing to compare when nothing was
    sent, no reference data needed when nothing waits to be sent."""
    # A shipment with no organisation of its own goes to the default one.
    mine = (col(Shipment.tenant_id) == tenant_id) | col(Shipment.tenant_id).is_(None)
    sent = col(Shipment.xero_document_id).is_not(None)
    condition: ColumnElement[bool]
    if kind == "payments":
        condition = sent & (
            col(Shipment.xero_status).is_(None) | col(Shipment.xero_status).not_in(SETTLED)
        )
    elif kind == "drift":
        condition = sent
    elif kind == "reference":
        condition = ~sent
    else:
        return True
    return session.exec(select(Shipment.id).where(mine, condition).limit(1)).first() is not None


def due_reads(
    *,
    session: Session,
    kind: str,
    last_read: Callable[[XeroConnection], datetime | None],
    settings: Settings | None = None,
) -> list[XeroConnection]:
    """The connected organisations whose scheduled read of `kind` may run now (`may_read`);
    `last_read` tells when an organisation's was last read."""
    from services import connections  # it asks this module for the day's limit

    return [
        c
        for c in connections.due_connections(session=session)
        if may_read(
            session=session,
            tenant_id=c.tenant_id,
            kind=kind,
            last_read=last_read(c),
            settings=settings,
        )
    ]


@dataclass(frozen=True)
class OrganisationUsage:
    """One organisation's use of Xero, for the Connect page."""

    calls_today: int
    day_limit: int
    day_left: int
    reads_today: int
    read_allowance: int
    today_by_kind: dict[str, tuple[int, int]]  # kind -> (calls, bytes)
    month_calls: int
    month_bytes: int


def organisation_usage(
    *, session: Session, organisations: list[XeroConnection], settings: Settings | None = None
) -> dict[str, OrganisationUsage]:
    """Per organisation (tenant id): calls used today and what they went to, what is left of
    the day, and this month's calls and bytes downloaded."""
    settings = settings or get_settings()
    limit = day_limit(settings)
    tenant_ids = [c.tenant_id for c in organisations]
    month = usage.month_usage(session=session, tenant_ids=tenant_ids)
    today = usage.day_usage(session=session, tenant_ids=tenant_ids)
    found = {}
    for tenant_id in tenant_ids:
        count = usage.day_count(session=session, tenant_id=tenant_id)
        found[tenant_id] = OrganisationUsage(
            calls_today=count.calls,
            day_limit=limit,
            day_left=max(0, day_left(count=count, limit=limit)),
            reads_today=count.reads,
            read_allowance=int(limit * settings.xero_scheduled_read_share),
            today_by_kind=today[tenant_id].by_kind,
            month_calls=month[tenant_id].calls,
            month_bytes=month[tenant_id].bytes,
        )
    return found
