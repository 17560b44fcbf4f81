"""Mapping settings (document type, trigger status, field sources, accounts) per organisation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from models import SyncSettings, SyncSettingsFields, utcnow
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


def get_sync_settings(*, session: Session, tenant_id: str | None = None) -> SyncSettings:
    """The organisation's own settings, or the shared default row (created on first use)."""
    if tenant_id is not None:
        own = session.exec(select(SyncSettings).where(SyncSettings.tenant_id == tenant_id)).first()
        if own is not None:
            return own
    default = session.exec(
        select(SyncSettings).where(col(SyncSettings.tenant_id).is_(None))
    ).first()
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
    from services.validation import CUSTOMER_CODE_SOURCES, DATE_SOURCES, REFERENCE_SOURCES

    allowed = {
        "document_type": tuple(k.document_type for k in SEND_AS),
        "invoice_status": INVOICE_STATUSES,
        "quote_status": QUOTE_STATUSES,
        "customer_code_source": tuple(CUSTOMER_CODE_SOURCES),
        "reference_source": tuple(REFERENCE_SOURCES),
        "date_source": tuple(DATE_SOURCES),
        "line_amount_types": LINE_AMOUNT_TYPES,
    }
    patch = SyncSettingsFields.model_validate(
        {**get_sync_settings(session=session, tenant_id=tenant_id).model_dump(), **changes}
    ).model_dump(include=set(changes))
    for name, value in patch.items():
        if name in allowed and value not in allowed[name]:
            raise MappingError(f"{name.replace('_', ' ').capitalize()} cannot be {value!r}.")
    row = get_sync_settings(session=session, tenant_id=tenant_id)
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
    return get_sync_settings(session=session, tenant_id=tenant_id).tenant_id is None
