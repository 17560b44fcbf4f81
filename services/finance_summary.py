"""The Dashboard's totals from the summary kept on write (models/finance_summary.py), not
from every shipment: a sum over a few thousand rows at any number of shipments.

The rows are written by database triggers (migration b8e2fad4c6a9) in the same transaction as
each change, so they always add up to what a full scan would; `compact` folds them into one
row per key (the worker runs it with its scheduled reads)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import FinanceSummaryDelta as Delta
from services import deltas

TABLE = Delta.__tablename__
KEYS = "tenant_id, currency, sync_state, overdue_from"
AMOUNTS = (
    "shipments",
    "total_cents",
    "invoices",
    "paid_cents",
    "unpaid_cents",
    "not_approved_cents",
)


@dataclass(frozen=True)
class InvoiceAmounts:
    """One currency's sent invoices (voided and deleted left out), as
    services.finance.amounts_by_currency_and_status splits them."""

    currency: str | None
    invoices: int
    paid: Decimal
    unpaid: Decimal  # approved: open + overdue
    overdue: Decimal
    not_approved: Decimal


def _money(cents) -> Decimal:
    return Decimal(int(cents or 0)).scaleb(-2)


def totals_by_currency(*, session: Session) -> list[tuple[str | None, str | None, Decimal, int]]:
    """(currency, sync state, lines plus freight, shipments) for every group with shipments."""
    rows = session.exec(
        select(
            Delta.currency,
            Delta.sync_state,
            func.sum(Delta.total_cents),
            func.sum(Delta.shipments),
        ).group_by(col(Delta.currency), col(Delta.sync_state))
    ).all()
    return [(c, s, _money(t), int(n)) for c, s, t, n in rows if n]


def invoice_amounts(*, session: Session, today: date) -> list[InvoiceAmounts]:
    """Per currency with sent invoices, in currency order: paid, unpaid, overdue (an approved
    balance past its due date) and not yet approved."""
    overdue = case((col(Delta.overdue_from) < today, Delta.unpaid_cents), else_=0)
    sums = [
        func.sum(Delta.invoices),
        func.sum(Delta.paid_cents),
        func.sum(Delta.unpaid_cents),
        func.sum(overdue),
        func.sum(Delta.not_approved_cents),
    ]
    rows: list[Any] = session.exec(  # type: ignore[assignment]
        select(col(Delta.currency), *sums)
        .group_by(col(Delta.currency))
        .order_by(col(Delta.currency))
    ).all()
    return [
        InvoiceAmounts(c, int(n), _money(p), _money(u), _money(o), _money(a))
        for c, n, p, u, o, a in rows
        if n
    ]


def pending(*, session: Session) -> int:
    """How many rows were written since the last compaction."""
    return int(session.exec(select(func.count()).where(col(Delta.compacted).is_(False))).one())


def compact(*, engine: Engine) -> None:
    """Fold the rows into one per key (services.deltas.compact)."""
    deltas.compact(engine=engine, table=TABLE, keys=KEYS, amounts=AMOUNTS)
