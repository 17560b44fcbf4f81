"""A new shipment's draft, kept on the server per user, so a reload (or another tab) finds the
half-typed form again. One draft per user; creating the shipment or "Clear" removes it."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from models import ShipmentDraft, utcnow
from services.upsert import insert_or_update

MAX_DRAFT_CHARS = 200_000  # a form with many lines; anything larger is not a typed draft


def save(*, session: Session, username: str, data: dict[str, Any]) -> None:
    """Keep what the form holds now (text, dates as ISO strings, lines as rows)."""
    text = json.dumps(data, default=str, sort_keys=True)
    if len(text) > MAX_DRAFT_CHARS:
        return
    current = session.get(ShipmentDraft, username)
    if current is not None and current.data == text:
        return
    insert_or_update(
        session=session,
        table=ShipmentDraft,
        key={"username": username},
        values={"data": text, "updated_at": utcnow()},
    )


def load(*, session: Session, username: str) -> dict[str, Any] | None:
    """The user's draft, or None."""
    draft = session.get(ShipmentDraft, username)
    if draft is None:
        return None
    data = json.loads(draft.data)
    return data if isinstance(data, dict) else None


def drop(*, session: Session, username: str) -> None:
    draft = session.get(ShipmentDraft, username)
    if draft is not None:
        session.delete(draft)
