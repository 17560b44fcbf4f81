"""Shipments and their lines."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, Index, Numeric, event, inspect
from sqlmodel import Field, Relationship, SQLModel

from models.clock import utcnow
from models.enums import SyncState, WorkflowStatus


@dataclass(frozen=True)
class Digits:
    """How many digits an amount may have in all (precision) and after the point (scale):
    the range Shipbridge stores exactly on both databases. 15 in all because SQLite keeps a
    NUMERIC as a double, exact to 15 significant digits only (17 nines come back as 1e17)."""

    precision: int
    scale: int

    @property
    def largest(self) -> Decimal:
        """The largest value that fits, e.g. 9999999999999.99."""
        return Decimal(10) ** (self.precision - self.scale) - Decimal(10) ** -self.scale


AMOUNT = Digits(15, 2)  # to the cent, under 10 trillion: item values, freight, Xero's totals
QUANTITY = Digits(15, 4)  # Xero takes 4 places for quantities
UNIT_PRICE = Digits(15, 4)  # Xero keeps 4 places with unitdp=4
RATE = Digits(15, 6)  # Xero's CurrencyRate has 6 places
# The columns are NUMERIC(18, scale) (PostgreSQL holds that much; the schema predates the
# limit): services refuse anything beyond the column's Digits before it is written.
COLUMN_PRECISION = 18


def money(nullable: bool = True, digits: Digits = AMOUNT) -> Column:
    return Column(
        Numeric(COLUMN_PRECISION, digits.scale), nullable=nullable, info={"digits": digits}
    )


def amount_columns(model: type[SQLModel]) -> dict[str, Digits]:
    """Each amount column of a table model and the digits it may hold, as declared above
    (the one place the limits are set)."""
    return {
        column.key: column.info["digits"]
        for column in inspect(model).columns
        if "digits" in column.info
    }


def number_key(shipment_number: str) -> str:
    """A shipment number as uniqueness sees it: no surrounding spaces, case folded, so
    CASE-7 and " case-7 " are one number (Xero may match them as one document)."""
    return shipment_number.strip().casefold()


class ShipmentFields(SQLModel):
    """What a person types or imports for a shipment."""

    shipment_number: str = Field(index=True, unique=True, max_length=60)
    exporter_reference: str | None = Field(default=None, max_length=60)
    invoice_number: str | None = Field(default=None, max_length=60)
    buyer_code: str | None = Field(default=None, index=True, max_length=60)
    consignee_code: str | None = Field(default=None, max_length=60)
    currency: str | None = Field(default=None, max_length=3)
    exchange_rate: Decimal | None = Field(default=None, sa_column=money(digits=RATE))
    invoice_date: date | None = None
    date_of_issue: date | None = None
    due_date: date | None = None
    incoterms: str | None = Field(default=None, max_length=20)
    freight_amount: Decimal | None = Field(default=None, sa_column=money())
    tenant_id: str | None = Field(default=None, index=True, max_length=64)


class Shipment(ShipmentFields, table=True):
    # Finance documents newest first; Check all: waiting shipments per organisation and the
    # codes in use (consignee when the mapping takes it). The search and finance indexes the
    # models cannot declare are in migration f2b8d4a01c23.
    __table_args__ = (
        Index("ix_shipment_invoice_date_id", "invoice_date", "id"),
        Index("ix_shipment_state_tenant", "sync_state", "tenant_id"),
        Index("ix_shipment_consignee", "consignee_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # number_key(shipment_number), unique: two numbers differing only in case or spaces
    # cannot both exist. Set with the number on every write (services.shipments).
    number_key: str = Field(index=True, unique=True, max_length=60)
    workflow_status: str = Field(default=WorkflowStatus.DRAFT, index=True, max_length=30)
    sync_state: str = Field(default=SyncState.NOT_SENT, index=True, max_length=30)
    # Set while a send owns the shipment; a send only claims rows where it is empty.
    claim_token: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = None
    # Fencing token: raised by every claim, so a sender whose claim was taken over (its lease
    # ran out) can tell, and sends and applies nothing.
    claim_fence: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Hash of the document last Processed by Xero: the same content is not sent again.
    sent_hash: str | None = Field(default=None, max_length=64)
    # When the last send's call to Xero began: while it may still be in flight, a sender that
    # took the shipment over waits rather than send it again.
    send_started_at: datetime | None = None
    xero_document_type: str | None = Field(default=None, max_length=10)
    # Indexed: the payment pull matches each page of Xero's payments by document id.
    xero_document_id: str | None = Field(default=None, max_length=64, index=True)
    xero_document_number: str | None = Field(default=None, max_length=255)
    # The Xero contact the document went to (finance groups by it: aliased codes meet here).
    xero_contact_name: str | None = Field(default=None, max_length=255)
    # Its ContactID as the send resolved it: the drift check compares Xero's against it.
    xero_contact_id: str | None = Field(default=None, max_length=64)
    xero_status: str | None = Field(default=None, max_length=20)
    xero_total: Decimal | None = Field(default=None, sa_column=money())
    xero_amount_paid: Decimal | None = Field(default=None, sa_column=money())
    xero_amount_due: Decimal | None = Field(default=None, sa_column=money())
    xero_fully_paid_on: date | None = None
    # Units of the document currency per unit of the base currency, as Xero applied it.
    xero_currency_rate: Decimal | None = Field(default=None, sa_column=money(digits=RATE))
    last_error: str | None = None
    sent_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)
    # Raised by every save of what a person edits (the form's fields, the status, the lines),
    # by any path: the form, a status change, a CSV update (bump_version below, on flush).
    # Sends and pulls (sync state, Xero's columns) leave it. An edit carries the version it
    # started from; services.versions refuses a save over a newer one.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})

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
    quantity: Decimal | None = Field(default=None, sa_column=money(digits=QUANTITY))
    unit_price: Decimal | None = Field(default=None, sa_column=money(digits=UNIT_PRICE))
    item_value: Decimal | None = Field(default=None, sa_column=money())


class ShipmentLine(ShipmentLineFields, table=True):
    __tablename__ = "shipment_line"
    # Check all: the waiting shipments that use a product code, from the index alone.
    __table_args__ = (Index("ix_shipment_line_product_shipment", "product_code", "shipment_id"),)

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", index=True, ondelete="CASCADE")
    line_no: int = 1
    shipment: Shipment | None = Relationship(back_populates="lines")


# What a version counts: a change to any of these is a new version of the shipment.
VERSIONED = (*ShipmentFields.model_fields, "workflow_status", "lines")


@event.listens_for(Shipment, "before_update")
def bump_version(_mapper, _connection, target: Shipment) -> None:
    """Raise the version in the same UPDATE as an edit (as SQL, version + 1, so two writers
    never write the same number)."""
    attrs = inspect(target).attrs
    if attrs.version.history.has_changes():
        return
    if any(attrs[name].history.has_changes() for name in VERSIONED):
        target.version = Shipment.version + 1
