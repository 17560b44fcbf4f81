"""Mapping settings (document type, trigger status, field sources, accounts) per organisation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from models import ConnectionStatus, SyncSettings, SyncSettingsFields, utcnow
from services import audit
from services.document_kinds import INVOICE, QUOTE, SEND_AS
from services.errors import UserError

if TYPE_CHECKING:
    from services.reference_data import ReferenceData

INVOICE_STATUSES = INVOICE.statuses
QUOTE_STATUSES = QUOTE.statuses
LINE_AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")


class MappingError(UserError):
    """A setting value that cannot be used."""


EVERY_ORGANISATION = "Every organisation"
# The settings a send, a preview, the trigger and the page read, in the order the page shows
# them (services.mapping is the one place they are resolved).
SETTING_NAMES = tuple(SyncSettingsFields.model_fields)


@dataclass(frozen=True)
class EffectiveSettings:
    """The settings a send to one organisation uses, and where each value comes from.

    `tenant_id` is the organisation resolved (a shipment with no organisation of its own
    goes to the default organisation, so it is that one); `own` says whether that
    organisation has settings of its own (then every value is its own) or uses the
    "Every organisation" defaults."""

    settings: SyncSettings
    tenant_id: str | None
    organisation: str | None
    own: bool

    @property
    def source(self) -> str:
        """Where every value comes from, in words."""
        if self.own:
            return f"{self.organisation or self.tenant_id}'s own settings"
        return f"{EVERY_ORGANISATION} (default)"

    def sources(self) -> dict[str, str]:
        """Each setting's name -> where its value comes from."""
        return dict.fromkeys(SETTING_NAMES, self.source)


def resolve_tenant(*, session: Session, tenant_id: str | None) -> tuple[str | None, str | None]:
    """(tenant id, organisation name) a shipment with this tenant id is sent to: its own, or
    the default organisation for one with none (None, None while nothing is connected)."""
    from services import connections

    connection = connections.connection_for(session=session, tenant_id=tenant_id)
    if connection is None:
        return tenant_id, None
    return connection.tenant_id, connection.tenant_name


def effective_settings(*, session: Session, tenant_id: str | None) -> EffectiveSettings:
    """THE settings for a shipment whose organisation is `tenant_id` (None: no organisation
    of its own, so the default organisation's, exactly as the send uses them). Every reader
    (the trigger on a status change, the send, the preview, the pages) comes through here."""
    resolved, name = resolve_tenant(session=session, tenant_id=tenant_id)
    row = settings_row(session=session, tenant_id=resolved)
    return EffectiveSettings(
        settings=row, tenant_id=resolved, organisation=name, own=row.tenant_id is not None
    )


def get_sync_settings(*, session: Session, tenant_id: str | None = None) -> SyncSettings:
    """The settings a send for a shipment of organisation `tenant_id` uses (None: the
    default organisation's). See `effective_settings`."""
    return effective_settings(session=session, tenant_id=tenant_id).settings


def settings_row(*, session: Session, tenant_id: str | None) -> SyncSettings:
    """The stored row that applies to organisation `tenant_id`: its own, else the
    "Every organisation" row (tenant_id None: that row itself, created on first use). What the
    Mapping page edits; readers use `effective_settings`."""
    every = col(SyncSettings.tenant_id).is_(None)
    # The organisation's own row and the default in one read (each the first by id).
    which = every if tenant_id is None else or_(col(SyncSettings.tenant_id) == tenant_id, every)
    rows = session.exec(select(SyncSettings).where(which).order_by(col(SyncSettings.id))).all()
    own = next((r for r in rows if tenant_id is not None and r.tenant_id == tenant_id), None)
    if own is not None:
        return own
    default = next((r for r in rows if r.tenant_id is None), None)
    if default is None:
        default = SyncSettings()
        session.add(default)
        session.flush()
    return default


