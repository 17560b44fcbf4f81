"""Xero's rate limits, kept across processes through the database.

Per organisation: at most 60 calls in any minute, 5 in flight, and the day's limit of the
app's pricing tier (services/budget.py: 1,000 on Starter, 5,000 otherwise). Every call
takes a slot row first; counting the rows under a lock tells whether it may start. Across
all organisations the app may make 10,000 calls a minute (Xero's app-wide limit). Xero's
own signals win: a 429's Retry-After, or X-MinLimit-Remaining / X-DayLimit-Remaining
reaching 0, blocks the organisation until then. Slots older than the day window are pruned
(every few minutes, by whichever process is calling), and (tenant_id, started_at) is
indexed, so a call costs the same after a year of calls as on the first day.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import ApiCallSlot, RateLimitBlock, as_utc, utcnow
from services import metrics
from services.db import session_scope
from services.xero.errors import XeroRateLimited


@dataclass(frozen=True)
class Limits:
    per_minute: int = 60
    in_flight: int = 5
    per_day: int = 5000
    app_per_minute: int = 10_000  # all organisations together
    # >1 makes a "minute" shorter, matching a sandbox whose rate clock is scaled (benchmarks).
    clock_scale: float = 1.0

    def span(self, seconds: float) -> timedelta:
        return timedelta(seconds=seconds / self.clock_scale)


class RateLimiter:
    """Acquire a slot before each Xero call for one organisation; release it after."""

    def __init__(
        self,
        engine: Engine,
        limits: Limits | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float | None = None,
    ):
        self.engine = engine
        self.limits = limits or Limits()
        self.sleep = sleep
        self.waited = 0.0
        # A caller that must not block (a page) gets XeroRateLimited instead of a long wait.
        self.max_wait = max_wait

    @contextmanager
    def slot(self, tenant_id: str) -> Iterator[None]:
        slot_id = self._acquire(tenant_id)
        try:
            yield
        finally:
            with session_scope(self.engine) as session:
                session.exec(
                    update(ApiCallSlot)
                    .where(col(ApiCallSlot.id) == slot_id)
                    .values(finished_at=utcnow())
                )

    def heard(self, tenant_id: str, *, minute_left: int | None, day_left: int | None) -> None:
        """What Xero's X-MinLimit-Remaining / X-DayLimit-Remaining said after a call: none
        left holds every process's calls for the organisation (a minute, or an hour for the
        day, when a 429's Retry-After will say exactly)."""
        if minute_left is not None and minute_left <= 0 and not self._minute_full(tenant_id):
            # Calls we did not count (another app on the organisation): wait the minute out.
            # When our own count is full, it already knows exactly when the next may go.
            self.block(tenant_id, self.limits.span(60).total_seconds(), "minute")
        if day_left is not None and day_left <= 0:
            self.block(tenant_id, self.limits.span(3600).total_seconds(), "day")

    def _minute_full(self, tenant_id: str) -> bool:
        minute_ago = utcnow() - self.limits.span(60.5)
        with session_scope(self.engine) as session:
            used = session.exec(
                select(func.count(col(ApiCallSlot.id))).where(
                    ApiCallSlot.tenant_id == tenant_id, col(ApiCallSlot.started_at) > minute_ago
                )
            ).one()
        return used >= self.limits.per_minute

    def block(self, tenant_id: str, seconds: float, reason: str) -> None:
        """Hold every process's calls for this organisation for `seconds` (real seconds)."""
        until = utcnow() + timedelta(seconds=seconds)
        with session_scope(self.engine) as session:
            row = session.get(RateLimitBlock, tenant_id)
            if row is None:
                session.add(RateLimitBlock(tenant_id=tenant_id, blocked_until=until, reason=reason))
            elif as_utc(row.blocked_until) < until:
                row.blocked_until, row.reason = until, reason
                session.add(row)

    def _acquire(self, tenant_id: str) -> int:
        self._prune_now_and_then()
        while True:
            with session_scope(self.engine) as session:
                self._lock(session, tenant_id)
                now = utcnow()
                wait, reason = self._wait_needed(session, tenant_id, now)
                if wait <= 0:
                    slot = ApiCallSlot(tenant_id=tenant_id, started_at=now)
                    session.add(slot)
                    session.flush()
                    assert slot.id is not None  # given by the flush
                    return slot.id
            if self.max_wait is not None and wait > self.max_wait:
                raise XeroRateLimited(reason or "minute", wait)
            wait = min(max(wait, 0.01), 60.0)
            self.waited += wait
            metrics.LIMITER_WAIT.labels(limit=reason or "minute").observe(wait)
            self.sleep(wait)

    def _lock(self, session: Session, tenant_id: str) -> None:
        if self.engine.dialect.name == "postgresql":
            key = zlib.crc32(tenant_id.encode())
            # Through the session's connection: SQLModel's exec() takes no plain SQL.
            session.connection().execute(text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=key))
        else:
            # SQLite: a write takes the database lock at once, so the counts below are stable.
            session.exec(delete(ApiCallSlot).where(col(ApiCallSlot.id) == -1))

    def _wait_needed(self, session: Session, tenant_id: str, now) -> tuple[float, str | None]:
        """Seconds to wait before a call may start, and which limit says so."""
        limits = self.limits
        block = session.get(RateLimitBlock, tenant_id)
        if block and as_utc(block.blocked_until) > now:
            return (as_utc(block.blocked_until) - now).total_seconds(), block.reason
        # A little wider than Xero's minute: our clock stamps a call before Xero receives it.
        minute_ago = now - limits.span(60.5) - timedelta(milliseconds=100)
        in_flight = session.exec(
            select(func.count(col(ApiCallSlot.id))).where(
                ApiCallSlot.tenant_id == tenant_id,
                col(ApiCallSlot.finished_at).is_(None),
                col(ApiCallSlot.started_at) > now - limits.span(120),  # a crashed caller's slot
            )
        ).one()
        if in_flight >= limits.in_flight:
            return 0.05, "concurrent"
        recent = list(
            session.exec(
                select(ApiCallSlot.started_at)
                .where(ApiCallSlot.tenant_id == tenant_id, col(ApiCallSlot.started_at) > minute_ago)
                .order_by(col(ApiCallSlot.started_at))
            )
        )
        if len(recent) >= limits.per_minute:
            oldest = as_utc(recent[len(recent) - limits.per_minute])
            return (oldest - minute_ago).total_seconds() + 0.001, "minute"
        app_minute = session.exec(
            select(func.count(col(ApiCallSlot.id))).where(col(ApiCallSlot.started_at) > minute_ago)
        ).one()
        if app_minute >= limits.app_per_minute:
            return 0.5, "app minute"
        day = session.exec(
            select(func.count(col(ApiCallSlot.id))).where(
                ApiCallSlot.tenant_id == tenant_id,
                col(ApiCallSlot.started_at) > now - limits.span(86400),
            )
        ).one()
        if day >= limits.per_day:
            return 60.0, "day"
        return 0.0, None

    def prune(self) -> int:
        """Forget slots older than the day window (no limit looks further back); returns how
        many went."""
        oldest_needed = utcnow() - self.limits.span(86400) - timedelta(minutes=1)
        with session_scope(self.engine) as session:
            result = session.exec(
                delete(ApiCallSlot).where(col(ApiCallSlot.started_at) < oldest_needed)
            )
            return result.rowcount or 0

    def _prune_now_and_then(self) -> None:
        """Prune at most every PRUNE_EVERY seconds per database and process."""
        key = str(self.engine.url)
        if time.monotonic() - _pruned_at.get(key, float("-inf")) < PRUNE_EVERY:
            return
        _pruned_at[key] = time.monotonic()
        self.prune()


PRUNE_EVERY = 300.0
_pruned_at: dict[str, float] = {}
