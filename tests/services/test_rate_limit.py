"""The rate limiter holds across processes: no window ever sees more calls than Xero allows,
it answers "when may this organisation call" without waiting, and a call costs one statement
whatever the history (xero-facts.md §13: 60 calls a rolling minute, 5 in flight, the day's
limit, 10,000 a minute app-wide)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import func, select

from models import RateLimitBlock, RateLimitState, as_utc, utcnow
from services import rate_limit
from services.db import session_scope
from services.rate_limit import Limits, MustWait, RateLimiter, deferring
from services.xero.errors import XeroRateLimited

# A "minute" of 3 s real time, as with a sandbox whose rate clock is scaled by 20.
FAST = Limits(per_minute=4, in_flight=2, per_day=1000, clock_scale=20)


def calls(limiter: RateLimiter, tenant: str, n: int, moments: list[datetime]) -> None:
    """`n` calls, each noting when its slot was given."""
    for _ in range(n):
        with limiter.slot(tenant):
            moments.append(utcnow())


def assert_never_more_than(moments, limit: int, window: timedelta) -> None:
    moments = sorted(moments)
    for i, moment in enumerate(moments):
        inside = [m for m in moments[i:] if m - moment < window]
        assert len(inside) <= limit, (moment, len(inside))


def test_minute_limit_makes_the_fifth_call_wait(engine):
    limiter = RateLimiter(engine, FAST)
    moments: list[datetime] = []
    calls(limiter, "org", 5, moments)
    assert limiter.waited > 0.2
    assert_never_more_than(moments, 4, FAST.span(60))


def test_a_block_from_retry_after_holds_the_next_call(engine):
    limiter = RateLimiter(engine, FAST)
    calls(limiter, "warm-up", 1, [])  # the tables' first use is not counted as waiting
    limiter.block("org", 0.3, "minute")
    until, reason = limiter.next_call_at("org")
    assert reason == "minute"
    moments: list[datetime] = []
    calls(limiter, "org", 1, moments)
    assert limiter.waited > 0
    assert moments[0] >= until
    other = RateLimiter(engine, FAST)
    with other.slot("another-org"):
        pass
    assert other.waited == 0


def test_two_processes_share_one_limit(engine):
    script = textwrap.dedent(
        """
        from models import utcnow
        from services.db import get_engine
        from services.rate_limit import Limits, RateLimiter
        limiter = RateLimiter(get_engine(), Limits(per_minute=4, in_flight=2, clock_scale=20))
        for _ in range(6):
            with limiter.slot("org"):
                print(utcnow().isoformat(), flush=True)
        """
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=60)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0]
    moments = [datetime.fromisoformat(line) for out in outputs for line in out.split()]
    assert len(moments) == 12
    assert_never_more_than(moments, 4, FAST.span(60))


def test_the_app_wide_minute_limit_holds_across_organisations(engine):
    limits = Limits(per_minute=100, in_flight=10, per_day=1000, app_per_minute=3, clock_scale=20)
    # Each organisation's row made first, so the moments below are the calls' own.
    warm = RateLimiter(engine, Limits(per_minute=100, in_flight=10, per_day=1000))
    for org in ("org-a", "org-b", "org-c", "org-d"):
        calls(warm, org, 1, [])
    rate_limit._app_grants.clear()  # this process's share of the app's minute, forgotten
    limiter = RateLimiter(engine, limits)
    moments: list[datetime] = []
    for org in ("org-a", "org-b", "org-c"):
        calls(limiter, org, 1, moments)
    assert limiter.waited == 0
    calls(limiter, "org-d", 1, moments)
    assert limiter.waited > 0
    assert_never_more_than(moments, 3, limits.span(60))


def test_no_calls_left_this_minute_by_xeros_count_holds_the_organisation(engine):
    limiter = RateLimiter(engine, FAST)
    calls(limiter, "warm-up", 1, [])  # the tables' first use is not counted as waiting
    limiter.heard("org", minute_left=0, day_left=10)
    with session_scope(engine) as session:
        block = session.get(RateLimitBlock, "org")
        assert block is not None and block.reason == "minute"
        until = as_utc(block.blocked_until)
    moments: list[datetime] = []
    calls(limiter, "org", 1, moments)
    assert limiter.waited > 0
    assert moments[0] >= until  # the call went only once the minute was out


def test_no_calls_left_today_refuses_a_page_rather_than_wait(engine):
    limiter = RateLimiter(engine, Limits(), max_wait=5)
    limiter.heard("org", minute_left=10, day_left=0)
    with pytest.raises(XeroRateLimited), limiter.slot("org"):
        pass


def test_a_lease_holder_is_told_when_instead_of_sleeping(engine):
    limiter = RateLimiter(engine, FAST)
    calls(limiter, "org", 4, [])
    until, reason = limiter.next_call_at("org")
    assert reason == "minute" and until > utcnow()
    with pytest.raises(MustWait) as told, deferring(), limiter.slot("org"):
        pass
    assert limiter.waited == 0  # it never slept
    assert told.value.until >= until - timedelta(milliseconds=5)
    # Another organisation may call at once.
    at, _ = limiter.next_call_at("another-org")
    assert at <= utcnow()


def test_the_day_limit_says_when_the_day_opens(engine):
    limits = Limits(per_minute=100, in_flight=10, per_day=3, clock_scale=20)
    limiter = RateLimiter(engine, limits)
    calls(limiter, "org", 3, [])
    until, reason = limiter.next_call_at("org")
    assert reason == "day"
    assert until > utcnow() + limits.span(86400) * 0.9


def test_a_call_is_one_statement_and_the_table_does_not_grow(engine):
    limits = Limits(per_minute=10**6 // 1000, in_flight=10**6, per_day=10**9)
    limiter = RateLimiter(engine, limits)
    calls(limiter, "org", 2, [])  # the organisation's and the app's rows now exist
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        calls(limiter, "org", 20, [])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    takes = [s for s in statements if "recent" in s and s.lstrip().upper().startswith("UPDATE")]
    releases = [s for s in statements if "in_flight" in s and s not in takes]
    assert len(takes) == 20  # one statement takes the slot, counting every limit
    assert len(statements) - len(takes) - len(releases) <= 1  # at most an app-wide chunk
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(RateLimitState)).one() == 2
