"""Push-remaining of 1,000 shipments against the sandbox with Xero's rate limits on, beside a
per-record baseline (one lookup and one create call per shipment). Writes bench/RESULTS.md.

The sandbox runs in its own process; its rate-limit clock and Shipbridge's limiter are both
scaled (SCALE× faster), so a Xero minute lasts 60/SCALE real seconds. Figures are reported in
Xero minutes, so they compare directly with Xero's ceiling of 60 calls (600 shipments at ten
a call) a minute per organisation.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.pages_table import shipments_table
from bench.results import SCRAPE_EVERY, write_results
from bench.sandbox import (
    ROOT,
    connect_organisation,
    free_port,
    own_database,
    point_settings_at,
    rss_mb,
    running_sandbox,
)
from bench.sandbox import wait_until_up as _wait
from tests.utils.statements import counted

__all__ = ["ROOT", "_wait", "free_port", "main"]  # bench/chaos.py imports these from here
# The other benchmarks `--with` runs, each a module of bench/ taking --database-url and
# writing its own section of RESULTS.md: fairness (1 vs 3 organisations, sustained) and
# queries (query times at 100k / 1M shipments).
EXTRAS = {
    "fairness": "bench.fairness",
    "queries": "bench.queries",
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL") or None,
        help="PostgreSQL URL to run on (a fresh schema in it); SQLite in a temporary file "
        "when not given",
    )
    # 3,000 shipments are 300 calls: five Xero minutes at the ceiling after the first burst.
    parser.add_argument("--shipments", type=int, default=3000)
    parser.add_argument("--baseline", type=int, default=100)
    parser.add_argument("--scale", type=float, default=2.0)
    parser.add_argument("--table-rows", type=int, default=100_000)
    # A Xero day in 300 real seconds; shipments sent in it on the Starter tier.
    parser.add_argument("--starter-scale", type=float, default=288.0)
    parser.add_argument("--starter-shipments", type=int, default=5000)
    parser.add_argument(
        "--with",
        dest="extras",
        default="",
        help="comma-separated further benchmarks to run on the same database: " + ", ".join(EXTRAS),
    )
    parser.add_argument(
        "--no-page-timings",
        action="store_true",
        help="add the table's rows (the payment pull reads them) without timing the pages' "
        "queries (bench/queries.py times them at 100k and 1M)",
    )
    parser.add_argument(
        "--only-send", action="store_true", help="the send path's section alone (no day, ...)"
    )
    args = parser.parse_args(argv)
    extras = [name for name in args.extras.split(",") if name]
    unknown = [name for name in extras if name not in EXTRAS]
    if unknown:
        parser.error(f"unknown --with {', '.join(unknown)}; known: {', '.join(EXTRAS)}")

    work = Path(tempfile.mkdtemp(prefix="shipbridge-bench-"))
    with (
        running_sandbox(work, scale=args.scale) as sandbox_url,
        own_database(args.database_url, work) as database_url,
    ):
        point_settings_at(sandbox_url=sandbox_url, database_url=database_url, scale=args.scale)
        figures = run(args, sandbox_url)
        figures["table"] = shipments_table(args.table_rows, timed=not args.no_page_timings)
        figures["pull"] = payment_pull_memory(args.table_rows)
    write_results(args, figures)
    if not args.only_send:
        # A Starter-tier day runs in its own process, sandbox and database (bench/budget_day.py)
        # and adds its section to RESULTS.md.
        day = ["--scale", str(args.starter_scale), "--shipments", str(args.starter_shipments)]
        subprocess.run([sys.executable, "-m", "bench.budget_day", *day], cwd=ROOT, check=True)
        # The limiter's cost per call, empty and after a year at the daily cap (its own database).
        subprocess.run([sys.executable, "-m", "bench.limiter_cost"], cwd=ROOT, check=True)
    for name in extras:
        run_extra(name, args.database_url)
    return 0


def run_extra(name: str, database_url: str | None) -> None:
    """One of the other benchmarks (EXTRAS), on the same kind of database."""
    module = EXTRAS[name]
    if not (ROOT / (module.replace(".", "/") + ".py")).exists():
        print(f"--with {name}: {module} is not there yet; skipped", file=sys.stderr)
        return
    url = database_url or f"sqlite:///{tempfile.mkdtemp(prefix=f'shipbridge-{name}-')}/b.sqlite3"
    subprocess.run([sys.executable, "-m", module, "--database-url", url], cwd=ROOT, check=True)


def open_jobs(engine) -> int:
    """Jobs still queued or running, all organisations."""
    from sqlmodel import col, func, select

    from models import JobStatus, SyncJob
    from services.db import session_scope

    due = (JobStatus.QUEUED, JobStatus.RUNNING)  # held ones wait for a reconnect: not here
    with session_scope(engine) as session:
        return session.exec(
            select(func.count(col(SyncJob.id))).where(col(SyncJob.status).in_(due))
        ).one()


def idle_until_opening(worker_id: str) -> None:
    """As the worker's loop does when nothing could be leased: sleep until the organisation's
    window opens (at most a second here)."""
    from models import as_utc, utcnow
    from services import worker

    opening = worker._next_opening.get(worker_id)  # noqa: SLF001 - the loop's own rule
    wait = (as_utc(opening) - utcnow()).total_seconds() if opening else 0.05
    time.sleep(min(max(wait, 0.01), 1.0))


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


def run(args, sandbox_url: str) -> dict:
    from services.db import get_engine, migrate, session_scope
    from services.demo import demo_shipments
    from services.queue import enqueue
    from services.shipment_edits import create_shipment
    from services.shipments import unsent_ids
    from services.worker import refresh_queue_metrics, run_once

    engine = get_engine()
    migrate(engine)
    connect_organisation(engine)

    total = args.shipments + args.baseline
    with session_scope(engine) as session:
        made = 0
        for n, (fields, lines, _) in enumerate(demo_shipments(total * 2, start=100001)):
            if n % 5 == 4:  # the generator's deliberately broken ones
                continue
            create_shipment(session=session, fields=fields, lines=lines, user="bench")
            made += 1
            if made == total:
                break
    with session_scope(engine) as session:
        ids = unsent_ids(session=session)
    batched, baseline = ids[: args.shipments], ids[args.shipments :]

    def calls_since(mark: int) -> list[dict]:
        return httpx.get(
            f"{sandbox_url}/_sandbox/calls", params={"since_id": mark}, timeout=30
        ).json()["calls"]

    def last_call_id() -> int:
        calls = calls_since(0)
        return calls[-1]["id"] if calls else 0

    # --- Shipbridge: push remaining, drained by a worker in batches of ten ----------------
    mark = last_call_id()
    with session_scope(engine) as session:
        enqueue(session=session, shipment_ids=batched, trigger="push remaining", user="bench")
    batch_cpu: list[float] = []
    per_batch: list[dict[str, int]] = []  # commits and statements
    rss_start = rss_mb()
    finished: list[tuple[float, int]] = []  # (seconds since start, shipments in the batch)
    # The queue depth as the worker's metrics show it, scraped every SCRAPE_EVERY batches.
    refresh_queue_metrics(engine=engine)
    depths = [scraped_queue_depth()]
    started = time.monotonic()
    waiting = open_jobs(engine)
    deferred = 0
    progress_at = time.monotonic()
    while waiting and time.monotonic() - progress_at < 120:  # stuck two minutes: stop
        with counted(engine) as seen:
            cpu = time.process_time()
            took = run_once(engine=engine, worker_id="bench")
            spent = time.process_time() - cpu
        left = open_jobs(engine)
        if not took:
            # The organisation is at its limit: the worker's idle loop sleeps until it opens.
            idle_until_opening("bench")
            waiting = left
            continue
        sent = waiting - left
        waiting = left
        progress_at = time.monotonic() if sent else progress_at
        if not sent:
            deferred += 1  # the limiter sent the lease back before any request: no batch
            continue
        batch_cpu.append(spent)
        per_batch.append(seen)
        finished.append((time.monotonic() - started, sent))
        if len(finished) % SCRAPE_EVERY == 0:
            refresh_queue_metrics(engine=engine)
            depths.append(scraped_queue_depth())
    elapsed = time.monotonic() - started
    refresh_queue_metrics(engine=engine)
    if depths[-1] or len(depths) == 1:
        depths.append(scraped_queue_depth())
    # Xero's window is rolling, so the first minute allows a burst of 60 calls; over a long
    # run the ceiling is 600 shipments a minute. Whether Shipbridge keeps up with it is its
    # capacity while the limiter does not hold it back: the first 50 batches.
    minute = 60 / args.scale
    head = finished[: min(50, len(finished))]
    capacity = sum(n for _, n in head) / (head[-1][0] / minute) if head else 0.0
    # Sustained: the batches finished after the first Xero minute (its burst of 60 calls
    # left out), over the time they took.
    later = [(t, n) for t, n in finished if t > minute]
    sustained = (
        sum(n for _, n in later) / ((later[-1][0] - minute) / minute)
        if len(later) > 1 and later[-1][0] > minute
        else 0.0
    )
    steady_cpu = batch_cpu[1:]  # the first batch also reads Xero's reference data
    calls = calls_since(mark)
    with session_scope(engine) as session:
        from sqlmodel import func, select

        from models import Shipment

        processed = session.exec(
            select(func.count(Shipment.id)).where(
                Shipment.id.in_(batched), Shipment.sync_state == "Processed"
            )
        ).one()
    xero_minutes = elapsed * args.scale / 60
    ours = {
        "shipments": len(batched),
        "processed": processed,
        "api_calls": len(calls),
        "calls_per_shipment": len(calls) / len(batched),
        "throughput": processed / xero_minutes,
        "capacity": capacity,
        "429s": sum(1 for c in calls if c["status"] == 429),
        "sustained": sustained,
        "sustained_minutes": (finished[-1][0] - minute) / minute if finished else 0.0,
        "cpu_ms_per_batch_median": statistics.median(steady_cpu) * 1000,
        "cpu_ms_per_batch_p90": p90(steady_cpu) * 1000,
        "commits_per_batch": statistics.median(b["commits"] for b in per_batch[1:]),
        "commits_per_batch_max": max(b["commits"] for b in per_batch[1:]),
        "statements_per_batch": statistics.median(b["statements"] for b in per_batch[1:]),
        "deferred_leases": deferred,
        "rss_start_mb": rss_start,
        "rss_end_mb": rss_mb(),
        "real_seconds": elapsed,
        "queue_depths": depths,
    }

    # --- Baseline: per record, one lookup and one create --------------------------------
    base = baseline_run(args, baseline, last_call_id, calls_since) if baseline else None
    # --- The drift check over what Shipbridge sent: a full read, then nothing changed -----
    from services import drift

    time.sleep(60 / args.scale)  # let the minute window empty
    with session_scope(engine) as session:
        drift.check_all(session=session, full=True)
    mark = last_call_id()
    with session_scope(engine) as session:
        unchanged = drift.check_all(session=session)
    ours["drift_calls_unchanged"] = len(calls_since(mark))
    ours["drift_differing"] = sum(s.shipments_differing for s in unchanged.values())
    return {"ours": ours, "baseline": base}


def baseline_run(args, baseline: list[int], last_call_id, calls_since) -> dict:
    """A typical per-record integration over the same sandbox: one lookup and one create call
    per shipment, a 429's Retry-After waited out."""
    from models import Shipment
    from services.connections import adapter_for, default_connection
    from services.db import get_engine, session_scope
    from services.documents import build_document
    from services.mapping import get_sync_settings
    from services.reference_data import load, refresh
    from services.sync import idempotency_key
    from services.validation import check

    engine = get_engine()
    time.sleep(60 / args.scale)  # let the minute window empty
    mark = last_call_id()
    started = time.monotonic()
    with session_scope(engine) as session:
        connection = default_connection(session=session)
        adapter = adapter_for(connection, session=session)
        settings = get_sync_settings(session=session, tenant_id=connection.tenant_id)
        ref = load(session=session, connection=connection)
        if ref.is_empty:
            refresh(session=session, connection=connection, adapter=adapter)
            ref = load(session=session, connection=connection)
        from models import Shipment

        done = 0
        for shipment_id in baseline:
            shipment = session.get(Shipment, shipment_id)
            _, resolved = check(shipment, settings, ref)
            document = build_document(
                shipment, settings, resolved, base_currency=connection.base_currency
            )
            session.commit()
            tenant = connection.tenant_id
            found = _with_retry(
                lambda s=shipment, t=tenant: adapter.find_invoices(t, [s.shipment_number])
            )
            if not found:
                result = _with_retry(
                    lambda d=document, t=tenant: adapter.save_invoices(
                        t, [d], idempotency_key=idempotency_key("b", [d])
                    )
                )
                done += bool(result and result[0].ok)
    base_elapsed = time.monotonic() - started
    base_calls = calls_since(mark)
    base = {
        "shipments": len(baseline),
        "processed": done,
        "api_calls": len(base_calls),
        "calls_per_shipment": len(base_calls) / len(baseline),
        "throughput": done / (base_elapsed * args.scale / 60),
        "429s": sum(1 for c in base_calls if c["status"] == 429),
        "real_seconds": base_elapsed,
    }
    return base


