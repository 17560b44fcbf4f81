"""Xero reference data (contacts, items, accounts, tax rates, currencies) cached per organisation.

Validation reads only this cache, so checking a shipment costs no API call.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import TypeVar

from sqlalchemy import bindparam, event
from sqlmodel import Session, SQLModel, col, delete, select

from models import (
    XeroAccount,
    XeroConnection,
    XeroContact,
    XeroCurrency,
    XeroItem,
    XeroTaxRate,
    utcnow,
)
from services import bookmarks
from services.upsert import insert_or_update
from services.xero.adapter import XeroAdapter

# The cached Xero tables a refresh upserts, one organisation's rows each.
ReferenceRow = TypeVar("ReferenceRow", XeroContact, XeroItem, XeroAccount, XeroTaxRate)


@dataclass
class RefreshSummary:
    """What a refresh changed, per kind: new / updated / unchanged / archived."""

    counts: dict[str, Counter] = field(default_factory=dict)
    api_calls: int = 0

    def add(self, kind: str, change: str) -> None:
        self.counts.setdefault(kind, Counter())[change] += 1


def refresh(
    *,
    session: Session,
    connection: XeroConnection,
    adapter: XeroAdapter,
    full: bool = False,
) -> RefreshSummary:
    """Bring the cache up to date; incremental (If-Modified-Since) unless `full`."""
    tenant = connection.tenant_id
    since = {
        kind: bookmarks.since(session=session, tenant_id=tenant, kind=kind, full=full)
        for kind in ("contacts", "items", "accounts")
    }
    started_calls = adapter.stats.calls
    started = utcnow()
    summary = RefreshSummary()
    # Read everything first, then write: no database transaction stays open across API calls
    # (on SQLite that would block the rate limiter's own writes).
    session.commit()
    org = adapter.organisation(tenant)
    contacts = adapter.contacts(tenant, modified_since=since["contacts"])
    items = adapter.items(tenant, modified_since=since["items"])
    accounts = adapter.accounts(tenant, modified_since=since["accounts"])
    tax_rates = adapter.tax_rates(tenant)
    currencies = adapter.currencies(tenant)

    connection.base_currency = org.get("BaseCurrency") or connection.base_currency
    connection.short_code = org.get("ShortCode") or connection.short_code
    connection.tenant_name = org.get("Name") or connection.tenant_name

    for raw in contacts:
        values = dict(
            account_number=raw.get("AccountNumber") or None,
            name=raw.get("Name") or "",
            email=raw.get("EmailAddress"),
            primary_person=" ".join(x for x in (raw.get("FirstName"), raw.get("LastName")) if x)
            or None,
            default_currency=raw.get("DefaultCurrency"),
            is_customer=bool(raw.get("IsCustomer")),
            archived=raw.get("ContactStatus") == "ARCHIVED",
        )
        _upsert(
            session,
            summary,
            "contacts",
            XeroContact,
            tenant,
            {"contact_id": raw["ContactID"]},
            values,
        )

    for raw in items:
        sales = raw.get("SalesDetails") or {}
        values = dict(
            code=raw.get("Code") or "",
            name=raw.get("Name"),
            sales_account_code=sales.get("AccountCode"),
            sales_tax_type=sales.get("TaxType"),
        )
        _upsert(session, summary, "items", XeroItem, tenant, {"item_id": raw["ItemID"]}, values)

    for raw in accounts:
        values = dict(
            code=raw.get("Code"),
            name=raw.get("Name") or "",
            type=raw.get("Type") or "",
            status=raw.get("Status") or "ACTIVE",
        )
        _upsert(
            session,
            summary,
            "accounts",
            XeroAccount,
            tenant,
            {"account_id": raw["AccountID"]},
            values,
        )

    # Tax rates and currencies have no If-Modified-Since: they are few, read them whole.
    for raw in tax_rates:
        values = dict(
            name=raw.get("Name") or "",
            rate=Decimal(str(raw.get("EffectiveRate") or 0)),
            status=raw.get("Status") or "ACTIVE",
            can_apply_to_revenue=raw.get("CanApplyToRevenue"),
        )
        _upsert(
            session, summary, "tax rates", XeroTaxRate, tenant, {"tax_type": raw["TaxType"]}, values
        )
    codes = [raw["Code"] for raw in currencies]
    session.exec(delete(XeroCurrency).where(col(XeroCurrency.tenant_id) == tenant))
    for code in codes:
        # Another worker refreshing this organisation may have put it back meanwhile.
        insert_or_update(
            session=session, table=XeroCurrency, key={"tenant_id": tenant, "code": code}, values={}
        )
    summary.counts["currencies"] = Counter({"unchanged": len(codes)})

    for kind in since:
        bookmarks.advance(session=session, tenant_id=tenant, kind=kind, to=started)
    connection.reference_refreshed_at = started
    session.add(connection)
    session.flush()
    invalidate(tenant_id=tenant)
    summary.api_calls = adapter.stats.calls - started_calls
    return summary


def _upsert(
    session: Session,
    summary: RefreshSummary,
    kind: str,
    table: type[ReferenceRow],
    tenant: str,
    key: dict,
    values: dict,
) -> None:
    query = select(table).where(col(table.tenant_id) == tenant)
    for column, value in key.items():
        query = query.where(getattr(table, column) == value)
    row = session.exec(query).first()
    if row is None:
        # Another worker refreshing the same organisation may insert it between this look and
        # this write: then this one updates their row instead of failing on the unique key.
        unique = {"tenant_id": tenant, **key}
        insert_or_update(session=session, table=table, key=unique, values=values)
        summary.add(kind, "new")
        return
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    if not changed:
        summary.add(kind, "unchanged")
        return
    if changed.get("archived") or changed.get("status") == "ARCHIVED":
        summary.add(kind, "archived")
    else:
        summary.add(kind, "updated")
    for k, v in changed.items():
        setattr(row, k, v)
    session.add(row)


@dataclass
class ReferenceData:
    """An in-memory view of one organisation's cache, for validating many shipments at once."""

    tenant_id: str
    base_currency: str | None
    customers: dict[str, XeroContact]  # by AccountNumber (upper-case), active customers only
    items: dict[str, XeroItem]  # by Code (upper-case)
    accounts: dict[str, XeroAccount]  # by Code, active only
    tax_types: dict[str, XeroTaxRate]
    currencies: set[str]
    customer_aliases: dict[str, str]  # shipment code (upper) -> AccountNumber
    product_aliases: dict[str, str]  # shipment code (upper) -> item Code
    sales_account_overrides: dict[str, str]  # AccountNumber (upper) -> account code
    loaded_at: datetime = field(default_factory=utcnow)

    @property
    def is_empty(self) -> bool:
        return not (self.customers or self.items or self.accounts)


