"""Each page's time to settle in a real browser (Debian's chromium through Playwright).

    python -m bench.page_timings --database-url URL [--schema bench_1000000]
        [--pages dashboard,shipments,send,logs,mapping,connect] [--repeat 3]

Starts the sandbox and the app (streamlit on a free port), logs in as a bench admin and
times, per page: a fresh load (a new tab of the logged-in browser, or with --cold a new
browser profile with only the login cookie, to the first moment the app
is idle with no stale elements and the browser asks for no further run), a rerun (the "R"
key: what any click costs), and the Send page with 200 shipments selected. Prints a
Markdown table (median / min over the repeats, seconds).

On PostgreSQL with `--schema S` (a seeded bench schema, e.g. bench/query_seed.py's
bench_1000000) the seeded data is only read: a new overlay schema holds copies of every
small table (users, sessions, settings, connections, ...), stamped at the newest migration
so the app's start-up migration changes nothing, and the search path reads the three big
tables (shipment, shipment_line, integration_log) from S. The overlay is dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench.sandbox import ROOT, free_port, running_sandbox

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = ("dashboard", "shipments", "send", "logs", "mapping", "connect")
BIG_TABLES = ("shipment", "shipment_line", "integration_log")
USER, PASSWORD = "pagebench", "Timing-every-page-7431"
QUIET = 0.5  # seconds with no message from the browser: the page has settled


# --- the database ----------------------------------------------------------------------------


@contextmanager
def overlay(url: str, schema: str, root: Path = ROOT) -> Iterator[str]:
    """A URL whose search path is a new schema (copies of `schema`'s small tables) and then
    `schema` (its big tables, only read)."""
    from sqlalchemy import create_engine, text

    from services.db import normalise_url

    mine = f"pages_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(url))
    with admin.begin() as db:
        tables = db.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}
        ).scalars()
        db.execute(text(f'CREATE SCHEMA "{mine}"'))
        for table in sorted(set(tables) - set(BIG_TABLES)):
            _copy_table(db, schema, mine, table)
        head = _head_revision(root)
        db.execute(text(f'UPDATE "{mine}".alembic_version SET version_num = :v'), {"v": head})
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{mine},{schema}"
    finally:
        with admin.begin() as db:
            db.execute(text(f'DROP SCHEMA "{mine}" CASCADE'))
        admin.dispose()


def _copy_table(db, source: str, target: str, table: str) -> None:
    from sqlalchemy import text

    db.execute(text(f'CREATE TABLE "{target}"."{table}" (LIKE "{source}"."{table}" INCLUDING ALL)'))
    db.execute(text(f'INSERT INTO "{target}"."{table}" SELECT * FROM "{source}"."{table}"'))
    serial = db.execute(
        text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = :s "
            "AND table_name = :t AND column_default LIKE 'nextval%'"
        ),
        {"s": target, "t": table},
    ).scalars()
    for column in list(serial):  # its own sequence: never advance the seeded schema's
        seq = f'"{target}"."{table}_{column}_seq"'
        db.execute(text(f'CREATE SEQUENCE {seq} OWNED BY "{target}"."{table}".{column}'))
        db.execute(
            text(
                f"SELECT setval('{target}.{table}_{column}_seq', "
                f'COALESCE((SELECT max({column}) FROM "{target}"."{table}"), 0) + 1, false)'
            )
        )
        db.execute(
            text(
                f'ALTER TABLE "{target}"."{table}" ALTER COLUMN {column} '
                f"SET DEFAULT nextval('{target}.{table}_{column}_seq')"
            )
        )


def _head_revision(root: Path) -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head, "no migration head"
    return head


def add_user(env: dict[str, str], root: Path = ROOT) -> None:
    subprocess.run(
        [sys.executable, "-m", "services.cli", "create-user", USER, "--role", "admin"]
        + ["--name", "Page bench", "--email", "pagebench@example.com", "--password", PASSWORD],
        cwd=root,
        env=env,
        check=True,
    )


def some_shipment_ids(url: str, count: int) -> list[int]:
    from sqlalchemy import create_engine, text

    from services.db import normalise_url

    engine = create_engine(normalise_url(url))
    with engine.connect() as db:
        ids = db.execute(
            text("SELECT id FROM shipment ORDER BY id DESC LIMIT :n"), {"n": count}
        ).scalars()
        found = list(ids)
    engine.dispose()
    return found


# --- the app ---------------------------------------------------------------------------------


def app_environment(url: str, sandbox_url: str) -> dict[str, str]:
    """The app's environment for a bench: this database, this sandbox, a bench cookie key."""
    from cryptography.fernet import Fernet

    env = dict(
        os.environ,
        DATABASE_URL=url,
        XERO_SANDBOX_URL=sandbox_url,
        SHIPBRIDGE_SECRET_KEY=os.environ.get("SHIPBRIDGE_SECRET_KEY")
        or Fernet.generate_key().decode(),
        SHIPBRIDGE_COOKIE_KEY="page-bench-cookie-key-0123456789abcdef0123",
        PYTHONUNBUFFERED="1",
    )
    for name in ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET"):
        env.pop(name, None)
    return env


@contextmanager
def running_app(env: dict[str, str], log: Path, root: Path = ROOT) -> Iterator[str]:
    port = free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
            + ["--server.headless", "true", "--server.fileWatcherType", "none"]
            + ["--browser.gatherUsageStats", "false"],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://localhost:{port}"
    try:
        import httpx

        for _ in range(300):
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            raise SystemExit(f"the app did not start:\n{log.read_text()[-3000:]}")
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


# --- the browser -----------------------------------------------------------------------------


class Clock:
    """When the page last sent Streamlit a message (each asks for a run)."""

    def __init__(self, page) -> None:
        self.last_sent = 0.0
        page.on("websocket", self._watch)

    def _watch(self, socket) -> None:
        socket.on("framesent", lambda _f: setattr(self, "last_sent", time.monotonic()))


def _idle(page, ready: bool = True) -> bool:
    return bool(
        page.evaluate(
            """(ready) => {
              const app = document.querySelector('[data-testid="stApp"]');
              if (!app || app.getAttribute('data-test-script-state') !== 'notRunning')
                return false;
              if (document.querySelector('[data-stale="true"]')) return false;
              if (document.querySelector('[data-testid="stSkeleton"]')) return false;
              return !ready || !!document.querySelector('h1');
            }""",
            ready,
        )
    )


def settled_after(
    page, clock: Clock, began: float, timeout: float = 60, *, ready: bool = True
) -> float:
    """Seconds from `began` to the last moment the page became idle, once it has stayed idle
    with no message from the browser for QUIET seconds."""
    deadline = began + timeout
    page.wait_for_timeout(50)
    while time.monotonic() < deadline:
        if not _idle(page, ready):
            page.wait_for_timeout(20)
            continue
        idle_at = time.monotonic()
        page.wait_for_timeout(QUIET * 1000)
        if _idle(page, ready) and clock.last_sent < idle_at:
            return idle_at - began
    raise RuntimeError(f"the page did not settle within {timeout} s")


def login(browser, app_url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    clock = Clock(page)
    page.goto(app_url)
    logout = page.get_by_role("button", name="Logout")
    for _attempt in range(3):  # a Login click Streamlit drops is repeated, as a user would
        page.get_by_role("button", name="Login").wait_for(timeout=60_000)
        settled_after(page, clock, time.monotonic(), ready=False)
        page.get_by_role("textbox", name="Username").fill(USER)
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Login").click()
        try:
            logout.wait_for(timeout=20_000)
            break
        except Exception:  # noqa: BLE001 - try again, then fail below
            page.screenshot(path="/tmp/page_timings_login.png")
    logout.wait_for(timeout=1_000)
    deadline = time.monotonic() + 30
    while not any(c["name"] == "shipbridge_auth" for c in context.cookies()):
        if time.monotonic() > deadline:
            raise RuntimeError("no login cookie")
        page.wait_for_timeout(100)
    settled_after(page, clock, time.monotonic())
    state = context.storage_state()
    context.close()
    return state


class Tabs:
    """Where a fresh load opens its tab: by default a new tab of one browser window per app
    that has logged in (as a user opens a page: the browser's cache holds Streamlit's
    static files); with `cold`, a new browser profile each time (nothing cached)."""

    def __init__(self, browser, cookies, *, cold: bool = False) -> None:
        self.browser, self.cookies, self.cold = browser, cookies, cold
        self.window: Any = None if cold else self._context()

    def warm(self, url: str) -> None:
        """Open `url` once, untimed, in the window: the login ran in a context of its own, so
        without this the first fresh load would fetch every static file (a cold load)."""
        if self.cold:
            return
        context, page, clock, began = self.open(url)
        try:
            settled_after(page, clock, began)
        finally:
            context.close()

    def _context(self):
        viewport = {"width": 1400, "height": 1000}
        return self.browser.new_context(viewport=viewport, storage_state=self.cookies)

    def open(self, url: str) -> tuple[Any, Any, Clock, float]:
        """(what to close afterwards, the page, its clock, when the load began)."""
        context = self._context() if self.cold else self.window
        page = context.new_page()
        clock = Clock(page)
        began = time.monotonic()
        page.goto(url)
        return (context if self.cold else page), page, clock, began


def page_url(app_url: str, name: str) -> str:
    """Where a user opens the page: the admin's landing page (the role's first, with the
    sandbox) is the app's root; its own name there is "Page not found" and a redirect."""
    from services.users import PAGES_BY_ROLE

    return f"{app_url}/" if name == PAGES_BY_ROLE["admin"][0] else f"{app_url}/{name}"


def time_page(tabs: Tabs, app_url: str, name: str) -> dict[str, float]:
    context, page, clock, began = tabs.open(page_url(app_url, name))
    try:
        fresh = settled_after(page, clock, began)
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        began = time.monotonic()
        page.keyboard.press("r")
        rerun = settled_after(page, clock, began)
        figures = {"fresh load": fresh, "rerun (R)": rerun}
        if name == "dashboard":  # its charts are on a tab of their own: the click to them
            began = time.monotonic()
            page.get_by_role("tab", name="Charts").click()
            page.get_by_test_id("stPlotlyChart").first.wait_for(timeout=60_000)
            figures["Charts tab (click)"] = settled_after(page, clock, began)
        return figures
    finally:
        context.close()


def time_send_selected(tabs: Tabs, app_url: str, ids: list[int]) -> float:
    url = f"{app_url}/shipments?selected={','.join(map(str, ids))}"
    context, page, clock, began = tabs.open(url)
    try:
        settled_after(page, clock, began)
        link = page.get_by_role("navigation", name="App pages").get_by_role(
            "link", name="Send to Accounting", exact=True
        )
        began = time.monotonic()
        link.click()
        page.locator("h1", has_text="Send to Accounting").wait_for(timeout=60_000)
        return settled_after(page, clock, began)
    finally:
        context.close()


# --- the run ---------------------------------------------------------------------------------


def measure(
    apps: dict[str, str], pages: list[str], repeat: int, ids: list[int], *, cold: bool = False
) -> dict:
    """Samples per (page, what, app); the apps (label -> URL) take turns on every step, so
    a busy machine slows each of them alike."""
    from playwright.sync_api import sync_playwright

    samples: dict[tuple[str, str, str], list[float]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tabs = {label: Tabs(browser, login(browser, url), cold=cold) for label, url in apps.items()}
        for name in pages:  # each page's own static files (e.g. Plotly's) are cached too
            for label, url in apps.items():
                tabs[label].warm(page_url(url, name))
        for _ in range(repeat):
            for name in pages:
                for label, url in apps.items():
                    for what, seconds in time_page(tabs[label], url, name).items():
                        samples.setdefault((name, what, label), []).append(seconds)
            if "send" in pages and ids:
                for label, url in apps.items():
                    seconds = time_send_selected(tabs[label], url, ids)
                    what = f"{len(ids)} selected (click)"
                    samples.setdefault(("send", what, label), []).append(seconds)
        browser.close()
    return samples


def table(samples: dict, labels: list[str]) -> str:
    head = " | ".join(f"{label}: median / min s" for label in labels)
    lines = [f"| page | what | {head} | runs |", "|---|---|" + "---:|" * (len(labels) + 1)]
    rows = dict.fromkeys((page, what) for page, what, _ in samples)
    for page, what in rows:
        cells = []
        for label in labels:
            values = samples.get((page, what, label), [])
            cells.append(f"{statistics.median(values):.2f} / {min(values):.2f}" if values else "-")
        runs = len(samples.get((page, what, labels[0]), []))
        lines.append(f"| {page} | {what} | {' | '.join(cells)} | {runs} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--schema", help="a seeded PostgreSQL schema, only read")
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--selected", type=int, default=200)
    parser.add_argument(
        "--cold",
        action="store_true",
        help="each fresh load in a new browser profile (nothing cached), not a new tab",
    )
    parser.add_argument(
        "--app-root",
        action="append",
        default=[],
        help="run the app from this tree (e.g. an unpacked `git archive`); twice or more to "
        "compare trees, taking turns, on the same data (default: this tree)",
    )
    args = parser.parse_args(argv)
    pages = [p.strip() for p in args.pages.split(",") if p.strip()]
    work = Path(tempfile.mkdtemp(prefix="page_timings_"))
    with running_sandbox(work, scale=1.0) as sandbox_url, _database(args) as database_url:
        env = app_environment(database_url, sandbox_url)
        add_user(env, _roots(args)[0])
        ids = some_shipment_ids(database_url, args.selected)
        roots = _roots(args)
        labels = [root.name for root in roots]
        with ExitStack() as stack:
            apps = {
                label: stack.enter_context(running_app(env, work / f"app-{label}.log", root))
                for label, root in zip(labels, roots, strict=True)
            }
            samples = measure(apps, pages, args.repeat, ids, cold=args.cold)
    print(table(samples, labels))
    print(f"\n(app logs under {work})")
    return 0


def _roots(args) -> list[Path]:
    return [Path(r).resolve() for r in args.app_root] or [ROOT]


@contextmanager
def _database(args) -> Iterator[str]:
    if args.schema:
        with overlay(args.database_url, args.schema, _roots(args)[0]) as url:
            yield url
    else:
        yield args.database_url


if __name__ == "__main__":
    raise SystemExit(main())
