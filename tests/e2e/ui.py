"""What the journeys do in the browser, in a user's words: log in, open a page, tick table
rows, read the table, connect Xero, take a screenshot.

Streamlit reruns asynchronously, so every step waits on something the user would see (an
auto-waiting `expect`), never on a fixed sleep. Tables are glide data grids drawn on a
canvas: rows are ticked by clicking the canvas, and read through the grid's accessible
table (hidden `<td role=gridcell>` cells that mirror the rows on screen).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.request import Request, urlopen

from playwright.sync_api import Locator, Page, expect

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ORGANISATION = "Shipbridge Demo Exports Ltd"
CONSENT_HEADING = "Shipbridge would like access to your organisation's data"
ROW_HEIGHT = 35  # glide data grid: header and rows
# Clicks the app dropped and the journeys repeated (reported at the end of the run).
RETRIES: list[str] = []
_LAST_SENT: dict[int, float] = {}  # id(page) -> when the browser last sent Streamlit a message
PAGE_TITLES = {  # sidebar link -> the page's title (h1)
    "Dashboard": "Dashboard",
    "Shipments": "Shipments",
    "Send to Accounting": "Send to Accounting",
    "Accounting Logs": "Accounting Logs",
    "Mapping": "Mapping",
    "Connect": "Xero connections",
}


def key(name: str) -> str:
    """The CSS selector of the widget or container with this Streamlit key."""
    return f".st-key-{name}"


def shot(page: Page, test_name: str, step: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{test_name}-{step}.png"), full_page=True)


def title(page: Page) -> Locator:
    return page.locator("h1")


# --- logging in and moving around ----------------------------------------------------------


def idle(page: Page) -> None:
    """Wait until Streamlit has finished the current script run."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")


def watch(page: Page) -> None:
    """Note when the browser last sent Streamlit a message (each asks for a rerun)."""

    def on_websocket(socket) -> None:
        socket.on("framesent", lambda _frame: _LAST_SENT.__setitem__(id(page), time.monotonic()))

    page.on("websocket", on_websocket)


def settle(page: Page, quiet: float = 0.6, timeout: float = 20) -> None:
    """Wait until Streamlit is idle and the browser has asked for no rerun for `quiet` s.

    Components (the login cookie manager, say) send their first value a moment after the
    run that drew them, which starts another run: `idle` alone can fall in between."""
    deadline = time.monotonic() + timeout
    while True:
        idle(page)
        if time.monotonic() - _LAST_SENT.get(id(page), 0.0) >= quiet:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"Streamlit did not settle within {timeout} s")
        page.wait_for_timeout(100)


def _has_login_cookie(page: Page) -> bool:
    return any(c["name"] == "shipbridge_auth" for c in page.context.cookies())


def login(page: Page, app_url: str, username: str, password: str | None = None) -> None:
    """Log in on the login form; return once the app and its login cookie are there.

    A Login click that Streamlit drops (the form stays filled, no message; see RETRIES) is
    repeated, as a user would, at most twice."""
    page.goto(app_url)
    login_button = page.get_by_role("button", name="Login")
    logout_button = page.get_by_role("button", name="Logout")
    for attempt in range(3):
        settle(page)
        page.get_by_role("textbox", name="Username").fill(username)
        page.get_by_role("textbox", name="Password").fill(password or username)
        login_button.click()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if logout_button.count() and _has_login_cookie(page):
                break
            page.wait_for_timeout(100)
        settle(page)
        if logout_button.count():
            # Logged in: the cookie (set by a component a moment later) must follow.
            deadline = time.monotonic() + 20
            while not _has_login_cookie(page):
                if time.monotonic() > deadline:
                    raise AssertionError(f"logged in as {username} but no login cookie came")
                page.wait_for_timeout(100)
            # The browser confirmed the cookie, so the app stops drawing the component.
            expect(page.locator(".st-key-cookie_box iframe")).to_have_count(0, timeout=10_000)
            expect(title(page)).to_be_visible()
            return
        RETRIES.append(f"login as {username}: the Login click was dropped (try {attempt + 1})")
        expect(login_button).to_be_visible()
    raise AssertionError(f"could not log in as {username} in three tries")


def logout(page: Page) -> None:
    """Log out; return once the login form is back and the login cookie is gone (the
    cookie is removed a moment after the form shows: a page loaded before would still be
    logged in)."""
    page.get_by_role("button", name="Logout").click()
    expect(page.get_by_role("button", name="Login")).to_be_visible()
    deadline = time.monotonic() + 15
    while _has_login_cookie(page):
        if time.monotonic() > deadline:
            raise AssertionError("the login cookie is still there 15 s after Logout")
        page.wait_for_timeout(100)
    expect(page.locator(".st-key-cookie_box iframe")).to_have_count(0, timeout=10_000)
    settle(page)


def sidebar_links(page: Page) -> Locator:
    return page.get_by_role("navigation", name="App pages").get_by_role("link")


def link_texts(*names: str) -> list[re.Pattern]:
    """What sidebar links read (each starts with its icon's name, e.g. "local_shipping")."""
    return [re.compile(rf"(^|[a-z_]){re.escape(name)}$") for name in names]


def hide_sidebar(page: Page) -> None:
    """Collapse the sidebar, as a user does to give a wide table the whole window (at 1,400
    px the Shipments table's last columns are off screen, and a glide grid draws, and
    mirrors in its accessible table, only the columns on screen)."""
    page.get_by_test_id("stSidebar").hover()
    page.get_by_test_id("stSidebarCollapseButton").get_by_role("button").click()
    expect(page.get_by_test_id("stExpandSidebarButton")).to_be_visible()


