"""Xero's rate limits, per organisation and app-wide, on the sandbox's limiter clock.

Per tenant: 60 calls in a rolling minute, the app's day limit (5,000; 1,000 on the Starter
tier) in a rolling day, 5 in flight.
App-wide: 10,000 calls in a rolling minute. A call that is refused does not count.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict, deque
from dataclasses import dataclass

from xero_sandbox.clock import SandboxClock

MINUTE_LIMIT = 60
DAY_LIMIT = 5000
CONCURRENT_LIMIT = 5
APP_MINUTE_LIMIT = 10_000
MINUTE = 60.0
DAY = 86_400.0


@dataclass(frozen=True)
class Decision:
    """The limiter's answer for one call: allowed, or which limit it hit."""

    allowed: bool
    headers: dict[str, str]
    problem: str | None = None
    retry_after: int = 0


class RateLimiter:
    """Counts calls per tenant and app-wide, in rolling windows."""

    def __init__(self, clock: SandboxClock, day_limit: int = DAY_LIMIT) -> None:
        self._clock = clock
        # Settable while running (control API): the app's pricing tier decides it.
        self.day_limit = day_limit
        self._lock = threading.Lock()
        self._minute: dict[str, deque[float]] = defaultdict(deque)
        self._day: dict[str, deque[float]] = defaultdict(deque)
        self._app: deque[float] = deque()
        self._in_flight: dict[str, int] = defaultdict(int)

    def reset(self) -> None:
        """Forget every window (in-flight calls keep their slots)."""
        with self._lock:
            self._minute.clear()
            self._day.clear()
            self._app.clear()

    def acquire(self, tenant_id: str) -> Decision:
        """Admit a call for ``tenant_id`` or say which limit refuses it."""
        with self._lock:
            now = self._clock.limiter_seconds()
            minute, day = self._minute[tenant_id], self._day[tenant_id]
            _expire(minute, now - MINUTE)
            _expire(day, now - DAY)
            _expire(self._app, now - MINUTE)
            refusal = None
            if self._in_flight[tenant_id] >= CONCURRENT_LIMIT:
                refusal = ("concurrent", 1.0)
            elif len(minute) >= MINUTE_LIMIT:
                refusal = ("minute", minute[0] + MINUTE - now)
            elif len(day) >= self.day_limit:
                refusal = ("day", day[0] + DAY - now)
            elif len(self._app) >= APP_MINUTE_LIMIT:
                refusal = ("appminute", self._app[0] + MINUTE - now)
            if refusal is None:
                minute.append(now)
                day.append(now)
                self._app.append(now)
                self._in_flight[tenant_id] += 1
            headers = self._headers_locked(tenant_id)
        if refusal is None:
            return Decision(True, headers)
        problem, wait = refusal
        retry_after = max(1, math.ceil(self._clock.to_real_seconds(max(wait, 0.0))))
        return Decision(False, headers, problem, retry_after)

    def release(self, tenant_id: str) -> None:
        """Free the in-flight slot taken by :meth:`acquire`."""
        with self._lock:
            self._in_flight[tenant_id] = max(0, self._in_flight[tenant_id] - 1)

    def in_flight(self, tenant_id: str) -> int:
        """How many calls for the tenant are being served right now."""
        with self._lock:
            return self._in_flight[tenant_id]

    def headers(self, tenant_id: str) -> dict[str, str]:
        """The X-*Limit-Remaining headers for a tenant, now."""
        with self._lock:
            now = self._clock.limiter_seconds()
            _expire(self._minute[tenant_id], now - MINUTE)
            _expire(self._day[tenant_id], now - DAY)
            _expire(self._app, now - MINUTE)
            return self._headers_locked(tenant_id)

    def _headers_locked(self, tenant_id: str) -> dict[str, str]:
        return {
            "X-MinLimit-Remaining": str(max(0, MINUTE_LIMIT - len(self._minute[tenant_id]))),
            "X-DayLimit-Remaining": str(max(0, self.day_limit - len(self._day[tenant_id]))),
            "X-AppMinLimit-Remaining": str(max(0, APP_MINUTE_LIMIT - len(self._app))),
        }


def _expire(window: deque[float], cutoff: float) -> None:
    while window and window[0] <= cutoff:
        window.popleft()
