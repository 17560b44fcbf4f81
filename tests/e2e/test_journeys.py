"""Shipbridge end to end: real users' journeys in a real (headless) Chromium against the
servers `make run` starts. Each journey makes or picks the shipments it needs; the only
shared state is the Xero connection, which the `xero_connected` fixture makes (in the UI)
when a journey needs it and it is missing."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e import ui

PROCESSED = r"^{}: Processed — Xero [^,\s]+(, [A-Z]+)?\.$"


def processed_alert(page, number: str):
    """The Last send line of a shipment Xero took: "SHP-1: Processed — Xero INV-1, DRAFT."."""
    return page.get_by_text(re.compile(PROCESSED.format(re.escape(number))))


def xero_number_in(alert) -> str:
    expect(alert).to_be_visible()
    found = re.match(r".*Xero (?P<number>[^,\s]+)", alert.inner_text())
    assert found and found["number"] != "(no", alert.inner_text()
    return found["number"]


def test_foundation_connect_send_three_and_see_them_logged(page, servers, snap):
    """Issue "foundation": connect through Xero's consent page, send three shipments, see
    them Processed with Xero numbers, and find the three attempts in Accounting Logs."""
    ui.login(page, servers.app_url, "admin")
    expect(ui.title(page)).to_have_text("Dashboard")

    ui.open_page(page, "Connect")
    snap("connect-page")
    page.locator(ui.key("connect_start")).get_by_role("button", name="Connect to Xero").click()
    page.get_by_role("link", name="Continue to Xero").click()
    expect(page.get_by_role("heading", name=ui.CONSENT_HEADING)).to_be_visible()
    snap("consent")
    page.get_by_role("button", name="Allow access").click()
    expect(page.get_by_text(f"Connected to {ui.ORGANISATION}", exact=True)).to_be_visible()
    expect(page.get_by_text(f"{ui.ORGANISATION} — Connected", exact=True)).to_be_visible()
    expect(ui.title(page)).to_have_text("Xero connections")
    snap("connected")

    ui.open_page(page, "Shipments")
    numbers = ["SHP-1001", "SHP-1002", "SHP-1003"]
    ui.select_shipments(page, numbers)
    snap("selected")
    page.locator(ui.key("send_selected")).get_by_role("button").click()
    sent = {number: xero_number_in(processed_alert(page, number)) for number in numbers}
    assert len(set(sent.values())) == 3, sent
    expect(page.get_by_text("0 of 10 selected", exact=True)).to_be_visible()
    page.get_by_role("heading", name="Last send").scroll_into_view_if_needed()
    snap("sent")

    ui.search_shipments(page, "SHP-100", expect_total=9)
    grid = ui.table(page, "shipments_table")
    for number, xero_number in sent.items():
        expect(ui.cell(grid, number, "Sync state")).to_have_text("Processed")
        expect(ui.cell(grid, number, "Xero number")).to_have_text(xero_number)
    snap("table")

    ui.open_page(page, "Accounting Logs")
    log = ui.table(page, "log_table")
    for number, xero_number in sent.items():
        expect(ui.cell(log, number, "Outcome")).to_have_text("Processed")
        expect(ui.cell(log, number, "Xero number")).to_have_text(xero_number)
        expect(ui.cell(log, number, "Trigger")).to_have_text("bulk")
        expect(ui.cell(log, number, "Who")).to_have_text("admin")
    snap("logs")
