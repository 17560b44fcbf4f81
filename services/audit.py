"""The audit trail: who changed what, before and after."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from sqlmodel import Session, col, select

from models import AuditEvent


def record(
    *,
    session: Session,
    actor: str | None,
    action: str,
    entity: str,
    entity_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=json.dumps(before, default=str) if before is not None else None,
        after=json.dumps(after, default=str) if after is not None else None,
    )
    session.add(event)
    return event


def recent(*, session: Session, limit: int = 100) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)))


def history_of(*, session: Session, entities: Collection[str], limit: int) -> list[AuditEvent]:
    """The newest `limit` changes to these kinds of thing (e.g. the mapping's), newest first."""
    return list(
        session.exec(
            select(AuditEvent)
            .where(col(AuditEvent.entity).in_(list(entities)))
            .order_by(col(AuditEvent.id).desc())
            .limit(limit)
        )
    )
