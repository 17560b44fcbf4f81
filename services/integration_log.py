"""The integration log: one row per shipment per attempt."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Integer, cast, extract, func, insert
from sqlmodel import Session, col, select

from models import AppUser, IntegrationLog, Outcome, utcnow
from services.paging import Page

# Notes older sends wrote that said less than the truth (their batch may have read Xero's
# codes), shown as a send writes them now.
LEGACY_NOTES = {
    "Rejected by Shipbridge before sending; no API call.": (
        "Rejected by Shipbridge before sending: not sent to Xero."
    ),
}


def write(*, session: Session, **fields) -> IntegrationLog:
    for name in ("payload", "response", "errors_xero", "errors_plain"):
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            fields[name] = json.dumps(value, default=str)
    entry = IntegrationLog(**fields)
    session.add(entry)
    return entry


# Every column a row of `write_many` gives, with the model's defaults.
_ROW_DEFAULTS = {
    name: None
    for name in IntegrationLog.model_fields
    if name not in ("id", "trigger", "outcome", "created_at")
} | {"api_calls": 0, "duration_ms": 0}


_TABLE = IntegrationLog.__table__  # type: ignore[attr-defined]
_INSERT = insert(_TABLE)  # built once: a send's batch of entries runs it with its rows


def row(**fields) -> dict:
    """One entry as a plain row for `write_many` (JSON fields encoded, defaults filled in),
    for a send that writes its batch's entries in one statement."""
    for name in ("payload", "response", "errors_xero", "errors_plain"):
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            fields[name] = json.dumps(value, default=str)
    return {**_ROW_DEFAULTS, "created_at": utcnow(), **fields}


def write_many(*, session: Session, rows: list[dict]) -> None:
    """Insert many entries (`row`'s) in one statement, in the caller's transaction. Core's
    INSERT on the table, not the ORM's bulk insert: the ORM splits the rows into one
    statement per run of rows with the same empty fields (six for a batch of ten)."""
    if rows:
        session.execute(_INSERT, rows)


@dataclass
class LogFilter:
    outcome: str | None = None
    trigger: str | None = None
    user: str | None = None
    tenant_id: str | None = None
    shipment_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(query, flt: LogFilter):
    if flt.outcome:
        query = query.where(IntegrationLog.outcome == flt.outcome)
    if flt.trigger:
        query = query.where(IntegrationLog.trigger == flt.trigger)
    if flt.user:
        query = query.where(IntegrationLog.triggered_by == flt.user)
    if flt.tenant_id:
        query = query.where(IntegrationLog.tenant_id == flt.tenant_id)
    if flt.shipment_id:
        query = query.where(IntegrationLog.shipment_id == flt.shipment_id)
    if flt.since:
        query = query.where(col(IntegrationLog.created_at) >= flt.since)
    if flt.until:
        query = query.where(col(IntegrationLog.created_at) < flt.until)
    return query


def list_entries(
    *,
    session: Session,
    flt: LogFilter | None = None,
    page: int = 1,
    page_size: int = 50,
    total: int | None = None,
) -> tuple[list[IntegrationLog], int]:
    """A page of entries, newest first, and the total count (counted here unless the caller
    already has it, e.g. kept per data version); a page past the last (the filter shrank the
    result) reads as the last."""
    flt = flt or LogFilter()
    if total is None:
        total = count_entries(session=session, flt=flt)
    rows = session.exec(
        _filtered(select(IntegrationLog), flt)
        .order_by(col(IntegrationLog.id).desc())
        .offset(Page(page, page_size, int(total)).clamped().offset)
        .limit(page_size)
    ).all()
    return list(rows), int(total)


def count_entries(*, session: Session, flt: LogFilter | None = None) -> int:
    """How many entries the filter matches."""
    query = _filtered(select(func.count(col(IntegrationLog.id))), flt or LogFilter())
    return int(session.exec(query).one())


def errors_of(entry: IntegrationLog) -> tuple[list[str], list[str]]:
    """(Xero's words, plain words with the fix)."""
    return (
        json.loads(entry.errors_xero) if entry.errors_xero else [],
        json.loads(entry.errors_plain) if entry.errors_plain else [],
    )


def note_of(entry: IntegrationLog) -> str:
    return LEGACY_NOTES.get(entry.note or "", entry.note or "")


def users(*, session: Session) -> list[tuple[str, str]]:
    """(username, display name) of everyone who appears in the log, by display name; the
    name is the username when the user no longer exists."""
    return named(session=session, usernames=triggered_by(session=session))


