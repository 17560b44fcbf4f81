"""The rate limiter's SQL (services/rate_limit.py): the one conditional UPDATE that takes a
slot, and the rolling window kept in a fixed-width string of call stamps that it and the
app-wide row share. Apart from the limiter's bookkeeping (its waits, blocks and app-wide
chunks) because it is pure statement building: given the limits and a moment, it reads no
clock and touches no database, and the statement is built once per set of limits, its values
bound at each call (bench/limiter_cost.py compiles it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import String, bindparam, case, exists, func, or_, update
from sqlmodel import col

from models import RateLimitBlock, RateLimitState

if TYPE_CHECKING:
    from services.rate_limit import Limits

STAMP = 15  # characters per call start in `recent`: epoch milliseconds, zero-padded
APP_CHUNK = 50  # app-wide calls a process takes at once
STALE_IN_FLIGHT = 120.0  # seconds (Xero time): a slot older than this was a crashed caller's


def stamp(moment: datetime) -> str:
    return f"{int(moment.timestamp() * 1000):0{STAMP}d}"


@lru_cache(maxsize=16)
def taking_statement(limits: Limits):
    """`taking_update` built once per set of limits with its moment and organisation as
    bound parameters (given at each call by `taking_values`): a call neither builds the
    statement nor re-keys it for SQLAlchemy's compiled cache."""
    moment = RateLimitState.__table__.c.last_call_at.type  # type: ignore[attr-defined]
    stamps = ("now_stamp", "cutoff")
    return taking_update(
        limits,
        **{
            name: bindparam(name, type_=String() if name in stamps else moment)
            for name in ("now", "now_block", "now_stamp", "cutoff", "stale", "day_ago")
        },
        tenant=bindparam("tenant", type_=String()),
    )


def taking_update(limits: Limits, *, tenant, now, now_block, now_stamp, cutoff, stale, day_ago):
    """The UPDATE that takes a slot at `now` if every limit allows it, returning the
    organisation's recent calls; each argument a value or a bound parameter."""
    state = RateLimitState
    fits, appended = ring_stamped(col(state.recent), limits.per_minute, now_stamp, cutoff)
    new_day = or_(col(state.day_start).is_(None), col(state.day_start) <= day_ago)
    in_flight_stale = or_(col(state.last_call_at).is_(None), col(state.last_call_at) <= stale)
    blocked = exists().where(
        col(RateLimitBlock.tenant_id) == tenant, col(RateLimitBlock.blocked_until) > now_block
    )
    return (
        update(state)
        .where(
            col(state.tenant_id) == tenant,
            fits,
            or_(col(state.in_flight) < limits.in_flight, in_flight_stale),
            or_(col(state.day_calls) < limits.per_day, new_day),
            ~blocked,
        )
        .values(
            recent=appended,
            in_flight=case((in_flight_stale, 1), else_=col(state.in_flight) + 1),
            last_call_at=now,
            day_start=case((new_day, now), else_=col(state.day_start)),
            day_calls=case((new_day, 1), else_=col(state.day_calls) + 1),
        )
        .returning(col(state.recent))
    )


def taking_values(limits: Limits, tenant_id: str, now: datetime) -> dict:
    """The values `taking_statement` is run with for a call at `now` (the limiter's clock:
    services/rate_limit.py reads it)."""
    return {
        "tenant": tenant_id,
        "now": now,
        "now_block": now,
        "now_stamp": stamp(now),
        "cutoff": stamp(now - limits.window()),
        "stale": now - limits.span(STALE_IN_FLIGHT),
        "day_ago": now - limits.span(86400),
    }


def app_chunks(limits: Limits) -> tuple[int, int]:
    """App-wide calls per chunk a process takes, and how many chunks fit in a minute."""
    chunk = max(1, min(APP_CHUNK, limits.app_per_minute // 100))
    return chunk, max(limits.app_per_minute // chunk, 1)


def ring(recent, n: int, now: datetime, window: timedelta):
    """For a row keeping its last `n` start times in `recent` (oldest first): the condition
    that one more fits in the rolling `window` (the oldest of the `n` is out of it), and the
    new value (the oldest dropped, now appended; never earlier than the newest kept)."""
    return ring_stamped(recent, n, stamp(now), stamp(now - window))


def ring_stamped(recent, n: int, stamp, cutoff):
    """`ring` with the call's stamp and the window's start (`cutoff`) given as stamps:
    values, or bound parameters for a statement built once."""
    newest = func.substr(recent, (n - 1) * STAMP + 1, STAMP)
    later = case((newest > stamp, newest), else_=stamp)
    fits = (func.length(recent) == n * STAMP) & (func.substr(recent, 1, STAMP) <= cutoff)
    return fits, func.substr(recent, STAMP + 1).op("||")(later)
