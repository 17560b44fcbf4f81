"""Xero's rate limits, kept across processes through the database, one statement a call.

Per organisation: at most 60 calls in any rolling minute, 5 in flight, and the day's limit of
the app's pricing tier (services/budget.py: 1,000 on Starter, 5,000 otherwise). Each
organisation has one `rate_limit_state` row: the start times of its last 60 calls as a
fixed-width string (oldest first), its calls in flight, and its day's count. Taking a slot is
ONE conditional UPDATE of that row ("the oldest of the last 60 is more than a minute old, fewer
than 5 in flight, the day not used up, no block"), atomic on SQLite and on PostgreSQL (the row
lock serialises callers, and the condition reads only the row itself). Giving the slot back is
one UPDATE of the in-flight count. The table never grows with calls, so a call costs the same
after a year as on the first day. Across all organisations the app may make 10,000 calls a
minute: each process takes that in chunks from the app's own row (one statement per chunk).
Xero's own signals win: a 429's Retry-After, or X-MinLimit-Remaining / X-DayLimit-Remaining
reaching 0, blocks the organisation until then (`rate_limit_block`).

`next_call_at` answers "when may this organisation next call" without waiting, so the queue
can hand out another organisation's work instead (services/queue.py). Inside `deferring()` (the
worker, which holds a lease) a call that would have to wait raises `MustWait` instead of
sleeping; elsewhere (a page, a scheduled read) it waits up to `max_wait`.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col

from models import ApiCallSlot, RateLimitBlock, RateLimitState, as_utc, utcnow
from services import deferred_writes, metrics
from services.db import session_scope
from services.rate_limit_statements import (
    STALE_IN_FLIGHT,
    STAMP,
    app_chunks,
    ring,
    stamp,
    taking_statement,
    taking_update,
    taking_values,
)
from services.xero.errors import XeroRateLimited

APP_ROW = "*"  # the app-wide row (no tenant id is "*")


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

    def window(self) -> timedelta:
        """Xero's minute, a little wider: our clock stamps a call before Xero receives it."""
        return self.span(60.5) + timedelta(milliseconds=100)


class MustWait(Exception):  # noqa: N818 - a signal, not a failure
    """Raised instead of sleeping inside `deferring()`: the organisation may call again at
    `until` (UTC). Nothing was sent by the call that raised it. Deliberately not a XeroError,
    so no send treats it as a failed try."""

    def __init__(self, tenant_id: str, until: datetime, reason: str):
        super().__init__(f"{tenant_id}: {reason} limit, next call at {until.isoformat()}")
        self.tenant_id, self.until, self.reason = tenant_id, until, reason


_deferring: contextvars.ContextVar[bool] = contextvars.ContextVar("deferring", default=False)


@contextmanager
def deferring() -> Iterator[None]:
    """Inside: a call that would wait for a limit raises MustWait instead (a lease holder
    must never sleep)."""
    token = _deferring.set(True)
    try:
        yield
    finally:
        _deferring.reset(token)


def _moment(stamp: str) -> datetime:
    return datetime.fromtimestamp(int(stamp) / 1000, tz=utcnow().tzinfo)


