"""Xero's rate limits, kept across processes through the database.

Per organisation: at most 60 calls in any minute, 5 in flight, 5,000 a day. Every call
takes a slot row first; counting the rows under a lock tells whether it may start. Xero's
own signals win: a 429's Retry-After, or X-MinLimit-Remaining reaching 0, blocks the
organisation until then.
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
from sqlmodel import Session, select

from models import ApiCallSlot, RateLimitBlock, as_utc, utcnow
from services import metrics
from services.db import session_scope
from services.xero.errors import XeroRateLimited


@dataclass(frozen=True)
class Limits:
    per_minute: int = 60
    in_flight: int = 5
    per_day: int = 5000
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
                    .where(ApiCallSlot.id == slot_id)
                    .values(finished_at=utcnow())
                )

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
        while True:
            with session_scope(self.engine) as session:
                self._lock(session, tenant_id)
                now = utcnow()
                wait, reason = self._wait_needed(session, tenant_id, now)
                if wait <= 0:
                    slot = ApiCallSlot(tenant_id=tenant_id, started_at=now)
                    session.add(slot)
                    session.flush()
                    return int(slot.id)
            if self.max_wait is not None and wait > self.max_wait:
                raise XeroRateLimited(reason or "minute", wait)
            wait = min(max(wait, 0.01), 60.0)
            self.waited += wait
            metrics.LIMITER_WAIT.labels(limit=reason or "minute").observe(wait)
            self.sleep(wait)

    def _lock(self, session: Session, tenant_id: str) -> None:
        if self.engine.dialect.name == "postgresql":
            key = zlib.crc32(tenant_id.encode())
            session.exec(text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=key))
        else:
            # SQLite: a write takes the database lock at once, so the counts below are stable.
            session.exec(delete(ApiCallSlot).where(ApiCallSlot.id == -1))

    def _wait_needed(self, session: Session, tenant_id: str, now) -> tuple[float, str | None]:
        """Seconds to wait before a call may start, and which limit says so."""
        limits = self.limits
        block = session.get(RateLimitBlock, tenant_id)
        if block and as_utc(block.blocked_until) > now:
            return (as_utc(block.blocked_until) - now).total_seconds(), block.reason
        # A little wider than Xero's minute: our clock stamps a call before Xero receives it.
        minute_ago = now - limits.span(60.5) - timedelta(milliseconds=100)
        in_flight = session.exec(
            select(func.count(ApiCallSlot.id)).where(
                ApiCallSlot.tenant_id == tenant_id,
                ApiCallSlot.finished_at.is_(None),
                ApiCallSlot.started_at > now - limits.span(120),  # a crashed caller's slot
            )
        ).one()
        if in_flight >= limits.in_flight:
            return 0.05, "concurrent"
        recent = list(
            session.exec(
                select(ApiCallSlot.started_at)
                .where(ApiCallSlot.tenant_id == tenant_id, ApiCallSlot.started_at > minute_ago)
                .order_by(ApiCallSlot.started_at)
            )
        )
        if len(recent) >= limits.per_minute:
            oldest = as_utc(recent[len(recent) - limits.per_minute])
            return (oldest - minute_ago).total_seconds() + 0.001, "minute"
        day = session.exec(
            select(func.count(ApiCallSlot.id)).where(
                ApiCallSlot.tenant_id == tenant_id,
                ApiCallSlot.started_at > now - limits.span(86400),
            )
        ).one()
        if day >= limits.per_day:
            return 60.0, "day"
        return 0.0, None

    def prune(self) -> None:
        """Forget slots older than a day."""
        with session_scope(self.engine) as session:
            session.exec(
                delete(ApiCallSlot).where(
                    ApiCallSlot.started_at < utcnow() - self.limits.span(86400) - timedelta(1)
                )
            )