def triggered_by(*, session: Session) -> list[str]:
    """Every username that appears in the log (one pass over the log: worth keeping)."""
    rows = session.exec(
        select(IntegrationLog.triggered_by)
        .distinct()
        .where(col(IntegrationLog.triggered_by).is_not(None))
    ).all()
    return sorted(u for u in rows if u is not None)


def named(*, session: Session, usernames: list[str]) -> list[tuple[str, str]]:
    """(username, display name) by display name; the username when the user is gone."""
    rows = session.exec(
        select(AppUser.username, AppUser.name).where(col(AppUser.username).in_(usernames))
    ).all()
    names = dict(rows)
    pairs = [(u, names.get(u) or u) for u in usernames]
    return sorted(pairs, key=lambda x: (x[1].lower(), x[0]))


def latest_ids(*, session: Session, shipment_ids: set[int]) -> set[int]:
    """The id of each shipment's newest attempt (whatever the filter shows)."""
    if not shipment_ids:
        return set()
    newest = session.exec(
        select(func.max(col(IntegrationLog.id)))
        .where(col(IntegrationLog.shipment_id).in_(shipment_ids))
        .group_by(col(IntegrationLog.shipment_id))
    )
    return {entry_id for entry_id in newest if entry_id is not None}


def documents_sent(*, session: Session, entry: IntegrationLog) -> int | None:
    """How many documents the entry's batch sent to Xero (for this organisation); None when
    it may have tried to and not known (a shipment of it was held or put back in the queue)."""
    if not entry.batch_id:
        return 0
    rows = session.exec(
        select(IntegrationLog.outcome, col(IntegrationLog.payload).is_not(None), func.count())
        .where(
            IntegrationLog.batch_id == entry.batch_id,
            IntegrationLog.tenant_id == entry.tenant_id,
        )
        .group_by(IntegrationLog.outcome, col(IntegrationLog.payload).is_not(None))
    ).all()
    if any(outcome in (Outcome.HELD, Outcome.FAILED) for outcome, _, _ in rows):
        return None
    return sum(n for _, sent, n in rows if sent)


BUCKET_SECONDS = 900  # attempts are counted per quarter hour: any time zone's day is whole ones


def attempts_since(*, session: Session, since: datetime) -> list[tuple[datetime, str, int]]:
    """(quarter hour, outcome, attempts) from `since` on, oldest first, counted in SQL (GROUP
    BY, from the index on created_at and outcome): what the Dashboard adds up per local day.
    A quarter hour starts at the UTC moment given."""
    bucket = _quarter_hour(session)
    rows = session.exec(
        select(bucket, IntegrationLog.outcome, func.count())
        .where(col(IntegrationLog.created_at) >= since)
        .group_by(bucket, IntegrationLog.outcome)
        .order_by(bucket)
    )
    return [
        (datetime.fromtimestamp(int(n) * BUCKET_SECONDS, UTC), outcome, int(count))
        for n, outcome, count in rows
    ]


def _quarter_hour(session: Session) -> ColumnElement[int]:
    """Which quarter hour since the epoch an attempt was made in (created_at is UTC)."""
    if session.get_bind().dialect.name == "postgresql":
        epoch = extract("epoch", col(IntegrationLog.created_at))
        return cast(func.floor(epoch / BUCKET_SECONDS), Integer)
    seconds = func.strftime("%s", IntegrationLog.created_at)
    return cast(cast(seconds, Integer) / BUCKET_SECONDS, Integer)


def rejection_reasons(*, session: Session, since: datetime, limit: int) -> list[str]:
    """The first thing each rejection from `since` on says to fix (the plain words, else
    Xero's, else its note), newest first, at most `limit` of them."""
    rows = session.exec(
        select(IntegrationLog.errors_plain, IntegrationLog.errors_xero, IntegrationLog.note)
        .where(IntegrationLog.outcome == Outcome.REJECTED, col(IntegrationLog.created_at) >= since)
        .order_by(col(IntegrationLog.id).desc())
        .limit(limit)
    )
    return [_first_reason(*row) for row in rows]


def _first_reason(errors_plain: str | None, errors_xero: str | None, note: str | None) -> str:
    for stored in (errors_plain, errors_xero):
        sentences = json.loads(stored) if stored else []
        if sentences:
            return str(sentences[0])
    return note or "No reason was recorded."
