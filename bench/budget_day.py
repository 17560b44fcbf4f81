"""A simulated Starter-tier day: 5,000 shipments sent plus a day of scheduled reads (payment
pulls, reference refreshes, drift checks) within Xero's 1,000 calls, and the bytes Xero sent
back, beside a naive integration that re-reads every invoice each poll.

Run by `make bench`, or alone: `python -m bench.budget_day [--scale 288] [--shipments 5000]`.
It starts its own sandbox (day limit 1,000, its rate clock scaled) on a fresh database, so it
does not share a day with the rest of the benchmark. Shipbridge's limiter and its read spacing
run on the same scaled clock (xero_rate_clock_scale): at ×288 a Xero day lasts 300 real seconds.
Writes its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
HEADING = "## A Starter-tier day"
STARTER_DAY = 1000
PAID_EVERY = 50  # one invoice in this many is paid in Xero during the day
NAIVE_POLL = timedelta(minutes=5)  # a naive integration polls as often as payments are pulled


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.budget_day")
    parser.add_argument("--scale", type=float, default=288.0)
    parser.add_argument("--shipments", type=int, default=5000)
    args = parser.parse_args(argv)
    from bench.sandbox import point_settings_at, running_sandbox

    work = Path(tempfile.mkdtemp(prefix="shipbridge-starter-day-"))
    sandbox_env = {"XERO_SANDBOX_DAY_LIMIT": str(STARTER_DAY)}
    with running_sandbox(work, scale=args.scale, env=sandbox_env) as sandbox_url:
        point_settings_at(
            sandbox_url=sandbox_url,
            database_url=f"sqlite:///{work / 'starter.sqlite3'}",
            scale=args.scale,
            XERO_PRICING_TIER="starter",
            WORKER_METRICS_PORT="0",
        )
        figures = run_day(args, sandbox_url)
    write_section(args, figures)
    print(json.dumps(figures, indent=1))
    return 0


def run_day(args, sandbox_url: str) -> dict:
    from sqlmodel import col, func, select

    from models import Shipment, SyncState, XeroUsage
    from services import budget, connections, usage, worker
    from services.db import get_engine, migrate, session_scope
    from services.demo import demo_shipments
    from services.mapping import update_sync_settings
    from services.queue import enqueue
    from services.shipment_edits import create_shipment
    from services.shipments import unsent_ids
    from tests.utils.consent import allow_access

    engine = get_engine()
    migrate(engine)
    with session_scope(engine) as session:
        url = connections.start_connect(session=session, user="bench")
    code, state = allow_access(url)
    with session_scope(engine) as session:
        [connection] = connections.finish_connect(
            session=session, code=code, state=state, user="bench"
        )
        tenant = connection.tenant_id
        # Payments need AUTHORISED invoices.
        update_sync_settings(
            session=session, user="bench", changes={"invoice_status": "AUTHORISED"}
        )
    made = 0
    with session_scope(engine) as session:
        for n, (fields, lines, _) in enumerate(demo_shipments(args.shipments * 2, start=500001)):
            if n % 5 == 4:  # the generator's deliberately broken ones
                continue
            create_shipment(session=session, fields=fields, lines=lines, user="bench")
            made += 1
            if made == args.shipments:
                break
    with session_scope(engine) as session:
        ids = unsent_ids(session=session)
        enqueue(session=session, shipment_ids=ids, trigger="push remaining", user="bench")

    day = 86400 / args.scale
    mark = _last_call_id(sandbox_url)
    started = time.monotonic()
    paid: set[str] = set()
    reads_tried = 0
    while time.monotonic() - started < day:
        took = worker.work_once(engine=engine, worker_id="bench")
        # The worker's scheduled reads, asked as often as the loop turns: the budget decides.
        worker.refresh_reference_data(engine=engine)
        worker.pull_payments(engine=engine)
        _check_drift(engine)
        reads_tried += 3
        _pay_some(engine, sandbox_url, paid)
        if not took:
            time.sleep(0.05)
    elapsed = time.monotonic() - started
    calls = httpx.get(
        f"{sandbox_url}/_sandbox/calls", params={"since_id": mark}, timeout=60
    ).json()["calls"]
    with session_scope(engine) as session:
        processed = session.exec(
            select(func.count(col(Shipment.id))).where(Shipment.sync_state == SyncState.PROCESSED)
        ).one()
        rows = list(session.exec(select(XeroUsage).where(XeroUsage.tenant_id == tenant)))
        count = usage.day_count(session=session, tenant_id=tenant)
    by_kind = {r.kind: (r.calls, r.bytes) for r in rows}
    save_bytes = sum(b for k, (_, b) in by_kind.items() if not usage.is_read(k))
    read_bytes = sum(b for k, (_, b) in by_kind.items() if usage.is_read(k))
    naive = naive_poll(engine, sandbox_url, tenant)
    polls = timedelta(days=1) / NAIVE_POLL
    return {
        "scale": args.scale,
        "real_seconds": elapsed,
        "shipments": len(ids),
        "processed": processed,
        "paid_in_xero": len(paid),
        "calls": count.calls,
        "reads": count.reads,
        "read_share": count.reads / STARTER_DAY,
        "allowance": int(STARTER_DAY * budget.get_settings().xero_scheduled_read_share),
        "sandbox_calls": len(calls),
        "429s": sum(1 for c in calls if c["status"] == 429),
        "by_kind": by_kind,
        "bytes_per_shipment": save_bytes / max(processed, 1),
        "read_bytes_per_day": read_bytes,
        "naive_bytes_per_poll": naive["bytes"],
        "naive_calls_per_poll": naive["calls"],
        "naive_polls_per_day": polls,
        "naive_bytes_per_day": naive["bytes"] * polls,
        "naive_calls_per_day": naive["calls"] * polls,
    }


def _check_drift(engine) -> None:
    """The drift check as the worker schedules it, spaced by the budget alone."""
    from services import drift
    from services.db import session_scope

    with session_scope(engine) as session:
        drift.check_due(session=session)  # spaced by the budget (services/budget.py)


def _pay_some(engine, sandbox_url: str, paid: set[str]) -> None:
    """Customers pay one invoice in PAID_EVERY, in Xero, as they are sent."""
    from sqlmodel import col, select

    from models import Shipment
    from services.db import session_scope

    with session_scope(engine) as session:
        sent = session.exec(
            select(col(Shipment.xero_document_id), col(Shipment.xero_total))
            .where(col(Shipment.xero_document_id).is_not(None))
            .order_by(col(Shipment.id))
        ).all()
    for n, (document_id, total) in enumerate(sent):
        if n % PAID_EVERY == 0 and document_id and document_id not in paid and total:
            httpx.post(
                f"{sandbox_url}/_sandbox/payments",
                json={"InvoiceID": document_id, "Amount": str(total)},
                timeout=30,
            ).raise_for_status()
            paid.add(document_id)


def naive_poll(engine, sandbox_url: str, tenant: str) -> dict:
    """One poll of a naive integration: every invoice, page after page, counted by the same
    counter (the adapter's), outside the day (its limits lifted so it is not refused)."""
    from services import connections
    from services.db import session_scope
    from services.xero.adapter import UNIT_DECIMAL_PLACES

    httpx.post(f"{sandbox_url}/_sandbox/limits", json={"day_limit": 10**6}, timeout=30)
    with session_scope(engine) as session:
        connection = connections.connection_for(session=session, tenant_id=tenant)
        assert connection is not None
        adapter = connections.adapter_for(connection, session=session)
    adapter.limiter = adapter.usage = None
    before_calls, before_bytes = adapter.stats.calls, adapter.stats.bytes
    page = 1
    while True:
        answer = adapter._api(  # noqa: SLF001 - the naive read the adapter deliberately lacks
            adapter.accounting.get_invoices, tenant, page=page, unitdp=UNIT_DECIMAL_PLACES
        )
        if len(answer.invoices or []) < 100:
            break
        page += 1
    return {
        "calls": adapter.stats.calls - before_calls,
        "bytes": adapter.stats.bytes - before_bytes,
    }


def _last_call_id(sandbox_url: str) -> int:
    calls = httpx.get(f"{sandbox_url}/_sandbox/calls", timeout=60).json()["calls"]
    return calls[-1]["id"] if calls else 0


def section(args, f: dict) -> list[str]:
    from services.usage import readable_bytes

    kinds = ", ".join(
        f"{kind} {calls} ({readable_bytes(size)})"
        for kind, (calls, size) in sorted(f["by_kind"].items())
    )
    return [
        HEADING,
        "",
        f"`python -m bench.budget_day --scale {args.scale:g} --shipments {args.shipments}` "
        f"(also run by `make bench`): sandbox with the Starter day limit ({STARTER_DAY:,} calls), "
        f"Shipbridge on `XERO_PRICING_TIER=starter`, both clocks scaled ×{args.scale:g}, so the "
        f"Xero day lasted {f['real_seconds']:.0f} real seconds; the worker's loop asked for its "
        "scheduled reads (payments, reference data, drift check) on every turn and the budget "
        f"decided; one invoice in {PAID_EVERY} was paid in Xero as the day went on.",
        "",
        "| | Shipbridge | naive integration (re-reads every invoice each poll) | goal |",
        "| --- | --- | --- | --- |",
        f"| shipments sent | {f['processed']:,} Processed of {f['shipments']:,} | | 5,000 |",
        f"| calls in the day | {f['calls']:,} of {STARTER_DAY:,} | "
        f"{f['naive_calls_per_day']:,.0f} for its polls alone "
        f"({f['naive_calls_per_poll']} a poll × {f['naive_polls_per_day']:.0f} polls) | "
        f"≤ {STARTER_DAY:,} |",
        f"| scheduled reads | {f['reads']:,} calls ({f['read_share']:.1%} of the day; share "
        f"{f['allowance']}) | | ≤ 20 % |",
        f"| 429s received | {f['429s']} | | 0 |",
        f"| bytes downloaded per shipment sent | {f['bytes_per_shipment']:,.0f} B | | |",
        f"| bytes downloaded by a day of polling and drift checks | "
        f"{readable_bytes(f['read_bytes_per_day'])} | "
        f"{readable_bytes(int(f['naive_bytes_per_day']))} "
        f"({readable_bytes(f['naive_bytes_per_poll'])} a poll) | |",
        "",
        f"Calls and bytes by kind (Xero's counter, per organisation): {kinds}.",
        "",
    ]


def write_section(args, figures: dict) -> None:
    """Put this run's section in bench/RESULTS.md in place of the last one."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    head, _, rest = text.partition(HEADING)
    following = rest.find("\n## ")
    tail = rest[following + 1 :] if rest and following >= 0 else ""
    body = "\n".join(section(args, figures))
    RESULTS.write_text(head.rstrip("\n") + "\n\n" + body + ("\n" + tail if tail else ""))


if __name__ == "__main__":
    sys.exit(main())
