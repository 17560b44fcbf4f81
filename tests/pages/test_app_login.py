"""app.py: login, role-based navigation, logout."""

from __future__ import annotations

import pytest

from tests.pages.conftest import APP_URL, LEGACY_PAGES_MANAGER_INIT, new_app
from tests.pages.helpers import assert_clean, nav_titles, open_tab, texts
from ui import state

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


# An unreachable database is waited for, not reported: tests/pages/test_app_database_wait.py.


@pytest.mark.parametrize(
    ("role", "page", "refused", "landing"),
    [
        ("operations", "connect", "Connect", "Shipments"),
        ("operations", "dashboard", "Dashboard", "Shipments"),
        ("finance", "mapping", "Mapping", "Dashboard"),
    ],
)
def test_a_page_the_role_may_not_open_says_so_on_the_landing_page(
    app_as, role, page, refused, landing
):
    """Opened by its URL, the page is refused as before, and the landing page says why the
    user is there."""
    at = app_as(role, page)
    assert_clean(at)
    assert at.title[0].value == landing
    notice = f"Your role ({role}) cannot open {refused}; here is {landing}."
    assert [i.value for i in at.info if "cannot open" in i.value] == [notice]
    # The browser now shows the landing (default) page's URL, the app's root, and a new
    # browser session reruns by itself a moment later: the words stay.
    at.context["url"] = f"{APP_URL}/"
    at.run()
    assert [i.value for i in at.info if "cannot open" in i.value] == [notice]
    # Once the user moves on they are gone, and do not come back with the landing page.
    at.context["url"] = f"{APP_URL}/logs"
    at.switch_page("pages/logs.py").run()
    assert_clean(at)
    assert notice not in texts(at)
    at.context["url"] = f"{APP_URL}/"
    at.switch_page(f"pages/{'shipments' if role == 'operations' else 'dashboard'}.py").run()
    assert notice not in texts(at)


def test_a_refused_page_is_named_under_a_base_path_and_not_without_a_url(app_as):
    """The page is the URL path's last segment, wherever the app is served; with no URL from
    the browser nothing is said."""
    at = app_as("finance")
    at.context["url"] = f"{APP_URL}/shipbridge/connect"
    at.run()
    assert [i.value for i in at.info if "cannot open" in i.value] == [
        "Your role (finance) cannot open Connect; here is Dashboard."
    ]
    # Asked for by name with no URL (AppTest's own switch_page): refused, nothing said.
    nameless = app_as("finance", "mapping", url=False)
    assert nameless.title[0].value == "Dashboard"
    assert not [i.value for i in nameless.info if "cannot open" in i.value]


def test_a_page_the_role_may_open_has_no_notice(app_as):
    at = app_as("operations", "logs")
    assert at.title[0].value == "Accounting Logs"
    assert "cannot open" not in texts(at)


def test_filters_are_kept_when_the_user_leaves_the_page_and_comes_back(app_as):
    at = app_as("admin", "shipments")
    at.text_input(key=state.SHIP_SEARCH).input("SHP-100").run()
    at.multiselect(key=state.SHIP_STATUS).select("Draft").run()
    assert_clean(at)
    filtered = shipments_caption(at)
    assert not filtered.startswith("30 shipment(s)"), filtered
    at.switch_page("pages/logs.py").run()
    at.selectbox(key=state.LOG_OUTCOME).select("Rejected").run()
    at.switch_page("pages/dashboard.py").run()
    at = open_tab(at, state.DASH_TABS, "Customers and documents")
    at.segmented_control(key=state.FIN_VIEW).set_value("Overdue").run()
    assert_clean(at)

    at.switch_page("pages/shipments.py").run()
    assert_clean(at)
    assert at.text_input(key=state.SHIP_SEARCH).value == "SHP-100"
    assert at.multiselect(key=state.SHIP_STATUS).value == ["Draft"]
    assert shipments_caption(at) == filtered  # the table is filtered as it was
    at.switch_page("pages/logs.py").run()
    assert at.selectbox(key=state.LOG_OUTCOME).value == "Rejected"
    at.switch_page("pages/dashboard.py").run()
    assert at.session_state[state.DASH_TABS] == "Customers and documents"  # the tab left open
    assert at.segmented_control(key=state.FIN_VIEW).value == "Overdue"

    # They belong to the user who set them: logging out forgets them.
    at.sidebar.button(key=state.LOGOUT_BUTTON).click().run()
    assert not any(key in at.session_state for key in state.KEPT_ACROSS_PAGES)


def shipments_caption(at) -> str:
    return next(c.value for c in at.caption if "shipment(s) · page" in c.value)
