"""Issue 15 on the Shipments page, in a real browser at 1400 px: the browser's Back and Forward
step through the user's work (search, rows per page, table page, a ticked row, the open
shipment), each step showing what it showed before; and every column of the table fits the
window."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e import ui

pytestmark = pytest.mark.timeout(900)

VIEWPORT_WIDTH = 1400  # the page fixture's window


def search_box(page: Page) -> Locator:
    return page.locator(f"{ui.key('ship_search')} input")


def caption(page: Page, page_of: str) -> Locator:
    return page.get_by_text(re.compile(rf"^\d+ shipment\(s\) · page {page_of}$"))


def edit_number(page: Page) -> Locator:
    return page.locator(ui.key("shipment_form_edit")).get_by_role("textbox", name="Shipment number")


def selected(page: Page, count: int) -> Locator:
    return page.get_by_text(f"{count} of 10 selected", exact=True)


def first_shipment(page: Page) -> Locator:
    """The Shipment cell of the table's first row."""
    grid = ui.table(page, "shipments_table")
    header = grid.locator("th[role='columnheader']").filter(has_text=re.compile(r"^Shipment$"))
    index = header.get_attribute("aria-colindex")
    return grid.locator("tr[role='row']").nth(1).locator(f"td[aria-colindex='{index}']")


def click_first_row(page: Page) -> None:
    """Click the first row's Shipment cell: its shipment opens below."""
    grid = page.locator(ui.key("shipments_table"))
    page.wait_for_timeout(250)  # the canvas draws the new rows a frame after the DOM has them
    box = grid.bounding_box()
    assert box is not None
    x, y = box["x"] + 90, box["y"] + ui.ROW_HEIGHT + 17
    page.mouse.move(x, y)
    page.wait_for_timeout(250)
    page.mouse.click(x, y)


def navigate(page: Page, step) -> None:
    """Back or Forward, then wait for the run it starts to finish."""
    ui.settle(page)
    step()
    ui.settle(page)


def test_back_and_forward_step_through_search_page_selection_and_open_shipment(page, servers, snap):
    ui.login(page, servers.app_url, "operations")
    ui.open_page(page, "Shipments")
    ui.settle(page)
    expect(page).not_to_have_url(re.compile(r"ship_search="))

    ui.search_shipments(page, "SHP-10")  # the 30 demo shipments: one page of 50
    expect(caption(page, "1 of 1")).to_be_visible()
    expect(page).to_have_url(re.compile(r"ship_search=SHP-10"))

    ui.choose(page.locator("body"), "Rows per page", "25")
    expect(caption(page, "1 of 2")).to_be_visible()
    ui.settle(page)
    expect(first_shipment(page)).to_have_text(re.compile(r"^SHP-\d+$"))
    on_page_one = first_shipment(page).inner_text()

    page.locator(ui.key("ship_next")).get_by_role("button").click()
    expect(caption(page, "2 of 2")).to_be_visible()
    ui.settle(page)
    expect(first_shipment(page)).not_to_have_text(on_page_one)
    expect(first_shipment(page)).to_have_text(re.compile(r"^SHP-\d+$"))
    on_page_two = first_shipment(page).inner_text()

    ui.tick_row(page, 1, selected_after=1)
    expect(page).to_have_url(re.compile(r"[?&]selected=\d+"))
    ui.settle(page)
    click_first_row(page)
    expect(edit_number(page)).to_have_value(on_page_two)
    expect(page).to_have_url(re.compile(r"[?&]open=\d+"))
    ui.settle(page)
    snap("opened")

    # Back: the open shipment closes; page 2 and the ticked row stay.
    navigate(page, page.go_back)
    expect(page).not_to_have_url(re.compile(r"[?&]open="))
    expect(edit_number(page)).to_have_count(0)
    expect(caption(page, "2 of 2")).to_be_visible()
    expect(first_shipment(page)).to_have_text(on_page_two)
    expect(selected(page, 1)).to_be_visible()

    # Back: the tick goes.
    navigate(page, page.go_back)
    expect(selected(page, 0)).to_be_visible()
    expect(caption(page, "2 of 2")).to_be_visible()

    # Back: page 1 of 25 rows.
    navigate(page, page.go_back)
    expect(caption(page, "1 of 2")).to_be_visible()
    expect(first_shipment(page)).to_have_text(on_page_one)

    # Back: 50 rows per page again, the search still there.
    navigate(page, page.go_back)
    expect(caption(page, "1 of 1")).to_be_visible()
    expect(search_box(page)).to_have_value("SHP-10")

    # Back: before the search.
    navigate(page, page.go_back)
    expect(search_box(page)).to_have_value("")
    expect(page).not_to_have_url(re.compile(r"ship_search="))
    snap("back-to-the-start")

    # Forward, step by step, to the open shipment.
    navigate(page, page.go_forward)
    expect(search_box(page)).to_have_value("SHP-10")
    expect(caption(page, "1 of 1")).to_be_visible()
    navigate(page, page.go_forward)
    expect(caption(page, "1 of 2")).to_be_visible()
    navigate(page, page.go_forward)
    expect(caption(page, "2 of 2")).to_be_visible()
    expect(selected(page, 0)).to_be_visible()
    navigate(page, page.go_forward)
    expect(selected(page, 1)).to_be_visible()
    expect(edit_number(page)).to_have_count(0)
    navigate(page, page.go_forward)
    expect(edit_number(page)).to_have_value(on_page_two)
    expect(selected(page, 1)).to_be_visible()
    expect(search_box(page)).to_have_value("SHP-10")
    snap("forward-to-the-open-shipment")

    # A reload of that entry finds the same work.
    page.reload()
    expect(ui.title(page)).to_have_text("Shipments")
    ui.settle(page)
    expect(search_box(page)).to_have_value("SHP-10")
    expect(caption(page, "2 of 2")).to_be_visible()
    expect(edit_number(page)).to_have_value(on_page_two)