class RateLimiter:
    """Take a slot before each Xero call for one organisation; give it back after."""

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
        # Checked after the slot is taken, immediately before the call goes (the send's fence).
        self.preflight: Callable[[Connection], None] | None = None
        self._recent: dict[str, str] = {}  # each organisation's `recent` as last taken

    @contextmanager
    def slot(self, tenant_id: str) -> Iterator[None]:
        # The preflight runs in the transaction that takes the slot (`_take`).
        self._acquire(tenant_id)
        try:
            yield
        finally:
            release = (
                update(RateLimitState)
                .where(col(RateLimitState.tenant_id) == tenant_id)
                .where(col(RateLimitState.in_flight) > 0)
                .values(in_flight=col(RateLimitState.in_flight) - 1)
            )
            # Inside a send: given back in the transaction that applies its answers (one
            # slot a send at most; services/deferred_writes.py), else committed now.
            if not deferred_writes.add(release, once="slot"):
                with self.engine.begin() as connection:
                    connection.execute(release)

    # -- taking a slot -------------------------------------------------------------------

    def _acquire(self, tenant_id: str) -> None:
        while True:
            if self._app_granted(utcnow()) and self._take(tenant_id):
                return
            until, reason = self.next_call_at(tenant_id)
            wait = max((until - utcnow()).total_seconds(), 0.01)
            if _deferring.get():
                raise MustWait(tenant_id, max(until, utcnow()), reason)
            if self.max_wait is not None and wait > self.max_wait:
                raise XeroRateLimited(reason, wait)
            wait = min(wait, 60.0)
            self.waited += wait
            metrics.LIMITER_WAIT.labels(limit=reason).observe(wait)
            self.sleep(wait)

    def _take(self, tenant_id: str) -> bool:
        """The one statement: take a slot if every limit allows it now."""
        statement = taking_statement(self.limits)
        with self.engine.begin() as connection:
            values = taking_values(self.limits, tenant_id, utcnow())
            taken = connection.execute(statement, values).scalar()
            n = self.limits.per_minute
            if taken is None and self._made_ready(connection, tenant_id, n):
                values = taking_values(self.limits, tenant_id, utcnow())
                taken = connection.execute(statement, values).scalar()
            if taken is not None and self.preflight is not None:
                # Immediately before the call, in the same commit as the slot; raising here
                # (a send's fence lost) rolls the slot back: nothing is sent.
                self.preflight(connection)
        if taken is not None:
            self._recent[tenant_id] = taken
        return taken is not None

    def _taking(self, tenant_id: str, now: datetime):
        """The UPDATE that takes a slot at `now` if every limit allows it, returning the
        organisation's recent calls (its values bound: bench/limiter_cost.py compiles it)."""
        return taking_update(self.limits, **taking_values(self.limits, tenant_id, now))

    def _made_ready(self, connection: Connection, tenant_id: str, n: int) -> bool:
        """After a refused take: make the row if it is missing, or start its window again if
        it was kept for other limits (another tier, a test's small minute). True when either
        was done (the take is worth trying again)."""
        found = connection.execute(
            select(col(RateLimitState.recent)).where(col(RateLimitState.tenant_id) == tenant_id)
        ).scalar()
        if found is None:
            self._create(connection, tenant_id, n)
            return True
        if len(found) != n * STAMP:
            connection.execute(
                update(RateLimitState)
                .where(col(RateLimitState.tenant_id) == tenant_id)
                .values(recent="0" * STAMP * n)
            )
            return True
        return False

    def _create(self, connection: Connection, tenant_id: str, n: int) -> None:
        values = {"tenant_id": tenant_id, "recent": "0" * STAMP * n}
        if self.engine.dialect.name == "postgresql":
            connection.execute(
                postgresql.insert(RateLimitState).values(values).on_conflict_do_nothing()
            )
        else:
            connection.execute(
                sqlite.insert(RateLimitState).values(values).on_conflict_do_nothing()
            )

    def _app_granted(self, now: datetime) -> bool:
        """One of this process's app-wide calls, taking a new chunk when used up. The app's
        row keeps the grant times of the last (app limit / chunk) chunks, as an organisation's
        keeps its calls: no rolling minute sees more than the app's limit."""
        key = str(self.engine.url)
        with _app_lock:
            expires, left = _app_grants.get(key, (now, 0))
            if left > 0 and expires > now:
                _app_grants[key] = (expires, left - 1)
                return True
        chunk, chunks = app_chunks(self.limits)
        recent = col(RateLimitState.recent)
        fits, appended = ring(recent, chunks, now, self.limits.window())
        statement = (
            update(RateLimitState)
            .where(col(RateLimitState.tenant_id) == APP_ROW, fits)
            .values(recent=appended)
            .returning(col(RateLimitState.tenant_id))
        )
        with self.engine.begin() as connection:
            taken = connection.execute(statement).scalar()
            if taken is None and self._made_ready(connection, APP_ROW, chunks):
                taken = connection.execute(statement).scalar()
        if taken is None:
            return False
        with _app_lock:
            # A chunk counts from when it was granted: use it within the window or lose it.
            _app_grants[key] = (now + self.limits.window(), chunk - 1)
        return True

    # -- when may it call ----------------------------------------------------------------

    def next_call_at(self, tenant_id: str) -> tuple[datetime, str]:
        """When the organisation may next call (now or earlier: at once), and which limit
        says so; never waits."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(RateLimitState).where(col(RateLimitState.tenant_id) == tenant_id)
            ).first()
            block = connection.execute(
                select(RateLimitBlock).where(col(RateLimitBlock.tenant_id) == tenant_id)
            ).first()
            app = connection.execute(
                select(RateLimitState).where(col(RateLimitState.tenant_id) == APP_ROW)
            ).first()
        return ready_at(self.limits, row, block, app, utcnow())

    # -- what Xero said ------------------------------------------------------------------

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
        """True when our own last calls fill the minute (as of this process's last slot)."""
        recent = self._recent.get(tenant_id)
        if recent is None:
            return False
        cutoff = stamp(utcnow() - self.limits.span(61.5))
        return recent[:STAMP] > cutoff

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

    def prune(self) -> int:
        """Forget per-call rows of the old limiter (`api_call_slot`) older than the day
        window; the limiter no longer writes them. Returns how many went."""
        oldest_needed = utcnow() - self.limits.span(86400) - timedelta(minutes=1)
        with self.engine.begin() as connection:
            result = connection.execute(
                delete(ApiCallSlot).where(col(ApiCallSlot.started_at) < oldest_needed)
            )
            return result.rowcount or 0


def ready_at(limits: Limits, row, block, app, now: datetime) -> tuple[datetime, str]:
    """From an organisation's state row, its block and the app's row: when it may next call
    and which limit says so (a time at or before `now`: at once)."""
    moments: list[tuple[datetime, str]] = [(now, "none")]
    if block is not None and as_utc(block.blocked_until) > now:
        moments.append((as_utc(block.blocked_until), block.reason or "429"))
    if row is not None:
        recent = row.recent or ""
        if len(recent) == limits.per_minute * STAMP:
            moments.append((_moment(recent[:STAMP]) + limits.window(), "minute"))
        last = as_utc(row.last_call_at) if row.last_call_at else None
        if row.in_flight >= limits.in_flight and last and last > now - limits.span(STALE_IN_FLIGHT):
            moments.append((now + timedelta(milliseconds=50), "concurrent"))
        day_start = as_utc(row.day_start) if row.day_start else None
        if row.day_calls >= limits.per_day and day_start and day_start > now - limits.span(86400):
            moments.append((day_start + limits.span(86400), "day"))
    _chunk, chunks = app_chunks(limits)
    if app is not None and len(app.recent or "") == chunks * STAMP:
        moments.append((_moment(app.recent[:STAMP]) + limits.window(), "app minute"))
    return max(moments, key=lambda m: m[0])


_app_lock = threading.Lock()
_app_grants: dict[str, tuple[datetime, int]] = {}
# The old limiter pruned every PRUNE_EVERY seconds; kept for callers that set it.
PRUNE_EVERY = 300.0
_pruned_at: dict[str, float] = {}
