"""User text is text in the browser: a shipment whose data holds Markdown images and links
shows them as characters, and the browser never asks for the addresses they name; with the
corpus in every user-controlled field, a listener on a free port that those fields point at
hears nothing while an admin visits every page."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, delete
from sqlmodel import col, select

from models import ConnectionStatus, CustomerMapping, XeroConnection
from services import integration_log
from services.db import session_scope
from tests.e2e import ui
from tests.utils.factories import line, make_shipment
from ui import state

pytestmark = [pytest.mark.timeout(900), pytest.mark.xdist_group("e2e")]

TRACKER = "http://127.0.0.1:9/track.png"
ELSEWHERE = "http://evil.example/"
IMAGE = f"![t]({TRACKER})"
LINK = f"[click]({ELSEWHERE})"
FIX = f"Customer code {IMAGE} is not a Xero contact: map it. {LINK}"


def as_read(text: str) -> re.Pattern[str]:
    """`text` as a reader sees it: the page may hold invisible word joiners (U+2060) inside
    bare addresses, which keep them from becoming links."""
    return re.compile("\u2060?".join(re.escape(char) for char in text))


def rejected_with_markdown(database_url: str) -> tuple[str, int]:
    """A rejected shipment in the app's database whose customer code, description and Xero
    error are Markdown; returns its number and its log entry's id."""
    engine = create_engine(database_url)
    try:
        with session_scope(engine) as session:
            shipment = make_shipment(
                session, buyer_code=IMAGE, lines=[line(description=LINK)], status="Draft"
            )
            shipment.sync_state = "Rejected"
            shipment.last_error = f"Contact {IMAGE} is not in Xero. {LINK}"
            entry = integration_log.write(
                session=session,
                shipment_id=shipment.id,
                shipment_number=shipment.shipment_number,
                batch_id="e2e-user-text",
                trigger="bulk",
                triggered_by="operations",
                document_type="invoice",
                action="create",
                outcome="Rejected",
                payload={"InvoiceNumber": shipment.shipment_number, "LineItems": []},
                errors_xero=[f"The contact {IMAGE} was not found. {LINK}"],
                errors_plain=[FIX],
                api_calls=1,
            )
            session.flush()
            assert entry.id is not None
            return shipment.shipment_number, entry.id
    finally:
        engine.dispose()


def test_markdown_in_user_data_is_shown_as_text_and_fetches_nothing(page, servers, snap):
    number, entry = rejected_with_markdown(servers.env["DATABASE_URL"])
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))

    ui.login(page, servers.app_url, "operations")
    ui.open_page(page, "Accounting Logs")
    page.locator(ui.key(f"{state.VIEW_ERROR_PREFIX}{entry}")).get_by_role("button").click()
    fix = page.get_by_text(as_read(FIX))
    expect(fix).to_be_visible()
    snap("view-error", fix)

    ui.open_page(page, "Shipments")
    ui.search_shipments(page, number, expect_total=1)
    form = ui.open_shipment(page, number)
    expect(form.get_by_role("textbox", name="Buyer code")).to_have_value(IMAGE)
    said = page.get_by_text(as_read(f"said: Contact {IMAGE} is not in Xero."))
    expect(said).to_be_visible()
    snap("shipment", said)
    ui.settle(page)

    fetched = [url for url in asked if url.startswith((TRACKER, ELSEWHERE.rstrip("/")))]
    assert fetched == []
    assert page.locator(f"img[src^='{TRACKER}']").count() == 0
    assert page.locator("a[href*='evil.example']").count() == 0
    # The browser did make requests meanwhile (the app's own), so the list was recording.
    assert any(url.startswith(servers.app_url) for url in asked)


# --- the corpus, pointing at a listener, through every page ------------------------------------