def show_sidebar(page: Page) -> None:
    """Open the sidebar again if it is collapsed."""
    expand = page.get_by_test_id("stExpandSidebarButton")
    if expand.is_visible():
        expand.click()
    expect(page.get_by_role("navigation", name="App pages")).to_be_visible()


def open_page(page: Page, link: str) -> None:
    """Click a sidebar link (opening the sidebar first if it is collapsed) and wait for the
    page's title.

    A click that lands while Streamlit is still applying the previous run (just after the
    login, say) is sometimes dropped by the browser app; the user would click again, and so
    does this helper, at most twice more."""
    heading = PAGE_TITLES[link]
    settle(page)
    show_sidebar(page)
    for attempt in range(3):
        page.get_by_role("navigation", name="App pages").get_by_role(
            "link", name=link, exact=True
        ).click()
        try:
            expect(title(page)).to_have_text(heading, timeout=6_000 if attempt < 2 else 20_000)
            return
        except AssertionError:
            if attempt == 2:
                raise
            RETRIES.append(f"sidebar link {link}: the click was dropped (try {attempt + 1})")


# --- the shipments table ---------------------------------------------------------------------


def table(page: Page, name: str) -> Locator:
    """The data grid inside the container or widget keyed `name`."""
    return page.locator(f"{key(name)} [data-testid='stDataFrame']").first


def cell(grid: Locator, row_text: str, column: str) -> Locator:
    """The cell in `column` of the row (among those on screen) that has a cell `row_text`."""
    header = grid.locator("th[role='columnheader']").filter(
        has_text=re.compile(rf"^{re.escape(column)}$")
    )
    expect(header).to_have_count(1)
    index = header.get_attribute("aria-colindex")
    row = grid.locator("tr[role='row']").filter(
        has=grid.page.locator("td[role='gridcell']").filter(
            has_text=re.compile(rf"^{re.escape(row_text)}$")
        )
    )
    return row.locator(f"td[aria-colindex='{index}']")


def search_shipments(page: Page, text: str, *, expect_total: int | None = None) -> None:
    # While a run is under way the box can be there twice (the old page's, going stale).
    settle(page)
    box = page.locator(f"{key('ship_search')} input")
    box.fill(text)
    box.press("Enter")
    settle(page)
    if expect_total is not None:
        expect(
            page.get_by_text(re.compile(rf"^{expect_total} shipment\(s\) · page"))
        ).to_be_visible()
    # During a rerun Streamlit may briefly show the old box beside the new one: wait for one.
    expect(box).to_have_count(1)
    expect(box).to_have_value(text)


def tick_row(page: Page, row: int, *, selected_after: int) -> None:
    """Click the tick box of a row (0 = first on screen) of the shipments table."""
    grid = page.locator(key("shipments_table"))
    expect(grid.locator("td[role='gridcell']").first).to_be_attached()
    page.wait_for_timeout(250)  # the canvas draws the new rows a frame after the DOM has them
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 18, box["y"] + ROW_HEIGHT * (row + 1) + 17)
    expect(page.get_by_text(f"{selected_after} of 10 selected", exact=True)).to_be_visible()


def select_shipments(page: Page, numbers: list[str], *, already: int = 0) -> None:
    """Find each shipment by its number and tick it; the selection survives new searches."""
    for n, number in enumerate(numbers, start=1):
        search_shipments(page, number, expect_total=1)
        expect(cell(table(page, "shipments_table"), number, "Shipment")).to_have_count(1)
        tick_row(page, 0, selected_after=already + n)


def open_shipment(page: Page, number: str) -> Locator:
    """Choose a shipment (of the table's page) in "Open shipment"; returns its edit form."""
    page.get_by_role("tab", name="Open shipment").click()
    choose(page.locator(key("open_shipment")), "Shipment", number)
    form = page.locator(key("shipment_form_edit"))
    expect(form.get_by_role("textbox", name="Shipment number")).to_have_value(number)
    return form


def choose(container: Locator, label: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox by its label: type it, press Enter."""
    box = container.get_by_role("combobox", name=label, exact=True)
    idle(container.page)
    box.click()
    box.fill(option)
    box.press("Enter")
    expect(box).to_have_value(option)


# --- Xero -------------------------------------------------------------------------------------


def consent(page: Page, test_name: str | None = None) -> None:
    """On the Connect page after "Connect to Xero" / "Reconnect": go to Xero and allow."""
    page.get_by_role("link", name="Continue to Xero").click()
    expect(page.get_by_role("heading", name=CONSENT_HEADING)).to_be_visible()
    expect(page.get_by_role("checkbox", name=ORGANISATION)).to_be_checked()
    if test_name:
        shot(page, test_name, "consent")
    page.get_by_role("button", name="Allow access").click()
    expect(page.get_by_text(f"Connected to {ORGANISATION}", exact=True)).to_be_visible()
    expect(page.get_by_text(f"{ORGANISATION} — Connected", exact=True)).to_be_visible()


def connect(page: Page, test_name: str | None = None) -> None:
    """As an admin: Connect page, Connect to Xero, consent, back connected."""
    open_page(page, "Connect")
    page.locator(key("connect_start")).get_by_role("button", name="Connect to Xero").click()
    consent(page, test_name)


def sandbox(url: str, path: str, body: dict | None = None) -> dict:
    """Play "what happens in Xero" through the sandbox's control endpoints."""
    request = Request(
        f"{url}/_sandbox/{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="GET" if body is None else "POST",
    )
    with urlopen(request, timeout=10) as answer:
        return json.loads(answer.read() or b"{}")
