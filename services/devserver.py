"""`make run`: the sandbox (when no Xero app is configured), one worker and the Streamlit app,
as child processes of one command. Ctrl-C stops them all; a child that dies is restarted
(after a growing pause, so a child that cannot start does not spin)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from urllib.parse import urlparse
from urllib.request import urlopen

from services.db import migrate, session_scope
from services.liveness import DatabaseWatch
from services.settings import DATA_DIR, PROJECT_ROOT, Settings, get_settings


def wait_until_up(url: str, *, process: subprocess.Popen, seconds: float = 20) -> str | None:
    """Wait for `url` to answer; None once it does, else why not (the process died, or
    it did not answer in time)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"it exited with {process.returncode} before answering {url}"
        try:
            with urlopen(url, timeout=1):
                return None
        except OSError:
            time.sleep(0.2)
    return f"{url} did not answer within {seconds:g} s"


def main() -> int:
    settings = get_settings()
    # A database still starting (or away) is waited for, not a reason to stop.
    DatabaseWatch(log=logging.getLogger("shipbridge.run")).until_up(migrate)
    print(
        f"database ready ({settings.database_url.split('://')[0]}); {seed(settings)}",
        flush=True,
    )

    python = sys.executable
    children: list[tuple[str, subprocess.Popen]] = []
    commands: dict[str, list[str]] = {}

    def start(name: str, args: list[str]) -> None:
        commands[name] = args
        children.append((name, subprocess.Popen([python, *args], cwd=PROJECT_ROOT)))

    if settings.uses_sandbox:
        sandbox = urlparse(settings.xero_sandbox_url)
        start(
            "sandbox",
            [
                "-m",
                "xero_sandbox",
                "--host",
                sandbox.hostname or "127.0.0.1",
                "--port",
                str(sandbox.port or 8765),
                "--db",
                os.environ.get("XERO_SANDBOX_DB", str(DATA_DIR / "xero_sandbox.sqlite3")),
                # As one registers it on a real Xero app: the sandbox redirects only there.
                "--redirect-uri",
                settings.redirect_uri,
            ],
        )
        problem = wait_until_up(
            f"{settings.xero_sandbox_url.rstrip('/')}/_sandbox/health", process=children[-1][1]
        )
        if problem:
            print(
                f"The Xero sandbox did not start: {problem}. Is port {sandbox.port or 8765} "
                "already in use? See its output above.",
                file=sys.stderr,
                flush=True,
            )
            _stop(children)
            return 1
        print(f"Xero sandbox on {settings.xero_sandbox_url}", flush=True)
    else:
        print("Xero: using the configured app at " + settings.api_url, flush=True)
    start("worker", ["-m", "services.worker"])
    app = urlparse(settings.app_url)
    start(
        "app",
        [
            "-m",
            "streamlit",
            "run",
            str(PROJECT_ROOT / "app.py"),
            "--server.port",
            str(app.port or 8501),
            "--server.headless",
            "true",
            "--server.address",
            app.hostname or "localhost",
            "--browser.gatherUsageStats",
            "false",
        ],
    )
    logins = (
        "admin/admin, operations/operations, finance/finance"
        if settings.uses_sandbox
        else "the first visit asks for the first admin while no user exists"
    )
    print(f"Shipbridge on {settings.app_url} ({logins}). Ctrl-C stops everything.", flush=True)

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    restarts = Restarts()
    while not stopping:
        for n, (name, child) in enumerate(children):
            if child.poll() is None or stopping:
                continue
            pause = restarts.pause(name)
            print(
                f"{name} exited with {child.returncode}; restarting it in {pause:.0f} s",
                flush=True,
            )
            deadline = time.monotonic() + pause
            while time.monotonic() < deadline and not stopping:
                time.sleep(0.2)
            if not stopping:
                process = subprocess.Popen([python, *commands[name]], cwd=PROJECT_ROOT)
                children[n] = (name, process)
        time.sleep(0.3)
    _stop(children)
    return 0


def seed(settings: Settings) -> str:
    """Demo users and shipments in demo mode (against the sandbox) only: with a real Xero
    app the first start creates no user, and the login page asks for the first admin.
    Returns what was done, in words."""
    if not settings.uses_sandbox:
        return "real Xero: no demo data"
    from services.demo import seed_demo

    with session_scope() as session:
        users, shipments = seed_demo(session=session, settings=settings)
    return f"demo data: +{users} users, +{shipments} shipments"


class Restarts:
    """How long to wait before restarting a child: 1 s, doubling up to a minute while it keeps
    dying soon after starting; back to 1 s once it has stayed up for a few minutes."""

    def __init__(self, *, longest: float = 60.0, settled: float = 300.0):
        self.longest, self.settled = longest, settled
        self.last: dict[str, tuple[float, float]] = {}  # name -> (when restarted, pause)

    def pause(self, name: str, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        when, previous = self.last.get(name, (float("-inf"), 0.0))
        pause = 1.0 if now - when > self.settled else min(self.longest, max(1.0, previous * 2))
        self.last[name] = (now + pause, pause)
        return pause


def _stop(children: list[tuple[str, subprocess.Popen]]) -> None:
    for _, child in children:
        if child.poll() is None:
            child.terminate()
    for _, child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


if __name__ == "__main__":
    sys.exit(main())
