"""Small factories for test data. Codes match the sandbox's demo organisation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count
from typing import Any, Protocol, TypeVar

from sqlmodel import Session, SQLModel

from models import (
    Shipment,
    ShipmentFields,
    ShipmentLine,
    ShipmentLineFields,
    XeroAccount,
    XeroConnection,
    XeroContact,
    XeroCurrency,
    XeroItem,
    XeroTaxRate,
)
from services import reference_data
from services.reference_data import ReferenceData
from services.shipment_edits import create_shipment

_numbers = count(1)
TENANT = "tenant-test"
_Stored = TypeVar("_Stored", bound=SQLModel)


class _Row(Protocol):
    @property
    def id(self) -> int | None: ...


def stored(session: Session, model: type[_Stored], row_id: int | None) -> _Stored:
    """A row that must be in the database: the test fails here, by name, when it is not."""
    row = session.get(model, row_id)
    assert row is not None, f"no {model.__name__} {row_id}"
    return row


def id_of(row: _Row) -> int:
    """The id of a row the database has given one (the factories flush, so it is set)."""
    assert row.id is not None
    return row.id


def shipment_fields(**overrides) -> ShipmentFields:
    n = next(_numbers)
    values: dict[str, Any] = dict(
        shipment_number=f"T-{n:05d}",
        exporter_reference=f"EXP-{n}",
        buyer_code="ACME",
        consignee_code="ACME",
        currency="USD",
        exchange_rate=Decimal("0.59"),
        invoice_date=date(2026, 11, 1),
        date_of_issue=date(2026, 11, 1),
        due_date=date(2026, 12, 1),
        incoterms="FOB",
    )
    values.update(overrides)
    return ShipmentFields(**values)


def line(product_code="WIDGET-A", quantity="4", unit_price="12.50", item_value=None, **extra):
    quantity = Decimal(quantity) if quantity is not None else None
    unit_price = Decimal(unit_price) if unit_price is not None else None
    if item_value is None and quantity is not None and unit_price is not None:
        item_value = quantity * unit_price
    return ShipmentLineFields(
        product_code=product_code,
        quantity=quantity,
        unit_price=unit_price,
        item_value=Decimal(item_value) if item_value is not None else None,
        **extra,
    )


def make_shipment(session: Session, *, lines=None, status="Draft", **overrides) -> Shipment:
    return create_shipment(
        session=session,
        fields=shipment_fields(**overrides),
        lines=[line()] if lines is None else lines,
        user="test",
        workflow_status=status,
    )


def shipment_in_memory(*, lines=None, status="Draft", **overrides) -> Shipment:
    """A shipment as make_shipment saves it, built without a database (no id)."""
    shipment = Shipment(**shipment_fields(**overrides).model_dump(), workflow_status=status)
    shipment.lines = [
        ShipmentLine(**given.model_dump(), line_no=n)
        for n, given in enumerate([line()] if lines is None else lines, start=1)
    ]
    return shipment


def connection_in_memory(tenant: str = TENANT) -> XeroConnection:
    return XeroConnection(tenant_id=tenant, tenant_name="Test Org", base_currency="NZD")


def reference_rows(tenant: str = TENANT) -> list[SQLModel]:
    """A little cached Xero reference data: two customers, a supplier, an archived contact,
    three items, three revenue accounts, a sales and a purchases tax rate, three currencies."""
    rows: list[SQLModel] = [
        XeroContact(tenant_id=tenant, contact_id=f"c-{code}", account_number=code, name=name)
        for code, name in (("ACME", "Acme Imports Inc"), ("ALOK-01", "Alok Industries"))
    ]
    rows += [
        XeroContact(
            tenant_id=tenant,
            contact_id="c-PAC",
            account_number="PACPACK",
            name="Pacific Packaging",
            is_customer=False,
        ),
        XeroContact(
            tenant_id=tenant,
            contact_id="c-OLD",
            account_number="OLDCO",
            name="Old Partner",
            archived=True,
        ),
    ]
    rows += [
        XeroItem(tenant_id=tenant, item_id=f"i-{code}", code=code, name=code)
        for code in ("WIDGET-A", "WIDGET-B", "CRATE")
    ]
    rows += [
        XeroAccount(
            tenant_id=tenant,
            account_id=f"a-{code}",
            code=code,
            name=f"Account {code}",
            type="REVENUE",
        )
        for code in ("200", "210", "265")
    ]
    rows += [
        XeroTaxRate(tenant_id=tenant, tax_type="ZERORATED", name="Zero Rated"),
        XeroTaxRate(
            tenant_id=tenant, tax_type="INPUT2", name="GST on Expenses", can_apply_to_revenue=False
        ),
    ]
    rows += [XeroCurrency(tenant_id=tenant, code=code) for code in ("NZD", "USD", "EUR")]
    return rows


def seed_reference(session: Session, tenant: str = TENANT) -> XeroConnection:
    """A connection row (no tokens) and reference_rows, for offline checks."""
    connection = connection_in_memory(tenant)
    session.add(connection)
    session.add_all(reference_rows(tenant))
    session.flush()
    return connection


def reference_in_memory(tenant: str = TENANT, *, extra_rows=()) -> ReferenceData:
    """What reference_data.load reads after seed_reference (plus `extra_rows`, such as
    mappings), built without a database."""
    return reference_data.from_rows(
        connection=connection_in_memory(tenant), rows=[*reference_rows(tenant), *extra_rows]
    )
