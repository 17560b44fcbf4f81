"""app.py's login against server-side sessions: the first admin of a real setup, the
lockout message, and logins that end (issue 14)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from models import AppUser, utcnow
from services import sessions, settings, users
from services.db import session_scope
from tests.pages.conftest import logged_in_as, new_app
from tests.pages.helpers import assert_clean, nav_titles
from ui import state

GOOD_PASSWORD = "correct horse battery"


@pytest.fixture
def real_xero(monkeypatch):
    """A real Xero app configured, and an empty database: a real setup's first start."""
    monkeypatch.setenv("XERO_CLIENT_ID", "real-client-id")
    monkeypatch.setenv("XERO_CLIENT_SECRET", "real-client-secret")
    settings.get_settings.cache_clear()


def fill_first_admin(at, username: str, password: str, again: str | None = None):
    form = {t.label: t for t in at.text_input}
    form["Username"].input(username)
    form["Name"].input("Mere Admin")
    form["Password"].input(password)
    form["Password again"].input(password if again is None else again)
    return at.button[0].click().run()


def log_in_on_the_form(at, username: str, password: str):
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    return at.button[0].click().run()


def test_a_real_setup_asks_for_the_first_admin_and_logs_them_in(real_xero):
    at = new_app().run()
    assert_clean(at)
    assert [t.label for t in at.text_input] == ["Username", "Name", "Password", "Password again"]
    assert [b.label for b in at.button] == ["Create the first admin"]
    assert "seed-demo" not in at.info[0].value  # no demo in a real setup

    fill_first_admin(at, "mere", "mere is the admin here")  # contains the username
    assert [e.value for e in at.error] == ["The password must not be (or contain) the username."]
    fill_first_admin(at, "mere", GOOD_PASSWORD, again=GOOD_PASSWORD + "!")
    assert [e.value for e in at.error] == [
        "The two passwords differ: enter the same password twice."
    ]
    with session_scope() as session:
        assert session.exec(select(AppUser)).all() == []

    fill_first_admin(at, "mere", GOOD_PASSWORD)
    assert_clean(at)
    assert at.session_state[state.AUTH_USERNAME] == "mere"
    assert "Connect" in nav_titles(at)
    # Once a user exists, the login page is the login form only.
    at.sidebar.button(key=state.LOGOUT_BUTTON).click().run()
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert [b.label for b in at.button] == ["Login"]


def test_five_wrong_passwords_lock_the_user_out_with_a_message(database):
    earlier = utcnow() - timedelta(minutes=2)
    with session_scope() as session:
        for n in range(sessions.USER_LOCK_AT):  # spaced as the waits between them ask
            moment = earlier + timedelta(seconds=20 * n)
            with pytest.raises(sessions.LoginRefused):
                sessions.log_in(session=session, username="admin", password="nope", now=moment)
    at = new_app().run()
    log_in_on_the_form(at, "admin", "admin")  # the right password, too soon after
    assert_clean(at, allow_errors=True)
    [message] = [e.value for e in at.error]
    assert message.startswith("Too many failed logins for this user: try again in ")
    assert not at.session_state[state.AUTH_STATUS]
    assert nav_titles(at) == set()


def test_a_cookie_captured_before_logout_is_refused_after_it(database):
    at = log_in_on_the_form(new_app().run(), "operations", "operations")
    assert_clean(at)
    cookie, _ = at.session_state[state.LOGIN_COOKIE]
    with session_scope() as session:  # what app.py does with a cookie on a fresh browser
        assert sessions.session_from_cookie(session=session, cookie=cookie) is not None
    at.sidebar.button(key=state.LOGOUT_BUTTON).click().run()
    assert not at.session_state[state.AUTH_STATUS]
    with session_scope() as session:
        assert sessions.session_from_cookie(session=session, cookie=cookie) is None


def test_a_session_ended_elsewhere_logs_the_browser_out_on_its_next_run(database):
    at = new_app()
    logged_in_as(at, "finance")
    at.run()
    assert nav_titles(at)
    with session_scope() as session:  # an admin resets finance's password meanwhile
        users.reset_password(
            session=session, username="finance", password=GOOD_PASSWORD, actor="admin"
        )
    at.run()
    assert_clean(at)
    assert nav_titles(at) == set()
    assert [b.label for b in at.button] == ["Login"]
    assert "Your login has ended: log in again." in [i.value for i in at.info]
