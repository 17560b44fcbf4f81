"""Worker and app memory at a given number of shipments (issue 16, goal 5: RSS within 1.5×
between 1,000 and 1,000,000 shipments).

At each size a database of its own (SQLite `<dir>/memory-<size>.sqlite3`, PostgreSQL schema
`bench_mem_<size>`) holds bench/query_seed.py's year of data, every shipment belonging to the
sandbox's demo organisations, so the worker's payment pull, reference refresh and drift check
all run over that many sent shipments. It is seeded once and reused: each run first deletes
what the last run added. Then:

- the worker: the real `python -m services.worker` process drains a push-remaining of
  SEND shipments (the send path at its rate limit) while its scheduled reads run in their
  own thread; its RSS is sampled from /proc until the queue is empty and a payment pull has
  run: start (first shipment sent), end, and peak (VmHWM);
- the app: streamlit on that database, a user logs in and opens the Dashboard and the
  Shipments page in a real browser (bench/page_timings.py's driver); its RSS then and peak.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from bench.page_timings import app_environment
from bench.sandbox import ROOT, connect_organisation

SEND = 1000
SMALL = 1000  # the size goal 5 compares the largest with
PATIENCE = 240.0  # seconds the worker gets to drain SEND shipments and pull payments once


def database_url(base: str, size: int) -> str:
    """This size's memory database (see the module's docstring); base as bench/queries.py's."""
    from services.db import normalise_url

    url = normalise_url(base)
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        return f"sqlite:///{path.with_name(f'memory-{size}.sqlite3')}"
    schema = f"bench_mem_{size}"
    with create_engine(url).begin() as connection:
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def _engine(url: str) -> Engine:
    from services import db

    engine = create_engine(db.normalise_url(url))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", db._sqlite_pragmas)  # noqa: SLF001 - the app's own
    db.migrate(engine)
    return engine


def prepared(url: str, size: int) -> float:
    """The database at `size` seeded shipments of the demo organisations, nothing else added;
    returns the seconds seeding took (0 when reused)."""
    from bench import query_seed
    from xero_sandbox.seed import DEMO_TENANT_ID, UK_TENANT_ID

    engine = _engine(url)
    try:
        with engine.connect() as connection:
            seeded = connection.execute(
                text("SELECT count(*) FROM shipment WHERE id <= :n"), {"n": size}
            ).scalar_one()
        if seeded == size:
            _drop_added(engine, size)
            return 0.0
        started = time.perf_counter()
        query_seed.TENANTS = (DEMO_TENANT_ID, UK_TENANT_ID)  # the sandbox's, not bench-org-*
        query_seed.seed(engine, size)
        with engine.begin() as connection:  # connected for real below, through the consent
            for table in ("xero_connection", "xero_contact", "xero_item"):
                connection.execute(text(f"DELETE FROM {table}"))
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT")
                connection.execute(text("VACUUM ANALYZE"))
        return time.perf_counter() - started
    finally:
        engine.dispose()


def _drop_added(engine: Engine, size: int) -> None:
    """Delete the shipments (and what refers to them) a previous run added past `size`."""
    from sqlmodel import SQLModel

    import models  # noqa: F401 - every table registered

    children = [
        t.name
        for t in reversed(SQLModel.metadata.sorted_tables)
        if "shipment_id" in t.c and t.name != "shipment"
    ]
    with engine.begin() as connection:
        for table in children:
            connection.execute(text(f"DELETE FROM {table} WHERE shipment_id > :n"), {"n": size})
        connection.execute(text("DELETE FROM shipment WHERE id > :n"), {"n": size})


