"""Logins that end: a server-side session per login, named by the signed login cookie and
checked on every page run, and login throttling per user and per client address.

A session ends at logout, when the user's password is reset, their role changes or they are
deactivated, when it has been idle or alive too long (settings), and when the cookie key is
rotated. The cookie only names a session: it proves nothing once the session has ended."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import bcrypt
import jwt
from sqlmodel import Session, col, func, select

from models import AppUser, CookieKey, LoginAttempt, LoginSession, as_utc, utcnow
from services import audit
from services.errors import UserError
from services.settings import Settings, get_settings

WRONG_LOGIN = "Username or password is incorrect."
USERNAME_MAX_LENGTH = 60  # app_user.username's column
# Failed logins for one user (since their last good one) before it is locked for a while;
# below that each failure makes the next try wait a little longer (1, 2, 4, 8 s).
USER_LOCK_AT = 5
# Failed logins from one client address (any users) in FAILURE_WINDOW before it is locked.
ADDRESS_LOCK_AT = 20
FAILURE_WINDOW = timedelta(hours=24)
ADDRESS_WINDOW = timedelta(hours=1)
LONGEST_LOCK = timedelta(hours=1)
# last_seen_at is written at most this often: idle expiry needs no finer clock.
SEEN_EVERY = timedelta(seconds=15)
# Checked against for a username that does not exist, so a wrong username takes as long as
# a wrong password and says nothing about which users exist.
_NOBODY_HASH = bcrypt.hashpw(b"nobody", bcrypt.gensalt(rounds=10))


class LoginRefused(UserError):
    """A login that was not accepted; the message says why and when to try again."""


@dataclass(frozen=True)
class LoggedIn:
    """A good login: the user and the session their cookie names."""

    username: str
    name: str
    session_id: str


def wait_after(failures: int, *, lock_at: int) -> timedelta:
    """How long the next try must wait after `failures` failed logins in a row: growing
    seconds below `lock_at`, then a lockout of 5 minutes doubling up to an hour."""
    if failures <= 0:
        return timedelta(0)
    if failures < lock_at:
        return timedelta(seconds=2 ** (failures - 1))
    return min(timedelta(minutes=5 * 2 ** (failures - lock_at)), LONGEST_LOCK)


def log_in(
    *,
    session: Session,
    username: str,
    password: str,
    client_address: str | None = None,
    now: datetime | None = None,
) -> LoggedIn:
    """Check a login form's username and password, within the throttling limits; on success
    start a session. Raises LoginRefused with the words to show otherwise."""
    now = now or utcnow()
    # No username is longer than the column; a longer one is counted under its first part.
    username = username.strip()[:USERNAME_MAX_LENGTH]
    _refuse_while_throttled(
        session=session, username=username, client_address=client_address, now=now
    )
    user = session.get(AppUser, username) if username else None
    stored = user.password_hash.encode() if user is not None else _NOBODY_HASH
    good = bcrypt.checkpw(password.encode(), stored) and user is not None and user.active
    session.add(
        LoginAttempt(username=username, client_address=client_address, succeeded=good, at=now)
    )
    if not good or user is None:
        failures = _user_failures(session=session, username=username, now=now)
        audit.record(
            session=session,
            actor=username or None,
            action="login failed",
            entity="user",
            entity_id=username or None,
            after={"client_address": client_address, "failures": failures},
        )
        if failures == USER_LOCK_AT:
            audit.record(
                session=session,
                actor=username or None,
                action="login locked",
                entity="user",
                entity_id=username or None,
                after={"minutes": _minutes(wait_after(failures, lock_at=USER_LOCK_AT))},
            )
        session.commit()  # a failure counts even though the caller's unit of work fails
        raise LoginRefused(WRONG_LOGIN)
    login = start(session=session, username=username, client_address=client_address, now=now)
    audit.record(
        session=session,
        actor=username,
        action="login",
        entity="user",
        entity_id=username,
        after={"client_address": client_address},
    )
    return LoggedIn(username=username, name=user.name, session_id=login.id)


def _refuse_while_throttled(
    *, session: Session, username: str, client_address: str | None, now: datetime
) -> None:
    failures = _user_failures(session=session, username=username, now=now)
    last = _last_failure(session, LoginAttempt.username == username)
    if failures and last is not None:
        left = as_utc(last) + wait_after(failures, lock_at=USER_LOCK_AT) - now
        if left > timedelta(0) and failures >= USER_LOCK_AT:
            raise LoginRefused(
                f"Too many failed logins for this user: try again in {_minutes(left)} minutes."
            )
        if left > timedelta(0):
            raise LoginRefused(
                f"Wait {_seconds(left)} seconds before the next try: each failed login "
                "makes the next one wait longer."
            )
    if client_address is None:
        return
    from_address = session.exec(
        select(func.count(col(LoginAttempt.id))).where(
            LoginAttempt.client_address == client_address,
            col(LoginAttempt.succeeded).is_(False),
            LoginAttempt.at > now - ADDRESS_WINDOW,
        )
    ).one()
    if from_address >= ADDRESS_LOCK_AT:
        last = _last_failure(session, LoginAttempt.client_address == client_address)
        assert last is not None  # there are failures
        left = as_utc(last) + wait_after(from_address, lock_at=ADDRESS_LOCK_AT) - now
        if left > timedelta(0):
            raise LoginRefused(
                f"Too many failed logins from your address: try again in {_minutes(left)} minutes."
            )


def _user_failures(*, session: Session, username: str, now: datetime) -> int:
    """Failed logins for this username since its last good one (within FAILURE_WINDOW)."""
    since = now - FAILURE_WINDOW
    last_good = session.exec(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username, col(LoginAttempt.succeeded).is_(True)
        )
    ).one()
    if last_good is not None and as_utc(last_good) > since:
        since = as_utc(last_good)
    return session.exec(
        select(func.count(col(LoginAttempt.id))).where(
            LoginAttempt.username == username,
            col(LoginAttempt.succeeded).is_(False),
            LoginAttempt.at > since,
        )
    ).one()


def _last_failure(session: Session, condition) -> datetime | None:
    return session.exec(
        select(func.max(LoginAttempt.at)).where(condition, col(LoginAttempt.succeeded).is_(False))
    ).one()


def _minutes(left: timedelta) -> int:
    return max(1, -(-int(left.total_seconds()) // 60))


def _seconds(left: timedelta) -> int:
    return max(1, -(-int(left.total_seconds() * 1000) // 1000))


def start(
    *,
    session: Session,
    username: str,
    client_address: str | None = None,
    now: datetime | None = None,
) -> LoginSession:
    """A new session for a user who has just proved who they are."""
    now = now or utcnow()
    login = LoginSession(
        id=secrets.token_urlsafe(32),
        username=username,
        created_at=now,
        last_seen_at=now,
        cookie_key_generation=cookie_key_generation(session=session),
        client_address=client_address,
    )
    session.add(login)
    session.flush()
    return login


def check(
    *,
    session: Session,
    session_id: str | None,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> LoginSession | None:
    """The session if it is still alive (and note that it was used now), else None. A
    session found too old, idle or of a rotated key is ended here, saying why."""
    if not session_id:
        return None
    now, settings = now or utcnow(), settings or get_settings()
    login = session.get(LoginSession, session_id)
    if login is None or login.ended_at is not None:
        return None
    user = session.get(AppUser, login.username)
    why = None
    if user is None or not user.active:
        why = "user deactivated"
    elif login.cookie_key_generation != cookie_key_generation(session=session):
        why = "cookie key rotated"
    elif now - as_utc(login.created_at) >= timedelta(hours=settings.login_absolute_hours):
        why = "expired"
    elif now - as_utc(login.last_seen_at) > timedelta(minutes=settings.login_idle_minutes):
        why = "idle"
    if why is not None:
        _end(session, login, why, now)
        return None
    if now - as_utc(login.last_seen_at) >= SEEN_EVERY:
        login.last_seen_at = now
        session.add(login)
    return login


def end(*, session: Session, session_id: str | None, reason: str = "logout") -> None:
    """End one session (logout): its cookie logs nobody in any more."""
    login = session.get(LoginSession, session_id) if session_id else None
    if login is not None and login.ended_at is None:
        _end(session, login, reason, utcnow())


def end_sessions_of(*, session: Session, username: str, reason: str) -> int:
    """End every live session of a user (password reset, role change, deactivation)."""
    live = session.exec(
        select(LoginSession).where(
            LoginSession.username == username, col(LoginSession.ended_at).is_(None)
        )
    ).all()
    now = utcnow()
    for login in live:
        _end(session, login, reason, now)
    return len(live)


def _end(session: Session, login: LoginSession, reason: str, now: datetime) -> None:
    login.ended_at, login.ended_because = now, reason
    session.add(login)


def cookie_key_generation(*, session: Session) -> int:
    """The current generation of the key login cookies are signed with."""
    row = session.get(CookieKey, 1)
    return row.generation if row is not None else 1


def rotate_cookie_key(*, session: Session, actor: str) -> int:
    """Start a new generation of the cookie key: every cookie signed before is refused and
    every live session ends. Returns the new generation."""
    row = session.get(CookieKey, 1) or CookieKey(id=1, generation=1)
    row.generation += 1
    row.rotated_at, row.rotated_by = utcnow(), actor
    session.add(row)
    live = session.exec(select(LoginSession).where(col(LoginSession.ended_at).is_(None))).all()
    now = utcnow()
    for login in live:
        _end(session, login, "cookie key rotated", now)
    audit.record(
        session=session,
        actor=actor,
        action="rotate cookie key",
        entity="cookie_key",
        after={"generation": row.generation, "sessions_ended": len(live)},
    )
    session.flush()
    return row.generation


def _signing_key(session: Session, settings: Settings) -> str:
    """The configured cookie key, made particular to the current generation."""
    generation = cookie_key_generation(session=session)
    message = f"shipbridge login cookie, generation {generation}".encode()
    return hmac.new(settings.cookie_key.encode(), message, hashlib.sha256).hexdigest()


def cookie_value(
    *, session: Session, session_id: str, settings: Settings | None = None
) -> tuple[str, datetime]:
    """The signed login cookie naming a session (a JWT, as streamlit-authenticator signs
    its own) and when the browser should drop it (the session's absolute expiry)."""
    settings = settings or get_settings()
    login = session.get(LoginSession, session_id)
    assert login is not None  # a session just started or checked
    expires = as_utc(login.created_at) + timedelta(hours=settings.login_absolute_hours)
    token = jwt.encode(
        {"sid": session_id, "exp_date": expires.timestamp()},
        _signing_key(session, settings),
        algorithm="HS256",
    )
    return token, expires


def session_from_cookie(
    *,
    session: Session,
    cookie: str | None,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> LoginSession | None:
    """The live session a login cookie names, or None (no cookie, a bad or old-key
    signature, or a session that has ended)."""
    if not cookie:
        return None
    settings = settings or get_settings()
    try:
        payload = jwt.decode(cookie, _signing_key(session, settings), algorithms=["HS256"])
    except jwt.InvalidTokenError:
        return None
    session_id = payload.get("sid") if isinstance(payload, dict) else None
    if not isinstance(session_id, str):
        return None
    return check(session=session, session_id=session_id, now=now, settings=settings)
