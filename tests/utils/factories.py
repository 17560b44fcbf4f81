"""Small factories for test data. Codes match the sandbox's demo organisation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count

from sqlmodel import Session

from models import (
    Shipment,
    ShipmentFields,
    ShipmentLineFields,
    XeroAccount,
    XeroConnection,
    XeroContact,
    XeroCurrency,
    XeroItem,
    XeroTaxRate,
)
from services.shipments import create_shipment

_numbers = count(1)
TENANT = "tenant-test"


def shipment_fields(**overrides) -> ShipmentFields:
    n = next(_numbers)
    values = dict(
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


def seed_reference(session: Session, tenant: str = TENANT) -> XeroConnection:
    """A connection row (no tokens) and a little cached reference data, for offline checks."""
    connection = XeroConnection(tenant_id=tenant, tenant_name="Test Org", base_currency="NZD")
    session.add(connection)
    for code, name in (("ACME", "Acme Imports Inc"), ("ALOK-01", "Alok Industries")):
        session.add(
            XeroContact(tenant_id=tenant, contact_id=f"c-{code}", account_number=code, name=name)
        )
    session.add(
        XeroContact(
            tenant_id=tenant,
            contact_id="c-PAC",
            account_number="PACPACK",
            name="Pacific Packaging",
            is_customer=False,
        )
    )
    session.add(
        XeroContact(
            tenant_id=tenant,
            contact_id="c-OLD",
            account_number="OLDCO",
            name="Old Partner",
            archived=True,
        )
    )
    for code in ("WIDGET-A", "WIDGET-B", "CRATE"):
        session.add(XeroItem(tenant_id=tenant, item_id=f"i-{code}", code=code, name=code))
    for code in ("200", "210", "265"):
        session.add(
            XeroAccount(
                tenant_id=tenant,
                account_id=f"a-{code}",
                code=code,
                name=f"Account {code}",
                type="REVENUE",
            )
        )
    session.add(XeroTaxRate(tenant_id=tenant, tax_type="ZERORATED", name="Zero Rated"))
    session.add(
        XeroTaxRate(
            tenant_id=tenant, tax_type="INPUT2", name="GST on Expenses", can_apply_to_revenue=False
        )
    )
    for code in ("NZD", "USD", "EUR"):
        session.add(XeroCurrency(tenant_id=tenant, code=code))
    session.flush()
    return connection
