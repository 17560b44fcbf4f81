"""What a send would do, before it is done: for each shipment the document exactly as it
would go to Xero, or why it would be refused or held. Reads the database only (Xero's codes
as last cached, the mapping, the connection): no API call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy import select as sa_select  # more columns than sqlmodel's select types
from sqlmodel import Session, col, select

from models import (
    ConnectionStatus,
    Shipment,
    ShipmentFields,
    ShipmentLine,
    ShipmentLineFields,
    XeroConnection,
)
from services import connections, money, reference_data, validation
from services.document_kinds import INVOICE, kind_of
from services.documents import build_document
from services.mapping import get_sync_settings
from services.xero.convert import ElementResult
from services.xero.errors import XeroAuthError

# What Send would do with a shipment.
SEND, REFUSE, HOLD, UNCHECKED = "send", "refuse", "hold", "unchecked"


@dataclass
class Preview:
    shipment_id: int
    shipment_number: str
    verdict: str
    organisation: str | None = None
    document_type: str | None = None
    contact_name: str | None = None
    contact_account: str | None = None
    document: dict | None = None  # exactly as it would be sent
    problems: list[str] = field(default_factory=list)
    codes_cached_at: datetime | None = None
    # Said when Xero already holds a document with this number that Shipbridge did not
    # create (or created for another shipment): the send would update it.
    existing_in_xero: str | None = None

    @property
    def lines_total(self) -> Decimal:
        lines = (self.document or {}).get("LineItems", [])
        return sum((Decimal(x["LineAmount"] or 0) for x in lines), Decimal(0))


def preview(
    *,
    session: Session,
    shipment_ids: list[int],
    existing_in_xero: Mapping[int, str] | None = None,
) -> list[Preview]:
    """One Preview per shipment that still exists, in the order given. `existing_in_xero`
    (from documents_not_sent_by_us) says which would update a document already in Xero."""
    found = {
        s.id: s for s in session.exec(select(Shipment).where(col(Shipment.id).in_(shipment_ids)))
    }
    shipments = [found[i] for i in dict.fromkeys(shipment_ids) if i in found]
    by_tenant: dict[str | None, list[Shipment]] = {}
    for shipment in shipments:
        by_tenant.setdefault(shipment.tenant_id, []).append(shipment)
    previews: dict[int | None, Preview] = {}  # by shipment id (rows read back all have one)
    for tenant_id, group in by_tenant.items():
        connection = connections.connection_for(session=session, tenant_id=tenant_id)
        for shipment in group:
            previews[shipment.id] = _one(session, shipment, connection)
    for shipment_id, said in (existing_in_xero or {}).items():
        # Said of a shipment still without a document of its own (looked up before a send).
        if shipment_id in previews and not found[shipment_id].xero_document_id:
            previews[shipment_id].existing_in_xero = said
    return [previews[s.id] for s in shipments]


@dataclass(frozen=True)
class SelectionRow:
    """What the Send page lists of one selected shipment: columns only, no lines, so a
    selection of hundreds is one cheap read."""

    shipment_id: int
    shipment_number: str
    workflow_status: str
    sync_state: str
    customer: str
    xero_number: str


def selection_rows(*, session: Session, shipment_ids: list[int]) -> list[SelectionRow]:
    """The selected shipments that still exist, in the order given (a deleted one is left
    out). Reads a few columns in chunks; validates nothing and calls no API."""
    wanted = list(dict.fromkeys(shipment_ids))
    found: dict[int, SelectionRow] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for row in session.execute(
            sa_select(
                col(Shipment.id),
                col(Shipment.shipment_number),
                col(Shipment.workflow_status),
                col(Shipment.sync_state),
                col(Shipment.buyer_code),
                col(Shipment.consignee_code),
                col(Shipment.xero_document_number),
            ).where(col(Shipment.id).in_(chunk))
        ):
            shipment_id, number, status, sync_state, buyer, consignee, xero_number = row
            assert shipment_id is not None  # read from the database
            found[shipment_id] = SelectionRow(
                shipment_id,
                number,
                status,
                sync_state,
                buyer or consignee or "",
                xero_number or "",
            )
    return [found[i] for i in wanted if i in found]


def documents_not_sent_by_us(*, session: Session, shipment_ids: list[int]) -> dict[int, str]:
    """Which of these shipments, never sent (no Xero document of their own), have a number
    Xero already holds as an invoice: Xero matches the number, so a send would update that
    invoice rather than create one. By shipment id, a plain sentence. One call per
    organisation (its invoices by number); quotes are not looked up (Xero's quotes filter
    takes one number a call). Xero errors are the caller's to show."""
    shipments = [
        s
        for s in session.exec(select(Shipment).where(col(Shipment.id).in_(shipment_ids)))
        if not s.xero_document_id
    ]
    by_tenant: dict[str | None, list[Shipment]] = {}
    for shipment in shipments:
        by_tenant.setdefault(shipment.tenant_id, []).append(shipment)
    said: dict[int, str] = {}
    asks = []
    for tenant_id, group in by_tenant.items():
        connection = connections.connection_for(session=session, tenant_id=tenant_id)
        if (
            connection is None
            or connection.status != ConnectionStatus.ACTIVE
            or not connection.access_token_enc
        ):
            continue  # a send holds these, or refuses them, before any lookup
        settings = get_sync_settings(session=session, tenant_id=connection.tenant_id)
        if kind_of(settings.document_type) is not INVOICE:
            continue
        # The document number a send would use, compared ignoring case as Xero may.
        numbers: dict[str, list[Shipment]] = {}
        spelled: dict[str, str] = {}
        for shipment in group:
            number = validation.reference(shipment, settings)
            if number:
                numbers.setdefault(number.casefold(), []).append(shipment)
                spelled.setdefault(number.casefold(), number)
        if numbers:
            asks.append((connection, numbers, spelled))
    # Reading the settings may have written (a default row): end that transaction before
    # asking Xero, so no write lock is held across the call (the rate limiter writes its
    # own rows on SQLite from another connection).
    session.commit()
    for connection, numbers, spelled in asks:
        adapter = connections.adapter_for(connection, session=session)
        found = adapter.find_invoices(connection.tenant_id, list(spelled.values()))
        ours = _sent_by_us(session, [i.document_id for i in found if i.document_id])
        for invoice in found:
            for shipment in numbers.get((invoice.number or "").casefold(), []):
                assert shipment.id is not None  # read from the database
                said[shipment.id] = _already_there(invoice, ours.get(invoice.document_id or ""))
    return said


