"""User text is text in the browser: a shipment whose data holds Markdown images and links
shows them as characters, and the browser never asks for the addresses they name."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine

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
