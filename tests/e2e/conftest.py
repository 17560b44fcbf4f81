"""End-to-end fixtures: the servers `make run` starts (the same command, on free ports and a
temporary database) and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from urllib.request import urlopen

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import expect

from tests.e2e import ui

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            # One set of servers per xdist worker: keep the journeys together.
            item.add_marker(pytest.mark.xdist_group("e2e"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed journey's report ends with what the servers logged meanwhile."""
    outcome = yield
    report = outcome.get_result()
    servers = item.funcargs.get("servers") if hasattr(item, "funcargs") else None
    if report.failed and isinstance(servers, Servers) and servers.log.exists():
        report.sections.append(("servers log (tail)", servers.log.read_text()[-6000:]))


def pytest_terminal_summary(terminalreporter):
    if ui.RETRIES:
        terminalreporter.write_sep("-", "e2e: clicks the app dropped, repeated as a user would")
        for line in ui.RETRIES:
            terminalreporter.write_line(line)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


class Servers:
    def __init__(self, app_url: str, sandbox_url: str, env: dict, log: Path):
        self.app_url, self.sandbox_url, self.env, self.log = app_url, sandbox_url, env, log

    def connection_statuses(self) -> dict[str, str]:
        """The app's Xero connections (organisation -> status), read from its database."""
        path = self.env["DATABASE_URL"].removeprefix("sqlite:///")
        with closing(sqlite3.connect(path)) as db:
            return dict(db.execute("SELECT tenant_name, status FROM xero_connection").fetchall())

    def xero_invoice_id(self, shipment_number: str) -> str:
        """The Xero InvoiceID the app stored for a sent shipment (to play a payment in Xero)."""
        path = self.env["DATABASE_URL"].removeprefix("sqlite:///")
        with closing(sqlite3.connect(path)) as db:
            row = db.execute(
                "SELECT xero_document_id FROM shipment WHERE shipment_number = ?",
                (shipment_number,),
            ).fetchone()
        assert row and row[0], f"{shipment_number} has no Xero document"
        return row[0]


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    """`python -m services.cli run` — what `make run` runs — with its own data."""
    data = tmp_path_factory.mktemp("e2e")
    app_port, sandbox_port = _free_port(), _free_port()
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{data / 'shipbridge.sqlite3'}",
        XERO_SANDBOX_DB=str(data / "xero_sandbox.sqlite3"),
        XERO_SANDBOX_URL=f"http://127.0.0.1:{sandbox_port}",
        APP_URL=f"http://localhost:{app_port}",
        SHIPBRIDGE_SECRET_KEY=Fernet.generate_key().decode(),
        SHIPBRIDGE_COOKIE_KEY="e2e-cookie-key-0123456789abcdef0123456789",
        PYTHONUNBUFFERED="1",
        # One version of the code for the whole run, even while files change on disk.
        STREAMLIT_SERVER_FILE_WATCHER_TYPE="none",
    )
    for name in ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET"):
        env.pop(name, None)
    log = data / "servers.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait(f"http://localhost:{app_port}/_stcore/health", 90)
        _wait(f"http://127.0.0.1:{sandbox_port}/Connections".replace("/Connections", "/"), 30)
        yield Servers(env["APP_URL"], env["XERO_SANDBOX_URL"], env, log)
    except Exception:
        print(log.read_text()[-5000:])
        raise
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    ui.watch(page)
    page.set_default_timeout(20_000)
    expect.set_options(timeout=20_000)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-last.png"), full_page=True)
    context.close()


@pytest.fixture
def snap(page, request):
    """snap("step") saves artifacts/<test name>-<step>.png; snap("step", locator) scrolls
    that into view first (Streamlit's main area scrolls by itself, so a full-page shot does
    not show what is below the fold)."""

    def take(step: str, show=None) -> None:
        if show is not None:
            show.scroll_into_view_if_needed()
        ui.shot(page, request.node.name, step)

    return take


@pytest.fixture
def xero_connected(servers, browser):
    """The demo organisation is connected: if it is not, an admin connects it in the UI."""
    if servers.connection_statuses().get(ui.ORGANISATION) == "Connected":
        return
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        ui.watch(page)
        page.set_default_timeout(20_000)
        ui.login(page, servers.app_url, "admin")
        ui.connect(page)
    finally:
        context.close()
    assert servers.connection_statuses().get(ui.ORGANISATION) == "Connected"
