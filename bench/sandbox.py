"""What every benchmark needs before it measures: a sandbox in its own process, Shipbridge's
settings pointed at it and at a database, and (on PostgreSQL) a fresh schema of its own.

Used by `python -m bench` and `python -m bench.budget_day`; `free_port` and `wait_until_up`
also by bench/chaos.py (through bench/__main__.py's names).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str) -> None:
    for _ in range(100):
        try:
            httpx.get(f"{url}/_sandbox/calls", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit("the sandbox did not start")


@contextmanager
def running_sandbox(
    work: Path, *, scale: float, env: dict[str, str] | None = None
) -> Iterator[str]:
    """A sandbox on a free port with its own database under `work`, its rate clock scaled
    ×`scale`; yields its URL and stops it afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "xero_sandbox", "--port", str(port)]
        + ["--db", str(work / "sandbox.sqlite3")],
        cwd=ROOT,
        env=dict(os.environ, **(env or {})),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(url)
        httpx.post(f"{url}/_sandbox/rate-clock", json={"factor": scale})
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def point_settings_at(*, sandbox_url: str, database_url: str, scale: float, **extra: str) -> None:
    """Shipbridge's settings (environment) for a benchmark: this sandbox, this database, a
    fresh secret key, the limiter's clock scaled like the sandbox's; no real Xero app."""
    os.environ.update(
        DATABASE_URL=database_url,
        XERO_SANDBOX_URL=sandbox_url,
        SHIPBRIDGE_SECRET_KEY=Fernet.generate_key().decode(),
        XERO_RATE_CLOCK_SCALE=str(scale),
        **extra,
    )
    for name in ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET"):
        os.environ.pop(name, None)


def database_name(url: str) -> str:
    return "PostgreSQL" if url.startswith(("postgresql", "postgres")) else "SQLite"


@contextmanager
def own_database(url: str | None, work: Path) -> Iterator[str]:
    """The database a run uses: a new SQLite file under `work` when `url` is None; on
    PostgreSQL a new schema in the given database (dropped afterwards), so runs never meet
    each other's rows."""
    if not url:
        yield f"sqlite:///{work / 'bench.sqlite3'}"
        return
    if not url.startswith(("postgresql", "postgres")):
        yield url
        return
    from sqlalchemy import create_engine, text

    from services.db import normalise_url

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(url))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        from services.db import get_engine

        get_engine.cache_clear()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def connect_organisation(engine) -> None:
    """Connect the sandbox's demo organisation through the real consent flow."""
    from services.connections import finish_connect, start_connect
    from services.db import session_scope
    from tests.utils.consent import allow_access

    with session_scope(engine) as session:
        url = start_connect(session=session, user="bench")
    code, state = allow_access(url)
    with session_scope(engine) as session:
        finish_connect(session=session, code=code, state=state, user="bench")


def machine() -> str:
    """nproc and the CPU model, as the results' headings name the machine."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}"


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
