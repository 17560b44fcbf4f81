"""Per-customer and per-product mapping, and "check all": which unsent shipments do not map."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from models import (
    CustomerMapping,
    ProductMapping,
    SyncState,
    XeroConnection,
)
from services import audit, codes_in_use, reference_data
from services.errors import UserError
from services.mapping import get_sync_settings
from services.paging import Page
from services.suggestions import Suggestions


class AliasError(UserError):
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
    row = mapping_for(
        CustomerMapping, session=session, tenant_id=tenant_id, shipment_code=code
    ) or CustomerMapping(tenant_id=tenant_id, shipment_code=code)
    before = row.model_dump(exclude={"id"}) if row.id else None
    row.account_number = (account_number or "").strip() or None
    row.sales_account_code = (sales_account_code or "").strip() or None
    return _saved(row, session=session, user=user, action="map customer", before=before)


def save_product_mapping(
    *, session: Session, tenant_id: str, shipment_code: str, item_code: str, user: str
) -> ProductMapping:
    code, item = shipment_code.strip(), item_code.strip()
    if not code or not item:
        raise AliasError("Both the shipment's product code and the Xero item code are needed.")
    row = mapping_for(
        ProductMapping, session=session, tenant_id=tenant_id, shipment_code=code
    ) or ProductMapping(tenant_id=tenant_id, shipment_code=code, item_code=item)
    before = row.model_dump(exclude={"id"}) if row.id else None
    row.item_code = item
    return _saved(row, session=session, user=user, action="map product", before=before)


def _saved(
    row: AnyMapping, *, session: Session, user: str, action: str, before: dict | None
) -> AnyMapping:
    """A new or changed mapping, stored with its audit event (what it was, what it is)."""
    session.add(row)
    audit.record(
        session=session,
        actor=user,
        action=action,
        entity=row.__tablename__,
        entity_id=row.shipment_code,
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


Mapping = CustomerMapping | ProductMapping
AnyMapping = TypeVar("AnyMapping", CustomerMapping, ProductMapping)


@dataclass
class MappingPage(Generic[AnyMapping]):
    """One page of an organisation's customer or product mappings, by shipment code."""

    rows: list[AnyMapping]
    total: int  # mappings matching the search
    page: int  # 1-based, within 1..pages
    pages: int


def mappings(
    model: type[AnyMapping],
    *,
    session: Session,
    tenant_id: str,
    search: str = "",
    page: int = 1,
    page_size: int = 25,
) -> MappingPage[AnyMapping]:
    """A page of mappings (paged in SQL), optionally those whose shipment code or Xero code
    contains `search` (any case)."""
    target = (
        col(model.account_number) if issubclass(model, CustomerMapping) else col(model.item_code)
    )
    where = [col(model.tenant_id) == tenant_id]
    if search.strip():
        term = search.strip()
        where.append(
            or_(
                col(model.shipment_code).icontains(term, autoescape=True),
                target.icontains(term, autoescape=True),
            )
        )
    total = session.exec(select(func.count()).select_from(model).where(*where)).one()
    shown = Page(page, page_size, total).clamped()
    rows = session.exec(
        select(model)
        .where(*where)
        .order_by(col(model.shipment_code))
        .offset(shown.offset)
        .limit(page_size)
    ).all()
    return MappingPage(rows=list(rows), total=total, page=shown.number, pages=shown.count)


def get_mapping(*, session: Session, model: type[AnyMapping], mapping_id: int) -> AnyMapping | None:
    """A customer or product mapping by its id; None when it was deleted meanwhile."""
    return session.get(model, mapping_id)


def mapping_for(
    model: type[AnyMapping], *, session: Session, tenant_id: str, shipment_code: str
) -> AnyMapping | None:
    return session.exec(
        select(model).where(model.tenant_id == tenant_id, model.shipment_code == shipment_code)
    ).first()


EXAMPLES = 50  # shipment numbers kept per unmapped code (the count is exact)
WAITING = [SyncState.NOT_SENT, SyncState.REJECTED, SyncState.CHANGED, SyncState.QUEUED]


@dataclass
class UnmappedCode:
    kind: str  # "customer" or "product"
    code: str
    shipment_numbers: list[str] = field(default_factory=list)  # the first EXAMPLES, A to Z
    suggestions: list[str] = field(default_factory=list)
    shipment_count: int = 0


@dataclass
class CheckResult:
    codes: list[UnmappedCode]
    shipments: int  # waiting shipments with at least one code that does not map


def check_all(*, session: Session, connection: XeroConnection) -> CheckResult:
    """Every waiting shipment's codes that do not map to Xero, grouped by the missing code.

    From the codes-in-use summary kept on write (services.codes_in_use), whatever the number
    of shipments: the customer and product codes waiting shipments use, checked against
    Xero's codes in memory; then, for the codes that do not map only, the waiting shipments
    that use them (their counts, up to EXAMPLES shipment numbers each, and the number
    touched), read once from one index and counted in memory; suggestions worked out once per
    missing code (services.suggestions)."""
    ref = reference_data.load(session=session, connection=connection)
    settings = get_sync_settings(session=session, tenant_id=connection.tenant_id)
    tenant = connection.tenant_id
    found: dict[tuple[str, str], UnmappedCode] = {}
    touched: set[int] = set()  # waiting shipments with a code that does not map
    for kind, column, aliases_, known in (
        ("customer", settings.customer_code_source, ref.customer_aliases, ref.customers),
        ("product", "product_code", ref.product_aliases, ref.items),
    ):
        raws = [
            raw
            for raw in codes_in_use.codes(session=session, kind=column, tenant_id=tenant)
            if (code := raw.strip()) and aliases_.get(code.upper(), code).upper() not in known
        ]
        if not raws:
            continue
        suggest = Suggestions(known)  # the known codes sorted once for every missing code
        numbers: dict[str, list[str]] = {}
        for sid, number, raw in codes_in_use.users(
            session=session, kind=column, tenant_id=tenant, spellings=raws
        ):
            touched.add(sid)
            numbers.setdefault(raw, []).append(number)
        for raw in sorted(numbers):  # each spelling (" ALOK", "ALOK") counted once
            code = raw.strip()
            if (kind, code) not in found:  # suggested once per code, not once per spelling
                found[kind, code] = UnmappedCode(kind, code, [], suggest(code))
            entry = found[kind, code]
            entry.shipment_numbers += sorted(numbers[raw])[:EXAMPLES]
            entry.shipment_count += len(numbers[raw])
    # The codes holding back the most shipments first.
    codes = sorted(found.values(), key=lambda c: (-c.shipment_count, c.kind, c.code))
    for each in codes:  # spellings of one code (" ALOK", "ALOK") each brought their own
        each.shipment_numbers = sorted(set(each.shipment_numbers))[:EXAMPLES]
    return CheckResult(codes, len(touched))
