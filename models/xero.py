"""Xero organisations we are connected to, and the reference data cached from them."""

from __future__ import annotations

from datetime import date as date_
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.clock import utcnow
from models.enums import ConnectionStatus
from models.shipment import RATE, money


class XeroConnection(SQLModel, table=True):
    """One connected Xero organisation (tenant). Tokens are Fernet-encrypted."""

    __tablename__ = "xero_connection"

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(unique=True, max_length=64)
    tenant_name: str = Field(max_length=255)
    connection_id: str | None = Field(default=None, max_length=64)
    base_currency: str | None = Field(default=None, max_length=3)
    # Xero's ShortCode (e.g. "!2kXy7"): links into Xero open this organisation with it.
    short_code: str | None = Field(default=None, max_length=20)
    status: str = Field(default=ConnectionStatus.ACTIVE, max_length=30)
    is_default: bool = False
    access_token_enc: str | None = None
    refresh_token_enc: str | None = None
    expires_at: datetime | None = None
    scope: str | None = None
    # The refresh token is shared by every tenant of one consent; the grant groups them.
    grant_id: str | None = Field(default=None, max_length=64, index=True)
    connected_by: str | None = Field(default=None, max_length=100)
    connected_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = None
    reference_refreshed_at: datetime | None = None
    payments_pulled_at: datetime | None = None


class XeroContact(SQLModel, table=True):
    __tablename__ = "xero_contact"
    __table_args__ = (UniqueConstraint("tenant_id", "contact_id"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(index=True, max_length=64)
    contact_id: str = Field(max_length=64)
    account_number: str | None = Field(default=None, index=True, max_length=60)
    name: str = Field(max_length=255)
    email: str | None = None
    primary_person: str | None = None
    default_currency: str | None = Field(default=None, max_length=3)
    is_customer: bool = True
    archived: bool = False
    updated_at: datetime | None = None


class XeroItem(SQLModel, table=True):
    __tablename__ = "xero_item"
    __table_args__ = (UniqueConstraint("tenant_id", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(index=True, max_length=64)
    item_id: str = Field(max_length=64)
    code: str = Field(index=True, max_length=60)
    name: str | None = None
    sales_account_code: str | None = Field(default=None, max_length=10)
    sales_tax_type: str | None = Field(default=None, max_length=50)
    updated_at: datetime | None = None


class XeroAccount(SQLModel, table=True):
    __tablename__ = "xero_account"
    __table_args__ = (UniqueConstraint("tenant_id", "account_id"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(index=True, max_length=64)
    account_id: str = Field(max_length=64)
    code: str | None = Field(default=None, max_length=10)
    name: str = Field(max_length=150)
    type: str = Field(max_length=30)
    status: str = Field(default="ACTIVE", max_length=20)
    updated_at: datetime | None = None


class XeroTaxRate(SQLModel, table=True):
    __tablename__ = "xero_tax_rate"
    __table_args__ = (UniqueConstraint("tenant_id", "tax_type"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(index=True, max_length=64)
    tax_type: str = Field(max_length=50)
    name: str = Field(max_length=150)
    rate: Decimal = Field(default=Decimal(0), sa_column=Column(Numeric(9, 4)))
    status: str = Field(default="ACTIVE", max_length=20)
    # Xero's CanApplyToRevenue: False for purchase-only rates (None: read before it was kept).
    can_apply_to_revenue: bool | None = None


class XeroCurrency(SQLModel, table=True):
    __tablename__ = "xero_currency"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(index=True, max_length=64)
    code: str = Field(max_length=3)
    description: str | None = None


class CustomerMapping(SQLModel, table=True):
    """A shipment customer code that maps to a Xero contact under another AccountNumber."""

    __tablename__ = "customer_mapping"
    __table_args__ = (UniqueConstraint("tenant_id", "shipment_code"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(index=True, max_length=64)
    shipment_code: str = Field(max_length=60)
    account_number: str | None = Field(default=None, max_length=60)
    sales_account_code: str | None = Field(default=None, max_length=10)


class ProductMapping(SQLModel, table=True):
    """A shipment product code that maps to a Xero item under another Code."""

    __tablename__ = "product_mapping"
    __table_args__ = (UniqueConstraint("tenant_id", "shipment_code"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(index=True, max_length=64)
    shipment_code: str = Field(max_length=60)
    item_code: str = Field(max_length=60)


class XeroPayment(SQLModel, table=True):
    """A payment Xero recorded against a document Shipbridge sent."""

    __tablename__ = "xero_payment"
    __table_args__ = (UniqueConstraint("tenant_id", "payment_id"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(index=True, max_length=64)
    payment_id: str = Field(max_length=64)
    invoice_id: str = Field(index=True, max_length=64)
    shipment_id: int | None = Field(default=None, foreign_key="shipment.id", index=True)
    date: date_ | None = None
    amount: Decimal = Field(default=Decimal(0), sa_column=money())
    currency_rate: Decimal | None = Field(default=None, sa_column=money(digits=RATE))
    reference: str | None = None
    status: str = Field(default="AUTHORISED", max_length=20)
    updated_at: datetime | None = None


class PinnedDocument(SQLModel, table=True):
    """A document a finance user pinned to their Pinned view."""

    __tablename__ = "pinned_document"
    __table_args__ = (UniqueConstraint("username", "shipment_id"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, max_length=60)
    shipment_id: int = Field(foreign_key="shipment.id", index=True)


class SyncBookmark(SQLModel, table=True):
    """Where the last incremental read from Xero stopped, per organisation and kind."""

    __tablename__ = "sync_bookmark"

    tenant_id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(primary_key=True, max_length=30)
    modified_since: datetime | None = None
    refreshed_at: datetime | None = None
