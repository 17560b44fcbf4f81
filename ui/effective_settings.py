"""The Mapping page's "as the send will use them" view: each organisation's effective settings
(services.mapping.effective_settings, the one resolver every reader uses), where each value
comes from, and a preview of the Xero number and Xero Reference."""

from __future__ import annotations

import streamlit as st

from models import SyncSettingsFields
from services import mapping
from services.document_kinds import kind_of
from services.validation import REFERENCE_SOURCES, XERO_REFERENCE_SOURCES
from ui import common
from ui.text import md_text

EFFECTIVE_TABLE = "effective_settings_table"
USE_DEFAULTS = "mapping_use_defaults"


def values_of(shown: mapping.EffectiveSettings) -> dict[str, str]:
    """One organisation's column: where the values come from, then each value."""
    s = shown.settings
    kind = kind_of(s.document_type)
    return {
        "Comes from": shown.source,
        "Send as": kind.label.capitalize(),
        "Status": kind.status_in(s),
        "Trigger status": s.trigger_status,
        "Queue at the trigger status": "Yes" if s.queue_on_trigger else "No (Sync now is offered)",
        "Xero number from": REFERENCE_SOURCES.get(s.reference_source, s.reference_source),
        "Xero Reference from": XERO_REFERENCE_SOURCES.get(
            s.xero_reference_source, s.xero_reference_source
        ),
        "Accounts (sales / freight)": f"{s.sales_account_code} / {s.freight_account_code}",
        "Tax": f"{s.tax_type}, amounts {s.line_amount_types}",
    }


def effective_table() -> None:
    """Every organisation's settings as the send, the trigger and the preview will use them."""
    with common.session() as db_session:
        rows = mapping.effective_by_organisation(session=db_session)
    st.subheader("As the send will use them")
    st.caption(
        "Each organisation uses its own settings if it has any, else Every organisation's. "
        "A shipment with no organisation of its own is sent to the default organisation and "
        "uses exactly that organisation's settings, the trigger status and queueing included."
    )
    # A row per setting and a column per organisation: it stays narrow however many settings.
    columns = {label: values_of(shown) for label, shown in rows}
    names = list(next(iter(columns.values())))
    with st.container(key=EFFECTIVE_TABLE):
        st.dataframe(
            [{"Setting": n, **{label: c[n] for label, c in columns.items()}} for n in names],
            hide_index=True,
        )


def applies_to(tenant_id: str | None) -> None:
    """Above the form: whom the settings being edited reach, so nobody edits Every
    organisation's switch expecting it to move shipments that use another row."""
    with common.session() as db_session:
        rows = mapping.effective_by_organisation(session=db_session)
    if tenant_id is not None:
        for label, shown in rows:
            if shown.tenant_id == tenant_id and not label.startswith("No organisation"):
                where = "its own settings" if shown.own else "Every organisation's settings"
                st.caption(f"{md_text(label)} uses {where}: the form below shows them.")
        return
    users_of = [label for label, shown in rows if not shown.own]
    others = [label for label, shown in rows if shown.own]
    if users_of:
        st.caption("These settings apply to: " + md_text(", ".join(users_of)) + ".")
    if others:
        st.info(
            "These settings do not apply to "
            + md_text(", ".join(others))
            + ": they use settings of their own. Choose one under “Settings for” above to "
            "change what it uses."
        )


def use_defaults_button(tenant_id: str | None, name: str, *, user: common.CurrentUser) -> None:
    """For an organisation with settings of its own: go back to Every organisation's."""
    if tenant_id is None or not user.can_edit("mapping"):
        return
    with common.session() as db_session:
        own = not mapping.uses_default_settings(session=db_session, tenant_id=tenant_id)
    if not own:
        return
    if st.button(f"Use Every organisation's settings for {md_text(name)}", key=USE_DEFAULTS):
        common.save_then_rerun(
            lambda s: mapping.use_every_organisations(
                session=s, tenant_id=tenant_id, user=user.username
            ),
            f"{md_text(name)} now uses Every organisation's settings.",
        )


def field_preview(settings: SyncSettingsFields) -> None:
    """The Xero number and Xero Reference the newest shipment would get."""
    with common.session() as db_session:
        preview = mapping.field_preview(session=db_session, settings=settings)
    if preview is None:
        st.caption("Xero number and Xero Reference: previewed here once a shipment exists.")
        return
    st.caption(
        f"Preview with {md_text(preview.shipment_number)}: Xero number "
        f"**{md_text(preview.number or '(empty: the send would be refused)')}**, "
        f"Xero Reference **{md_text(preview.reference or '(empty)')}**."
    )
