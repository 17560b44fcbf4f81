"""The finance summary kept on write: one row per change to what the Dashboard's totals add up.

Every insert, update or delete of a shipment or a shipment line that changes a figure appends
rows here in the same transaction (database triggers, migration b8e2fad4c6a9): the old
contribution negated, the new one added. Nothing is ever updated in place, so concurrent
writers never wait on one hot row. Reads sum the rows, grouped (services/finance_summary.py);
the worker compacts them now and then into one row per key (`compacted`).

Amounts are whole cents (exact on SQLite too, where NUMERIC is a double)."""

from datetime import date

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel


def cents() -> Column:
    return Column(BigInteger, nullable=False, server_default="0")


class FinanceSummaryDelta(SQLModel, table=True):
    __tablename__ = "finance_summary_delta"

    id: int | None = Field(default=None, primary_key=True)
    # The key: the shipment's organisation, currency and sync state, and for an approved
    # invoice with a balance, its due date (the Overdue split is due date < today).
    tenant_id: str | None = Field(default=None, max_length=64)
    currency: str | None = Field(default=None, max_length=3)
    sync_state: str | None = Field(default=None, max_length=30)
    overdue_from: date | None = None
    # What the shipments add up to (services.shipments.totals_by_currency): how many, and
    # their lines plus freight.
    shipments: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    total_cents: int = Field(default=0, sa_column=cents())
    # Sent invoices (services.finance.amounts_by_currency_and_status): how many, paid, the
    # approved ones' balances (unpaid) and the balances of those not yet approved.
    invoices: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    paid_cents: int = Field(default=0, sa_column=cents())
    unpaid_cents: int = Field(default=0, sa_column=cents())
    not_approved_cents: int = Field(default=0, sa_column=cents())
    # A row written by compaction (the sum of earlier rows), not by a change.
    compacted: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
