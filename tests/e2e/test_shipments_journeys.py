"""Issue 15 on the Shipments page, in a real browser: two tabs (the second save is refused and
its input kept), a reload keeps filters, selection and a half-typed new shipment, and a bulk
status change lists the selected shipment the search hides before changing anything."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e import ui

pytestmark = pytest.mark.timeout(900)


def open_by_click(page: Page, number: str):
    """Search for the shipment and click its cell in the table: its form opens below."""
    ui.search_shipments(page, number, expect_total=1)
    grid = page.locator(ui.key("shipments_table"))
    expect(ui.cell(ui.table(page, "shipments_table"), number, "Shipment")).to_have_count(1)
    page.wait_for_timeout(250)  # the canvas draws the new rows a frame after the DOM has them
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 90, box["y"] + ui.ROW_HEIGHT + 17)
    form = page.locator(ui.key("shipment_form_edit"))
    expect(form.get_by_role("textbox", name="Shipment number")).to_have_value(number)
    ui.settle(page)
    return form


def test_two_tabs_the_second_save_is_refused_and_keeps_its_input(page, servers, snap):
    ui.login(page, servers.app_url, "operations")
    ui.open_page(page, "Shipments")
    tab_a = page
    tab_b = page.context.new_page()  # the same login, a session of its own
    ui.watch(tab_b)
    tab_b.goto(tab_a.url)
    expect(ui.title(tab_b)).to_have_text("Shipments")

    form_a = open_by_click(tab_a, "SHP-1016")
    form_b = open_by_click(tab_b, "SHP-1016")  # opened before tab A saves

    form_a.get_by_role("textbox", name="Freight amount").fill("111.00")
    form_a.get_by_role("button", name="Save").click()
    expect(tab_a.get_by_text("Saved SHP-1016.", exact=True)).to_be_visible()

    freight_b = form_b.get_by_role("textbox", name="Freight amount")
    freight_b.fill("222.00")
    form_b.get_by_role("button", name="Save").click()
    refused = tab_b.get_by_test_id("stAlert").filter(has_text="Not saved: SHP-1016 was changed")
    expect(refused).to_be_visible()
    expect(refused).to_contain_text("operations at")
    expect(refused).to_contain_text("freight amount")
    expect(tab_b.get_by_text("Saved SHP-1016.", exact=True)).to_have_count(0)
    expect(freight_b).to_have_value("222.00")  # the input is kept to re-apply
    ui.shot(tab_b, "test_two_tabs_the_second_save_is_refused_and_keeps_its_input", "refused")

    tab_b.locator(ui.key("edit_reapply")).get_by_role("button").click()
    expect(form_b.get_by_role("textbox", name="Freight amount")).to_have_value("222.00")
    ui.settle(tab_b)
    form_b.get_by_role("button", name="Save").click()
    expect(tab_b.get_by_text("Saved SHP-1016.", exact=True)).to_be_visible()
    snap("tab-a-after")
    tab_b.close()


def test_a_reload_keeps_filters_selection_and_the_new_shipment_draft(page, servers, snap):
    ui.login(page, servers.app_url, "operations")
    ui.open_page(page, "Shipments")
    ui.search_shipments(page, "SHP-102", expect_total=10)
    ui.tick_row(page, 0, selected_after=1)
    expect(page).to_have_url(re.compile(r"ship_search=SHP-102"))
    expect(page).to_have_url(re.compile(r"selected=\d+"))

    page.get_by_role("tab", name="New shipment").click()
    new_form = page.locator(ui.key("shipment_form_new"))
    number = new_form.get_by_role("textbox", name="Shipment number")
    number.fill("E2E-DRAFT-1")
    number.press("Enter")  # Enter commits; it never discards what was typed
    buyer = new_form.get_by_role("textbox", name="Buyer code")
    buyer.fill("ACME")
    buyer.press("Enter")
    expect(page.get_by_text("Your draft is kept", exact=False)).to_be_visible()
    expect(number).to_have_value("E2E-DRAFT-1")
    ui.settle(page)

    page.reload()
    expect(ui.title(page)).to_have_text("Shipments")
    ui.settle(page)
    expect(page.locator(f"{ui.key('ship_search')} input")).to_have_value("SHP-102")
    expect(page.get_by_text("10 shipment(s) · page 1 of 1", exact=True)).to_be_visible()
    expect(page.get_by_text("1 of 10 selected", exact=True)).to_be_visible()
    page.get_by_role("tab", name="New shipment").click()
    new_form = page.locator(ui.key("shipment_form_new"))
    expect(new_form.get_by_role("textbox", name="Shipment number")).to_have_value("E2E-DRAFT-1")
    expect(new_form.get_by_role("textbox", name="Buyer code")).to_have_value("ACME")
    snap("after-reload", new_form)


def test_a_bulk_change_lists_the_selected_shipment_the_search_hides(page, servers, snap):
    ui.login(page, servers.app_url, "operations")
    ui.open_page(page, "Shipments")
    ui.select_shipments(page, ["SHP-1024", "SHP-1025"])  # the search now shows SHP-1025 only
    summary = page.locator(ui.key("selection_summary"))
    expect(summary).to_contain_text("2 selected, 1 not shown (1 hidden by the filters)")

    ui.choose(page.locator(ui.key("bulk_status")), "New status", "Delivered")
    page.locator(ui.key("change_status")).get_by_role("button").click()
    confirm = page.locator(ui.key("bulk_confirm"))
    expect(confirm).to_contain_text("Move to Delivered: 2 shipment(s)")
    listed = ui.table(page, "bulk_confirm")
    expect(ui.cell(listed, "SHP-1024", "Where")).to_have_text("hidden by the filters")
    expect(ui.cell(listed, "SHP-1025", "Where")).to_have_text("on this page")
    snap("confirm-lists-the-hidden-one", confirm)

    page.locator(ui.key("bulk_confirm_button")).get_by_role("button").click()
    expect(
        page.get_by_text(
            re.compile(r"^2 shipment\(s\) moved to Delivered: SHP-102[45], SHP-102[45]\.")
        )
    ).to_be_visible()
    ui.search_shipments(page, "SHP-1024", expect_total=1)
    expect(ui.cell(ui.table(page, "shipments_table"), "SHP-1024", "Status")).to_have_text(
        "Delivered"
    )
    snap("moved")
