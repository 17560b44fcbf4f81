"""Shipments and their lines."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Numeric
from sqlmodel import Field, Relationship, SQLModel

from models.clock import utcnow
from models.enums import SyncState, WorkflowStatus


def money(nullable: bool = True, scale: int = 2) -> Column:
    return Column(Numeric(18, scale), nullable=nullable)


class ShipmentFields(SQLModel):
    """What a person types or imports for a shipment."""

    shipment_number: str = Field(index=True, unique=True, max_length=60)
    exporter_reference: str | None = Field(default=None, max_length=60)
    invoice_number: str | None = Field(default=None, max_length=60)
    buyer_code: str | None = Field(default=None, index=True, max_length=60)
    consignee_code: str | None = Field(default=None, max_length=60)
    currency: str | None = Field(default=None, max_length=3)
    exchange_rate: Decimal | None = Field(default=None, sa_column=money(scale=6))
    invoice_date: date | None = None
    date_of_issue: date | None = None
    due_date: date | None = None
    incoterms: str | None = Field(default=None, max_length=20)
    freight_amount: Decimal | None = Field(default=None, sa_column=money())
    tenant_id: str | None = Field(default=None, index=True, max_length=64)


class Shipment(ShipmentFields, table=True):
    id: int | None = Field(default=None, primary_key=True)
    workflow_status: str = Field(default=WorkflowStatus.DRAFT, index=True, max_length=30)
    sync_state: str = Field(default=SyncState.NOT_SENT, index=True, max_length=30)
    # Set while a send owns the shipment; a send only claims rows where it is empty.
    claim_token: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = None
    xero_document_type: str | None = Field(default=None, max_length=10)
    xero_document_id: str | None = Field(default=None, max_length=64)
    xero_document_number: str | None = Field(default=None, max_length=255)
    # The Xero contact the document went to (finance groups by it: aliased codes meet here).
    xero_contact_name: str | None = Field(default=None, max_length=255)
    xero_status: str | None = Field(default=None, max_length=20)
    xero_total: Decimal | None = Field(default=None, sa_column=money())
    xero_amount_paid: Decimal | None = Field(default=None, sa_column=money())
    xero_amount_due: Decimal | None = Field(default=None, sa_column=money())
    xero_fully_paid_on: date | None = None
    # Units of the document currency per unit of the base currency, as Xero applied it.
    xero_currency_rate: Decimal | None = Field(default=None, sa_column=money(scale=6))
    last_error: str | None = None
    sent_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)

    lines: list["ShipmentLine"] = Relationship(
        back_populates="shipment",
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "order_by": "ShipmentLine.line_no",
            "lazy": "selectin",
        },
    )


class ShipmentLineFields(SQLModel):
    product_code: str | None = Field(default=None, max_length=60)
    description: str | None = Field(default=None, max_length=4000)
    quantity: Decimal | None = Field(default=None, sa_column=money(scale=4))
    unit_price: Decimal | None = Field(default=None, sa_column=money(scale=4))
    item_value: Decimal | None = Field(default=None, sa_column=money())


class ShipmentLine(ShipmentLineFields, table=True):
    __tablename__ = "shipment_line"

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", index=True, ondelete="CASCADE")
    line_no: int = 1
    shipment: Shipment | None = Relationship(back_populates="lines")