def _sent_by_us(session: Session, document_ids: list[str]) -> dict[str, str]:
    """Shipment numbers by the Xero document id Shipbridge stored for them."""
    if not document_ids:
        return {}
    rows = session.exec(
        select(Shipment.xero_document_id, Shipment.shipment_number).where(
            col(Shipment.xero_document_id).in_(document_ids)
        )
    )
    return {document_id: number for document_id, number in rows if document_id}


def _already_there(invoice: ElementResult, sent_for: str | None) -> str:
    described = (
        f"invoice {invoice.number} ({invoice.status or 'status unknown'}"
        f"{', to ' + invoice.contact_name if invoice.contact_name else ''}"
        f"{', total ' + money.format_amount(invoice.total) if invoice.total is not None else ''})"
    )
    if sent_for:
        return (
            f"Xero already holds {described}, sent by Shipbridge for shipment {sent_for}: "
            "sending this shipment would overwrite it. Give this shipment its own number."
        )
    return (
        f"Xero already holds {described}, which Shipbridge did not create: sending would "
        "update that invoice with this shipment, not create a new one. Check it in Xero, or "
        "give this shipment another number."
    )


@dataclass
class PushGroup:
    """Shipments a push would queue for one organisation, and what they would become there."""

    organisation: str | None  # None: no connected organisation to send them to
    count: int
    document_type: str | None = None  # invoice or quote, from the mapping settings
    status: str | None = None  # the status the documents get in Xero
    needs_reconnect: bool = False


