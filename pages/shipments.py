"""Shipments: the table (paged and filtered in SQL), a selection kept across table pages,
Send to Accounting and Change status; one shipment's form and history; CSV import/export."""

from __future__ import annotations

from enum import StrEnum

import pandas as pd
import streamlit as st

from models import Shipment, SyncState, Trigger, WorkflowStatus
from services import preview as previews
from services import shipments, users
from services.shipments import MAX_STATUS_CHANGE, ShipmentFilter
from services.sync import batch_size
from ui import common, panels, shipment_editor, shipment_import, state
from ui.text import md_text

SORT_LABELS = {
    "created": "Created",
    "number": "Shipment number",
    "customer": "Customer",
    "due": "Due date",
    "status": "Status",
    "sync": "Sync state",
}
PAGE_SIZES = (25, 50, 100)
COLUMNS = [
    "Shipment",
    "Status",
    "Sync state",
    "Customer",
    "Total",
    "Invoice date",
    "Due date",
    "Xero number",
    "Problem",
]


def first_page() -> None:
    st.session_state[state.SHIP_PAGE] = 1


def step_page(step: int) -> None:
    st.session_state[state.SHIP_PAGE] = max(1, st.session_state.get(state.SHIP_PAGE, 1) + step)


def any_of(box, label: str, choices: type[StrEnum], *, key: str) -> list[str]:
    """A filter on some of `choices` (none chosen: any); changing it goes back to page one."""
    values = [c.value for c in choices]
    return box.multiselect(
        label, values, key=key, on_change=first_page, placeholder=f"Any {label.lower()}"
    )


def filters() -> ShipmentFilter:
    """Two rows, so each widget has room at a laptop's width: what to look for, then which
    states and dates."""
    search, organisation = st.columns([3, 1])
    status, sync, date_from, date_to = st.columns(4)
    tenant_id, with_unassigned = common.organisation_filter(
        organisation, key=state.SHIP_ORGANISATION, on_change=first_page
    )
    return ShipmentFilter(
        tenant_id=tenant_id,
        with_unassigned=with_unassigned,
        search=search.text_input(
            "Search",
            key=state.SHIP_SEARCH,
            placeholder="Shipment number, customer or product code",
            on_change=first_page,
        )
        or None,
        workflow_status=any_of(status, "Status", WorkflowStatus, key=state.SHIP_STATUS),
        sync_state=any_of(sync, "Sync state", SyncState, key=state.SHIP_SYNC),
        date_from=date_from.date_input(
            "Invoice date from", value=None, key=state.SHIP_DATE_FROM, on_change=first_page
        ),
        date_to=date_to.date_input(
            "Invoice date to", value=None, key=state.SHIP_DATE_TO, on_change=first_page
        ),
    )


def problem(shipment: Shipment, attempted_at) -> str:
    """The last attempt's problem; once the shipment has been changed since, labelled as that
    attempt's (it may be fixed), never shown as if it were still true."""
    if not shipment.last_error:
        return ""
    if shipments.changed_since_attempt(shipment, attempted_at):
        return (
            f"Changed since the last attempt ({common.local_time(attempted_at)}): send it "
            f"again. That attempt said: {shipment.last_error}"
        )
    return shipment.last_error


def table_frame(rows: list[Shipment]) -> pd.DataFrame:
    def total(shipment: Shipment) -> str:
        amount = shipments.shipment_total(shipment)
        return common.money(amount, shipment.currency) if amount is not None else ""

    attempts = {}
    if any(s.last_error for s in rows):
        with common.session() as db_session:
            attempts = shipments.last_attempts(
                session=db_session, shipment_ids=[s.id for s in rows if s.last_error]
            )
    return pd.DataFrame(
        [
            {
                "Shipment": s.shipment_number,
                "Status": s.workflow_status,
                "Sync state": s.sync_state,
                "Customer": s.buyer_code or s.consignee_code or "",
                "Total": total(s),
                "Invoice date": common.local_date(s.invoice_date),
                "Due date": common.local_date(s.due_date),
                "Xero number": s.xero_document_number or "",
                "Problem": problem(s, attempts.get(s.id)),
            }
            for s in rows
        ],
        columns=COLUMNS,
    )


def keep_selection(page_ids: list[int]) -> None:
    """The selection lives in session state by shipment id; the table's own selection
    (row positions of the rows last drawn) is read into it, then redrawn for these rows."""
    ss = st.session_state
    drawn = ss.get(state.TABLE_ROW_IDS)
    selected = common.selected_ids()
    table = ss.get(state.SHIPMENTS_TABLE)
    if drawn is not None and table is not None:
        chosen = {drawn[n] for n in table["selection"]["rows"] if n < len(drawn)}
        on_table = set(drawn)
        selected = [i for i in selected if i not in on_table or i in chosen]
        selected += [i for i in drawn if i in chosen and i not in selected]
        common.set_selected_ids(selected, from_table=True)
    # Redraw the ticks for new rows, and when the table's own state is gone (Streamlit drops
    # it while the user is on another page): else the next click would read "none ticked".
    if drawn != page_ids or table is None:
        rows = [n for n, shipment_id in enumerate(page_ids) if shipment_id in selected]
        ss[state.SHIPMENTS_TABLE] = {"selection": {"rows": rows, "columns": [], "cells": []}}
        ss[state.TABLE_ROW_IDS] = page_ids


