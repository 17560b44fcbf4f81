"""Credit notes raised against a shipment's invoice, and document numbers Xero will not give
back (a voided or deleted invoice's number is never used again)."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.clock import utcnow
from models.shipment import money


class XeroCreditNote(SQLModel, table=True):
    """One credit note in Xero for one shipment: how much, its number and status, and how
    much of it is allocated to the shipment's invoice."""

    __tablename__ = "xero_credit_note"

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", index=True, ondelete="CASCADE")
    tenant_id: str = Field(index=True, max_length=64)
    invoice_id: str | None = Field(default=None, max_length=64)
    credit_note_id: str | None = Field(default=None, max_length=64)
    credit_note_number: str = Field(max_length=255)
    status: str | None = Field(default=None, max_length=20)
    total: Decimal | None = Field(default=None, sa_column=money())
    allocated: Decimal | None = Field(default=None, sa_column=money())
    remaining: Decimal | None = Field(default=None, sa_column=money())
    # The shipment lines it credits, as "1,3" (empty: the whole shipment).
    line_numbers: str | None = Field(default=None, max_length=400)
    created_by: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class RetiredNumber(SQLModel, table=True):
    """A document number Xero holds on a voided or deleted document: a shipment sent again
    after it needs a new number."""

    __tablename__ = "retired_number"
    __table_args__ = (UniqueConstraint("tenant_id", "number_key"),)

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", index=True, ondelete="CASCADE")
    tenant_id: str = Field(max_length=64)
    number: str = Field(max_length=255)
    number_key: str = Field(max_length=255)  # the number folded, as Xero may match it
    xero_status: str = Field(max_length=20)  # VOIDED or DELETED
    document_id: str | None = Field(default=None, max_length=64)
    retired_at: datetime = Field(default_factory=utcnow)
