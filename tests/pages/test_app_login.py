"""app.py: login, role-based navigation, logout."""

from __future__ import annotations

import pytest

from pages import state
from tests.pages.conftest import LEGACY_PAGES_MANAGER_INIT, new_app
from tests.pages.helpers import assert_clean, nav_titles

PAGE_TITLES = {
    "admin": {
        "Dashboard",
        "Shipments",
        "Send to Accounting",
        "Accounting Logs",
        "Mapping",
        "Connect",
    },
    "operations": {"Shipments", "Send to Accounting", "Accounting Logs", "Mapping"},
    "finance": {"Dashboard", "Accounting Logs", "Shipments"},
}


def test_anonymous_sees_only_the_login_form(database):
    at = new_app().run()
    assert_clean(at)
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert [b.label for b in at.button] == ["Login"]
    assert nav_titles(at) == set()
    assert not at.dataframe
    assert not at.sidebar.children or not at.sidebar.button


def test_anonymous_cannot_open_a_page_by_its_file(database):
    at = new_app().run()
    with pytest.raises(ValueError):
        at.switch_page("pages/shipments.py")
    assert not at.dataframe


def test_fresh_server_deep_link_goes_through_the_login(database, monkeypatch):
    """A fresh server's first run routes by the pages/ folder and runs a page file without
    app.py; the page's guard sends the browser to app.py's login instead."""
    from streamlit.runtime.pages_manager import PagesManager

    monkeypatch.setattr(PagesManager, "__init__", LEGACY_PAGES_MANAGER_INIT)
    at = new_app()
    at.switch_page("pages/connect.py").run()
    assert_clean(at)
    assert [b.label for b in at.button] == ["Login"]
    assert "Xero connections" not in [t.value for t in at.title]


def test_wrong_password_says_so(database):
    at = new_app().run()
    at.text_input[0].input("admin")
    at.text_input[1].input("wrong")
    at.button[0].click().run()
    assert_clean(at, allow_errors=True)
    assert any("incorrect" in e.value for e in at.error)
    assert nav_titles(at) == set()


def test_login_form_logs_in_and_logout_logs_out(database):
    at = new_app().run()
    at.text_input[0].input("operations")
    at.text_input[1].input("operations")
    at.button[0].click().run()
    assert_clean(at)
    assert at.session_state[state.AUTH_STATUS] is True
    assert nav_titles(at) == PAGE_TITLES["operations"]
    assert "Oscar Operations" in [m.value.strip("*") for m in at.sidebar.markdown]
    at.sidebar.button(key=state.LOGOUT_BUTTON).click().run()
    assert_clean(at)
    assert not at.session_state[state.AUTH_STATUS]
    assert [b.label for b in at.button] == ["Login"]
    assert nav_titles(at) == set()


@pytest.mark.parametrize("role", ["admin", "operations", "finance"])
def test_navigation_has_exactly_the_role_pages(app_as, role):
    at = app_as(role)
    assert_clean(at)
    assert nav_titles(at) == PAGE_TITLES[role]
    assert f"Role: {role}" in [c.value for c in at.sidebar.caption]


def test_operations_cannot_reach_connect_or_dashboard_by_file(app_as):
    at = app_as("operations")
    for page in ("pages/connect.py", "pages/dashboard.py"):
        with pytest.raises(ValueError):
            at.switch_page(page)


def test_an_unreachable_database_is_reported_in_plain_words(monkeypatch):
    from services import db, settings

    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1")
    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()
    at = new_app().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Shipbridge cannot open its database (OperationalError): check DATABASE_URL and that "
        "the database server is running, then reload the page."
    ]
    assert not at.text_input
