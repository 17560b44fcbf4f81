"""Issue 15 item 2 in the browser: auto-sync by status for a shipment with no organisation of
its own. The admin switches "Queue at the trigger status" on (and AUTHORISED) in the default
organisation's OWN settings, reads on Mapping that a shipment with no organisation uses them,
moves such a shipment to Shipped, and the worker sends it to Xero as AUTHORISED."""

from __future__ import annotations

import re
import sqlite3
import time
from contextlib import closing

from playwright.sync_api import expect

from tests.e2e import ui

NUMBER = "SHP-1027"  # a demo shipment: Packed, no organisation of its own, valid
NO_ORGANISATION = f"No organisation (sent to {ui.ORGANISATION})"
QUEUE_LABEL = "Queue a shipment for sending when it reaches the trigger status"


def _database(servers) -> sqlite3.Connection:
    return sqlite3.connect(servers.env["DATABASE_URL"].removeprefix("sqlite:///"))


def _shipment(servers) -> tuple:
    with closing(_database(servers)) as db:
        return db.execute(
            "SELECT tenant_id, workflow_status, sync_state, xero_status FROM shipment "
            "WHERE shipment_number = ?",
            (NUMBER,),
        ).fetchone()


def _default_tenant(servers) -> str:
    with closing(_database(servers)) as db:
        return db.execute("SELECT tenant_id FROM xero_connection WHERE is_default").fetchone()[0]


def _wait_until_sent(servers, seconds: float = 90) -> tuple:
    """The worker drains the queue on its own schedule: wait for the outcome it records."""
    deadline = time.monotonic() + seconds
    row = _shipment(servers)
    while time.monotonic() < deadline:
        row = _shipment(servers)
        if row[2] in ("Processed", "Rejected"):
            return row
        time.sleep(0.5)
    raise AssertionError(f"{NUMBER} was not sent within {seconds} s: {row}")


def _own_settings(page, value: bool) -> None:
    ui.settle(page)  # the form of the organisation chosen, not the one it replaces
    settings = page.get_by_role("tabpanel", name="Settings")
    box = settings.get_by_role("checkbox", name=QUEUE_LABEL)
    if box.is_checked() != value:
        settings.get_by_text(QUEUE_LABEL, exact=True).click()
    expect(box).to_be_checked(checked=value)
    ui.choose(settings, "Invoice status", "AUTHORISED")
    settings.get_by_role("button", name="Save mapping").click()
    expect(page.get_by_text(re.compile(r"^Mapping saved \("))).to_be_visible()
    ui.settle(page)  # the save's rerun redraws the tables below: read the redrawn ones


def test_a_shipment_with_no_organisation_is_queued_at_shipped(page, servers, xero_connected, snap):
    assert _shipment(servers)[:3] == (None, "Packed", "Not sent")
    ui.login(page, servers.app_url, "admin")
    try:
        ui.open_page(page, "Mapping")
        ui.choose(page.locator(ui.key("mapping_tenant")), "Settings for", ui.ORGANISATION)
        _own_settings(page, True)

        grid = ui.table(page, "effective_settings_table")
        grid.scroll_into_view_if_needed()
        expect(ui.cell(grid, "Queue at the trigger status", NO_ORGANISATION)).to_have_text("Yes")
        expect(ui.cell(grid, "Status", NO_ORGANISATION)).to_have_text("AUTHORISED")
        expect(ui.cell(grid, "Trigger status", NO_ORGANISATION)).to_have_text("Shipped")
        expect(ui.cell(grid, "Comes from", NO_ORGANISATION)).to_have_text(
            f"{ui.ORGANISATION}'s own settings"
        )
        snap("mapping-as-the-send-will-use-them", grid)

        ui.open_page(page, "Shipments")
        ui.search_shipments(page, NUMBER, expect_total=1)
        form = ui.open_shipment(page, NUMBER)
        ui.choose(form, "Status", "Shipped")
        form.get_by_role("button", name="Save").click()
        expect(page.get_by_text(re.compile(rf"^Saved {NUMBER}"))).to_be_visible()
        snap("moved-to-shipped")

        tenant, status, sync_state, xero_status = _wait_until_sent(servers)
        # Sent to the default organisation (which it now belongs to), with its own settings.
        assert (tenant, status, sync_state, xero_status) == (
            _default_tenant(servers),
            "Shipped",
            "Processed",
            "AUTHORISED",
        )
        ui.open_page(page, "Accounting Logs")
        logs = page.get_by_test_id("stDataFrame").first
        expect(ui.cell(logs, NUMBER, "Trigger")).to_have_text("status")
        expect(ui.cell(logs, NUMBER, "Outcome")).to_have_text("Processed")
        snap("sent-by-the-worker", logs)

        # Back to Every organisation's settings, from the page.
        ui.open_page(page, "Mapping")
        ui.choose(page.locator(ui.key("mapping_tenant")), "Settings for", ui.ORGANISATION)
        page.locator(ui.key("mapping_use_defaults")).get_by_role("button").click()
        expect(
            page.get_by_text(f"{ui.ORGANISATION} now uses Every organisation's settings.")
        ).to_be_visible()
    finally:  # the other journeys share these servers: leave the default settings as found
        with closing(_database(servers)) as db:
            db.execute("DELETE FROM sync_settings WHERE tenant_id IS NOT NULL")
            db.commit()
