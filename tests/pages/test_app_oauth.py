"""app.py: Xero's redirect back to the app root, and the reconnect banner."""

from __future__ import annotations

import time

from models import OAuthState
from tests.pages.conftest import logged_in_as, new_app
from tests.pages.helpers import add_connection, assert_clean, count_rows, texts
from ui import state


def admin_returning_from_xero(**params):
    at = new_app()
    at.query_params.update(params)
    logged_in_as(at, "admin")
    return at.run()


def test_unknown_state_is_refused_on_the_connect_page(database):
    at = admin_returning_from_xero(code="abc", state="not-ours")
    assert_clean(at, allow_errors=True)
    assert at.title[0].value == "Xero connections"
    assert any("state check failed" in e.value for e in at.error)
    assert not at.query_params
    at.run()  # a rerun keeps the message and does not try again
    assert [e.value for e in at.error if "state check failed" in e.value] == [
        "This Xero sign-in link is unknown or expired (state check failed): "
        "click Connect to Xero again."
    ]


def test_access_denied(database):
    at = admin_returning_from_xero(error="access_denied", state="x")
    assert_clean(at, allow_errors=True)
    assert at.title[0].value == "Xero connections"
    assert any(e.value == "Xero access was not allowed." for e in at.error)
    assert not at.query_params


def test_only_an_admin_finishes_a_connection(database):
    at = new_app()
    at.query_params.update(code="abc", state="s")
    logged_in_as(at, "operations")
    at.run()
    assert_clean(at, allow_errors=True)
    assert any("Only an admin" in e.value for e in at.error)
    assert count_rows(OAuthState) == 0


def test_reconnect_banner_for_admin_links_to_connect(app_as):
    add_connection("Demo Exports Ltd", status="Needs reconnecting")
    at = app_as("admin", "shipments")
    assert_clean(at, allow_errors=True)
    assert any("Xero needs reconnecting: Demo Exports Ltd" in e.value for e in at.error)
    assert [p.label for p in at.get("page_link")] == ["Reconnect"]


def test_reconnect_banner_for_others_says_ask_an_admin(app_as):
    add_connection("Demo Exports Ltd", status="Needs reconnecting")
    at = app_as("finance", "logs")
    assert any("Ask an admin" in e.value for e in at.error)
    assert not at.get("page_link")
    assert "Accounting Logs" in texts(at)


def test_a_late_rerun_on_the_default_page_lands_back_on_connect(database):
    """The browser's own rerun, asked for before it learnt the Connect page's URL, arrives
    for the default page (Dashboard): the admin still sees the connection's result."""
    at = admin_returning_from_xero(error="access_denied", state="x")
    at.switch_page("pages/dashboard.py").run()
    assert at.title[0].value == "Xero connections"
    assert any(e.value == "Xero access was not allowed." for e in at.error)
    # One such rerun is sent back, not more: the next is the admin's click, the Dashboard.
    at.switch_page("pages/dashboard.py").run()
    assert at.title[0].value == "Dashboard"
    assert state.OAUTH_RESULT not in at.session_state


def test_a_landing_rerun_however_late_keeps_the_result_on_connect(database, monkeypatch):
    """On a loaded machine the browser's late rerun for the default page comes long after
    Xero answered, and the browser's next rerun is for Connect (it has learnt the URL): the
    admin still sees the result there (it was lost in a full `make test` run)."""
    at = admin_returning_from_xero(error="access_denied", state="x")
    assert [e.value for e in at.error] == ["Xero access was not allowed."]
    now = time.monotonic
    monkeypatch.setattr(time, "monotonic", lambda: now() + 3600)  # a slow machine's hour
    at.switch_page("pages/dashboard.py").run()
    assert at.title[0].value == "Xero connections"
    at.switch_page("pages/connect.py").run()
    assert_clean(at, allow_errors=True)
    assert at.title[0].value == "Xero connections"
    assert [e.value for e in at.error] == ["Xero access was not allowed."]
    # The browser knows it is on Connect now: a click on the Dashboard is the admin's own,
    # and the result does not come back with Connect.
    at.switch_page("pages/dashboard.py").run()
    assert at.title[0].value == "Dashboard"
    at.switch_page("pages/connect.py").run()
    assert at.title[0].value == "Xero connections"
    assert "Xero access was not allowed." not in [e.value for e in at.error]