def scraped_queue_depth() -> int:
    """The send queue's depth (all organisations) in a scrape of the metrics registry, the
    worker's /metrics text, here in-process."""
    from prometheus_client import generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    return int(
        sum(
            sample.value
            for family in text_string_to_metric_families(generate_latest().decode())
            for sample in family.samples
            if sample.name == "shipbridge_queue_depth"
        )
    )


def _with_retry(call):
    """What a typical integration does on a 429: wait Retry-After, try again."""
    from services.xero.errors import XeroRateLimited

    while True:
        try:
            return call()
        except XeroRateLimited as error:
            time.sleep(error.retry_after)


# One incremental payment pull for the connected organisation, in a process of its own so
# its peak memory is its own: prints JSON (peak and starting RSS in MB, CPU and wall s).
PULL = """
import json, resource, time
from bench.sandbox import rss_mb
from services import connections, payments
from services.db import get_engine, session_scope
engine = get_engine()
with session_scope(engine) as session:
    connection = connections.default_connection(session=session)
    adapter = connections.adapter_for(connection, session=session)
start, cpu, wall = rss_mb(), time.process_time(), time.monotonic()
with session_scope(engine) as session:
    connection = connections.default_connection(session=session)
    payments.pull(session=session, connection=connection, adapter=adapter)
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "start_mb": start, "cpu_s": time.process_time() - cpu, "wall_s": time.monotonic() - wall}))
"""


def payment_pull_memory(rows: int) -> dict:
    """The worker's incremental payment pull over every sent shipment in the database (the
    run's and the table's `rows`), in a child process: its peak RSS against its start."""
    done = subprocess.run(
        [sys.executable, "-c", PULL], cwd=ROOT, check=True, capture_output=True, text=True
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["rows"] = rows
    return figures


if __name__ == "__main__":
    sys.exit(main())
