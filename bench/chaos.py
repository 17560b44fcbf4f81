"""`make chaos`: the queue-fault scenarios of tests/services/test_queue_faults.py (issue 13)
at 1,000 shipments each, some invalid on purpose (5 in every 300), against the sandbox in
its own process with Xero's rate clock scaled. Writes bench/CHAOS.md: per scenario how many
shipments ended Processed, Rejected or queued, how many were lost, how many documents Xero
holds twice, how many shipments were in more than one create-or-update call Xero committed
(double sends, from the sandbox's call log), and the seconds from the fault to settled.

    python -m bench.chaos [--shipments 1000] [--database-url postgresql://…] [--scale 60]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlmodel import col, delete, select

from bench.__main__ import ROOT, _wait, free_port
from bench.chaos_scenarios import (
    Running,
    SendRecorder,
    committed_sends,
    drain,
    enqueue,
    in_thread,
    wait_for,
)
from models import JobStatus, RateLimitBlock, Shipment, SyncJob, SyncState
from services import claims, connections, db, queue, queue_leases, settings, sync
from services.db import session_scope
from services.document_kinds import DocumentKind
from services.worker import run_once
from xero_sandbox.testing import SandboxHandle

INVALID_EVERY = 60  # 5 in every 300, as in the fault matrix of issue 13
EVERYTHING = 100_000  # turns enough for any drain: it stops when the queue is idle


@dataclass
class Run:
    """One scenario's database, sandbox, shipments and patches."""

    engine: Engine
    sandbox: SandboxHandle
    ids: list[int]
    patches: pytest.MonkeyPatch


def sending(run: Run) -> bool:
    with session_scope(run.engine) as session:
        found = session.exec(select(Shipment.id).where(Shipment.sync_state == SyncState.SENDING))
        return found.first() is not None


def die_after_save(patches: pytest.MonkeyPatch, why: str) -> None:
    """Xero commits the batch, then the sender goes (kill -9, a page closed): no release, no
    heartbeat, no answer applied."""
    real_save = DocumentKind.save

    def save_then_die(self, *args, **kwargs):
        real_save(self, *args, **kwargs)
        raise SystemExit(why)

    patches.setattr(DocumentKind, "save", save_then_die)
    patches.setattr(claims, "release", lambda **_: None)
    patches.setattr(claims.Heartbeat, "__enter__", lambda self: self)


def page_racing_the_worker(run: Run) -> None:
    enqueue(run.engine, run.ids)
    run.sandbox.inject_faults("timeout", path_contains="/Invoices", seconds=1)
    worker = in_thread(lambda: drain(run.engine, worker_id="w1", turns=EVERYTHING))

    def page() -> None:  # someone selecting ten at a time and pressing Send
        for start in range(0, len(run.ids), 10):
            sync.send_shipments(
                shipment_ids=run.ids[start : start + 10], trigger="bulk", user="ops"
            )

    sender = in_thread(page)
    worker.join()
    sender.join()


def two_workers_short_lease(run: Run) -> None:
    enqueue(run.engine, run.ids)
    run.sandbox.inject_faults("timeout", 2, path_contains="/Invoices", seconds=1.5)
    workers = [
        in_thread(lambda w=w: drain(run.engine, worker_id=w, turns=EVERYTHING))
        for w in ("w1", "w2")
    ]
    for worker in workers:
        worker.join()


def batch_outlasting_its_lease(run: Run) -> None:
    enqueue(run.engine, run.ids)
    run.sandbox.inject_faults("timeout", path_contains="/Invoices", seconds=2.5)
    first = in_thread(lambda: run_once(engine=run.engine, worker_id="w1"))
    wait_for(lambda: sending(run))
    time.sleep(1.5)  # the one-second lease would have run out without the heartbeat
    drain(run.engine, worker_id="w2", turns=EVERYTHING)
    first.join()


def claim_taken_over_mid_call(run: Run) -> None:
    enqueue(run.engine, run.ids)
    real_enter = claims.Heartbeat.__enter__

    def beat_unless_hung(self):  # w1's database connection hangs: its heartbeat never beats
        return self if threading.current_thread().name == "w1" else real_enter(self)

    run.patches.setattr(claims.Heartbeat, "__enter__", beat_unless_hung)
    run.sandbox.inject_faults("timeout", path_contains="/Invoices", seconds=2.5)
    first = Running(lambda: run_once(engine=run.engine, worker_id="w1"))
    first.name = "w1"
    first.start()
    wait_for(lambda: sending(run))
    time.sleep(1.3)  # the call is in flight; the one-second claim runs out, unrenewed
    # w2 runs as a worker does, honouring each job's backoff (`drain` skips it, and would
    # spend the taken-over jobs' tries while w1's call is still in flight).
    while run_once(engine=run.engine, worker_id="w2"):
        pass
    first.join()


