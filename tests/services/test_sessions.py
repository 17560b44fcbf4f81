"""Logins that end, no default doors outside demo mode, throttled logins, and OAuth bound
to the login session that began it (issue 14), on a real database."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from sqlmodel import col, select

from models import AppUser, AuditEvent, LoginSession, OAuthState, utcnow
from services import cli, devserver, sessions, settings, users
from services.connections import ConnectError, finish_connect, start_connect
from services.db import session_scope
from services.demo import NotDemoMode, seed_demo
from services.users import UserAccountError
from tests.utils.consent import allow_access

GOOD_PASSWORD = "correct horse battery"


@pytest.fixture
def real_xero(monkeypatch):
    """Settings as with a real Xero app configured."""
    monkeypatch.setenv("XERO_CLIENT_ID", "real-client-id")
    monkeypatch.setenv("XERO_CLIENT_SECRET", "real-client-secret")
    settings.get_settings.cache_clear()
    return settings.get_settings()


def add_user(engine, username="ruth", role="operations", password=GOOD_PASSWORD) -> None:
    with session_scope(engine) as session:
        users.save_user(
            session=session,
            username=username,
            name="Ruth Operations",
            email="ruth@example.com",
            role=role,
            password=password,
        )


def log_in(engine, username="ruth", password=GOOD_PASSWORD, **extra) -> sessions.LoggedIn:
    with session_scope(engine) as session:
        return sessions.log_in(session=session, username=username, password=password, **extra)


def alive(engine, session_id: str, **extra) -> bool:
    with session_scope(engine) as session:
        return sessions.check(session=session, session_id=session_id, **extra) is not None


# --- no default credentials outside demo mode -------------------------------------------


def test_a_real_mode_start_creates_no_demo_user(engine, real_xero):
    said = devserver.seed(real_xero)
    with session_scope(engine) as session:
        assert session.exec(select(AppUser)).all() == []
        assert not users.has_users(session=session)
        with pytest.raises(NotDemoMode):
            seed_demo(session=session)
    assert "no demo data" in said


def test_a_demo_mode_start_creates_the_demo_logins(engine):
    devserver.seed(settings.get_settings())
    login = log_in(engine, "admin", "admin")
    assert login.username == "admin"


@pytest.mark.parametrize(
    ("username", "password", "problem"),
    [
        ("ruth", "short1!", "at least 12 characters"),
        ("ruth", "ruth", "at least 12 characters"),
        ("ruthless-admin", "ruthless-admin", "must not be (or contain) the username"),
        ("ruth", "my name is RUTH, ok?", "must not be (or contain) the username"),
    ],
)
def test_weak_passwords_are_refused(engine, username, password, problem):
    with pytest.raises(UserAccountError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        add_user(engine, username=username, password=password)
    add_user(engine, username=username)  # a reset is held to the same rule
    with session_scope(engine) as session, pytest.raises(UserAccountError, match=problem[:12]):
        users.reset_password(session=session, username=username, password=password, actor="t")


def test_create_user_on_the_cli_refuses_a_weak_password(engine, logging_restored, capsys):
    code = cli.main(
        ["create-user", "ops", "--name", "O", "--email", "o@x", "--role", "admin"]
        + ["--password", "ops"]
    )
    assert code == 2
    assert "at least 12 characters" in capsys.readouterr().err
    with session_scope(engine) as session:
        assert not users.has_users(session=session)


def test_the_first_admin_only_while_no_user_exists(engine, real_xero):
    with session_scope(engine) as session, pytest.raises(UserAccountError, match="differ"):
        users.create_first_admin(
            session=session,
            username="mere",
            name="Mere Admin",
            password=GOOD_PASSWORD,
            password_again=GOOD_PASSWORD + "x",
        )
    with session_scope(engine) as session:
        users.create_first_admin(
            session=session,
            username="mere",
            name="Mere Admin",
            password=GOOD_PASSWORD,
            password_again=GOOD_PASSWORD,
        )
    with session_scope(engine) as session, pytest.raises(UserAccountError, match="exists"):
        users.create_first_admin(
            session=session,
            username="kahu",
            name="Kahu",
            password=GOOD_PASSWORD,
            password_again=GOOD_PASSWORD,
        )
    with session_scope(engine) as session:
        assert users.role_of(session=session, username="mere") == "admin"


# --- sessions that end --------------------------------------------------------------------


def reset(session):
    users.reset_password(session=session, username="ruth", password="another long one", actor="a")


def change_role(session):
    users.change_role(session=session, username="ruth", role="finance", actor="a")


def deactivate(session):
    users.deactivate(session=session, username="ruth", actor="a")


def log_out(session, session_id):
    sessions.end(session=session, session_id=session_id)


@pytest.mark.parametrize("ending", [reset, change_role, deactivate, log_out])
def test_an_ended_session_is_refused(engine, ending):
    add_user(engine)
    login, other = log_in(engine), log_in(engine)
    with session_scope(engine) as session:
        cookie, _ = sessions.cookie_value(session=session, session_id=login.session_id)
    assert alive(engine, login.session_id)
    with session_scope(engine) as session:
        if ending is log_out:
            log_out(session, login.session_id)
        else:
            ending(session)
    assert not alive(engine, login.session_id)
    with session_scope(engine) as session:  # the cookie captured before names a dead session
        assert sessions.session_from_cookie(session=session, cookie=cookie) is None
    # A logout ends that session only; the others end every session of the user.
    assert alive(engine, other.session_id) is (ending is log_out)


def test_a_deactivated_user_cannot_log_in(engine):
    add_user(engine)
    with session_scope(engine) as session:
        users.deactivate(session=session, username="ruth", actor="a")
    with pytest.raises(sessions.LoginRefused, match="incorrect"):
        log_in(engine)


def test_idle_and_absolute_expiry(engine):
    add_user(engine)
    limits = settings.get_settings()
    idle = timedelta(minutes=limits.login_idle_minutes)
    start = utcnow()
    kept_busy = log_in(engine, now=start).session_id
    left_idle = log_in(engine, now=start).session_id
    moment = start
    # Used just within the idle limit again and again: alive until the absolute limit.
    while moment + idle * 0.9 < start + timedelta(hours=limits.login_absolute_hours):
        moment += idle * 0.9
        assert alive(engine, kept_busy, now=moment)
    assert not alive(engine, left_idle, now=start + idle * 1.1)
    assert not alive(engine, kept_busy, now=start + timedelta(hours=limits.login_absolute_hours))
    with session_scope(engine) as session:
        ended = {s.id: s.ended_because for s in session.exec(select(LoginSession)).all()}
    assert ended == {kept_busy: "expired", left_idle: "idle"}


def test_rotating_the_cookie_key_kills_old_cookies_and_sessions(engine, logging_restored):
    add_user(engine)
    login = log_in(engine)
    with session_scope(engine) as session:
        cookie, _ = sessions.cookie_value(session=session, session_id=login.session_id)
        assert sessions.session_from_cookie(session=session, cookie=cookie) is not None
        # The old streamlit-authenticator cookie, a username signed with the key file's key,
        # logs nobody in.
        forged = jwt.encode(
            {"username": "ruth", "exp_date": 9e9}, settings.get_settings().cookie_key, "HS256"
        )
        assert sessions.session_from_cookie(session=session, cookie=forged) is None
    assert cli.main(["rotate-cookie-key"]) == 0
    with session_scope(engine) as session:
        assert sessions.session_from_cookie(session=session, cookie=cookie) is None
        assert sessions.cookie_key_generation(session=session) == 2
    assert not alive(engine, login.session_id)
    # A session started after the rotation has a cookie that works.
    fresh = log_in(engine)
    with session_scope(engine) as session:
        cookie, _ = sessions.cookie_value(session=session, session_id=fresh.session_id)
        found = sessions.session_from_cookie(session=session, cookie=cookie)
        assert found is not None
        assert found.id == fresh.session_id


# --- throttling ---------------------------------------------------------------------------


def fail_in_a_row(engine, times: int, *, username="ruth", address="10.0.0.9", start=None):
    """`times` wrong passwords, each after the wait the one before asked for; returns the
    moment of the last."""
    moment = start or utcnow() - timedelta(hours=2)
    for n in range(times):
        if n:
            moment += sessions.wait_after(n, lock_at=sessions.USER_LOCK_AT)
        with pytest.raises(sessions.LoginRefused, match="incorrect"):
            log_in(engine, username, "wrong password!", client_address=address, now=moment)
    return moment


def test_each_failure_makes_the_next_try_wait_longer(engine):
    add_user(engine)
    waits = [sessions.wait_after(n, lock_at=sessions.USER_LOCK_AT) for n in range(1, 8)]
    assert waits == sorted(waits) and len(set(waits)) == len(waits)
    now = utcnow()
    with pytest.raises(sessions.LoginRefused, match="incorrect"):
        log_in(engine, password="wrong password!", now=now)
    # Too soon, even with the right password: not even checked.
    with pytest.raises(sessions.LoginRefused, match="before the next try"):
        log_in(engine, now=now)
    assert log_in(engine, now=now + waits[0]).username == "ruth"


def test_the_sixth_try_after_five_wrong_passwords_is_locked_out_and_audited(engine):
    add_user(engine)
    moment = fail_in_a_row(engine, 5)
    with pytest.raises(sessions.LoginRefused) as refused:
        log_in(engine, client_address="10.0.0.9", now=moment)  # the right password
    assert str(refused.value).startswith("Too many failed logins for this user: try again in ")
    assert str(refused.value).endswith(" minutes.")
    with session_scope(engine) as session:
        actions = [
            e.action
            for e in session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
            if e.entity == "user" and e.entity_id == "ruth"
        ]
    assert actions[-6:] == ["login failed"] * 5 + ["login locked"]
    # Once the lockout is over, the right password is accepted.
    later = moment + sessions.wait_after(5, lock_at=sessions.USER_LOCK_AT)
    assert log_in(engine, client_address="10.0.0.9", now=later).username == "ruth"


def test_many_failures_from_one_address_lock_that_address(engine):
    add_user(engine)
    start = utcnow() - timedelta(minutes=30)
    for n in range(sessions.ADDRESS_LOCK_AT):  # one wrong try for each of many usernames
        with pytest.raises(sessions.LoginRefused, match="incorrect"):
            log_in(engine, f"guess{n}", "wrong password!", client_address="10.6.6.6", now=start)
    with pytest.raises(sessions.LoginRefused, match="from your address"):
        log_in(engine, client_address="10.6.6.6", now=start + timedelta(seconds=1))
    assert log_in(engine, client_address="10.0.0.1", now=start).username == "ruth"


# --- OAuth bound to its starter -------------------------------------------------------------


@pytest.mark.parametrize(
    ("finisher", "finishing_session"), [("admin", "session-B"), ("other-admin", "session-A")]
)
def test_a_connect_finished_by_another_session_or_user_is_refused(
    engine, sandbox, finisher, finishing_session
):
    with session_scope(engine) as session:
        url = start_connect(session=session, user="admin", login_session_id="session-A")
    code, state = allow_access(url)
    with session_scope(engine) as session, pytest.raises(ConnectError, match="another user"):
        finish_connect(
            session=session,
            code=code,
            state=state,
            user=finisher,
            login_session_id=finishing_session,
        )
    with session_scope(engine) as session:
        assert session.get(OAuthState, state) is None  # used up: it cannot be tried again
        assert connect_count(session) == 0


def test_a_connect_finished_by_the_session_that_began_it_connects(engine, sandbox):
    with session_scope(engine) as session:
        url = start_connect(session=session, user="admin", login_session_id="session-A")
    code, state = allow_access(url)
    with session_scope(engine) as session:
        connected = finish_connect(
            session=session, code=code, state=state, user="admin", login_session_id="session-A"
        )
    assert [c.tenant_name for c in connected]


def connect_count(session) -> int:
    from models import XeroConnection

    return len(session.exec(select(XeroConnection)).all())


def test_a_username_longer_than_any_is_refused_in_words(engine):
    with pytest.raises(sessions.LoginRefused, match="incorrect"):
        log_in(engine, "x" * 200, "wrong password!")
    with pytest.raises(UserAccountError, match="1 to 60 characters"):
        add_user(engine, username="y" * 61)
