"""App users and roles. Passwords are bcrypt hashes; streamlit-authenticator does the login."""

from __future__ import annotations

import bcrypt
from sqlmodel import Session, select

from models import AppUser, Role
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
DEMO_USERS = (
    ("admin", "Ada Admin", "admin@example.com", Role.ADMIN, "admin"),
    ("operations", "Oscar Operations", "operations@example.com", Role.OPERATIONS, "operations"),
    ("finance", "Fiona Finance", "finance@example.com", Role.FINANCE, "finance"),
)


class UserAccountError(UserError):
    """A user account that cannot be saved as given."""


def can_open(role: str | None, page: str) -> bool:
    return bool(role) and page in PAGES_BY_ROLE.get(role, ())


def can_edit(role: str | None, page: str) -> bool:
    return can_open(role, page) and page not in READ_ONLY.get(role or "", ())


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode()


def save_user(
    *, session: Session, username: str, name: str, email: str, role: str, password: str
) -> AppUser:
    if role not in {r.value for r in Role}:
        raise UserAccountError(f"Role must be one of {', '.join(r.value for r in Role)}.")
    user = session.get(AppUser, username) or AppUser(
        username=username, name=name, email=email, role=role, password_hash=""
    )
    user.name, user.email, user.role = name, email, role
    user.password_hash = hash_password(password)
    session.add(user)
    return user


def credentials(*, session: Session) -> dict:
    """The credentials dict streamlit-authenticator expects (hashes only, never passwords)."""
    users = session.exec(select(AppUser)).all()
    return {
        "usernames": {
            u.username: {
                "email": u.email,
                "first_name": u.name.split()[0],
                "last_name": " ".join(u.name.split()[1:]),
                "password": u.password_hash,
                "roles": [u.role],
            }
            for u in users
        }
    }


def role_of(*, session: Session, username: str | None) -> str | None:
    user = session.get(AppUser, username) if username else None
    return user.role if user else None


def ensure_demo_users(*, session: Session) -> int:
    added = 0
    for username, name, email, role, password in DEMO_USERS:
        if session.get(AppUser, username) is None:
            save_user(
                session=session,
                username=username,
                name=name,
                email=email,
                role=role,
                password=password,
            )
            added += 1
    return added