def test_back_after_coming_back_from_another_page_keeps_the_search(page, servers, snap):
    """Coming back from the sidebar, Streamlit pushes an entry of its own (the page's address
    without the work): Back onto it keeps the work; the next Back leaves the page."""
    ui.login(page, servers.app_url, "operations")
    ui.open_page(page, "Shipments")
    ui.search_shipments(page, "SHP-1012", expect_total=1)
    ui.open_page(page, "Accounting Logs")
    expect(page).not_to_have_url(re.compile(r"ship_search="))
    ui.open_page(page, "Shipments")
    ui.settle(page)
    expect(search_box(page)).to_have_value("SHP-1012")  # the session kept it

    navigate(page, page.go_back)
    expect(ui.title(page)).to_have_text("Shipments")
    expect(search_box(page)).to_have_value("SHP-1012")
    expect(caption(page, "1 of 1")).to_be_visible()
    snap("back-keeps-the-search")

    navigate(page, page.go_back)
    expect(ui.title(page)).to_have_text("Accounting Logs")
    navigate(page, page.go_back)
    expect(ui.title(page)).to_have_text("Shipments")
    expect(search_box(page)).to_have_value("SHP-1012")


def test_every_column_of_the_shipments_table_fits_1400_px(page, servers, snap):
    ui.login(page, servers.app_url, "operations")
    ui.open_page(page, "Shipments")
    ui.settle(page)
    grid = ui.table(page, "shipments_table")
    headers = grid.locator("th[role='columnheader']")
    expect(headers.last).to_have_text("Problem")
    page.wait_for_timeout(250)  # the canvas lays out a frame after the DOM has the headers
    texts = headers.all_inner_texts()
    assert "Xero number" in texts and "Organisation" in texts
    # The last header's right edge, from the grid's own layout (the canvas draws it there).
    right = page.evaluate(
        """(grid) => {
            const scroller = grid.querySelector('.dvn-scroller');
            const box = grid.getBoundingClientRect();
            return {right: box.left + scroller.scrollWidth, shown: scroller.clientWidth,
                    wide: scroller.scrollWidth};
        }""",
        grid.element_handle(),
    )
    assert right["wide"] <= right["shown"], right  # no sideways scroll inside the table
    assert right["right"] <= VIEWPORT_WIDTH, right
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= VIEWPORT_WIDTH
    cells = grid.locator("td[role='gridcell']").all_inner_texts()
    assert cells and "None" not in cells
    snap("table-at-1400px", grid)
