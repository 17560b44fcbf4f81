"""A new shipment's form as its user left it: kept on the server, so a reload keeps it."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.clock import utcnow


class ShipmentDraft(SQLModel, table=True):
    """One draft per user: what the New shipment form held (JSON), until it is created or
    cleared."""

    __tablename__ = "shipment_draft"

    username: str = Field(primary_key=True, max_length=100)
    data: str
    updated_at: datetime = Field(default_factory=utcnow)
