"""The rate limiter holds across processes: no window ever sees more calls than Xero allows."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from sqlmodel import select

from models import ApiCallSlot, RateLimitBlock, as_utc, utcnow
from services import rate_limit
from services.db import session_scope
from services.rate_limit import Limits, RateLimiter
from services.xero.errors import XeroRateLimited

# A "minute" of 0.5 s real time, as with a sandbox whose rate clock is scaled by 120.
FAST = Limits(per_minute=4, in_flight=2, per_day=1000, clock_scale=120)


def starts(engine) -> list:
    with session_scope(engine) as session:
        return sorted(session.exec(select(ApiCallSlot.started_at)))


def assert_never_more_than(moments, limit: int, window: timedelta) -> None:
    for i, moment in enumerate(moments):
        inside = [m for m in moments[i:] if m - moment < window]
        assert len(inside) <= limit, (moment, len(inside))


def test_minute_limit_makes_the_fifth_call_wait(engine):
    limiter = RateLimiter(engine, FAST)
    for _ in range(5):
        with limiter.slot("org"):
            pass
    assert limiter.waited > 0.2
    assert_never_more_than(starts(engine), 4, FAST.span(60))


def test_a_block_from_retry_after_holds_the_next_call(engine):
    limiter = RateLimiter(engine, FAST)
    limiter.block("org", 0.3, "minute")
    with limiter.slot("org"):
        pass
    assert limiter.waited >= 0.25
    other = RateLimiter(engine, FAST)
    with other.slot("another-org"):
        pass
    assert other.waited == 0


def test_two_processes_share_one_limit(engine):
    script = textwrap.dedent(
        """
        import sys
        from services.db import get_engine
        from services.rate_limit import Limits, RateLimiter
        limiter = RateLimiter(get_engine(), Limits(per_minute=4, in_flight=2, clock_scale=120))
        for _ in range(6):
            with limiter.slot("org"):
                pass
        """
    )
    workers = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(2)]
    assert [w.wait(timeout=60) for w in workers] == [0, 0]
    moments = starts(engine)
    assert len(moments) == 12
    assert_never_more_than(moments, 4, FAST.span(60))


def test_the_app_wide_minute_limit_holds_across_organisations(engine):
    limits = Limits(per_minute=100, in_flight=10, per_day=1000, app_per_minute=3, clock_scale=120)
    limiter = RateLimiter(engine, limits)
    for org in ("org-a", "org-b", "org-c"):
        with limiter.slot(org):
            pass
    assert limiter.waited == 0
    with limiter.slot("org-d"):
        pass
    assert limiter.waited > 0
    assert_never_more_than(starts(engine), 3, limits.span(60))


def test_no_calls_left_this_minute_by_xeros_count_holds_the_organisation(engine):
    limiter = RateLimiter(engine, FAST)
    limiter.heard("org", minute_left=0, day_left=10)
    with limiter.slot("org"):
        pass
    assert limiter.waited >= FAST.span(60).total_seconds() * 0.9
    with session_scope(engine) as session:
        block = session.get(RateLimitBlock, "org")
        assert block is not None and block.reason == "minute"


def test_no_calls_left_today_refuses_a_page_rather_than_wait(engine):
    limiter = RateLimiter(engine, Limits(), max_wait=5)
    limiter.heard("org", minute_left=10, day_left=0)
    with pytest.raises(XeroRateLimited), limiter.slot("org"):
        pass


def test_slots_older_than_the_day_window_are_pruned_as_calls_are_made(engine):
    now = utcnow()
    with session_scope(engine) as session:
        session.add(ApiCallSlot(tenant_id="org", started_at=now - timedelta(days=2)))
        session.add(ApiCallSlot(tenant_id="org", started_at=now - timedelta(hours=23)))
    rate_limit._pruned_at.clear()
    with RateLimiter(engine, Limits()).slot("org"):
        pass
    moments = starts(engine)
    assert len(moments) == 2
    assert min(as_utc(m) for m in moments) > now - timedelta(days=1)
