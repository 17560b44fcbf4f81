"""App users and roles. Passwords are bcrypt hashes, of a minimum strength (one rule, here);
services.sessions checks them at login."""

from __future__ import annotations

import bcrypt
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import AppSetup, AppUser, Role
from services import audit, sessions
from services.errors import UserError

# What each role may open. app.py builds the navigation from this, and pages check it too.
PAGES_BY_ROLE: dict[str, tuple[str, ...]] = {
    Role.ADMIN: ("dashboard", "shipments", "send", "logs", "mapping", "connect"),
    Role.OPERATIONS: ("shipments", "send", "logs", "mapping"),
    Role.FINANCE: ("dashboard", "logs", "shipments"),
}
# Pages a role may see but not change.
READ_ONLY: dict[str, tuple[str, ...]] = {
    Role.OPERATIONS: ("mapping",),
    Role.FINANCE: ("shipments",),
}
# The one password rule: long enough, and not the username (nor containing it).
PASSWORD_MIN_LENGTH = 12
# The demo's users and passwords, created only against the sandbox (demo mode), where their
# weak passwords are allowed; nowhere else.
DEMO_USERS = (
    ("admin", "Ada Admin", "admin@example.com", Role.ADMIN, "admin"),
    ("operations", "Oscar Operations", "operations@example.com", Role.OPERATIONS, "operations"),
    ("finance", "Fiona Finance", "finance@example.com", Role.FINANCE, "finance"),
)


class UserAccountError(UserError):
    """A user account that cannot be saved as given."""


def can_open(role: str | None, page: str) -> bool:
    if not role:
        return False
    return page in PAGES_BY_ROLE.get(role, ())


def can_edit(role: str | None, page: str) -> bool:
    return can_open(role, page) and page not in READ_ONLY.get(role or "", ())


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode()


