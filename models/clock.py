"""The one clock: moments are stored and compared in UTC. Lives in models (which import
nothing of the app) so that the tables' defaults and every service can use it without cycles."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, as an aware UTC moment."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored moment as an aware UTC moment. SQLite hands back naive datetimes; they were
    stored as UTC, so they are labelled UTC, never converted from local time."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_from_epoch(seconds: float) -> datetime:
    """A Unix timestamp (seconds) as an aware UTC moment."""
    return datetime.fromtimestamp(seconds, UTC)