class Listener:
    """A tiny HTTP server on a free port that records every path it is asked for."""

    def __init__(self) -> None:
        heard: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                heard.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.heard = heard
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@contextmanager
def listening() -> Iterator[Listener]:
    listener = Listener()
    thread = threading.Thread(target=listener.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        listener.server.shutdown()
        listener.server.server_close()


def corpus(url: str) -> dict[str, str]:
    """Field name -> a value (at most 60 characters) that would fetch from `url`, link to
    it, run a script, or change how text reads, if it were read as Markdown or HTML."""
    return {
        "number": f"E ![n]({url}/n.png)",
        "code": f"![c]({url}/c.png) `t`",
        "reference": f"[r]({url}/r) :red[x]",
        "product": f'<img src="{url}/p.png">',
        "description": f"![d]({url}/d.png) [x](javascript:alert(1)) **b** $x$",
        "organisation": f"Org ![o]({url}/o.png) <img src={url}/i.png>",
        "error": f"Contact ![e]({url}/e.png) is not in Xero; see [here]({url}/e)",
        "mapping": f"M ![m]({url}/m.png)",
        "search": f"Q ![q]({url}/q.png) [s]({url}/s)",
    }


@contextmanager
def hostile_data(database_url: str, values: dict[str, str]) -> Iterator[int]:
    """In the app's database: a rejected shipment with its log entry, an organisation that
    needs reconnecting (named on every page's banner and on Connect), and a customer mapping,
    all holding `values`; yields the log entry's id. The organisation and the mapping are
    removed afterwards (the other journeys share this database)."""
    engine = create_engine(database_url)
    try:
        with session_scope(engine) as session:
            session.add(
                XeroConnection(
                    tenant_id="tenant-e2e-hostile",
                    tenant_name=values["organisation"],
                    status=ConnectionStatus.NEEDS_RECONNECT,
                    last_error=values["error"],
                    is_default=False,
                )
            )
            demo = session.exec(
                select(XeroConnection).where(XeroConnection.tenant_name == ui.ORGANISATION)
            ).first()
            assert demo is not None
            session.add(
                CustomerMapping(
                    tenant_id=demo.tenant_id, shipment_code=values["mapping"], account_number="ACME"
                )
            )
            shipment = make_shipment(
                session,
                shipment_number=values["number"],
                buyer_code=values["code"],
                exporter_reference=values["reference"],
                lines=[line(product_code=values["product"], description=values["description"])],
                status="Draft",
            )
            shipment.sync_state = "Rejected"
            shipment.last_error = values["error"]
            entry = integration_log.write(
                session=session,
                shipment_id=shipment.id,
                shipment_number=shipment.shipment_number,
                batch_id="e2e-corpus",
                trigger="bulk",
                triggered_by="admin",
                document_type="invoice",
                action="create",
                outcome="Rejected",
                payload={"InvoiceNumber": shipment.shipment_number, "LineItems": []},
                errors_xero=[values["error"]],
                errors_plain=[f"{values['description']} {values['error']}"],
                api_calls=1,
            )
            session.flush()
            assert entry.id is not None
            entry_id = entry.id
        yield entry_id
    finally:
        with session_scope(engine) as session:
            session.exec(
                delete(XeroConnection).where(col(XeroConnection.tenant_id) == "tenant-e2e-hostile")
            )
            session.exec(
                delete(CustomerMapping).where(
                    col(CustomerMapping.shipment_code) == values["mapping"]
                )
            )
        engine.dispose()


def test_no_page_fetches_or_links_an_address_found_in_user_data(
    page, servers, xero_connected, snap
):
    with listening() as listener:
        values = corpus(listener.url)
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url))
        with hostile_data(servers.env["DATABASE_URL"], values) as entry:
            ui.login(page, servers.app_url, "admin")
            banner = page.get_by_text(as_read(values["organisation"])).first
            expect(banner).to_be_visible()  # the reconnect banner, on every page
            snap("dashboard", banner)

            ui.open_page(page, "Shipments")
            ui.search_shipments(page, values["number"], expect_total=1)
            ui.open_shipment(page, values["number"])
            expect(page.get_by_text(as_read(f"said: {values['error']}"))).to_be_visible()
            snap("shipments")

            ui.open_page(page, "Send to Accounting")
            expect(banner).to_be_visible()

            ui.open_page(page, "Accounting Logs")
            page.locator(ui.key(f"{state.VIEW_ERROR_PREFIX}{entry}")).get_by_role("button").click()
            fix = page.get_by_text(as_read(f"{values['description']} {values['error']}"))
            expect(fix).to_be_visible()
            snap("logs", fix)

            ui.open_page(page, "Mapping")
            page.get_by_role("tab", name="Customers").click()
            search = page.locator(f"{ui.key(state.CUSTOMER_MAP_SEARCH)} input")
            search.fill(values["search"])
            search.press("Enter")
            nothing = page.get_by_text(
                as_read(f"No customer mapping matches “{values['search']}”.")
            )
            expect(nothing).to_be_visible()
            snap("mapping", nothing)

            ui.open_page(page, "Connect")
            named = page.get_by_text(as_read(f"{values['organisation']} — Needs reconnecting"))
            expect(named).to_be_visible()
            snap("connect", named)
            ui.settle(page)

            assert listener.heard == []
            assert [url for url in asked if url.startswith(listener.url)] == []
            assert page.locator(f"img[src^='{listener.url}']").count() == 0
            assert page.locator(f"a[href^='{listener.url}']").count() == 0
            assert page.locator("a[href^='javascript:']").count() == 0
        # The listener does hear a browser that asks it (so its silence above means something).
        page.evaluate("url => { new Image().src = url; }", f"{listener.url}/control.png")
        for _ in range(100):
            if listener.heard:
                break
            page.wait_for_timeout(100)
        assert listener.heard == ["/control.png"]