def push_plan(*, session: Session, shipment_ids: list[int]) -> list[PushGroup]:
    """What queuing these shipments would send, per organisation (the mapping settings say
    invoice or quote and its status), the largest group first. Reads the database only."""
    counts: dict[str | None, int] = {}
    # In chunks: a push may cover more shipments than one SQL statement takes parameters.
    for start in range(0, len(shipment_ids), 500):
        chunk = shipment_ids[start : start + 500]
        for tenant_id, n in session.exec(
            select(Shipment.tenant_id, func.count(col(Shipment.id)))
            .where(col(Shipment.id).in_(chunk))
            .group_by(Shipment.tenant_id)
        ):
            counts[tenant_id] = counts.get(tenant_id, 0) + n
    groups: dict[str | None, PushGroup] = {}
    for tenant_id, n in counts.items():
        connection = connections.connection_for(session=session, tenant_id=tenant_id)
        key = connection.tenant_id if connection else None
        if key in groups:
            groups[key].count += n
            continue
        if connection is None:
            groups[key] = PushGroup(None, n)
            continue
        settings = get_sync_settings(session=session, tenant_id=connection.tenant_id)
        groups[key] = PushGroup(
            connection.tenant_name,
            n,
            settings.document_type,
            kind_of(settings.document_type).status_in(settings),
            connection.status != ConnectionStatus.ACTIVE,
        )
    return sorted(groups.values(), key=lambda g: -g.count)


def load_missing_codes(*, session: Session, shipment_ids: list[int]) -> list[str]:
    """Read Xero's codes for the shipments' connected organisations that have none cached
    yet (a new connection), so the preview can check them. Returns the organisations read.
    An organisation Xero no longer accepts is marked as needing reconnecting (its shipments
    preview as held); other Xero errors are the caller's to show."""
    tenants = set(
        session.exec(select(Shipment.tenant_id).where(col(Shipment.id).in_(shipment_ids)))
    )
    loaded = []
    for tenant_id in tenants:
        connection = connections.connection_for(session=session, tenant_id=tenant_id)
        if connection is None or connection.status != ConnectionStatus.ACTIVE:
            continue
        if not reference_data.load(session=session, connection=connection).is_empty:
            continue
        try:
            adapter = connections.adapter_for(connection, session=session)
            reference_data.refresh(session=session, connection=connection, adapter=adapter)
        except XeroAuthError as error:  # Xero no longer accepts the connection
            connections.mark_needs_reconnect(
                session=session, connection=connection, reason=str(error)
            )
            continue
        loaded.append(connection.tenant_name)
    return loaded


def readiness(
    *, session: Session, fields: ShipmentFields, lines: list[ShipmentLineFields]
) -> list[str] | None:
    """What the checks before a send would say of a shipment as it is being typed (not
    saved): its problems, [] when Xero would be sent it, None when it cannot be checked
    (no organisation connected, or none of its codes cached yet)."""
    connection = connections.connection_for(session=session, tenant_id=fields.tenant_id)
    if connection is None:
        return None
    ref = reference_data.load(session=session, connection=connection)
    if ref.is_empty:
        return None
    settings = get_sync_settings(session=session, tenant_id=connection.tenant_id)
    draft = Shipment(**fields.model_dump())
    draft.lines = [
        ShipmentLine(**line.model_dump(), line_no=n) for n, line in enumerate(lines, start=1)
    ]
    problems, _ = validation.check(draft, settings, ref)
    return problems


def _one(session: Session, shipment: Shipment, connection: XeroConnection | None) -> Preview:
    assert shipment.id is not None  # read from the database
    result = Preview(shipment.id, shipment.shipment_number, UNCHECKED)
    if connection is None:
        result.verdict, result.problems = REFUSE, [connections.NOT_CONNECTED]
        return result
    result.organisation = connection.tenant_name
    settings = get_sync_settings(session=session, tenant_id=connection.tenant_id)
    result.document_type = settings.document_type
    if connection.status != ConnectionStatus.ACTIVE:
        # A send holds it in the queue before any check; it goes once reconnected.
        result.verdict = HOLD
        result.problems = [connections.needs_reconnect_message(connection)]
        return result
    ref = reference_data.load(session=session, connection=connection)
    if ref.is_empty:
        result.problems = [
            f"Xero's codes for {connection.tenant_name} are not cached yet: Send reads them "
            "from Xero first, then checks the shipment (or refresh them on the Mapping page)."
        ]
        return result
    result.codes_cached_at = connection.reference_refreshed_at
    problems, resolved = validation.check(shipment, settings, ref)
    if problems:
        result.verdict, result.problems = REFUSE, problems
        return result
    assert resolved is not None
    result.document = build_document(
        shipment, settings, resolved, base_currency=connection.base_currency
    )
    if resolved.contact is not None:
        result.contact_name = resolved.contact.name
        result.contact_account = resolved.contact.account_number
    result.verdict = SEND
    return result
