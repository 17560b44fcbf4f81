"""The parts bench/suite.py runs, each in a child process: their figures as plain dicts (JSON)
with the Markdown the report shows for them."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from argparse import Namespace
from pathlib import Path

from bench.sandbox import (
    database_name,
    own_database,
    point_settings_at,
    running_sandbox,
)


def run(part: str, args) -> dict:
    return {
        "send": send,
        "fairness": fairness,
        "queries": queries,
        "pages": pages,
        "memory": memory,
    }[part](args)


def send(args) -> dict:
    """bench/__main__.py's push remaining (sustained, CPU, commits, RSS) and one payment pull
    over a table of sent shipments, on a fresh database of this kind."""
    from bench.__main__ import payment_pull_memory
    from bench.__main__ import run as send_run
    from bench.pages_table import shipments_table
    from bench.results import section

    # Full: 3,000 shipments at ×2 are five Xero minutes at the ceiling after the first burst.
    options = Namespace(
        shipments=600 if args.quick else 3000,
        baseline=0 if args.quick else 100,
        scale=10.0 if args.quick else 2.0,
        table_rows=10_000 if args.quick else 100_000,
    )
    base = None if args.database_url.startswith("sqlite") else args.database_url
    work = Path(tempfile.mkdtemp(prefix="shipbridge-bench-"))
    with (
        running_sandbox(work, scale=options.scale) as sandbox_url,
        own_database(base, work) as database_url,
    ):
        point_settings_at(sandbox_url=sandbox_url, database_url=database_url, scale=options.scale)
        figures = send_run(options, sandbox_url)
        figures["table"] = shipments_table(options.table_rows, timed=False)
        figures["pull"] = payment_pull_memory(options.table_rows)
    database = database_name(args.database_url)
    # The suite's report heads it; the queries part times the pages' queries.
    markdown = [line for line in section(options, figures, database)[2:] if "not timed" not in line]
    return figures["ours"] | {"pull": figures["pull"], "markdown": "\n".join(markdown)}


def fair_url(url: str) -> str | None:
    """The database bench/fairness.py may drop and create: beside the given one."""
    if url.startswith("sqlite"):
        return None
    base, _, name = url.rpartition("/")
    return f"{base}/{name.split('?')[0]}_fair"


def fairness(args) -> dict:
    from bench import fairness as bench_fairness

    out = Path(tempfile.mkdtemp(prefix="bench-fair-")) / "runs.json"
    options = ["--json", str(out)]
    if args.quick:
        options += ["--xero-minutes", "1", "--warm-up", "1", "--scale", "4", "--runs", "1x1,3x1"]
    else:
        options += ["--xero-minutes", "5", "--warm-up", "1", "--scale", "4"]
    url = fair_url(args.database_url)
    bench_fairness.main(options + (["--database-url", url] if url else []))
    import json

    runs = json.loads(out.read_text())
    rows = [
        f"| {r['organisations']} | {r['workers']} | {r['per_minute']:,.0f} | "
        f"{r['processed']:,} | {r['too_many']} | {r['minutes']:.1f} |"
        for r in runs
    ]
    markdown = [
        f"`python -m bench.fairness {' '.join(options[2:])}`: the real worker process(es), "
        "sandbox in its own process, sustained rate after the warm-up.",
        "",
        "| organisations | workers | shipments per Xero minute | counted | 429s | Xero minutes |",
        "| --- | --- | --- | --- | --- | --- |",
        *rows,
    ]
    return {"runs": runs, "markdown": "\n".join(markdown)}


def queries(args) -> dict:
    from bench import queries as bench_queries

    results, seeded = {}, {}
    for size in args.sizes:
        engine = bench_queries.database_for(args.database_url, size)
        started = time.perf_counter()
        bench_queries.seeded(engine, size)
        seeded[size] = round(time.perf_counter() - started, 1)
        results[size] = bench_queries.measure(engine, size, 3 if args.quick else 5)
        engine.dispose()
    medians = {
        str(size): {name: statistics.median(runs) for name, runs in timings.items()}
        for size, timings in results.items()
    }
    markdown = bench_queries.table(results, database_name(args.database_url))
    return {"by_size": medians, "seed_seconds": seeded, "markdown": markdown}


def pages(args) -> dict:
    """Every page in a real browser at each size, over the queries' seeded databases."""
    from bench import page_timings
    from bench.memory import app_environment, ensure_user

    by_size, tables = {}, []
    for size in args.sizes:
        work = Path(tempfile.mkdtemp(prefix="bench-pages-"))
        with (
            running_sandbox(work, scale=1.0) as sandbox_url,
            _page_database(args.database_url, size) as url,
        ):
            env = app_environment(url, sandbox_url)
            ensure_user(env)
            ids = page_timings.some_shipment_ids(url, 200)
            with page_timings.running_app(env, work / "app.log") as app_url:
                samples = page_timings.measure(
                    {"app": app_url}, list(page_timings.PAGES), 1 if args.quick else 3, ids
                )
        by_size[str(size)] = {
            f"{page} {what}": statistics.median(values)
            for (page, what, _), values in samples.items()
        }
        tables += [
            f"At {size:,} shipments (seconds):",
            "",
            page_timings.table(samples, ["app"]),
            "",
        ]
    return {"by_size": by_size, "markdown": "\n".join(tables)}


def _page_database(base: str, size: int):
    """PostgreSQL: an overlay over the seeded schema (its big tables only read); SQLite: the
    seeded file itself (the app adds its user and sessions to it)."""
    from contextlib import nullcontext

    from bench import page_timings
    from services.db import normalise_url

    url = normalise_url(base)
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        return nullcontext(f"sqlite:///{path.with_name(f'{path.stem}-{size}.sqlite3')}")
    return page_timings.overlay(url, f"bench_{size}")


def memory(args) -> dict:
    from bench import memory as bench_memory

    sizes = sorted({bench_memory.SMALL, max(args.sizes)})
    work = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    scale = 10.0
    figures = {}
    with running_sandbox(work, scale=scale) as sandbox_url:
        point_settings_at(sandbox_url=sandbox_url, database_url=args.database_url, scale=scale)
        for size in sizes:
            time.sleep(60 / scale)  # one Xero minute: the last size's calls out of the window
            figures[str(size)] = bench_memory.measure(args.database_url, size, sandbox_url)
            print(f"  memory at {size:,}: {figures[str(size)]}", file=sys.stderr, flush=True)
    return {"by_size": figures, "markdown": bench_memory.table(figures)}
