"""Where each incremental read from Xero stopped, per organisation and kind of record."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from models import SyncBookmark, utcnow
from services.upsert import insert_or_update

OVERLAP = timedelta(minutes=1)


def since(*, session: Session, tenant_id: str, kind: str, full: bool = False) -> datetime | None:
    """The If-Modified-Since for the next read (None: read everything)."""
    if full:
        return None
    mark = session.get(SyncBookmark, (tenant_id, kind))
    return mark.modified_since if mark else None


def advance(*, session: Session, tenant_id: str, kind: str, to: datetime) -> None:
    """Record a completed read that started at `to`."""
    # A minute of overlap: clocks differ a little, and reading a record twice is harmless.
    values = {"modified_since": to - OVERLAP, "refreshed_at": utcnow()}
    mark = session.get(SyncBookmark, (tenant_id, kind))
    if mark is None:
        # Another worker reading the same organisation may record its first read meanwhile.
        key = {"tenant_id": tenant_id, "kind": kind}
        insert_or_update(session=session, table=SyncBookmark, key=key, values=values)
        return
    mark.modified_since, mark.refreshed_at = values["modified_since"], values["refreshed_at"]
    session.add(mark)