def pager(total: int, pages: int) -> None:
    info, prev, number, nxt = st.columns([4, 1, 1.2, 1], vertical_alignment="bottom")
    page = st.session_state.get(state.SHIP_PAGE, 1)
    info.caption(f"{total} shipment(s) · page {page} of {pages}")
    prev.button("Previous", key=state.SHIP_PREV, on_click=step_page, args=(-1,), disabled=page <= 1)
    number.number_input("Page", min_value=1, max_value=pages, step=1, key=state.SHIP_PAGE)
    nxt.button("Next", key=state.SHIP_NEXT, on_click=step_page, args=(1,), disabled=page >= pages)


def refusals(ids: list[int]) -> list[str]:
    """When the checks a send makes first refuse every selected shipment (read from the
    cached Xero codes, no API call): why, one line each. Else []: Send has work to do."""
    if not ids or len(ids) > batch_size():  # more than a batch: Send says so when clicked
        return []
    with common.session() as db_session:
        found = previews.preview(session=db_session, shipment_ids=ids)
    if not found or any(p.verdict != previews.REFUSE for p in found):
        return []
    # Shown in a caption (Markdown): the number and the problem are shown as text.
    return [
        f"{md_text(p.shipment_number)}: {md_text((p.problems or ['refused'])[0])}" for p in found
    ]


def actions(user: common.CurrentUser) -> None:
    ids = common.selected_ids()
    send, status, change, clear = st.columns([1.4, 1.4, 1.2, 1.2], vertical_alignment="bottom")
    refused = refusals(ids)
    send_clicked = send.button(
        "Send to Accounting",
        key=state.SEND_SELECTED,
        type="primary",
        disabled=bool(refused),
        help="None of the selected shipments can be sent yet." if refused else None,
    )
    new_status = status.selectbox(
        "New status", [s.value for s in WorkflowStatus], key=state.BULK_STATUS
    )
    change_clicked = change.button("Change status", key=state.CHANGE_STATUS)
    clear.button(
        "Clear selection", key=state.CLEAR_SELECTION, on_click=common.set_selected_ids, args=([],)
    )
    if ids and users.can_open(user.role, "send"):
        st.page_link(
            "pages/send.py",
            label="Preview exactly what will be sent first, on Send to Accounting",
            icon=":material/preview:",
        )
    if refused:
        shown = "; ".join(refused[:3]) + (
            f"; and {len(refused) - 3} more" if len(refused) > 3 else ""
        )
        st.caption(
            f"Send is off: none of the selected shipments can be sent — {shown}. Fix them, "
            "or see each in full on Send to Accounting."
        )
    if send_clicked and panels.send(ids, trigger=Trigger.BULK, user=user) is not None:
        st.rerun()
    if change_clicked and not ids:
        st.error("Select the shipments whose status should change.")
    elif change_clicked:
        changed = None
        with common.shown_errors(), common.session() as db_session:
            changed = shipments.change_status(
                session=db_session, shipment_ids=ids, status=new_status, user=user.username
            )
        if changed:
            common.flash("success", f"{len(changed)} shipment(s) moved to {new_status}.")
            st.rerun()


user = common.require("shipments")
can_edit = user.can_edit("shipments")
st.title("Shipments")
if not can_edit:
    st.caption("Read-only: your role can look at shipments but not change or send them.")

flt = filters()
sort_col, order_col, size_col = st.columns([2, 2, 1])
sort = sort_col.selectbox(
    "Sort by", list(SORT_LABELS), format_func=SORT_LABELS.get, key=state.SHIP_SORT
)
descending = order_col.toggle("Newest / highest first", value=True, key=state.SHIP_DESCENDING)
page_size = size_col.selectbox(
    "Rows per page", PAGE_SIZES, index=1, key=state.SHIP_PAGE_SIZE, on_change=first_page
)

with common.session() as db_session:
    listing = shipments.list_shipments(
        session=db_session,
        flt=flt,
        page=st.session_state.get(state.SHIP_PAGE, 1),
        page_size=page_size,
        sort=sort,
        descending=descending,
    )
st.session_state[state.SHIP_PAGE] = listing.page
page_ids = [s.id for s in listing.rows]

if can_edit:
    keep_selection(page_ids)
    st.dataframe(
        table_frame(listing.rows),
        key=state.SHIPMENTS_TABLE,
        on_select="rerun",
        selection_mode="multi-row",
        hide_index=True,
    )
else:
    st.dataframe(table_frame(listing.rows), hide_index=True)
pager(listing.total, listing.pages)

if can_edit:
    count = len(common.selected_ids())
    st.caption(f"{count} of {batch_size()} selected")
    if count > max(batch_size(), MAX_STATUS_CHANGE):
        st.warning(
            f"{count} shipments are selected: Send to Accounting and Change status take at "
            f"most {batch_size()} at a time. Narrow the selection, or use Push remaining on the "
            "Send to Accounting page to queue every unsent shipment for the worker."
        )
    actions(user)
    panels.show_last_send()

st.divider()
# Keyed and tracking the open tab: a rerun (an import, a send's result drawn above) keeps
# the user on the tab they were using.
open_tab, *other_tabs = st.tabs(
    ["Open shipment", "New shipment", "Import / export"]
    if can_edit
    else ["Open shipment", "Export"],
    key=state.SHIP_TABS,
    on_change="rerun",
)
with open_tab:
    shipment_editor.open_shipment(listing.rows, user=user, can_edit=can_edit)
if can_edit:
    with other_tabs[0]:
        shipment_editor.new_shipment(user=user)
with other_tabs[-1]:
    if can_edit:
        shipment_import.import_panel(user=user, flt=flt)
    shipment_import.export_buttons(flt, shown=listing.total, sort=sort, descending=descending)
