"""The rate limiter's cost per Xero call (take a slot, give it back) with an empty state and
after a simulated year of calls at the daily cap (365 × 5,000 calls for one organisation), on
SQLite or PostgreSQL. Writes its section of bench/RESULTS.md.

The limiter (services/rate_limit.py) keeps no per-call rows: one `rate_limit_state` row per
organisation (its last 60 call times, fixed width; in-flight and day counters) plus the app's
row "*". So "a year of history" is a year of UPDATEs to those rows, and what could make a call
dearer afterwards is what those updates leave behind: on PostgreSQL dead row versions (bloat,
HOT chains, until (auto)vacuum), on SQLite pages rewritten in place. The run therefore:

1. measures `--calls` real `limiter.slot()` calls on a fresh database (the first of the year);
2. replays the rest of the year, 1,825,000 calls in all, issuing the limiter's own statements
   (the conditional take UPDATE built by `RateLimiter._taking`, the give-back UPDATE, and the
   app row's chunk UPDATE about every fourth call, as a chunk outlives only ~3.5 calls at this
   rate), a simulated day per transaction so the replay fits in minutes rather than hours;
3. measures `--calls` real `limiter.slot()` calls again, on day 366.

Xero's real limits are used (60 a minute, 5 in flight, 5,000 a day, 10,000 a minute app-wide);
the limiter's clock (`rate_limit.utcnow`) is simulated and moves 86,400 / 5,000 = 17.28 s per
call, so every call is at the daily cap and no limit ever makes a call wait: the figure is the
cost of the counting. Timings are wall-clock per call, median and 90th percentile.

    python -m bench.limiter_cost [--calls 300] [--days 365] [--database-url postgresql://…]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
HEADING = "## Rate limiter cost per call"
DAILY_CAP = 5000
DAYS = 365
STEP = timedelta(days=1) / DAILY_CAP  # 17.28 s: exactly the daily cap, evenly spread
TENANT = "org"


class SimulatedClock:
    """The limiter's `utcnow`: a year starting 2025-01-01, moved on by `tick()`."""

    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, tzinfo=UTC)
        self.calls = 0  # ticks so far: one a call

    def __call__(self) -> datetime:
        return self.now

    def tick(self) -> datetime:
        self.calls += 1
        self.now += STEP
        return self.now


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.limiter_cost")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--days", type=int, default=DAYS, help="simulated days at the cap")
    parser.add_argument("--database-url", default=None, help="PostgreSQL; a temp SQLite if not")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    from bench.sandbox import own_database

    work = Path(tempfile.mkdtemp(prefix="shipbridge-limiter-"))
    with own_database(args.database_url, work) as url:
        os.environ.update(DATABASE_URL=url, SHIPBRIDGE_SECRET_KEY=Fernet.generate_key().decode())
        figures = run(args, url)
    database = "PostgreSQL" if args.database_url else "SQLite"
    lines = section_lines(args, database, figures)
    print("\n".join(lines))
    if not args.no_write:
        write_section(database, lines)
    return 0


def run(args, url: str) -> dict:
    from services import rate_limit
    from services.db import get_engine, migrate

    get_engine.cache_clear()
    engine = get_engine(url)
    migrate(engine)
    clock = SimulatedClock()
    real_utcnow = rate_limit.utcnow
    rate_limit.utcnow = clock
    rate_limit._app_grants.clear()
    try:
        limiter = rate_limit.RateLimiter(engine, rate_limit.Limits(), sleep=_never_sleeps)
        empty = cost(limiter, clock, args.calls)
        before = storage(engine)
        total = args.days * DAILY_CAP
        started = time.perf_counter()
        replay(engine, limiter, clock, total - args.calls)
        replay_s = time.perf_counter() - started
        after_year = storage(engine)
        year = cost(limiter, clock, args.calls)
        state = read_state(engine)
    finally:
        rate_limit.utcnow = real_utcnow
        rate_limit._app_grants.clear()
        engine.dispose()
        get_engine.cache_clear()
    return {
        "empty": empty,
        "year": year,
        "calls": total,
        "replay_s": replay_s,
        "storage_before": before,
        "storage_after": after_year,
        "state": state,
    }


def _never_sleeps(seconds: float) -> None:
    raise AssertionError(f"the limiter wanted to wait {seconds:.2f}s: the simulation is wrong")


def cost(limiter, clock: SimulatedClock, calls: int) -> dict[str, float]:
    """Milliseconds per call (slot taken and given back), each call 17.28 s after the last."""
    times = []
    for _ in range(calls):
        clock.tick()
        started = time.perf_counter()
        with limiter.slot(TENANT):
            pass
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"median": statistics.median(times), "p90": times[int(len(times) * 0.9) - 1]}


