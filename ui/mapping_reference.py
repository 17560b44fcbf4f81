"""On the Mapping page: Xero's reference data cached per organisation (counts, Refresh from
Xero with what changed), and the history of mapping changes."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from models import AuditEvent, ConnectionStatus, XeroConnection
from services import audit, connections, reference_data
from services.reference_data import RefreshSummary
from ui import common, state
from ui.text import md_text

CHANGES = ("new", "updated", "unchanged", "archived")
# Audit entities that are the mapping: the settings and the per-customer/product mappings.
MAPPING_ENTITIES = {
    "sync_settings": "Settings",
    "customer_mapping": "Customer",
    "product_mapping": "Product",
}
HISTORY_SIZE = 50


def reference_section(organisations: list[XeroConnection], *, can_edit: bool) -> None:
    st.subheader("Xero reference data")
    if can_edit and organisations:
        full = st.checkbox(
            "Full refresh: read everything again, not only what changed since the last refresh",
            key=state.REFERENCE_FULL,
        )
        if st.button("Refresh from Xero", key=state.REFERENCE_REFRESH, type="primary"):
            refresh_all(organisations, full=full)
    reference_counts(organisations)


def refresh_all(organisations: list[XeroConnection], *, full: bool) -> None:
    """Refresh each connected organisation's cache, with progress, then what changed."""
    active = [c for c in organisations if c.status == ConnectionStatus.ACTIVE]
    if not active:
        st.error("No organisation is connected right now: reconnect it on the Connect page.")
        return
    done: list[tuple[str, RefreshSummary]] = []
    failed: list[tuple[str, Exception]] = []
    with st.status(f"Refreshing {len(active)} organisation(s) from Xero…", expanded=True) as box:
        progress = st.progress(0.0)
        for n, connection in enumerate(active):
            progress.progress(n / len(active), text=f"Reading {md_text(connection.tenant_name)}…")
            assert connection.id is not None  # read from the database
            try:
                with common.session() as db_session:
                    row = connections.get_connection(
                        session=db_session, connection_id=connection.id
                    )
                    adapter = connections.adapter_for(row, session=db_session)
                    summary = reference_data.refresh(
                        session=db_session, connection=row, adapter=adapter, full=full
                    )
                done.append((row.tenant_name, summary))
            except Exception as error:  # noqa: BLE001 - shown per organisation below
                failed.append((connection.tenant_name, error))
        progress.progress(1.0, text="Done.")
        calls = sum(s.api_calls for _, s in done)
        box.update(
            label=f"Refreshed {len(done)} of {len(active)} organisation(s), {calls} API call(s).",
            state="error" if failed else "complete",
            expanded=False,
        )
    for name, problem in failed:
        st.error(
            f"{md_text(name)}: {common.error_message(problem, where='refreshing reference data')}"
        )
    if done:
        st.dataframe(refresh_frame(done), hide_index=True)
        per_organisation = ", ".join(f"{md_text(name)} {s.api_calls}" for name, s in done)
        st.caption(f"{calls} API call(s) used: {per_organisation}.")


def refresh_frame(done: list[tuple[str, RefreshSummary]]) -> pd.DataFrame:
    rows = []
    for name, summary in done:
        for kind, counts in summary.counts.items():
            rows.append(
                {
                    "Organisation": name,
                    "Kind": kind.capitalize(),
                    **{change.capitalize(): counts.get(change, 0) for change in CHANGES},
                }
            )
    return pd.DataFrame(rows)


def reference_counts(rows: list[XeroConnection]) -> None:
    if not rows:
        st.caption(
            "Each organisation's contacts, items and accounts are cached here once it is connected."
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


def history(organisations: list[XeroConnection]) -> None:
    """Who changed the mapping, when, and what it was before and after."""
    # An event's entity_id may be None (the default settings), so look it up as such.
    names: dict[str | None, str] = {c.tenant_id: c.tenant_name for c in organisations}
    with common.session() as db_session:
        events = audit.history_of(session=db_session, entities=MAPPING_ENTITIES, limit=HISTORY_SIZE)
    if not events:
        st.caption("Nobody has changed the mapping yet.")
        return

    def what(event: AuditEvent) -> str:
        kind = MAPPING_ENTITIES.get(event.entity, event.entity)
        if event.entity == "sync_settings":
            return f"{kind}: {names.get(event.entity_id, event.entity_id or 'default')}"
        return f"{kind} {event.entity_id or ''}".strip()

    with st.container(key=state.MAPPING_HISTORY):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "When": common.local_time(e.at),
                        "Who": e.actor or "",
                        "Change": e.action,
                        "What": what(e),
                        "Before": _values(e.before),
                        "After": _values(e.after),
                    }
                    for e in events
                ]
            ),
            hide_index=True,
        )
    st.caption(f"The newest {HISTORY_SIZE} changes; times in {common.local_zone().key}.")


def _values(stored: str | None) -> str:
    """An audit snapshot as "name: value" pairs, without the keys every row repeats."""
    if not stored:
        return ""
    values = json.loads(stored)
    if not isinstance(values, dict):
        return str(values)
    shown = {k: v for k, v in values.items() if k not in {"tenant_id", "shipment_code"}}
    return ", ".join(f"{k.replace('_', ' ')}: {'—' if v is None else v}" for k, v in shown.items())