def status_mb(pid: int, field: str) -> float:
    """VmRSS or VmHWM of a process, in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def worker_rss(engine: Engine) -> dict:
    """Queue SEND shipments, let the real worker drain them and pull payments; its RSS."""
    from services.db import session_scope
    from services.demo import demo_shipments
    from services.queue import enqueue
    from services.shipment_edits import create_shipment

    connect_organisation(engine)
    ids = []
    with session_scope(engine) as session:
        for n, (fields, lines, _) in enumerate(demo_shipments(SEND * 2, start=900001)):
            if n % 5 == 4:  # the generator's deliberately broken ones
                continue
            ids.append(create_shipment(session=session, fields=fields, lines=lines, user="b").id)
            if len(ids) == SEND:
                break
    with session_scope(engine) as session:
        enqueue(session=session, shipment_ids=ids, trigger="push remaining", user="bench")
    process = subprocess.Popen(
        [sys.executable, "-m", "services.worker"],
        cwd=ROOT,
        env=dict(os.environ, WORKER_METRICS_PORT="0"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    samples: list[float] = []
    start = 0.0
    started = time.monotonic()
    try:
        while time.monotonic() - started < PATIENCE and process.poll() is None:
            samples.append(status_mb(process.pid, "VmRSS"))
            left, pulled = _progress(engine)
            if not start and left < len(ids):
                start = samples[-1]
            if not left and pulled:
                break
            time.sleep(0.5)
        peak = status_mb(process.pid, "VmHWM")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    left, pulled = _progress(engine)
    return {
        "start_mb": start or (samples[0] if samples else 0.0),
        "end_mb": samples[-1] if samples else 0.0,
        "peak_mb": peak,
        "sent": len(ids) - left,
        "queued": len(ids),
        "payments_pulled": pulled,
        "seconds": time.monotonic() - started,
    }


def _progress(engine: Engine) -> tuple[int, bool]:
    """Jobs still queued or running; whether a payment pull has finished."""
    from bench.__main__ import open_jobs

    left = open_jobs(engine)
    with engine.connect() as connection:
        pulled = connection.execute(
            text("SELECT count(*) FROM xero_connection WHERE payments_pulled_at IS NOT NULL")
        ).scalar_one()
    return left, bool(pulled)


def app_rss(url: str, sandbox_url: str) -> dict:
    """The app's RSS after a login and a look at the Dashboard and the Shipments page."""
    from bench import page_timings

    env = app_environment(url, sandbox_url)
    ensure_user(env)
    log = Path(tempfile.mkdtemp(prefix="memory_app_")) / "app.log"
    with page_timings.running_app(env, log) as app_url:
        pid = app_pid(int(app_url.rsplit(":", 1)[1]))
        start = status_mb(pid, "VmRSS")
        page_timings.measure({"app": app_url}, ["dashboard", "shipments"], 1, [])
        return {
            "start_mb": start,
            "end_mb": status_mb(pid, "VmRSS"),
            "peak_mb": status_mb(pid, "VmHWM"),
        }


def app_pid(port: int) -> int:
    """The streamlit process serving on `port` (bench/page_timings.py's running_app)."""
    wanted = ["--server.port", str(port)]
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        if "streamlit" in argv and any(argv[i : i + 2] == wanted for i in range(len(argv))):
            return int(proc.name)
    raise SystemExit(f"no streamlit process on port {port}")


def measure(base: str, size: int, sandbox_url: str) -> dict:
    """Worker and app RSS at `size` shipments (the caller has pointed settings at the
    sandbox; DATABASE_URL is set here)."""
    url = database_url(base, size)
    seconds = prepared(url, size)
    os.environ["DATABASE_URL"] = url
    from services import settings
    from services.db import get_engine

    settings.get_settings.cache_clear()
    get_engine.cache_clear()
    engine = _engine(url)
    try:
        worker = worker_rss(engine)
    finally:
        engine.dispose()
    return {"worker": worker, "app": app_rss(url, sandbox_url), "seed_seconds": seconds}


def ensure_user(env: dict[str, str]) -> None:
    """bench/page_timings.py's bench admin, unless a reused database has it already (the
    CLI refuses a second one; the browser's login then proves it is there)."""
    from bench import page_timings

    try:
        page_timings.add_user(env)
    except subprocess.CalledProcessError:
        print("  (the page bench's user exists already: reused)", file=sys.stderr)


def table(by_size: dict) -> str:
    """Markdown: worker and app RSS per size."""
    lines = [
        f"The worker drains a push remaining of {SEND:,} shipments and pulls payments; the app "
        "serves a login, the Dashboard and the Shipments page (MB).",
        "",
        "| shipments | worker start → end (peak) | sent | app start → end (peak) |",
        "| --- | --- | --- | --- |",
    ]
    for size, f in sorted(by_size.items(), key=lambda kv: int(kv[0])):
        w, a = f["worker"], f["app"]
        lines.append(
            f"| {int(size):,} | {w['start_mb']:.0f} → {w['end_mb']:.0f} ({w['peak_mb']:.0f}) | "
            f"{w['sent']:,} of {w['queued']:,} | "
            f"{a['start_mb']:.0f} → {a['end_mb']:.0f} ({a['peak_mb']:.0f}) |"
        )
    return "\n".join(lines)
