"""Issue 15 item 9: a real setup's first admin lands on Connect with what to do next; admins
manage users on the Connect page (add, role, reset password, deactivate), each audited."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from models import AppUser, AuditEvent
from services import sessions, settings
from services.db import session_scope
from tests.pages.conftest import new_app
from tests.pages.helpers import assert_clean, table_in, texts
from ui import users_admin

GOOD_PASSWORD = "correct horse battery"


@pytest.fixture
def real_xero(monkeypatch):
    """A real Xero app configured, and an empty database: a real setup's first start."""
    monkeypatch.setenv("XERO_CLIENT_ID", "real-client-id")
    monkeypatch.setenv("XERO_CLIENT_SECRET", "real-client-secret")
    settings.get_settings.cache_clear()


def _users_table(at) -> dict[str, dict]:
    return {r["Username"]: r for r in table_in(at, users_admin.USERS_TABLE).to_dict("records")}


def _audited(action: str, username: str) -> list[AuditEvent]:
    with session_scope() as session:
        return list(
            session.exec(
                select(AuditEvent)
                .where(AuditEvent.action == action, AuditEvent.entity_id == username)
                .order_by(col(AuditEvent.id))
            )
        )


def test_the_first_admin_lands_on_connect_with_the_next_steps(real_xero):
    at = new_app().run()
    form = {t.label: t for t in at.text_input}
    form["Username"].input("mere")
    form["Name"].input("Mere Admin")
    form["Password"].input(GOOD_PASSWORD)
    form["Password again"].input(GOOD_PASSWORD)
    at.button[0].click().run()
    assert_clean(at)
    assert [t.value for t in at.title] == ["Xero connections"]
    steps = at.get_by_key(users_admin.FIRST_STEPS).info[0].value
    assert "No organisation is connected yet" in steps
    assert "Connect to Xero" in steps and "Mapping" in steps and "Users" in steps
    assert set(_users_table(at)) == {"mere"}
    with session_scope() as session:
        assert [u.username for u in session.exec(select(AppUser))] == ["mere"]  # no demo users


def test_an_admin_adds_a_user_changes_their_role_resets_and_deactivates(app_as):
    at = app_as("admin", "connect")
    assert_clean(at)
    assert {"admin", "operations", "finance"} <= set(_users_table(at))

    add = {t.label: t for t in at.get_by_key(users_admin.ADD_FORM).text_input}
    add["Username"].input("tama")
    add["Name"].input("Tama Ops")
    add["Email"].input("tama@example.com")
    at.selectbox(key=f"{users_admin.ADD_FORM}_role").set_value("operations")
    add["Password"].input(GOOD_PASSWORD)
    add["Password again"].input(GOOD_PASSWORD)
    at.button(key=users_admin.ADD_SAVE).click().run()
    assert_clean(at)
    assert [s.value for s in at.success] == ["Added tama (operations): they can log in now."]
    assert _users_table(at)["tama"]["Role"] == "operations"

    at.selectbox(key=users_admin.CHOSEN).set_value("tama").run()
    at.selectbox(key=f"{users_admin.ROLE_CHOICE}_tama").set_value("finance").run()
    at.button(key=users_admin.ROLE_SAVE).click().run()
    assert_clean(at)
    assert _users_table(at)["tama"]["Role"] == "finance"

    at.selectbox(key=users_admin.CHOSEN).set_value("tama").run()
    at.text_input(key=f"{users_admin.RESET_FORM}_pw").input("another long password")
    at.button(key=users_admin.RESET_SAVE).click().run()
    assert_clean(at)
    with session_scope() as session:
        assert (
            sessions.log_in(
                session=session, username="tama", password="another long password"
            ).username
            == "tama"
        )

    at.selectbox(key=users_admin.CHOSEN).set_value("tama").run()
    at.button(key=users_admin.DEACTIVATE).click().run()
    assert_clean(at)
    assert _users_table(at)["tama"]["Active"] == "No (cannot log in)"
    for action in ("save user", "change role", "reset password", "deactivate user"):
        [event] = _audited(action, "tama")
        assert event.actor == "admin"
    assert "deactivate user tama" in texts(at.get_by_key(users_admin.HISTORY))


def test_a_short_password_is_refused_in_plain_words(app_as):
    at = app_as("admin", "connect")
    add = {t.label: t for t in at.get_by_key(users_admin.ADD_FORM).text_input}
    add["Username"].input("short")
    add["Name"].input("Short Pw")
    add["Password"].input("tiny")
    add["Password again"].input("tiny")
    at.button(key=users_admin.ADD_SAVE).click().run()
    assert_clean(at, allow_errors=True)
    assert [e.value for e in at.error] == ["The password must be at least 12 characters long."]
    assert "short" not in _users_table(at)


def test_the_only_admin_cannot_deactivate_themself(app_as):
    at = app_as("admin", "connect")
    at.selectbox(key=users_admin.CHOSEN).set_value("admin").run()
    at.button(key=users_admin.DEACTIVATE).click().run()
    assert [e.value for e in at.error] == ["You cannot deactivate yourself: ask another admin."]
    assert _users_table(at)["admin"]["Active"] == "Yes"


def test_operations_and_finance_never_see_users(app_as):
    for role in ("operations", "finance"):
        at = app_as(role, "connect")
        assert "Users" not in [s.value for s in at.subheader]
        assert "Add user" not in [b.label for b in at.button]
