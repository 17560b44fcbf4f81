"""Where each incremental read from Xero stopped, per organisation and kind of record."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from models import SyncBookmark, utcnow

OVERLAP = timedelta(minutes=1)


def since(*, session: Session, tenant_id: str, kind: str, full: bool = False) -> datetime | None:
    """The If-Modified-Since for the next read (None: read everything)."""
    if full:
        return None
    mark = session.get(SyncBookmark, (tenant_id, kind))
    return mark.modified_since if mark else None


def advance(*, session: Session, tenant_id: str, kind: str, to: datetime) -> None:
    """Record a completed read that started at `to`."""
    mark = session.get(SyncBookmark, (tenant_id, kind)) or SyncBookmark(
        tenant_id=tenant_id, kind=kind
    )
    # A minute of overlap: clocks differ a little, and reading a record twice is harmless.
    mark.modified_since = to - OVERLAP
    mark.refreshed_at = utcnow()
    session.add(mark)
