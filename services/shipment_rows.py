"""What the Shipments table shows beside a shipment's own columns: the customer's name (as
Xero knows the contact) and the organisation it goes to."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from models import CustomerMapping, Shipment, XeroConnection, XeroContact


@dataclass(frozen=True)
class RowNames:
    customer: str  # the contact's name, else "" (the code is shown beside it)
    organisation: str


def row_names(*, session: Session, rows: list[Shipment]) -> dict[int, RowNames]:
    """Names for a table page, by shipment id, in three queries whatever the page size."""
    connections = list(session.exec(select(XeroConnection)))
    names = {c.tenant_id: c.tenant_name for c in connections}
    default = next((c for c in connections if c.is_default), None)
    codes = {code for s in rows if (code := s.buyer_code or s.consignee_code)}
    mapped = _mapped_accounts(session, codes)
    contacts = _contact_names(session, codes | {a for a in mapped.values() if a})
    found = {}
    for shipment in rows:
        tenant = shipment.tenant_id or (default.tenant_id if default else None)
        code = shipment.buyer_code or shipment.consignee_code
        account = mapped.get((tenant, code), code) if code else None
        customer = shipment.xero_contact_name or contacts.get((tenant, account), "")
        if shipment.tenant_id:
            organisation = names.get(shipment.tenant_id, shipment.tenant_id)
        else:
            organisation = f"Default ({default.tenant_name})" if default else "Default"
        assert shipment.id is not None  # read from the database
        found[shipment.id] = RowNames(customer, organisation)
    return found


def _mapped_accounts(
    session: Session, codes: set[str]
) -> dict[tuple[str | None, str | None], str | None]:
    if not codes:
        return {}
    rows = session.exec(
        select(CustomerMapping).where(col(CustomerMapping.shipment_code).in_(list(codes)))
    )
    return {(m.tenant_id, m.shipment_code): m.account_number for m in rows}


def _contact_names(
    session: Session, accounts: set[str]
) -> dict[tuple[str | None, str | None], str]:
    if not accounts:
        return {}
    rows = session.exec(
        select(XeroContact).where(col(XeroContact.account_number).in_(list(accounts)))
    )
    return {(c.tenant_id, c.account_number): c.name for c in rows if c.account_number}
