"""Fairness across Xero organisations (issue 16, goal 1): the real worker process(es) drain a
queue against the sandbox (its own process, Xero's limits on, the rate clock scaled SCALE×)
with 1 and with 3 organisations, 1 and 3 workers, and report sustained shipments per Xero
minute (after a warm-up minute, so the first minute's burst of 60 calls is not counted), the
3-organisation / 1-organisation ratio, and the 429s Xero answered. Goal: 3 organisations ≥
2.85× one, 0 × 429.

    python -m bench.fairness [--database-url URL] [--xero-minutes 5] [--scale 4]

Each run gets a fresh database: a new SQLite file, or, for PostgreSQL, the database named in
the URL dropped and created again (use one of your own, e.g. …/bench_fair).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from bench.sandbox import free_port, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
CEILING = 600  # shipments a Xero minute per organisation: 60 calls of ten
# Each organisation's codes for the same shipment (xero_sandbox/seed.py).
ORG_SETTINGS = {
    "UK": {"sales_account_code": "200", "tax_type": "ZERORATEDOUTPUT"},
    "AU": {"sales_account_code": "200", "tax_type": "EXEMPTEXPORT"},
}


@dataclass
class Figures:
    organisations: int
    workers: int
    per_minute: float
    processed: int
    too_many: int
    minutes: float


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fairness")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--xero-minutes", type=float, default=5.0)
    parser.add_argument("--warm-up", type=float, default=1.0, help="Xero minutes not counted")
    parser.add_argument("--scale", type=float, default=4.0)
    parser.add_argument("--runs", default="1x1,3x1,1x3,3x3", help="organisations x workers")
    parser.add_argument(
        "--json", type=Path, help="also write the runs' figures here (bench/suite.py)"
    )
    args = parser.parse_args(argv)
    # In memory where the machine has it: the figures are about the queue, not the disk.
    shm = Path("/dev/shm")
    work = Path(tempfile.mkdtemp(prefix="shipbridge-fair-", dir=shm if shm.is_dir() else None))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    os.environ.update(
        XERO_SANDBOX_URL=url,
        SHIPBRIDGE_SECRET_KEY=Fernet.generate_key().decode(),
        XERO_RATE_CLOCK_SCALE=str(args.scale),
        WORKER_METRICS_PORT="0",
    )
    for name in ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET"):
        os.environ.pop(name, None)
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "xero_sandbox", "--port", str(port), "--db", str(work / "x.db")],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results = []
    try:
        wait_until_up(url)
        for n, run in enumerate(args.runs.split(",")):
            orgs, workers = (int(x) for x in run.split("x"))
            database = fresh_database(args.database_url, work / f"run{n}.sqlite3")
            results.append(one_run(args, url, database, orgs, workers))
            print(_row(results[-1]), flush=True)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
    report(args, results)
    if args.json:
        args.json.write_text(json.dumps([asdict(f) for f in results]))
    return 0


def fresh_database(given: str | None, path: Path) -> str:
    if not given or given.startswith("sqlite"):
        return f"sqlite:///{path}"
    import psycopg

    base, _, name = given.rpartition("/")
    with psycopg.connect(
        f"{base}/postgres".replace("postgresql+psycopg", "postgresql"), autocommit=True
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return given


def one_run(args, url: str, database: str, orgs: int, workers: int) -> Figures:
    os.environ["DATABASE_URL"] = database
    httpx.post(f"{url}/_sandbox/reset", timeout=30).raise_for_status()
    httpx.post(f"{url}/_sandbox/rate-clock", json={"factor": args.scale}, timeout=30)
    from services import settings

    settings.get_settings.cache_clear()
    from services.db import get_engine, migrate

    engine = get_engine(database)
    migrate(engine)
    tenants = connect_and_map(engine, orgs)
    per_org = int(CEILING * (args.warm_up + args.xero_minutes + 1) * 1.25)
    make_queue(engine, tenants, per_org)
    minute = 60 / args.scale
    mark = _last_call(url)
    procs = [_start_worker() for _ in range(workers)]
    try:
        time.sleep(args.warm_up * minute)
        before, started = processed(engine), time.monotonic()
        time.sleep(args.xero_minutes * minute)
        after, ended = processed(engine), time.monotonic()
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    minutes = (ended - started) / minute
    too_many = sum(1 for c in _calls(url, mark) if c["status"] == 429)
    engine.dispose()
    return Figures(orgs, workers, (after - before) / minutes, after - before, too_many, minutes)


def connect_and_map(engine, orgs: int) -> list[str]:
    """Connect the sandbox's organisations (one consent covers all three) and map each one's
    codes; returns the first `orgs` tenant ids."""
    from services.connections import finish_connect, start_connect
    from services.db import session_scope
    from services.mapping import update_sync_settings

    with session_scope(engine) as session:
        authorize = start_connect(session=session, user="bench")
    code, state = allow_every_organisation(authorize)
    with session_scope(engine) as session:
        connections = finish_connect(session=session, code=code, state=state, user="bench")
        by_country = {_country(c.tenant_name): c.tenant_id for c in connections}
        for country, changes in ORG_SETTINGS.items():
            if country in by_country:
                update_sync_settings(
                    session=session, changes=changes, user="bench", tenant_id=by_country[country]
                )
    order = [by_country[c] for c in ("NZ", "UK", "AU") if c in by_country]
    assert len(order) >= orgs, f"the sandbox connected {len(order)} organisations"
    return order[:orgs]


def allow_every_organisation(authorize_url: str) -> tuple[str, str]:
    """The consent page with every organisation ticked, then "Allow access"."""
    from urllib.parse import parse_qs, urljoin, urlparse

    from tests.utils.consent import _Form

    class EveryOrganisation(_Form):
        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "input" and (a.get("type") or "").lower() == "checkbox" and a.get("name"):
                self.fields.append((a["name"], a.get("value") or ""))
                return
            super().handle_starttag(tag, attrs)

    with httpx.Client(follow_redirects=False, timeout=10) as client:
        page = client.get(authorize_url)
        form = EveryOrganisation()
        form.feed(page.text)
        data: dict[str, list[str]] = {}
        for name, value in list(form.fields) + ([form.submit] if form.submit else []):
            data.setdefault(name, []).append(value)
        answer = client.post(urljoin(authorize_url, form.action or ""), data=data)
        assert answer.status_code in (302, 303), answer.text
    query = parse_qs(urlparse(answer.headers["location"]).query)
    return query["code"][0], query["state"][0]


def _country(name: str) -> str:
    from xero_sandbox.seed import AU_ORG_NAME, UK_ORG_NAME

    return {UK_ORG_NAME: "UK", AU_ORG_NAME: "AU"}.get(name, "NZ")


def make_queue(engine, tenants: list[str], per_org: int) -> None:
    """`per_org` valid shipments for each organisation, queued as Push remaining does,
    interleaved (the organisations' jobs queued at the same moment)."""
    from services.db import session_scope
    from services.queue import enqueue
    from services.shipment_edits import create_shipment
    from tests.utils.factories import line, shipment_fields

    ids: list[int] = []
    with session_scope(engine) as session:
        for _n in range(per_org):
            for tenant in tenants:
                shipment = create_shipment(
                    session=session,
                    fields=shipment_fields(
                        shipment_number=f"F-{len(ids) + 1:06d}", exchange_rate=Decimal("0.59")
                    ),
                    lines=[line()],
                    user="bench",
                    workflow_status="Draft",
                )
                shipment.tenant_id = tenant
                session.add(shipment)
                session.flush()
                assert shipment.id is not None
                ids.append(shipment.id)
    with session_scope(engine) as session:
        enqueue(session=session, shipment_ids=ids, trigger="push remaining", user="bench")


def processed(engine) -> int:
    from sqlmodel import func, select

    from models import Shipment, SyncState
    from services.db import session_scope

    with session_scope(engine) as session:
        return session.exec(
            select(func.count()).where(Shipment.sync_state == SyncState.PROCESSED)
        ).one()


def _start_worker() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "services.worker"],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _calls(url: str, since: int) -> list[dict]:
    return httpx.get(f"{url}/_sandbox/calls", params={"since_id": since}, timeout=60).json()[
        "calls"
    ]


