"""Cheap values that change whenever the rows a page reads change: the keys the UI caches
its slow reads under (ui/data_cache.py), so a change by anyone — this user, another user,
the worker, the CLI — gives a new key at once and nothing cached is ever shown stale.

Each is one indexed aggregate (a few milliseconds at any size). Read a version BEFORE the
rows it stands for: a write that lands between the two then only makes the next run read
again; read the other way round, older rows could be kept under a newer key."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, func, select

from models import FinanceSummaryDelta, IntegrationLog, XeroCreditNote, XeroPayment

Version = tuple[int, ...]


def shipments(*, session: Session) -> Version:
    """Changes with every insert or delete of a shipment or line, and every update of a
    shipment's organisation, currency, sync state, due date, freight, document id, type,
    status, amount paid or due, or a line's value: the database triggers append a row to
    finance_summary_delta in the same transaction (migration b8e2fad4c6a9). Compaction
    replaces rows with new ones, so it changes too (a harmless re-read).

    Not covered: columns the triggers do not watch (names, references, xero_total alone —
    Xero changes an invoice's total only with its amount due)."""
    delta = FinanceSummaryDelta
    row: Any = session.exec(
        select(
            func.coalesce(func.max(delta.id), 0),
            func.count(),
            # With the count, these tell apart a table emptied by compaction and refilled
            # up to the same id (SQLite may reuse ids from 1 then).
            func.coalesce(func.sum(delta.shipments), 0),
            func.coalesce(func.sum(delta.invoices), 0),
        )
    ).one()
    return tuple(int(v) for v in row)


def integration_log(*, session: Session) -> Version:
    """The newest log entry's id: the log is only ever added to (an entry's API-call count
    may be filled in later; nothing that reads by outcome and time depends on it)."""
    newest: Any = session.exec(select(func.coalesce(func.max(IntegrationLog.id), 0))).one()
    return (int(newest),)


def credit_notes(*, session: Session) -> Version:
    """How many credit notes, the newest id and the sum of their totals in cents."""
    note = XeroCreditNote
    row: Any = session.exec(
        select(
            func.count(),
            func.coalesce(func.max(note.id), 0),
            func.coalesce(func.sum(note.total), 0),
        )
    ).one()
    return (int(row[0]), int(row[1]), int(round(row[2] * 100)))


def payments(*, session: Session) -> Version:
    """How many payments were pulled and the newest id (the counts per organisation)."""
    row: Any = session.exec(select(func.count(), func.coalesce(func.max(XeroPayment.id), 0))).one()
    return (int(row[0]), int(row[1]))
