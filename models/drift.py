"""Where a sent shipment and its document in Xero disagree, as the drift check last found."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.clock import utcnow


class XeroDifference(SQLModel, table=True):
    """One way a shipment differs from its document in Xero (one row per shipment and kind,
    removed when they agree again)."""

    __tablename__ = "xero_difference"
    # The unique index also serves the Dashboard's count of shipments that differ.
    __table_args__ = (UniqueConstraint("shipment_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", ondelete="CASCADE")
    tenant_id: str = Field(index=True, max_length=64)
    kind: str = Field(max_length=20)  # total, contact, currency, lines, status, paid, ...
    here: str | None = Field(default=None, max_length=255)  # what Shipbridge says
    in_xero: str | None = Field(default=None, max_length=255)  # what Xero holds
    detail: str = Field(max_length=500)  # the difference in a sentence
    found_at: datetime = Field(default_factory=utcnow)
    xero_updated_at: datetime | None = None  # when the document last changed in Xero
