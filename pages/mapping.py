"""Mapping: how a shipment becomes a Xero document (admins edit, operations read), and the
Xero reference data cached for checking shipments."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models import DocumentType, SyncSettings, WorkflowStatus
from pages import common, state
from services import connections, mapping, reference_data
from services.validation import CUSTOMER_CODE_SOURCES, DATE_SOURCES, REFERENCE_SOURCES

CHOICES: dict[str, tuple[str, dict[str, str]]] = {
    "document_type": ("Send as", {t.value: t.value.capitalize() for t in DocumentType}),
    "invoice_status": ("Invoice status", {s: s for s in mapping.INVOICE_STATUSES}),
    "quote_status": ("Quote status", {s: s for s in mapping.QUOTE_STATUSES}),
    "trigger_status": ("Trigger status", {s.value: s.value for s in WorkflowStatus}),
    "customer_code_source": ("Customer code comes from", CUSTOMER_CODE_SOURCES),
    "reference_source": ("Reference comes from", REFERENCE_SOURCES),
    "date_source": ("Document date comes from", DATE_SOURCES),
    "line_amount_types": ("Line amounts", {t: t for t in mapping.LINE_AMOUNT_TYPES}),
}
TEXTS = {
    "sales_account_code": "Sales account code",
    "freight_account_code": "Freight account code",
    "tax_type": "Tax type",
}


def settings_widgets(current: SyncSettings, *, prefix: str, disabled: bool) -> dict:
    """One widget per setting; returns the values shown."""
    values: dict = {}
    left, right = st.columns(2)
    for n, (name, (label, options)) in enumerate(CHOICES.items()):
        column = left if n % 2 == 0 else right
        keys = list(options)
        value = getattr(current, name)
        if value not in keys:
            keys.append(value)
        values[name] = column.selectbox(
            label,
            keys,
            index=keys.index(value),
            format_func=lambda k, options=options: options.get(k, k),
            key=f"{prefix}_{name}",
            disabled=disabled,
        )
    for n, (name, label) in enumerate(TEXTS.items()):
        column = left if n % 2 == 0 else right
        values[name] = column.text_input(
            label, value=getattr(current, name), key=f"{prefix}_{name}", disabled=disabled
        ).strip()
    values["queue_on_trigger"] = st.checkbox(
        "Queue a shipment for sending when it reaches the trigger status",
        value=current.queue_on_trigger,
        key=f"{prefix}_queue_on_trigger",
        disabled=disabled,
    )
    return values


def summary(s: SyncSettings) -> str:
    status = s.quote_status if s.document_type == DocumentType.QUOTE else s.invoice_status
    queued = "queues it by itself" if s.queue_on_trigger else "offers Sync now"
    return (
        f"Shipments go to Xero as **{s.document_type}s** with status **{status}**. "
        f"Trigger status: **{s.trigger_status}** (reaching it {queued}). "
        f"Customer code from the {CUSTOMER_CODE_SOURCES.get(s.customer_code_source)}, "
        f"reference from the {REFERENCE_SOURCES.get(s.reference_source)}, "
        f"date from the {DATE_SOURCES.get(s.date_source)}. "
        f"Sales account {s.sales_account_code}, freight account {s.freight_account_code}, "
        f"tax type {s.tax_type}, amounts {s.line_amount_types}."
    )


def reference_counts(rows) -> None:
    st.subheader("Xero reference data")
    if not rows:
        st.caption(
            "No Xero organisation is connected yet: its contacts, items and accounts "
            "are cached here after connecting."
        )
        return
    with common.session() as db_session:
        table = []
        for connection in rows:
            cached = reference_data.load(session=db_session, connection=connection)
            table.append(
                {
                    "Organisation": connection.tenant_name,
                    "Customers": len(cached.customers),
                    "Items": len(cached.items),
                    "Accounts": len(cached.accounts),
                    "Tax rates": len(cached.tax_types),
                    "Currencies": len(cached.currencies),
                    "Refreshed": common.local_time(connection.reference_refreshed_at),
                }
            )
    st.dataframe(pd.DataFrame(table), hide_index=True)
    st.caption("The cache refreshes by itself before a send when it is empty or a code is new.")


user = common.require("mapping")
can_edit = user.can_edit("mapping")
st.title("Mapping")

with common.session() as db_session:
    organisations = connections.list_connections(session=db_session)
names = {c.tenant_id: c.tenant_name for c in organisations}
tenant_id = st.selectbox(
    "Settings for",
    [None, *names],
    format_func=lambda t: "Every organisation (default)" if t is None else names.get(t, t),
    key=state.MAPPING_TENANT,
)
with common.session() as db_session:
    current = mapping.get_sync_settings(session=db_session, tenant_id=tenant_id)
st.markdown(summary(current))
if current.updated_by:
    st.caption(f"Last changed by {current.updated_by} on {common.local_time(current.updated_at)}.")

# Keyed by version, so a change saved elsewhere shows up instead of stale widget values.
prefix = f"mapping_{tenant_id or 'default'}_{int(current.updated_at.timestamp())}"
if can_edit:
    with st.form(state.MAPPING_FORM):
        shown = settings_widgets(current, prefix=prefix, disabled=False)
        saved = st.form_submit_button("Save mapping", key=state.MAPPING_SAVE, type="primary")
    if saved:
        changes = {k: v for k, v in shown.items() if v != getattr(current, k)}
        if not changes:
            st.info("Nothing changed.")
        else:
            done = False
            with common.shown_errors(), common.session() as db_session:
                mapping.update_sync_settings(
                    session=db_session, changes=changes, user=user.username, tenant_id=tenant_id
                )
                done = True
            if done:
                common.flash("success", f"Mapping saved ({', '.join(changes)}).")
                st.rerun()
else:
    st.caption("Read-only: an admin changes the mapping.")
    settings_widgets(current, prefix=prefix, disabled=True)

reference_counts(organisations)
