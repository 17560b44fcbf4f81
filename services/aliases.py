"""Per-customer and per-product mapping, and "check all": which unsent shipments do not map."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, select

from models import CustomerMapping, ProductMapping, Shipment, SyncState, XeroConnection
from services import audit, reference_data, validation
from services.mapping import get_sync_settings


class AliasError(ValueError):
    """A mapping that cannot be saved; the message says why."""


def save_customer_mapping(
    *,
    session: Session,
    tenant_id: str,
    shipment_code: str,
    account_number: str | None,
    sales_account_code: str | None,
    user: str,
) -> CustomerMapping:
    """Map a shipment's customer code to a Xero contact (by AccountNumber) and/or an account."""
    code = shipment_code.strip()
    if not code:
        raise AliasError("The shipment's customer code is empty.")
    if not (account_number or "").strip() and not (sales_account_code or "").strip():
        raise AliasError("Choose a Xero contact, a sales account, or both.")
    row = session.exec(
        select(CustomerMapping).where(
            CustomerMapping.tenant_id == tenant_id, CustomerMapping.shipment_code == code
        )
    ).first() or CustomerMapping(tenant_id=tenant_id, shipment_code=code)
    before = row.model_dump(exclude={"id"}) if row.id else None
    row.account_number = (account_number or "").strip() or None
    row.sales_account_code = (sales_account_code or "").strip() or None
    session.add(row)
    audit.record(
        session=session,
        actor=user,
        action="map customer",
        entity="customer_mapping",
        entity_id=code,
        before=before,
        after=row.model_dump(exclude={"id"}),
    )
    session.flush()
    return row


def save_product_mapping(
    *, session: Session, tenant_id: str, shipment_code: str, item_code: str, user: str
) -> ProductMapping:
    code, item = shipment_code.strip(), item_code.strip()
    if not code or not item:
        raise AliasError("Both the shipment's product code and the Xero item code are needed.")
    row = session.exec(
        select(ProductMapping).where(
            ProductMapping.tenant_id == tenant_id, ProductMapping.shipment_code == code
        )
    ).first() or ProductMapping(tenant_id=tenant_id, shipment_code=code, item_code=item)
    before = row.model_dump(exclude={"id"}) if row.id else None
    row.item_code = item
    session.add(row)
    audit.record(
        session=session,
        actor=user,
        action="map product",
        entity="product_mapping",
        entity_id=code,
        before=before,
        after=row.model_dump(exclude={"id"}),
    )
    session.flush()
    return row


def delete_mapping(*, session: Session, row: CustomerMapping | ProductMapping, user: str) -> None:
    audit.record(
        session=session,
        actor=user,
        action="unmap",
        entity=row.__tablename__,
        entity_id=row.shipment_code,
        before=row.model_dump(exclude={"id"}),
    )
    session.delete(row)


def customer_mappings(*, session: Session, tenant_id: str) -> list[CustomerMapping]:
    return list(
        session.exec(
            select(CustomerMapping)
            .where(CustomerMapping.tenant_id == tenant_id)
            .order_by(CustomerMapping.shipment_code)
        )
    )


def product_mappings(*, session: Session, tenant_id: str) -> list[ProductMapping]:
    return list(
        session.exec(
            select(ProductMapping)
            .where(ProductMapping.tenant_id == tenant_id)
            .order_by(ProductMapping.shipment_code)
        )
    )


@dataclass
class UnmappedCode:
    kind: str  # "customer" or "product"
    code: str
    shipment_numbers: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)


def check_all(*, session: Session, connection: XeroConnection) -> list[UnmappedCode]:
    """Every unsent shipment's codes that do not map to Xero, grouped by the missing code."""
    ref = reference_data.load(session=session, connection=connection)
    settings = get_sync_settings(session=session, tenant_id=connection.tenant_id)
    waiting = session.exec(
        select(Shipment).where(
            Shipment.sync_state.in_(
                [SyncState.NOT_SENT, SyncState.REJECTED, SyncState.CHANGED, SyncState.QUEUED]
            ),
            (Shipment.tenant_id == connection.tenant_id) | Shipment.tenant_id.is_(None),
        )
    )
    found: dict[tuple[str, str], UnmappedCode] = {}
    numbers: dict[tuple[str, str], list[str]] = defaultdict(list)
    for shipment in waiting:
        code = validation.customer_code(shipment, settings)
        if code:
            account = ref.customer_aliases.get(code.upper(), code)
            if account.upper() not in ref.customers:
                numbers[("customer", code)].append(shipment.shipment_number)
        for line in shipment.lines:
            product = (line.product_code or "").strip()
            if product:
                item = ref.product_aliases.get(product.upper(), product)
                if item.upper() not in ref.items:
                    numbers[("product", product)].append(shipment.shipment_number)
    for (kind, code), shipment_numbers in sorted(numbers.items()):
        known = ref.customers if kind == "customer" else ref.items
        found[(kind, code)] = UnmappedCode(
            kind, code, sorted(set(shipment_numbers)), validation.nearest(code, known)
        )
    return list(found.values())
