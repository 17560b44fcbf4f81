"""`make run`: the sandbox (when no Xero app is configured), one worker and the Streamlit app,
as child processes of one command. Ctrl-C stops them all; if one dies, all stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from urllib.parse import urlparse
from urllib.request import urlopen

from services.db import migrate, session_scope
from services.settings import DATA_DIR, PROJECT_ROOT, get_settings


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
    migrate()
    from services.demo import seed_demo

    with session_scope() as session:
        users, shipments = seed_demo(session=session)
    print(
        f"database ready ({settings.database_url.split('://')[0]}); "
        f"demo data: +{users} users, +{shipments} shipments",
        flush=True,
    )

    python = sys.executable
    children: list[tuple[str, subprocess.Popen]] = []

    def start(name: str, args: list[str]) -> None:
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
    print(
        f"Shipbridge on {settings.app_url} (admin/admin, operations/operations, "
        "finance/finance). Ctrl-C stops everything.",
        flush=True,
    )

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        for name, child in children:
            if child.poll() is not None:
                print(f"{name} exited with {child.returncode}; stopping the others", flush=True)
                code = child.returncode or 1
                stopping = True
        time.sleep(0.3)
    _stop(children)
    return code


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