def replay(engine, limiter, clock: SimulatedClock, calls: int) -> None:
    """The limiter's own UPDATEs for `calls` calls at the cap, a simulated day a transaction:
    each statement is compiled once by SQLAlchemy from the limiter's own builders and then run
    through the driver with that call's values (building and compiling it 1.8 million times
    would take hours on this machine; the database sees the same statements either way)."""
    from sqlalchemy import update
    from sqlmodel import col

    from models import RateLimitState

    limits = limiter.limits
    give_back = (
        update(RateLimitState)
        .where(col(RateLimitState.tenant_id) == TENANT)
        .where(col(RateLimitState.in_flight) > 0)
        .values(in_flight=col(RateLimitState.in_flight) - 1)
    )
    take = Compiled(engine, lambda now: limiter._taking(TENANT, now), limits)
    back = Compiled(engine, lambda _now: give_back, limits)
    app = Compiled(engine, app_statement(limits), limits)
    chunk_until = clock.now
    done = 0
    while done < calls:
        # To the end of the simulated day: the first day began with the measured calls.
        today = min(DAILY_CAP - (clock.calls % DAILY_CAP), calls - done)
        with engine.begin() as connection, pipelined(connection) as cursor:
            for _ in range(today):
                now = clock.tick()
                if now >= chunk_until:  # the process's app-wide chunk ran out: a new one
                    app.run(cursor, now)
                    chunk_until = now + limits.window()
                take.run(cursor, now)
                back.run(cursor, now)
        done += today
        # Every replayed take was granted: a refused one would not have been counted.
        expected = clock.calls % DAILY_CAP or DAILY_CAP
        if day_calls(engine) != expected:
            raise AssertionError(f"day_calls {day_calls(engine)} after {clock.calls:,} calls")
    from services import rate_limit

    rate_limit._app_grants.clear()  # the measured calls take their own chunk


@contextmanager
def pipelined(connection) -> Iterator:
    """The driver's cursor; on PostgreSQL in pipeline mode (statements go without waiting for
    each answer, so the replay is not one network round trip per statement)."""
    raw = connection.connection.driver_connection
    cursor = raw.cursor()
    if connection.dialect.name != "postgresql":
        yield cursor
        return
    with raw.pipeline():
        yield cursor


def day_calls(engine) -> int:
    from sqlalchemy import select
    from sqlmodel import col

    from models import RateLimitState

    with engine.connect() as connection:
        found = connection.execute(
            select(col(RateLimitState.day_calls)).where(col(RateLimitState.tenant_id) == TENANT)
        ).scalar()
    return int(found or 0)


class Compiled:
    """One of the limiter's statements, compiled once, run with the values for a moment:
    which bound value is which function of `now` is found by compiling it for two moments."""

    def __init__(self, engine, build: Callable, limits) -> None:
        from services import rate_limit_statements as statements

        dialect = engine.dialect
        a = datetime(2030, 1, 1, tzinfo=UTC)
        b = a + timedelta(seconds=1.234)
        first, second = build(a).compile(dialect=dialect), build(b).compile(dialect=dialect)
        if first.string != second.string:
            raise AssertionError("the statement's text depends on the moment")
        self.sql = first.string
        self.pipelined = engine.dialect.name == "postgresql"  # answers are not read
        self.positional = first.positiontup
        self.processors = dict(first._bind_processors)
        deltas = [timedelta(0), limits.window(), limits.span(statements.STALE_IN_FLIGHT)]
        deltas.append(limits.span(86400))
        candidates = [(lambda now, d=d: now - d) for d in deltas]
        candidates += [(lambda now, d=d: statements.stamp(now - d)) for d in deltas]
        self.makers: dict[str, Callable] = {}
        for name, value in first.params.items():
            if value == second.params[name]:
                self.makers[name] = lambda _now, v=value: v
                continue
            found = [f for f in candidates if f(a) == value and f(b) == second.params[name]]
            if not found:
                raise AssertionError(f"bound value {name} is no known function of now")
            self.makers[name] = found[0]

    def run(self, cursor, now: datetime) -> None:
        values = {}
        for name, make in self.makers.items():
            value = make(now)
            process = self.processors.get(name)
            values[name] = process(value) if process else value
        if self.positional:
            cursor.execute(self.sql, [values[n] for n in self.positional])
        else:
            cursor.execute(self.sql, values)
        if not self.pipelined and cursor.description is not None:
            cursor.fetchall()


