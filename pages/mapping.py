"""Mapping: how a shipment becomes a Xero document (admins edit, operations read): the
settings, per-customer and per-product mappings, Check all, the Xero reference data cached
for checking shipments (and refreshing it), and who changed what."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st

from models import ConnectionStatus, SyncSettings, WorkflowStatus, XeroConnection
from services import connections, mapping, reference_data, validation
from services.document_kinds import INVOICE, SEND_AS, kind_of
from services.reference_data import ReferenceData
from services.validation import (
    CUSTOMER_CODE_SOURCES,
    DATE_SOURCES,
    REFERENCE_SOURCES,
    XERO_REFERENCE_SOURCES,
)
from ui import (
    common,
    effective_settings,
    mapping_aliases,
    mapping_reference,
    state,
    xero_status,
)
from ui.text import md_text

CHOICES: dict[str, tuple[str, dict[str, str]]] = {
    "document_type": ("Send as", {k.document_type.value: k.label.capitalize() for k in SEND_AS}),
    "invoice_status": ("Invoice status", {s: s for s in mapping.INVOICE_STATUSES}),
    "quote_status": ("Quote status", {s: s for s in mapping.QUOTE_STATUSES}),
    "trigger_status": ("Trigger status", {s.value: s.value for s in WorkflowStatus}),
    "customer_code_source": ("Customer code comes from", CUSTOMER_CODE_SOURCES),
    "reference_source": ("Xero number comes from", REFERENCE_SOURCES),
    "xero_reference_source": ("Xero Reference comes from", XERO_REFERENCE_SOURCES),
    "date_source": ("Document date comes from", DATE_SOURCES),
    "line_amount_types": ("Line amounts", {t: t for t in mapping.LINE_AMOUNT_TYPES}),
}
# Codes that name a Xero account or tax rate: chosen from the organisation's cached
# reference data when there is any, typed otherwise.
CODES = {
    "sales_account_code": "Sales account code",
    "freight_account_code": "Freight account code",
    "tax_type": "Tax type",
}
QUEUE_LABEL = "Queue a shipment for sending when it reaches the trigger status"
# Each setting as the form names it, for messages ("Mapping saved (Invoice status).").
LABELS = {
    **{name: label for name, (label, _) in CHOICES.items()},
    **CODES,
    "queue_on_trigger": "Queue at the trigger status",
}
# Send as decides which status applies; a form cannot hide the other before it is saved.
STATUS_NOTES = {
    "invoice_status": "Used only when Send as is Invoice.",
    "quote_status": "Used only when Send as is Quote.",
}
# What each code names, in a sentence ("no sales account 210").
MISSING = {
    "sales_account_code": "sales account",
    "freight_account_code": "freight account",
    "tax_type": "tax type",
}


def settings_widgets(
    current: SyncSettings, *, prefix: str, disabled: bool, ref: ReferenceData | None = None
) -> dict:
    """One widget per setting; returns the values shown."""
    values: dict = {}
    # Send as and the two statuses side by side, each status saying when it applies.
    top = st.columns(3)
    left, right = st.columns(2)
    for n, (name, (label, options)) in enumerate(CHOICES.items()):
        column = top[n] if n < len(top) else (left if n % 2 == 1 else right)
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
        if name in STATUS_NOTES:
            column.caption(STATUS_NOTES[name])
    for n, (name, label) in enumerate(CODES.items()):
        column = left if n % 2 == 0 else right
        value = getattr(current, name)
        options, describe = _xero_codes(ref, name)
        if not options:
            values[name] = column.text_input(
                label, value=value, key=f"{prefix}_{name}", disabled=disabled
            ).strip()
            continue
        if value not in options:
            options.append(value)  # kept, and labelled as not in Xero
        values[name] = column.selectbox(
            label,
            options,
            index=options.index(value),
            format_func=describe,
            key=f"{prefix}_{name}",
            disabled=disabled,
        )
    values["queue_on_trigger"] = st.checkbox(
        QUEUE_LABEL,
        value=current.queue_on_trigger,
        key=f"{prefix}_queue_on_trigger",
        disabled=disabled,
    )
    return values


def _xero_codes(ref: ReferenceData | None, name: str) -> tuple[list[str], Callable[[str], str]]:
    """The cached Xero codes a setting can take, and how each reads ("200 — Sales")."""
    if ref is None:
        return [], str
    if name == "tax_type":
        rates = ref.tax_types

        def describe(code: str) -> str:
            rate = rates.get(code)
            if rate is None:
                return f"{code} (not an active Xero tax rate)"
            purchases = " — for purchases, not sales" if rate.can_apply_to_revenue is False else ""
            return f"{code} — {rate.name} ({rate.rate.normalize():f}%){purchases}"

        # Only rates Xero lets a sales document use (the current one is kept, labelled).
        return sorted(validation.sales_tax_types(ref)), describe
    return mapping_aliases.sales_accounts(ref), partial(mapping_aliases.account_label, ref)


def summary(s: SyncSettings) -> str:
    kind = kind_of(s.document_type)
    status = kind.status_in(s)
    queued = "queues it by itself" if s.queue_on_trigger else "offers Sync now"
    return (
        f"Shipments go to Xero as **{kind.plural}** with status **{status}**. "
        f"Trigger status: **{s.trigger_status}** (reaching it {queued}). "
        f"Customer code from the {CUSTOMER_CODE_SOURCES.get(s.customer_code_source)}, "
        f"Xero number from the {REFERENCE_SOURCES.get(s.reference_source)}, "
        f"Xero Reference from the {XERO_REFERENCE_SOURCES.get(s.xero_reference_source)}, "
        f"date from the {DATE_SOURCES.get(s.date_source)}. "
        f"Sales account {md_text(s.sales_account_code)}, "
        f"freight account {md_text(s.freight_account_code)}, "
        f"tax type {md_text(s.tax_type)}, amounts {s.line_amount_types}."
    )


def code_warnings(
    current: SyncSettings,
    checked: list[tuple[XeroConnection, ReferenceData]],
    *,
    offered: str | None,
    can_edit: bool,
) -> None:
    """Above the form: each organisation these settings apply to whose cached Xero data lacks
    a code they name (every such send would be refused), or that has nothing cached to check
    against. `offered`: the organisation whose codes the form offers."""
    for connection, cached in checked:
        name = md_text(connection.tenant_name)
        if cached.is_empty:
            st.info(
                f"Whether {name}'s Xero has these accounts and tax type is checked against its "
                "cached reference data, and none is cached yet: click Refresh from Xero on the "
                "Reference data tab."
            )
            continue
        missing = mapping.codes_not_in_xero(current, cached)
        if not missing:
            continue
        codes = ", ".join(
            f"tax type {md_text(code)} for purchases only"
            if k == "tax_type" and code in cached.tax_types
            else f"no {MISSING[k]} {md_text(code)}"
            for k, code in missing.items()
        )
        fix = (
            "choose codes it has below and click Save mapping"
            if connection.tenant_id == offered
            else f"choose {name} under “Settings for” above and give it accounts and a tax "
            "type of its own"
        )
        if not can_edit:
            fix = f"an admin can {fix}"
        st.warning(
            f"{name}'s Xero has {codes}: sends to {name} are refused until these settings "
            f"name codes it has. To fix it, {fix}, or add the codes in {name}'s Xero and click "
            "Refresh from Xero on the Reference data tab."
        )


def organisations_checked(
    tenant_id: str | None, organisations: list[XeroConnection], ref: ReferenceData | None
) -> list[tuple[XeroConnection, ReferenceData]]:
    """The organisations the settings shown apply to, with their cached Xero data: the one
    chosen, or (for the default settings) every connected one without settings of its own."""
    live = [c for c in organisations if c.status != ConnectionStatus.DISCONNECTED]
    checked = []
    with common.session() as db_session:
        for connection in live:
            if tenant_id is not None and connection.tenant_id != tenant_id:
                continue
            if tenant_id is None and not mapping.uses_default_settings(
                session=db_session, tenant_id=connection.tenant_id
            ):
                continue
            cached = (
                ref
                if ref is not None and ref.tenant_id == connection.tenant_id
                else reference_data.load(session=db_session, connection=connection)
            )
            checked.append((connection, cached))
    return checked


def settings_section(
    current: SyncSettings,
    tenant_id: str | None,
    *,
    user,
    can_edit: bool,
    ref: ReferenceData | None,
    organisation_name: str | None,
    checked: list[tuple[XeroConnection, ReferenceData]] = (),
    offered: str | None = None,
):
    """`checked`: the organisations these settings apply to, with their cached Xero data;
    `offered`: the one whose accounts and tax rates the form offers."""
    st.markdown(summary(current))
    effective_settings.applies_to(tenant_id)
    effective_settings.field_preview(current)
    if organisation_name is not None and tenant_id is not None:
        effective_settings.use_defaults_button(tenant_id, organisation_name, user=user)
    code_warnings(current, list(checked), offered=offered, can_edit=can_edit)
    if kind_of(current.document_type) is INVOICE and current.invoice_status != "AUTHORISED":
        st.caption(
            "Xero takes payments only on approved (AUTHORISED) invoices: with "
            f"{current.invoice_status}, paid amounts come back once the invoice is approved "
            "in Xero."
        )
    if current.updated_by:
        st.caption(
            f"Last changed by {md_text(current.updated_by)} "
            f"on {common.local_time(current.updated_at)}."
        )
    # Keyed by version, so a change saved elsewhere shows up instead of stale widget values.
    prefix = f"mapping_{tenant_id or 'default'}_{int(current.updated_at.timestamp())}"
    if not can_edit:
        st.caption("Read-only: an admin changes the mapping.")
        settings_widgets(current, prefix=prefix, disabled=True, ref=ref)
        return
    if ref is not None and tenant_id is None and organisation_name:
        st.caption(
            f"Accounts and tax rates to choose from are {md_text(organisation_name)}'s in Xero."
        )
    with st.form(state.MAPPING_FORM):
        shown = settings_widgets(current, prefix=prefix, disabled=False, ref=ref)
        saved = st.form_submit_button("Save mapping", key=state.MAPPING_SAVE, type="primary")
    if not saved:
        return
    changes = {k: v for k, v in shown.items() if v != getattr(current, k)}
    if not changes:
        st.info("Nothing changed.")
        return
    common.save_then_rerun(
        lambda db_session: mapping.update_sync_settings(
            session=db_session, changes=changes, user=user.username, tenant_id=tenant_id
        ),
        f"Mapping saved ({', '.join(LABELS.get(k, k) for k in changes)}).",
    )


def no_organisation(user: common.CurrentUser) -> None:
    """Say once that no organisation is connected (with the action), or, when the one chosen
    is not, that its mappings need it connected."""
    if xero_status.connected(user, "mapping"):
        st.info("This organisation is not connected: reconnect it on the Connect page.")


user = common.require("mapping")
can_edit = user.can_edit("mapping")
st.title("Mapping")

with common.session() as db_session:
    organisations = connections.list_connections(session=db_session)
    default = connections.default_connection(session=db_session)
names = {c.tenant_id: c.tenant_name for c in organisations}
tenant_id = st.selectbox(
    "Settings for",
    [None, *names],
    format_func=lambda t: "Every organisation (default)" if t is None else names.get(t, t),
    key=state.MAPPING_TENANT,
)
# Customer and product mappings belong to one organisation: the one chosen, else the default.
organisation = next((c for c in organisations if c.tenant_id == tenant_id), default)
if organisation is None:
    no_organisation(user)
elif tenant_id is None and len(organisations) > 1:
    st.caption(
        f"Customer and product mappings and Check all are for {md_text(organisation.tenant_name)}, "
        "the default organisation: choose another above to see its own."
    )

# Only the open tab is drawn (and read): a fresh load draws Settings alone, not thousands
# of Xero codes in the mapping pickers of the tabs behind it.
settings_tab, customers_tab, products_tab, check_tab, reference_tab, history_tab = st.tabs(
    ["Settings", "Customers", "Products", "Check all", "Reference data", "History"],
    key=state.MAPPING_TABS,
    on_change="rerun",
)
if reference_tab.open:
    with reference_tab:
        mapping_reference.reference_section(organisations, can_edit=can_edit)
ref = None
if organisation is not None and not (reference_tab.open or history_tab.open):
    with common.session() as db_session:
        ref = reference_data.load(session=db_session, connection=organisation)
if settings_tab.open:
    with settings_tab:
        with common.session() as db_session:
            current = mapping.settings_row(session=db_session, tenant_id=tenant_id)
        settings_section(
            current,
            tenant_id,
            user=user,
            can_edit=can_edit,
            ref=None if ref is None or ref.is_empty else ref,
            organisation_name=organisation.tenant_name if organisation else None,
            checked=organisations_checked(tenant_id, organisations, ref),
            offered=organisation.tenant_id if organisation else None,
        )
        effective_settings.effective_table()
for tab, draw in (
    (customers_tab, mapping_aliases.customers),
    (products_tab, mapping_aliases.products),
    (check_tab, mapping_aliases.check_all),
):
    if not tab.open:
        continue
    if organisation is None:
        tab.caption("Shown once an organisation is connected (see above).")
    else:
        with tab:
            draw(organisation, ref, user=user, can_edit=can_edit)
if history_tab.open:
    with history_tab:
        mapping_reference.history(organisations)