def worker_killed_after_commit(run: Run) -> None:
    enqueue(run.engine, run.ids)
    with run.patches.context() as dying:
        die_after_save(dying, "killed")
        with contextlib.suppress(SystemExit):  # the kill is the scenario
            run_once(engine=run.engine, worker_id="dead")
    time.sleep(1.2)  # the dead worker's lease runs out


def lease_abandoned(run: Run) -> None:
    enqueue(run.engine, run.ids)
    queue_leases.lease_batch(engine=run.engine, worker_id="dead")
    time.sleep(1.2)


def page_closed_mid_send(run: Run) -> None:
    first, rest = run.ids[:10], run.ids[10:]
    with run.patches.context() as dying:
        die_after_save(dying, "closed")
        with contextlib.suppress(SystemExit):  # the page's process went away with the answer
            sync.send_shipments(shipment_ids=first, trigger="bulk", user="ops")
    enqueue(run.engine, rest)
    time.sleep(1.2)  # its claim runs out


def answer_lost_after_commit(run: Run) -> None:
    enqueue(run.engine, run.ids)
    run.sandbox.inject_faults("drop-after", path_contains="/Invoices")


def answer_and_its_lookup_lost(run: Run) -> None:
    """Beyond the tests: the lookup that reconciles the lost answer loses its answer too."""
    enqueue(run.engine, run.ids)
    run.sandbox.inject_faults("drop-after", 2, path_contains="/Invoices")


def fault_then_drain(kind: str, count: int, **fault) -> Callable[[Run], None]:
    def scenario(run: Run) -> None:
        enqueue(run.engine, run.ids)
        run.sandbox.inject_faults(kind, count, path_contains="/Invoices", **fault)
        if kind == "429-day":
            run_once(engine=run.engine, worker_id="w1")
            # The day passes: Shipbridge's block and the jobs' Retry-After wait are over.
            with session_scope(run.engine) as session:
                session.exec(delete(RateLimitBlock))

    return scenario


def needs_attention_then_retry(run: Run) -> None:
    run.patches.setenv("SYNC_MAX_ATTEMPTS", "2")
    settings.get_settings.cache_clear()
    enqueue(run.engine, run.ids)
    run.sandbox.inject_faults("503", 12, path_contains="/Invoices")  # two batches' tries
    drain(run.engine, turns=EVERYTHING)
    run.sandbox.clear_faults()
    with session_scope(run.engine) as session:  # the pages' Retry
        queue.retry_needing_attention(session=session, user="ops")


SCENARIOS: list[tuple[str, Callable[[Run], None]]] = [
    ("page racing the worker", page_racing_the_worker),
    ("two workers, short lease", two_workers_short_lease),
    ("batch outlasting its lease", batch_outlasting_its_lease),
    ("claim taken over mid-call", claim_taken_over_mid_call),
    ("worker killed after Xero committed", worker_killed_after_commit),
    ("lease taken then abandoned", lease_abandoned),
    ("page closed mid-send", page_closed_mid_send),
    ("answer lost after commit", answer_lost_after_commit),
    ("answer and its lookup lost", answer_and_its_lookup_lost),
    ("429 minute limit", fault_then_drain("429-minute", 3, retry_after=1)),
    ("429 day limit", fault_then_drain("429-day", 1, retry_after=3600)),
    ("500 burst", fault_then_drain("500", 4)),
    ("503 burst", fault_then_drain("503", 4)),
    ("needs attention, then Retry", needs_attention_then_retry),
]


def fresh_database(base: str | None, work: Path, name: str) -> tuple[str, Callable[[], None]]:
    """A new, empty database for one scenario, and how to drop it afterwards."""
    if not base:
        return f"sqlite:///{work / (name + '.sqlite3')}", lambda: None
    schema = f"chaos_{uuid.uuid4().hex[:10]}"
    admin = create_engine(db.normalise_url(base))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", drop


def prepare(sandbox, url: str, shipments: int, scale: float) -> tuple[Engine, list[int]]:
    """Migrate, connect the sandbox's organisation, and create the shipments."""
    from tests.services.conftest import connect
    from tests.utils.factories import make_shipment

    os.environ["DATABASE_URL"] = url
    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()
    engine = db.get_engine()
    db.migrate(engine)
    sandbox.reset()
    sandbox.scale_rate_clock(scale)
    connect(engine)
    with session_scope(engine) as session:
        made = [
            make_shipment(session, **({"buyer_code": "NOBODY"} if n % INVALID_EVERY == 0 else {}))
            for n in range(1, shipments + 1)
        ]
        ids = [s.id for s in made if s.id is not None]
    return engine, ids


