"""The integration log: one row per shipment per attempt."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from models import IntegrationLog


def write(*, session: Session, **fields) -> IntegrationLog:
    for name in ("payload", "response", "errors_xero", "errors_plain"):
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            fields[name] = json.dumps(value, default=str)
    entry = IntegrationLog(**fields)
    session.add(entry)
    return entry


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
        query = query.where(IntegrationLog.created_at >= flt.since)
    if flt.until:
        query = query.where(IntegrationLog.created_at < flt.until)
    return query


def list_entries(
    *, session: Session, flt: LogFilter | None = None, page: int = 1, page_size: int = 50
) -> tuple[list[IntegrationLog], int]:
    """A page of entries, newest first, and the total count."""
    flt = flt or LogFilter()
    total = session.exec(_filtered(select(func.count(IntegrationLog.id)), flt)).one()
    rows = session.exec(
        _filtered(select(IntegrationLog), flt)
        .order_by(IntegrationLog.id.desc())
        .offset((max(page, 1) - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(rows), int(total)


def errors_of(entry: IntegrationLog) -> tuple[list[str], list[str]]:
    """(Xero's words, plain words with the fix)."""
    return (
        json.loads(entry.errors_xero) if entry.errors_xero else [],
        json.loads(entry.errors_plain) if entry.errors_plain else [],
    )