def password_problem(*, username: str, password: str) -> str | None:
    """Why this password may not be used for this user, or None if it may."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"The password must be at least {PASSWORD_MIN_LENGTH} characters long."
    if username.strip() and username.strip().casefold() in password.casefold():
        return "The password must not be (or contain) the username."
    return None


def _check_password(username: str, password: str) -> None:
    problem = password_problem(username=username, password=password)
    if problem:
        raise UserAccountError(problem)


def save_user(
    *,
    session: Session,
    username: str,
    name: str,
    email: str,
    role: str,
    password: str,
    actor: str = "cli",
) -> AppUser:
    """Add a user, or update one (a new password or role ends their sessions at once)."""
    _check_password(username, password)
    return _store_user(
        session=session,
        username=username,
        name=name,
        email=email,
        role=role,
        password=password,
        actor=actor,
    )


def _store_user(
    *, session: Session, username: str, name: str, email: str, role: str, password: str, actor: str
) -> AppUser:
    _check_role(role)
    _check_username(username)
    existing = session.get(AppUser, username)
    user = existing or AppUser(
        username=username, name=name, email=email, role=role, password_hash=""
    )
    if existing is not None:
        sessions.end_sessions_of(session=session, username=username, reason="user changed")
    before = {"role": existing.role, "active": existing.active} if existing else None
    user.name, user.email, user.role, user.active = name, email, role, True
    user.password_hash = hash_password(password)
    session.add(user)
    audit.record(
        session=session,
        actor=actor,
        action="save user",
        entity="user",
        entity_id=username,
        before=before,
        after={"role": role, "active": True, "password": "changed"},
    )
    return user


def _user(session: Session, username: str) -> AppUser:
    user = session.get(AppUser, username)
    if user is None:
        raise UserAccountError(f"There is no user {username}.")
    return user


def reset_password(*, session: Session, username: str, password: str, actor: str) -> None:
    """Give a user a new password; their sessions end at once."""
    _check_password(username, password)
    user = _user(session, username)
    user.password_hash = hash_password(password)
    _changed(session, user, actor=actor, action="reset password", reason="password reset")


def change_role(*, session: Session, username: str, role: str, actor: str) -> None:
    """Give a user another role; their sessions end at once (they log in to the new one)."""
    _check_role(role)
    user = _user(session, username)
    if role != Role.ADMIN:
        _keep_an_admin(session, user, doing="take the admin role from")
    before, user.role = user.role, role
    _changed(
        session,
        user,
        actor=actor,
        action="change role",
        reason="role changed",
        before={"role": before},
        after={"role": role},
    )


def deactivate(*, session: Session, username: str, actor: str) -> None:
    """Stop a user logging in; their sessions end at once. Never oneself, never the last
    active admin."""
    user = _user(session, username)
    if username == actor:
        raise UserAccountError("You cannot deactivate yourself: ask another admin.")
    _keep_an_admin(session, user, doing="deactivate")
    user.active = False
    _changed(
        session,
        user,
        actor=actor,
        action="deactivate user",
        reason="user deactivated",
        before={"active": True},
        after={"active": False},
    )


def reactivate(*, session: Session, username: str, actor: str) -> None:
    """Let a deactivated user log in again (with the password they had)."""
    user = _user(session, username)
    user.active = True
    _changed(
        session,
        user,
        actor=actor,
        action="reactivate user",
        reason="user reactivated",
        before={"active": False},
        after={"active": True},
    )


def add_user(
    *,
    session: Session,
    username: str,
    name: str,
    email: str,
    role: str,
    password: str,
    password_again: str,
    actor: str,
) -> AppUser:
    """An admin adds a user on the Connect page: refused if the username is taken."""
    username = username.strip()
    if session.get(AppUser, username) is not None:
        raise UserAccountError(f"There is a user {username} already: choose another username.")
    if not name.strip():
        raise UserAccountError("Enter the user's name.")
    if password != password_again:
        raise UserAccountError("The two passwords differ: enter the same password twice.")
    return save_user(
        session=session,
        username=username,
        name=name.strip(),
        email=email.strip(),
        role=role,
        password=password,
        actor=actor,
    )


def list_users(*, session: Session) -> list[AppUser]:
    """Every user, admins first, then by username."""
    rows = session.exec(select(AppUser)).all()
    return sorted(rows, key=lambda u: (u.role != Role.ADMIN, u.username))


def _keep_an_admin(session: Session, user: AppUser, *, doing: str) -> None:
    """Refuse a change that would leave no active admin (nobody could manage users)."""
    if user.role != Role.ADMIN or not user.active:
        return
    admins = session.exec(
        select(AppUser).where(AppUser.role == Role.ADMIN, AppUser.active == True)  # noqa: E712
    ).all()
    if len(admins) <= 1:
        raise UserAccountError(
            f"{user.username} is the only active admin: make another user an admin first, "
            f"then {doing} {user.username}."
        )


def _changed(
    session: Session,
    user: AppUser,
    *,
    actor: str,
    action: str,
    reason: str,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """Save a change to a user that ends their sessions, and audit it."""
    session.add(user)
    sessions.end_sessions_of(session=session, username=user.username, reason=reason)
    audit.record(
        session=session,
        actor=actor,
        action=action,
        entity="user",
        entity_id=user.username,
        before=before,
        after=after,
    )


def _check_username(username: str) -> None:
    if not username.strip() or len(username) > sessions.USERNAME_MAX_LENGTH:
        raise UserAccountError(
            f"The username must have 1 to {sessions.USERNAME_MAX_LENGTH} characters."
        )


def _check_role(role: str) -> None:
    if role not in {r.value for r in Role}:
        raise UserAccountError(f"Role must be one of {', '.join(r.value for r in Role)}.")


def has_users(*, session: Session) -> bool:
    return session.exec(select(AppUser).limit(1)).first() is not None


FIRST_ADMIN_STEP = "first_admin"
FIRST_ADMIN_TAKEN = "The first admin exists already: log in instead."


def create_first_admin(
    *, session: Session, username: str, name: str, password: str, password_again: str
) -> AppUser:
    """The first user of a real (non-demo) Shipbridge: an admin with the password the
    person chose. Refused once any user exists. Atomic: the step's row (AppSetup, keyed by
    the step) is inserted first and committed with the user, so of two people submitting at
    the same moment exactly one succeeds, on SQLite and PostgreSQL alike; the other is told
    to log in."""
    if has_users(session=session) or session.get(AppSetup, FIRST_ADMIN_STEP) is not None:
        raise UserAccountError(FIRST_ADMIN_TAKEN)
    if not name.strip():
        raise UserAccountError("Enter the admin's name.")
    if password != password_again:
        raise UserAccountError("The two passwords differ: enter the same password twice.")
    _check_password(username, password)
    _check_username(username.strip())  # every check before the claim: a claim is for good
    _claim_first_admin(session, username.strip())
    return save_user(
        session=session,
        username=username.strip(),
        name=name.strip(),
        email="",
        role=Role.ADMIN,
        password=password,
        actor=username.strip(),
    )


def _claim_first_admin(session: Session, username: str) -> None:
    """Insert the first-admin step's row now, in the caller's transaction: a second
    submission blocks on it (PostgreSQL's unique index, SQLite's write lock) and then fails on
    the primary key. No savepoint: on SQLite an outermost savepoint's release commits, which
    would keep the step done if the user then failed to save. The caller rolls back on the
    error (session_scope does)."""
    try:
        session.add(AppSetup(step=FIRST_ADMIN_STEP, done_by=username))
        session.flush()
    except IntegrityError as error:
        session.rollback()
        raise UserAccountError(FIRST_ADMIN_TAKEN) from error


def landing_page(*, session: Session, role: str) -> str | None:
    """The page a user of `role` lands on: with a real Xero app, Connect for an admin while
    no Xero organisation has been connected (a first admin's next step); else the role's
    first page (the demo keeps the Dashboard, with its demo data, first)."""
    from models import XeroConnection
    from services.settings import get_settings

    allowed = PAGES_BY_ROLE.get(role, ())
    if (
        "connect" in allowed
        and not get_settings().uses_sandbox
        and session.exec(select(XeroConnection).limit(1)).first() is None
    ):
        return "connect"
    return allowed[0] if allowed else None


def name_of(*, session: Session, username: str) -> str | None:
    user = session.get(AppUser, username)
    return user.name if user else None


def role_of(*, session: Session, username: str | None) -> str | None:
    user = session.get(AppUser, username) if username else None
    return user.role if user and user.active else None


def ensure_demo_users(*, session: Session) -> int:
    """The demo's users with their weak passwords: call only in demo mode (the sandbox)."""
    added = 0
    for username, name, email, role, password in DEMO_USERS:
        if session.get(AppUser, username) is None:
            _store_user(
                session=session,
                username=username,
                name=name,
                email=email,
                role=role,
                password=password,
                actor="demo",
            )
            added += 1
    return added
