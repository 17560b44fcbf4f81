"""The sandbox clock: real time plus a settable offset, and a scalable limiter clock.

Everything in the sandbox that depends on "now" (document date defaults, token
expiry, idempotency windows, rate-limit windows, UpdatedDateUTC stamps) reads
this clock, so tests can move time instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class SandboxClock:
    """Real UTC time shifted by an offset that tests can set or advance.

    The rate limiter reads :meth:`limiter_seconds`, which also runs ``factor``
    times faster than real time, so a benchmark can make a Xero "minute" last a
    second without changing any other behaviour.
    """

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._offset = offset_seconds
        self._factor = 1.0
        self._anchor_real = time.monotonic()
        self._anchor_scaled = 0.0

    @property
    def offset_seconds(self) -> float:
        """Seconds the sandbox clock is ahead of (or behind) real time."""
        return self._offset

    @property
    def rate_factor(self) -> float:
        """How many limiter seconds pass per real second."""
        return self._factor

    def now(self) -> datetime:
        """The sandbox's current time, timezone-aware UTC."""
        return datetime.fromtimestamp(self.timestamp(), tz=UTC)

    def timestamp(self) -> float:
        """The sandbox's current time as a POSIX timestamp."""
        return time.time() + self._offset

    def set_now(self, when: datetime) -> None:
        """Make the sandbox clock read ``when`` (naive means UTC)."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        with self._lock:
            self._offset = when.timestamp() - time.time()

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock forward (or back, if negative)."""
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        """Back to real time and a real-time limiter clock."""
        with self._lock:
            self._offset = 0.0
        self.set_rate_factor(1.0)

    def set_rate_factor(self, factor: float) -> None:
        """Make the limiter clock run ``factor`` times faster than real time."""
        if factor <= 0:
            raise ValueError("factor must be positive")
        with self._lock:
            self._anchor_scaled = self._scaled_locked()
            self._anchor_real = time.monotonic()
            self._factor = float(factor)

    def limiter_seconds(self) -> float:
        """Monotonic seconds for rate-limit windows: scaled, and shifted by the offset."""
        with self._lock:
            return self._scaled_locked() + self._offset

    def to_real_seconds(self, limiter_seconds: float) -> float:
        """Convert a limiter-clock duration into real seconds (for Retry-After)."""
        return limiter_seconds / self._factor

    def _scaled_locked(self) -> float:
        return self._anchor_scaled + (time.monotonic() - self._anchor_real) * self._factor
