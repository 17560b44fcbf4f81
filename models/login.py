"""Logins: the server-side session behind each login cookie, failed and good login attempts
(for throttling), and the generation of the key that signs login cookies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.clock import utcnow


class LoginSession(SQLModel, table=True):
    """One login. The login cookie names it; it ends at logout, a password reset, a role
    change, a deactivation, a cookie-key rotation, or when idle or too old."""

    __tablename__ = "login_session"

    id: str = Field(primary_key=True, max_length=64)
    username: str = Field(index=True, max_length=60)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    ended_because: str | None = Field(default=None, max_length=40)
    cookie_key_generation: int = 1
    client_address: str | None = Field(default=None, max_length=64)


class LoginAttempt(SQLModel, table=True):
    """A login try, good or bad: failures since the last good one throttle the next."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username_at", "username", "at"),
        Index("ix_login_attempt_client_at", "client_address", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=60)
    client_address: str | None = Field(default=None, max_length=64)
    succeeded: bool = False
    at: datetime = Field(default_factory=utcnow)


class CookieKey(SQLModel, table=True):
    """The one row saying which generation of the login cookie key is current: rotating it
    ends every session of an older generation and changes the key cookies are signed with."""

    __tablename__ = "cookie_key"

    id: int = Field(default=1, primary_key=True)
    generation: int = 1
    rotated_at: datetime | None = None
    rotated_by: str | None = Field(default=None, max_length=100)
