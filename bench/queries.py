"""How long each Shipments, Mapping and Dashboard query takes at 100,000 and 1,000,000
shipments (issue 16, goal 3: each ≤ 200 ms on SQLite and PostgreSQL).

    python -m bench.queries --database-url URL --sizes 100000,1000000 --repeat 5

Each size gets its own database: on PostgreSQL a schema `bench_<size>` in the database the URL
names (never its public schema: give it a database of its own, e.g. `createdb bench_queries`);
on SQLite a file `<name>-<size>.sqlite3` beside the one named. A database already seeded with
that many shipments is reused. Each query runs through the service function the page calls,
in a fresh session, `--repeat` times; the table gives the median and the fastest run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bench import query_seed
from models import Outcome, XeroConnection
from services import aliases, db, finance, integration_log, shipments
from services.integration_log import LogFilter
from services.paging import COUNT_CAP
from services.shipments import ShipmentFilter

GOAL_MS = 200
TODAY = query_seed.NOW.date()
SINCE_30_DAYS = query_seed.NOW - timedelta(days=29)
Query = Callable[[Session, int], object]


def _search(term: str) -> Query:
    return lambda s, _: shipments.list_shipments(
        session=s, flt=ShipmentFilter(search=term), page_size=50, count_cap=COUNT_CAP
    )


def _documents(view: finance.View) -> Query:
    return lambda s, _: finance.documents(
        session=s, today=TODAY, view=view, page_size=25, count_cap=COUNT_CAP
    )


def _check_all(session: Session, _: int) -> object:
    connection = session.exec(
        select(XeroConnection).where(XeroConnection.tenant_id == query_seed.TENANTS[0])
    ).one()
    return aliases.check_all(session=session, connection=connection)


QUERIES: dict[str, Query] = {
    "Shipments: page 1, newest first": lambda s, _: shipments.list_shipments(
        session=s, page_size=50, count_cap=COUNT_CAP
    ),
    "Shipments: unsent only, page 1": lambda s, _: shipments.list_shipments(
        session=s, flt=ShipmentFilter(unsent_only=True), page_size=50, count_cap=COUNT_CAP
    ),
    "Shipments: search by customer code": _search("CUST-0042"),
    "Shipments: search by product code": _search("PROD-00042"),
    "Shipments: search by shipment number": lambda s, size: _search(f"SHP-{size // 2:07d}")(
        s, size
    ),
    # Terms most shipment numbers contain: walked in page order (services/search.py).
    "Shipments: search by number prefix": _search("SHP-"),
    "Shipments: search by 2 digits": _search("42"),
    "Mapping: Check all": _check_all,
    "Dashboard: shipments by sync state": lambda s, _: shipments.counts_by_sync_state(session=s),
    "Dashboard: totals by currency": lambda s, _: shipments.totals_by_currency(session=s),
    "Dashboard: rejections, last 7 days": lambda s, _: integration_log.list_entries(
        session=s,
        flt=LogFilter(outcome=Outcome.REJECTED, since=query_seed.NOW - timedelta(days=7)),
        page_size=1,
    ),
    "Dashboard: paid / unpaid by currency": lambda s, _: finance.amounts_by_currency_and_status(
        session=s, today=TODAY
    ),
    "Dashboard: attempts per day (30 days)": lambda s, _: integration_log.attempts_since(
        session=s, since=SINCE_30_DAYS
    ),
    "Dashboard: top rejection reasons": lambda s, _: integration_log.rejection_reasons(
        session=s, since=SINCE_30_DAYS, limit=2000
    ),
    "Dashboard: customer rows, page 1": lambda s, _: finance.customer_balances(
        session=s, today=TODAY, limit=26
    ),
    "Dashboard: customer rows, a middle page": lambda s, _: finance.customer_balances(
        session=s, today=TODAY, after=("Customer CUST-1000", query_seed.TENANTS[0], ""), limit=26
    ),
    "Dashboard: customer picker": lambda s, _: finance.customers(session=s),
    "Dashboard: documents, All, page 1": _documents(finance.View.ALL),
    "Dashboard: documents, Overdue, page 1": _documents(finance.View.OVERDUE),
}


def database_for(url: str, size: int) -> Engine:
    """A migrated database of its own for `size` (see the module's docstring)."""
    url = db.normalise_url(url)
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        engine = create_engine(f"sqlite:///{path.with_name(f'{path.stem}-{size}.sqlite3')}")
        from sqlalchemy import event

        event.listen(engine, "connect", db._sqlite_pragmas)
    else:
        schema = f"bench_{size}"
        with create_engine(url).begin() as connection:
            connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        sep = "&" if "?" in url else "?"
        engine = create_engine(f"{url}{sep}options=-csearch_path%3D{schema}")
    db.migrate(engine)
    return engine


def seeded(engine: Engine, size: int) -> None:
    """Seed `size` shipments unless the database already holds exactly that many."""
    with engine.connect() as connection:
        found = connection.execute(text("SELECT count(*) FROM shipment")).scalar_one()
    if found == size:
        print(f"  reusing {size:,} seeded shipments", file=sys.stderr)
        return
    started = time.perf_counter()
    query_seed.seed(engine, size)
    if engine.dialect.name == "postgresql":  # as autovacuum would; the app never ANALYZEs SQLite
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.execute(text("VACUUM ANALYZE"))
    print(f"  seeded {size:,} in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def measure(engine: Engine, size: int, repeat: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    for name, query in QUERIES.items():
        for _ in range(repeat):
            with Session(engine) as session:
                started = time.perf_counter()
                query(session, size)
                timings.setdefault(name, []).append((time.perf_counter() - started) * 1000)
        print(f"  {name}: {statistics.median(timings[name]):.0f} ms", file=sys.stderr)
    return timings


def table(results: dict[int, dict[str, list[float]]], dialect: str) -> str:
    sizes = sorted(results)
    head = " | ".join(f"{size:,}: median / min ms" for size in sizes)
    lines = [
        f"Queries on {dialect}, {date.today()} (goal ≤ {GOAL_MS} ms each)",
        "",
        f"| query | {head} |",
        "|---" * (len(sizes) + 1) + "|",
    ]
    for name in QUERIES:
        cells = []
        for size in sizes:
            runs = results[size][name]
            median = statistics.median(runs)
            flag = "" if median <= GOAL_MS else " ✗"
            cells.append(f"{median:.0f} / {min(runs):.0f}{flag}")
        lines.append(f"| {name} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.queries")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--skip", action="append", default=[], help="leave out queries whose name has this"
    )
    parser.add_argument(
        "--only", action="append", default=[], help="run only queries whose name has this"
    )
    args = parser.parse_args(argv)
    for name in [n for n in QUERIES if any(part in n for part in args.skip)]:
        del QUERIES[name]
    for name in [n for n in QUERIES if args.only and not any(p in n for p in args.only)]:
        del QUERIES[name]
    results = {}
    dialect = "SQLite" if args.database_url.startswith("sqlite") else "PostgreSQL"
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"{dialect}, {size:,} shipments", file=sys.stderr)
        engine = database_for(args.database_url, size)
        seeded(engine, size)
        results[size] = measure(engine, size, args.repeat)
        engine.dispose()
    print(table(results, dialect))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