def _last_call(url: str) -> int:
    calls = _calls(url, 0)
    return calls[-1]["id"] if calls else 0


def _row(f: Figures) -> str:
    return (
        f"| {f.organisations} | {f.workers} | {f.per_minute:.0f} | "
        f"{f.per_minute / (CEILING * f.organisations):.0%} | {f.processed} | {f.too_many} |"
    )


def report(args, results: list[Figures]) -> None:
    database = "PostgreSQL" if (args.database_url or "").startswith("postgres") else "SQLite"
    print()
    print(
        f"{database}, {os.cpu_count()} cores, Python {platform.python_version()}, the sandbox in "
        f"its own process, Xero's limits on, rate clock ×{args.scale:g} (a Xero minute = "
        f"{60 / args.scale:.1f} s), {args.xero_minutes:g} Xero minutes measured after "
        f"{args.warm_up:g} of warm-up."
    )
    print()
    print(
        "| organisations | workers | shipments per Xero minute | of the ceiling | counted | 429s |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for figures in results:
        print(_row(figures))
    by = {(f.organisations, f.workers): f.per_minute for f in results}
    for workers in (1, 3):
        if (1, workers) in by and (3, workers) in by and by[(1, workers)]:
            ratio = by[(3, workers)] / by[(1, workers)]
            print(f"\n{workers} worker(s): 3 organisations = {ratio:.2f}× one (goal ≥ 2.85×)")


if __name__ == "__main__":
    sys.exit(main())