def update_sync_settings(
    *,
    session: Session,
    changes: dict[str, Any],
    user: str,
    tenant_id: str | None = None,
) -> SyncSettings:
    """Apply a partial update, validated, and record it in the audit trail."""
    from services.validation import (
        CUSTOMER_CODE_SOURCES,
        DATE_SOURCES,
        REFERENCE_SOURCES,
        XERO_REFERENCE_SOURCES,
    )

    allowed = {
        "document_type": tuple(k.document_type for k in SEND_AS),
        "invoice_status": INVOICE_STATUSES,
        "quote_status": QUOTE_STATUSES,
        "customer_code_source": tuple(CUSTOMER_CODE_SOURCES),
        "reference_source": tuple(REFERENCE_SOURCES),
        "xero_reference_source": tuple(XERO_REFERENCE_SOURCES),
        "date_source": tuple(DATE_SOURCES),
        "line_amount_types": LINE_AMOUNT_TYPES,
    }
    patch = SyncSettingsFields.model_validate(
        {**settings_row(session=session, tenant_id=tenant_id).model_dump(), **changes}
    ).model_dump(include=set(changes))
    for name, value in patch.items():
        if name in allowed and value not in allowed[name]:
            raise MappingError(f"{name.replace('_', ' ').capitalize()} cannot be {value!r}.")
    row = settings_row(session=session, tenant_id=tenant_id)
    if tenant_id is not None and row.tenant_id != tenant_id:
        row = SyncSettings(**row.model_dump(exclude={"id", "tenant_id"}), tenant_id=tenant_id)
    before = {k: getattr(row, k) for k in patch}
    row.sqlmodel_update(patch)
    row.updated_at = utcnow()
    row.updated_by = user
    session.add(row)
    audit.record(
        session=session,
        actor=user,
        action="update settings",
        entity="sync_settings",
        entity_id=tenant_id or "default",
        before=before,
        after=patch,
    )
    session.flush()
    return row


def use_every_organisations(*, session: Session, tenant_id: str, user: str) -> bool:
    """Drop the organisation's own settings, so it uses Every organisation's again (audited).
    False when it had none."""
    own = session.exec(select(SyncSettings).where(SyncSettings.tenant_id == tenant_id)).first()
    if own is None:
        return False
    before = own.model_dump(include=set(SETTING_NAMES))
    session.delete(own)
    audit.record(
        session=session,
        actor=user,
        action="use default settings",
        entity="sync_settings",
        entity_id=tenant_id,
        before=before,
        after={"uses": EVERY_ORGANISATION},
    )
    session.flush()
    return True


def codes_not_in_xero(settings: SyncSettingsFields, ref: ReferenceData) -> dict[str, str]:
    """The settings' accounts and tax type that the organisation's cached Xero data does not
    have (setting name -> code): a send naming one is refused, so the page warns before.
    The same test validation applies; nothing is missing while nothing of a kind is cached."""
    from services.validation import sales_tax_types

    missing = {}
    for name in ("sales_account_code", "freight_account_code"):
        code = getattr(settings, name)
        if ref.accounts and code not in ref.accounts:
            missing[name] = code
    if ref.tax_types and settings.tax_type not in sales_tax_types(ref):
        missing["tax_type"] = settings.tax_type  # unknown, or for purchases only
    return missing


def uses_default_settings(*, session: Session, tenant_id: str) -> bool:
    """Whether the organisation has no settings of its own (so the default row applies)."""
    return settings_row(session=session, tenant_id=tenant_id).tenant_id is None


def effective_by_organisation(*, session: Session) -> list[tuple[str, EffectiveSettings]]:
    """Every connected organisation's effective settings, then those of a shipment with no
    organisation of its own (the default organisation's), each with a label for the page."""
    from services import connections

    rows = []
    for connection in connections.list_connections(session=session):
        if connection.status == ConnectionStatus.DISCONNECTED:
            continue
        shown = effective_settings(session=session, tenant_id=connection.tenant_id)
        rows.append((connection.tenant_name, shown))
    resolved = effective_settings(session=session, tenant_id=None)
    default_name = resolved.organisation
    label = (
        f"No organisation (sent to {default_name})"
        if default_name
        else "No organisation (nothing connected)"
    )
    return [*rows, (label, resolved)]


@dataclass(frozen=True)
class FieldPreview:
    """What a send would put in Xero's number and Reference fields for one shipment."""

    shipment_number: str
    number: str | None
    reference: str | None


def field_preview(*, session: Session, settings: SyncSettingsFields) -> FieldPreview | None:
    """The newest shipment's Xero number and Xero Reference under these settings (None while
    there is no shipment)."""
    from models import Shipment
    from services.documents import xero_reference
    from services.validation import reference

    shipment = session.exec(select(Shipment).order_by(col(Shipment.id).desc()).limit(1)).first()
    if shipment is None:
        return None
    row = SyncSettings(**settings.model_dump())
    return FieldPreview(
        shipment_number=shipment.shipment_number,
        number=reference(shipment, row),
        reference=xero_reference(shipment, row),
    )
