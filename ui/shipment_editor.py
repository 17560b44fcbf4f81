"""One shipment on the Shipments page: its Xero state, its form (ui/shipment_save.py keeps
edits from being lost), the status-change area, and its integration history. The New
shipment form is ui/shipment_new.py; the form itself ui/shipment_form.py."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models import Shipment
from services import integration_log, shipments
from services.integration_log import LogFilter
from services.mapping import get_sync_settings
from ui import (
    cancel_panel,
    common,
    panels,
    shipment_form,
    shipment_save,
    state,
    xero_document,
)
from ui.shipment_new import new_shipment
from ui.text import md_text

__all__ = ["integration", "new_shipment", "open_shipment"]


def open_shipment(rows: list[Shipment], *, user: common.CurrentUser, can_edit: bool) -> None:
    names = {s.id: s.shipment_number for s in rows}
    chosen = st.session_state.get(state.OPEN_SHIPMENT)
    options = list(names)
    if chosen is not None and chosen not in names:
        with common.shown_errors(), common.session() as db_session:
            names[chosen] = shipments.get_shipment(
                session=db_session, shipment_id=chosen
            ).shipment_number
            options.insert(0, chosen)
    shipment_id = st.selectbox(
        "Shipment",
        options,
        index=None,
        format_func=lambda i: names.get(i, str(i)),
        placeholder="Click a shipment in the table, or choose one here",
        key=state.OPEN_SHIPMENT,
        on_change=_details_first,
    )
    if shipment_id is None:
        return
    with common.session() as db_session:
        shipment = shipments.get_shipment(session=db_session, shipment_id=shipment_id)
        trigger = get_sync_settings(session=db_session, tenant_id=shipment.tenant_id)
    # Keyed and tracking the open tab, so the Integration tab's own buttons (View error,
    # Refresh) keep it open.
    details, history = st.tabs(
        ["Details", "Integration"], key=state.SHIPMENT_TABS, on_change="rerun"
    )
    with details:
        _xero_state(shipment, can_edit=can_edit)
        if can_edit:
            shipment_save.edit(shipment, user=user, trigger_status=trigger.trigger_status)
            status_area(shipment, user=user)
        else:
            _read_only(shipment)
    with history:
        integration(shipment)


def _details_first() -> None:
    """Another shipment opens on its Details tab."""
    st.session_state[state.SHIPMENT_TABS] = "Details"


def _xero_state(s: Shipment, *, can_edit: bool) -> None:
    attempted_at = None
    if s.last_error:
        assert s.id is not None  # read from the database
        with common.session() as db_session:
            attempted_at = shipments.last_attempts(session=db_session, shipment_ids=[s.id]).get(
                s.id
            )
    changed = shipments.changed_since_attempt(s, attempted_at)
    cells = [f"Sync state: **{s.sync_state}**"]
    if s.xero_document_number:
        kind = s.xero_document_type or "document"
        url = xero_document.document_url(s)
        number = md_text(s.xero_document_number)
        number = f"[{number}]({url})" if url else number  # Xero's own deep link, from IDs
        cells.append(f"Xero {kind} **{number}**")
    if s.xero_status:
        cells.append(f"Xero status {md_text(s.xero_status)}")
    if s.xero_total is not None:
        cells.append(f"total {common.money_md(s.xero_total, s.currency)}")
    if s.xero_amount_paid:
        cells.append(f"paid {common.money_md(s.xero_amount_paid, s.currency)}")
    if s.xero_amount_due is not None and s.xero_document_number:
        cells.append(f"due {common.money_md(s.xero_amount_due, s.currency)}")
    if s.sent_at:
        cells.append(f"sent {common.local_time(s.sent_at)}")
    if attempted_at is not None:
        cells.append(f"last attempt {common.local_time(attempted_at)}")
    if changed:
        cells.append("changed since then")
    st.markdown(" · ".join(cells))
    xero_document.changed_since_sent(s)
    if not s.last_error:
        return
    # What the last attempt said is that attempt's: once the shipment has been changed, it
    # is history (the checks under the form say what is wrong now), not a current problem.
    said = f"The last attempt{_when(attempted_at)} said: {md_text(s.last_error)}"
    if changed:
        checks = " The checks under the form say whether it is ready now." if can_edit else ""
        st.info(
            f"{said}\n\nThe shipment has been changed since, so this may be fixed: send it "
            f"again.{checks}",
            icon=":material/history:",
        )
    else:
        st.warning(said)


def _when(moment) -> str:
    return f" ({common.local_time(moment)})" if moment is not None else ""


def status_area(shipment: Shipment, *, user: common.CurrentUser) -> None:
    """Below the form: panels about the shipment's status. Cancelling or returning a sent
    shipment (void / credit note, ui/cancel_panel.py) draws here."""
    with st.container(key=state.STATUS_AREA):
        cancel_panel.show(shipment, user=user)


def _read_only(s: Shipment) -> None:
    facts = {
        "Status": s.workflow_status,
        "Exporter reference": s.exporter_reference,
        "Invoice number": s.invoice_number,
        "Buyer code": s.buyer_code,
        "Consignee code": s.consignee_code,
        "Currency": s.currency,
        "Exchange rate": s.exchange_rate,
        "Invoice date": common.local_date(s.invoice_date),
        "Date of issue": common.local_date(s.date_of_issue),
        "Due date": common.local_date(s.due_date),
        "Incoterms": s.incoterms,
        "Freight": common.money(s.freight_amount, s.currency),
    }
    st.dataframe(
        pd.DataFrame(
            [{"Field": k, "Value": "" if v is None else str(v)} for k, v in facts.items()]
        ),
        hide_index=True,
    )
    lines = shipment_form.lines_frame(shipment_form.snapshot(s)["lines"])
    st.dataframe(lines.rename(columns=shipment_form.LINE_COLUMNS), hide_index=True)


def integration(shipment: Shipment) -> None:
    """The shipment's Xero document and payments; every attempt to send it, newest first,
    with each rejection's details."""
    st.button("Refresh", key=state.INTEGRATION_REFRESH)
    xero_document.panel(shipment)
    st.markdown("**Attempts**")
    with common.session() as db_session:
        entries, total = integration_log.list_entries(
            session=db_session, flt=LogFilter(shipment_id=shipment.id), page_size=50
        )
    if not entries:
        st.caption(f"{md_text(shipment.shipment_number)} has not been sent yet.")
        return
    st.caption(panels.attempts_caption(total, len(entries)))
    st.dataframe(panels.log_frame(entries), hide_index=True)
    panels.rejection_buttons(entries, open_key=state.OPEN_ERROR_SHIPMENT)
