"""Issue 14, "Sessions that end", in a real browser: a login cookie captured before logout
is refused after it, and a cookie signed with the cookie key before a rotation is refused
after it (`python -m services.cli rotate-cookie-key`), while one signed with the current
key is taken. Each refusal: the login form, and nothing of any page."""

from __future__ import annotations

import hashlib
import hmac
import re
import subprocess
import sys
import time

import jwt
import pytest
from playwright._impl._api_structures import SetCookieParam
from playwright.sync_api import Browser, Page, expect

from tests.e2e import ui
from tests.e2e.conftest import ROOT

pytestmark = [pytest.mark.timeout(900), pytest.mark.xdist_group("e2e")]

COOKIE = "shipbridge_auth"  # app.COOKIE_NAME


def login_cookie(page: Page) -> SetCookieParam:
    """The login cookie as the browser holds it: name, value, domain and path."""
    found = [c for c in page.context.cookies() if c.get("name") == COOKIE]
    assert len(found) == 1, page.context.cookies()
    cookie = found[0]
    return SetCookieParam(
        name=cookie["name"], value=cookie["value"], domain=cookie["domain"], path=cookie["path"]
    )


def open_with_cookie(browser: Browser, app_url: str, cookie: SetCookieParam) -> Page:
    """A new browser context (no session state of its own) holding only `cookie`, on the app."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_cookies([cookie])
    page = context.new_page()
    ui.watch(page)
    page.set_default_timeout(20_000)
    page.goto(app_url)
    ui.settle(page)
    return page


def assert_login_form_only(page: Page) -> None:
    """The login form and nothing else: no page title, no sidebar pages, no Logout."""
    expect(page.get_by_role("button", name="Login")).to_be_visible()
    expect(page.get_by_role("textbox", name="Username")).to_be_visible()
    expect(ui.title(page)).to_have_text("Shipbridge")
    assert page.get_by_role("navigation", name="App pages").count() == 0
    assert page.get_by_role("button", name="Logout").count() == 0
    for heading in ui.PAGE_TITLES.values():
        assert page.get_by_role("heading", name=heading, exact=True).count() == 0


def assert_logged_in(page: Page) -> None:
    """Logged in: Logout, the sidebar's pages and a page of the app (its landing page)."""
    expect(page.get_by_role("button", name="Logout")).to_be_visible()
    expect(page.get_by_role("navigation", name="App pages")).to_be_visible()
    titles = "|".join(re.escape(title) for title in ui.PAGE_TITLES.values())
    expect(ui.title(page)).to_have_text(re.compile(f"^({titles})$"))


def forged(cookie: SetCookieParam, *, cookie_key: str, generation: int) -> SetCookieParam:
    """`cookie` re-signed by someone holding the cookie key, as services.sessions signs it
    (HS256 with an HMAC of the key and the key's generation), naming the same session."""
    sid = jwt.decode(cookie["value"], options={"verify_signature": False})["sid"]
    message = f"shipbridge login cookie, generation {generation}".encode()
    key = hmac.new(cookie_key.encode(), message, hashlib.sha256).hexdigest()
    token = jwt.encode({"sid": sid, "exp_date": time.time() + 3600}, key, algorithm="HS256")
    return SetCookieParam(
        name=cookie["name"], value=token, domain=cookie["domain"], path=cookie["path"]
    )


def rotate_cookie_key(servers) -> int:
    """What an admin runs: the new generation of the cookie key."""
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "rotate-cookie-key"],
        cwd=ROOT,
        env=servers.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # "cookie key generation N: every login has ended"
    return int(done.stdout.split("generation ", 1)[1].split(":", 1)[0])


def test_a_cookie_captured_before_logout_is_refused_after_it(page, browser, servers, snap):
    ui.login(page, servers.app_url, "admin")
    captured = login_cookie(page)
    # Before logout the same cookie, in another browser, is a login: the test can tell.
    before = open_with_cookie(browser, servers.app_url, captured)
    try:
        assert_logged_in(before)
    finally:
        before.context.close()

    ui.logout(page)
    replayed = open_with_cookie(browser, servers.app_url, captured)
    try:
        assert_login_form_only(replayed)
        ui.shot(replayed, "test_a_cookie_captured_before_logout_is_refused_after_it", "replayed")
    finally:
        replayed.context.close()
    assert_login_form_only(page)
    snap("logged-out")


def test_a_cookie_signed_with_the_key_before_rotation_is_refused_after_it(
    page, browser, servers, snap
):
    key = servers.env["SHIPBRIDGE_COOKIE_KEY"]
    ui.login(page, servers.app_url, "admin")
    old = login_cookie(page)
    old_generation = rotate_cookie_key(servers) - 1

    # The session the old cookie named ended with the rotation: the open page, at its next
    # run (a click on another page), and the cookie in a new browser are both logged out.
    ui.settle(page)
    page.get_by_role("navigation", name="App pages").get_by_role(
        "link", name="Accounting Logs", exact=True
    ).click()
    ui.settle(page)
    assert_login_form_only(page)
    expect(page.get_by_text("Your login has ended: log in again.")).to_be_visible()
    stale = open_with_cookie(browser, servers.app_url, old)
    try:
        assert_login_form_only(stale)
    finally:
        stale.context.close()

    # A new login (a live session, signed with the new key). Forged with the old key for
    # that same live session: refused. Forged with the current key: taken (so the forging
    # is right, and the old key is what is refused).
    ui.login(page, servers.app_url, "admin")
    fresh = login_cookie(page)
    with_old_key = open_with_cookie(
        browser, servers.app_url, forged(fresh, cookie_key=key, generation=old_generation)
    )
    try:
        assert_login_form_only(with_old_key)
        ui.shot(with_old_key, "test_a_cookie_signed_with_the_key_before_rotation", "old-key")
    finally:
        with_old_key.context.close()
    with_new_key = open_with_cookie(
        browser, servers.app_url, forged(fresh, cookie_key=key, generation=old_generation + 1)
    )
    try:
        assert_logged_in(with_new_key)
    finally:
        with_new_key.context.close()
    snap("after-rotation")