def app_statement(limits) -> Callable:
    """The app row's chunk UPDATE, as RateLimiter._app_granted builds it."""
    from sqlalchemy import update
    from sqlmodel import col

    from models import RateLimitState
    from services import rate_limit
    from services import rate_limit_statements as statements

    _chunk, chunks = statements.app_chunks(limits)

    def statement(now: datetime):
        fits, appended = statements.ring(col(RateLimitState.recent), chunks, now, limits.window())
        return (
            update(RateLimitState)
            .where(col(RateLimitState.tenant_id) == rate_limit.APP_ROW, fits)
            .values(recent=appended)
            .returning(col(RateLimitState.tenant_id))
        )

    return statement


def storage(engine) -> str:
    """What the state table occupies: PostgreSQL's relation size and row versions, SQLite's
    database pages."""
    from sqlalchemy import text

    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            size = connection.execute(
                text("SELECT pg_total_relation_size('rate_limit_state')")
            ).scalar()
            dead = connection.execute(
                text(
                    "SELECT n_live_tup, n_dead_tup FROM pg_stat_user_tables "
                    "WHERE relname = 'rate_limit_state' AND schemaname = current_schema()"
                )
            ).first()
            live, dead_rows = (dead[0], dead[1]) if dead else ("?", "?")
            return f"{size / 1024:,.0f} KiB (live rows {live}, dead row versions {dead_rows})"
        pages = connection.execute(text("PRAGMA page_count")).scalar()
        size = connection.execute(text("PRAGMA page_size")).scalar()
        return f"{pages * size / 1024:,.0f} KiB database file ({pages} pages)"


def read_state(engine) -> str:
    from sqlalchemy import select
    from sqlmodel import col

    from models import RateLimitState

    with engine.connect() as connection:
        row = connection.execute(
            select(RateLimitState).where(col(RateLimitState.tenant_id) == TENANT)
        ).first()
    if row is None:
        return "no row"
    return (
        f"`recent` {len(row.recent)} characters, day_calls {row.day_calls}, "
        f"in_flight {row.in_flight}"
    )


def section_lines(args, database: str, figures: dict) -> list[str]:
    empty, year = figures["empty"], figures["year"]
    ratio = year["median"] / empty["median"]
    return [
        f"### {database}",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores (nproc, shared with "
        f"other work: load average {os.getloadavg()[0]:.1f}), {database}. Median and p90 of "
        f"{args.calls} real `limiter.slot()` calls "
        "(take a slot, give it back), one organisation, Xero's real limits, the limiter's clock "
        f"simulated at the daily cap (one call every {STEP.total_seconds():g} s). Simulated: "
        f"{figures['calls']:,} calls ({args.days} days × {DAILY_CAP:,}), all but the first "
        f"{args.calls} replayed with the limiter's own UPDATE statements a simulated day per "
        f"transaction (replay took {figures['replay_s']:.0f} s). Goal: within 2× of empty.",
        "",
        "| state | ms per call (median) | ms per call (p90) | × empty (median) |",
        "| --- | ---: | ---: | ---: |",
        f"| empty (first calls) | {empty['median']:.2f} | {empty['p90']:.2f} | 1.00 |",
        f"| after {args.days} days at the cap | {year['median']:.2f} | {year['p90']:.2f} "
        f"| {ratio:.2f} |",
        "",
        f"State table before: {figures['storage_before']}; after {args.days} days: "
        f"{figures['storage_after']}. The organisation's row at the end: {figures['state']}.",
    ]


def write_section(database: str, lines: list[str]) -> None:
    """Put this database's subsection in bench/RESULTS.md's limiter section, keeping the
    other database's."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    head, found, rest = text.partition(HEADING)
    following = rest.find("\n## ") if found else -1
    body, tail = (rest[:following], rest[following + 1 :]) if following >= 0 else (rest, "")
    subsections = {}
    for part in body.split("\n### ")[1:]:
        subsections[part.split("\n", 1)[0].strip()] = "### " + part.rstrip("\n")
    subsections[database] = "\n".join(lines)
    intro = (
        "`python -m bench.limiter_cost [--database-url …]` (bench/limiter_cost.py explains the "
        "method): the limiter keeps one fixed-width row per organisation, so a year of calls "
        "is a year of UPDATEs to it, not a year of rows."
    )
    order = [d for d in ("SQLite", "PostgreSQL") if d in subsections]
    section = "\n\n".join([HEADING, intro, *(subsections[d] for d in order)])
    RESULTS.write_text(head.rstrip("\n") + "\n\n" + section + "\n" + ("\n" + tail if tail else ""))


if __name__ == "__main__":
    sys.exit(main())