def settle(run: Run, timeout: float = 120) -> None:
    """Drain until no job is open and no claim is held (a dead sender's claim runs out
    first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        drain(run.engine, turns=EVERYTHING)
        with session_scope(run.engine) as session:
            queued_now = queue.recover_abandoned(session=session)
            held = claims.held_count(session=session)
        if not held and not queued_now and not sending(run) and not open_jobs(run):
            return
        time.sleep(0.2)


def open_jobs(run: Run) -> bool:
    """Jobs still queued or running: one held back by a limit (a 429's block) is not settled
    until it is sent (a run once ended with all 100 queued behind a one-second block)."""
    with session_scope(run.engine) as session:
        found = session.exec(
            select(SyncJob.id).where(col(SyncJob.status).in_([JobStatus.QUEUED, JobStatus.RUNNING]))
        )
        return found.first() is not None


def documents_in_xero(engine: Engine, numbers: list[str]) -> Counter:
    """How many invoices Xero holds per number, read through the real API 50 numbers a call
    (a page holds 100 invoices, so even doubles fit), once any Retry-After block is over."""
    with session_scope(engine) as session:
        session.exec(delete(RateLimitBlock))
    found: Counter = Counter()
    with session_scope(engine) as session:
        connection = connections.default_connection(session=session)
        assert connection is not None, "the scenario connected an organisation"
        adapter = connections.adapter_for(connection, session=session)
        for start in range(0, len(numbers), 50):
            chunk = numbers[start : start + 50]
            found.update(a.number for a in adapter.find_invoices(connection.tenant_id, chunk))
    return found


def measure(run: Run, batches: dict[str, list[str]], seconds: float) -> dict:
    with session_scope(run.engine) as session:
        shipments = list(session.exec(select(Shipment)))
        state = {s.shipment_number: s.sync_state for s in shipments}
    in_xero = documents_in_xero(run.engine, sorted(state))
    processed = [n for n, s in state.items() if s == SyncState.PROCESSED]
    count = {s: sum(1 for v in state.values() if v == s) for s in SyncState}
    settled = count[SyncState.PROCESSED] + count[SyncState.REJECTED] + count[SyncState.QUEUED]
    committed = committed_sends(run.sandbox, batches)
    return {
        "processed": count[SyncState.PROCESSED],
        "rejected": count[SyncState.REJECTED],
        "queued": count[SyncState.QUEUED],
        # Neither settled, nor Processed with its document in Xero.
        "lost": len(state) - settled + sum(1 for n in processed if n not in in_xero),
        "duplicated": sum(c - 1 for c in in_xero.values() if c > 1),
        "double sends": sum(1 for c in committed.values() if c > 1),
        "seconds": seconds,
    }


def crash_note(error: Exception) -> str:
    """The error Shipbridge raised, and where in services/ it came from."""
    ours = [f for f in traceback.extract_tb(error.__traceback__) if "/services/" in f.filename]
    where = f" in {Path(ours[-1].filename).name}:{ours[-1].lineno} {ours[-1].name}" if ours else ""
    cause = getattr(error, "orig", None) or error
    return f"{type(cause).__name__}{where}: {str(cause).splitlines()[0][:160]}"


def run_scenario(sandbox, args, work: Path, name: str, scenario) -> dict:
    url, drop = fresh_database(args.database_url, work, f"s{len(name)}_{uuid.uuid4().hex[:6]}")
    patches = pytest.MonkeyPatch()
    try:
        engine, ids = prepare(sandbox, url, args.shipments, args.scale)
        recorder = SendRecorder()
        patches.setattr(sync, "idempotency_key", recorder)
        run = Run(engine=engine, sandbox=sandbox, ids=ids, patches=patches)
        started = time.monotonic()
        crash = ""
        try:
            scenario(run)
        except Exception as error:  # noqa: BLE001 - a sender crashed: reported, then settled
            for thread in threading.enumerate():
                if isinstance(thread, Running):
                    threading.Thread.join(thread, 60)  # not Running.join: it raises again
            crash = crash_note(error)
        settle(run)
        seconds = time.monotonic() - started
        sandbox.clear_faults()
        figures = measure(run, recorder.batches, seconds) | {"crash": crash}
        engine.dispose()
        return figures
    finally:
        patches.undo()
        settings.get_settings.cache_clear()
        drop()


HEADER = """# Chaos: the queue's fault scenarios at scale

`make chaos` (bench/chaos.py): each scenario of tests/services/test_queue_faults.py on a fresh
database, its shipments queued (5 in every 300 invalid on purpose), against the sandbox in its
own process. Double sends: shipments that were in more than one create-or-update call Xero
committed (from the sandbox's call log). Lost: neither Processed, Rejected nor queued (Needs
attention counts as queued), or Processed with no document in Xero. Seconds to settle: from
the fault to every shipment settled and no claim held. "answer and its lookup lost" goes
beyond the tests: the lookup reconciling a lost answer loses its answer too. A smaller run:
`--shipments 100`; one scenario: `--only "page racing"`. The table is rewritten after each
scenario, so a run cut short lists what ran and what did not.
"""


def write_table(args, rows: list[tuple[str, dict]], path: Path) -> None:
    """Write this database's section of CHAOS.md, keeping the other database's section."""
    database = "PostgreSQL" if args.database_url else "SQLite"
    title = f"{database}, {args.shipments:,} shipments a scenario"
    sections = {}
    if path.exists():
        for part in path.read_text().split("\n## ")[1:]:
            sections[part.split("\n", 1)[0]] = "## " + part.rstrip("\n")
    lines = [
        f"## {title}",
        "",
        f"{getattr(args, 'when', None) or datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.node()}, {os.cpu_count()} cores (nproc, shared; load average "
        f"{getattr(args, 'load', None) or f'{os.getloadavg()[0]:.1f} at the end'}), Python "
        f"{platform.python_version()}, {database}, {args.shipments:,} shipments a scenario "
        f"({args.shipments // INVALID_EVERY} invalid), Xero's rate clock scaled "
        f"×{args.scale:g}, one-second leases renewed by heartbeat.",
        "",
        "| scenario | processed | rejected | queued | lost | duplicated | double sends "
        "| seconds to settle |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, f in rows:
        lines.append(
            f"| {name} | {f['processed']} | {f['rejected']} | {f['queued']} | {f['lost']} "
            f"| {f['duplicated']} | {f['double sends']} | {f['seconds']:.1f} |"
        )
    crashes = [f"- {name}: a sender crashed ({f['crash']})" for name, f in rows if f["crash"]]
    if crashes:
        lines += ["", "Crashes (the queue was then settled by a fresh worker):", *crashes]
    ran = {name for name, _ in rows}
    missing = [name for name, _ in SCENARIOS if name not in ran and selected(args, name)]
    if missing:
        lines += ["", "Not run (the run stopped first): " + ", ".join(missing) + "."]
    sections[title] = "\n".join(lines)
    path.write_text(HEADER + "".join("\n" + sections[t] + "\n" for t in sorted(sections)))


def selected(args, name: str) -> bool:
    return not args.only or args.only in name


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="make chaos")
    parser.add_argument("--shipments", type=int, default=1000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL; a temp SQLite if not")
    parser.add_argument("--scale", type=float, default=60.0, help="Xero minutes a real minute")
    parser.add_argument("--only", default=None, help="run the scenarios whose name has this")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "CHAOS.md")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="shipbridge-chaos-"))
    port = free_port()
    sandbox_url = f"http://127.0.0.1:{port}"
    os.environ.update(
        XERO_SANDBOX_URL=sandbox_url,
        APP_URL="http://localhost:8501",
        SHIPBRIDGE_SECRET_KEY=Fernet.generate_key().decode(),
        SHIPBRIDGE_COOKIE_KEY=uuid.uuid4().hex,
        XERO_RATE_CLOCK_SCALE=str(args.scale),
        SYNC_LEASE_SECONDS="1",  # short leases, renewed by heartbeat, as the tests run them
        XERO_TIMEOUT="3",
    )
    for name in ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET"):
        os.environ.pop(name, None)
    server = subprocess.Popen(
        [sys.executable, "-m", "xero_sandbox", "--port", str(port)]
        + ["--db", str(work / "sandbox.sqlite3")],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows = []
    try:
        _wait(sandbox_url)
        sandbox = SandboxHandle(url=sandbox_url)
        for name, scenario in SCENARIOS:
            if not selected(args, name):
                continue
            figures = run_scenario(sandbox, args, work, name, scenario)
            print(name, figures, flush=True)
            rows.append((name, figures))
            write_table(args, rows, args.output)  # after each: a run cut short still counts
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