XERO_TABLES = (XeroContact, XeroItem, XeroAccount, XeroTaxRate, XeroCurrency)


@dataclass
class _Cached:
    stamp: datetime | None  # the connection's reference_refreshed_at when it was read
    view: ReferenceData  # Xero's part only; the mappings are read on every load


# One organisation's Xero reference data in memory, per database: read once, then reused
# until a refresh (here or in another process: the connection's reference_refreshed_at
# moves) or a write to its rows in this process (see _forget_written) invalidates it.
_cache: dict[tuple[str, str], _Cached] = {}
_cache_lock = threading.Lock()


def _cache_key(session: Session, tenant_id: str) -> tuple[str, str]:
    return (str(session.get_bind().engine.url), tenant_id)


def invalidate(*, tenant_id: str | None = None) -> None:
    """Forget the cached reference data of one organisation (every one when None)."""
    with _cache_lock:
        for key in [k for k in _cache if tenant_id is None or k[1] == tenant_id]:
            del _cache[key]


@event.listens_for(Session, "after_flush")
def _forget_written(session, _flush_context) -> None:
    """Rows of the cached tables written through any session of this process (a refresh,
    a test's factory) make their organisation's cache stale."""
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, XERO_TABLES):
            invalidate(tenant_id=row.tenant_id)


def load(*, session: Session, connection: XeroConnection) -> ReferenceData:
    """The organisation's cached reference data and mappings, read once for many checks.
    Xero's part is kept in memory per organisation (see `_cache`); the mappings, which the
    Mapping page changes without a refresh, are read every time (two small queries)."""
    from models import CustomerMapping, ProductMapping

    tenant = connection.tenant_id
    key = _cache_key(session, tenant)
    stamp = connection.reference_refreshed_at
    with _cache_lock:
        cached = _cache.get(key)
    if cached is None or cached.stamp != stamp:
        rows = [
            row
            for table in XERO_TABLES
            for row in session.exec(select(table).where(table.tenant_id == tenant))
        ]
        for row in rows:
            # Shared between sessions and threads from now on: never expired or refreshed
            # by the session that read it.
            session.expunge(row)
        cached = _Cached(stamp, from_rows(connection=connection, rows=rows))
        with _cache_lock:
            _cache[key] = cached
    mappings = [
        row
        for table in (CustomerMapping, ProductMapping)
        for row in session.exec(_rows_of(table), params={"tenant": tenant})
    ]
    return replace(
        from_rows(connection=connection, rows=mappings),
        customers=cached.view.customers,
        items=cached.view.items,
        accounts=cached.view.accounts,
        tax_types=cached.view.tax_types,
        currencies=cached.view.currencies,
    )


@cache
def _rows_of(table: type[SQLModel]):
    """One organisation's rows of `table`, built once per table (the organisation bound at
    each call: the mappings are read for every batch)."""
    return select(table).where(table.tenant_id == bindparam("tenant"))  # type: ignore[attr-defined]


def from_rows(*, connection: XeroConnection, rows: Iterable[SQLModel]) -> ReferenceData:
    """The in-memory view of one organisation's cached rows (contacts, items, accounts, tax
    rates, currencies, customer and product mappings, in any order). Pure: no database."""
    from models import CustomerMapping, ProductMapping

    by_table: dict[type, list] = {}
    for row in rows:
        by_table.setdefault(type(row), []).append(row)

    def of(table) -> list:
        return by_table.get(table, [])

    customers = {
        c.account_number.upper(): c
        for c in of(XeroContact)
        if c.account_number and c.is_customer and not c.archived
    }
    mappings = of(CustomerMapping)
    return ReferenceData(
        tenant_id=connection.tenant_id,
        base_currency=connection.base_currency,
        customers=customers,
        items={i.code.upper(): i for i in of(XeroItem) if i.code},
        accounts={a.code: a for a in of(XeroAccount) if a.code and a.status == "ACTIVE"},
        tax_types={t.tax_type: t for t in of(XeroTaxRate) if t.status == "ACTIVE"},
        currencies={c.code for c in of(XeroCurrency)},
        customer_aliases={
            m.shipment_code.upper(): m.account_number for m in mappings if m.account_number
        },
        product_aliases={m.shipment_code.upper(): m.item_code for m in of(ProductMapping)},
        sales_account_overrides={
            (m.account_number or m.shipment_code).upper(): m.sales_account_code
            for m in mappings
            if m.sales_account_code
        },
    )
