"""What Shipbridge takes from Xero: calls and bytes downloaded, per organisation, UTC day and
kind of call. Xero prices apps by data downloaded (egress) and limits each organisation's calls
a day by pricing tier (xero-facts.md §13, §14), so every response is counted here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from models import XeroUsage, utcnow
from services import deferred_writes

# Calls that belong to no organisation: sign-in, token refresh, the connections list.
NO_ORGANISATION = ""


class UsageRecorder:
    """Adds one Xero response to the day's counts: one upsert statement per call (inside a
    send's `deferred_writes.deferred()`, in the transaction that applies its answers)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._upsert = _upsert(engine.dialect.name)

    def __call__(
        self, *, tenant_id: str, kind: str, size: int, day_remaining: int | None = None
    ) -> None:
        now = utcnow()
        statement = self._upsert.values(
            tenant_id=tenant_id,
            day=now.date(),
            kind=kind,
            calls=1,
            bytes=size,
            day_remaining=day_remaining,
            last_call_at=now,
        )
        if deferred_writes.add(statement):  # inside a send: written with its answers
            return
        with self.engine.begin() as connection:
            connection.execute(statement)


@cache
def _upsert(dialect: str):
    """The counting upsert without its values, built once per dialect: each call adds its
    own (`.values`, a cheap copy). A call adds one to the day's count of its kind, and its
    bytes."""
    table = SQLModel.metadata.tables[XeroUsage.__tablename__]
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(table)
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=["tenant_id", "day", "kind"],
        set_={
            "calls": table.c.calls + 1,
            "bytes": table.c.bytes + excluded.bytes,
            # A call without the header (an error) keeps the last one seen.
            "day_remaining": func.coalesce(excluded.day_remaining, table.c.day_remaining),
            "last_call_at": excluded.last_call_at,
        },
    )


@dataclass
class Usage:
    """Calls and bytes over a period, in total and per kind of call."""

    calls: int = 0
    bytes: int = 0
    by_kind: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (calls, bytes)


def month_usage(*, session: Session, tenant_ids: list[str], today: date | None = None) -> dict:
    """Per organisation: its calls and bytes downloaded so far this month (UTC)."""
    today = today or utcnow().date()
    return _usage(session, tenant_ids, since=today.replace(day=1), until=today)


def day_usage(*, session: Session, tenant_ids: list[str], today: date | None = None) -> dict:
    """Per organisation: its calls and bytes today (UTC), and what they went to."""
    today = today or utcnow().date()
    return _usage(session, tenant_ids, since=today, until=today)


def _usage(session: Session, tenant_ids: list[str], *, since: date, until: date) -> dict:
    found: dict[str, Usage] = defaultdict(Usage)
    rows = session.exec(
        select(
            XeroUsage.tenant_id,
            XeroUsage.kind,
            func.sum(XeroUsage.calls),
            func.sum(XeroUsage.bytes),
        )
        .where(
            col(XeroUsage.tenant_id).in_(tenant_ids),
            XeroUsage.day >= since,
            XeroUsage.day <= until,
        )
        .group_by(XeroUsage.tenant_id, XeroUsage.kind)
        .order_by(XeroUsage.kind)
    )
    for tenant_id, kind, calls, size in rows:
        usage = found[tenant_id]
        usage.calls += int(calls)
        usage.bytes += int(size)
        usage.by_kind[kind] = (int(calls), int(size))
    return {t: found.get(t, Usage()) for t in tenant_ids}


@dataclass(frozen=True)
class DayCount:
    """An organisation's calls today: in all, the reading ones, and Xero's latest word on what
    is left of its day (X-DayLimit-Remaining; None before any call today)."""

    calls: int
    reads: int
    day_remaining: int | None
    last_call_at: datetime | None


def day_count(*, session: Session, tenant_id: str, today: date | None = None) -> DayCount:
    """How many calls the organisation made today (UTC), how many of them read, and what Xero
    last said is left of its day."""
    today = today or utcnow().date()
    rows = list(
        session.exec(
            select(XeroUsage).where(XeroUsage.tenant_id == tenant_id, XeroUsage.day == today)
        )
    )
    latest = max(rows, key=lambda r: r.last_call_at, default=None)
    return DayCount(
        calls=sum(r.calls for r in rows),
        reads=sum(r.calls for r in rows if is_read(r.kind)),
        day_remaining=latest.day_remaining if latest is not None else None,
        last_call_at=latest.last_call_at if latest is not None else None,
    )


def is_read(kind: str) -> bool:
    """True for a kind of call that only reads from Xero."""
    return kind.endswith(".read")


def readable_bytes(size: int) -> str:
    """Bytes as people read them: 950 B, 12.3 KB, 4.56 MB (powers of 1,000, as Xero bills)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} B"
