"""The rate limiter's cost per Xero call (take a slot, give it back) on an empty table and
after 365 days of calls at the daily cap (5,000 a day for one organisation): as it runs
(pruned to the day window) and, to show the index alone, unpruned. SQLite, in its own
temporary database. Writes its section of bench/RESULTS.md.

    python -m bench.limiter_cost [--calls 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
HEADING = "## Rate limiter cost per call"
DAILY_CAP = 5000
DAYS = 365


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.limiter_cost")
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="shipbridge-limiter-"))
    os.environ.update(
        DATABASE_URL=f"sqlite:///{work / 'limiter.sqlite3'}",
        SHIPBRIDGE_SECRET_KEY=Fernet.generate_key().decode(),
    )
    from services import rate_limit
    from services.db import get_engine, migrate

    engine = get_engine()
    migrate(engine)
    # Never held back: the figure is the cost of the counting, not of waiting.
    limits = rate_limit.Limits(per_minute=10**9, in_flight=10**9, per_day=10**9)
    limiter = rate_limit.RateLimiter(engine, limits)
    figures = {"empty table": cost(limiter, args.calls)}
    rows = fill_a_year(engine)
    # Unpruned first: stop the limiter pruning for this measurement.
    rate_limit._pruned_at[str(engine.url)] = time.monotonic()
    figures[f"{DAYS} days at the cap, unpruned ({rows:,} rows)"] = cost(limiter, args.calls)
    rate_limit._pruned_at.clear()
    started = time.perf_counter()
    gone = limiter.prune()
    prune_ms = (time.perf_counter() - started) * 1000
    figures[f"{DAYS} days at the cap, pruned as it runs"] = cost(limiter, args.calls)
    write_section(args, figures, gone, prune_ms)
    return 0


def cost(limiter, calls: int) -> float:
    """Median milliseconds for one slot taken and given back."""
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        with limiter.slot("org"):
            pass
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def fill_a_year(engine) -> int:
    """DAILY_CAP calls a day for DAYS days, ending now, spread evenly."""
    from sqlalchemy import insert

    from models import ApiCallSlot, utcnow

    now = utcnow()
    step = timedelta(days=1) / DAILY_CAP
    total = DAILY_CAP * DAYS
    with engine.begin() as connection:
        for start in range(0, total, 50_000):
            connection.execute(
                insert(ApiCallSlot),
                [
                    {
                        "tenant_id": "org",
                        "started_at": now - step * (n + 1),
                        "finished_at": now - step * (n + 1),
                    }
                    for n in range(start, min(start + 50_000, total))
                ],
            )
    return total


def write_section(args, figures: dict[str, float], pruned: int, prune_ms: float) -> None:
    """Put this run's section in bench/RESULTS.md in place of the last one."""
    empty = figures["empty table"]
    lines = [
        HEADING,
        "",
        f"SQLite, median of {args.calls} calls (take a slot, give it back), one organisation. "
        "Goal: after a year of calls within 2× of the empty table.",
        "",
        "| table | ms per call | × empty |",
        "| --- | --- | --- |",
        *[f"| {name} | {ms:.2f} | {ms / empty:.2f} |" for name, ms in figures.items()],
        "",
        f"Pruning the year down to the day window removed {pruned:,} rows in {prune_ms:.0f} ms "
        "(once; the limiter then prunes every few minutes, a few hundred rows at a time).",
        "",
    ]
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    head, _, rest = text.partition(HEADING)
    following = rest.find("\n## ")
    tail = rest[following + 1 :] if rest and following >= 0 else ""
    RESULTS.write_text(
        head.rstrip("\n") + "\n\n" + "\n".join(lines) + ("\n" + tail if tail else "")
    )
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
