"""The Shipments table: filters (kept in the URL by ui.shipment_url), the table with
customer names and organisations fitting a 1400 px window, a selection kept by shipment id
across pages, a shipment opened by clicking its row, every problem on the page in full, and
the pager."""

from __future__ import annotations

from enum import StrEnum

import pandas as pd
import streamlit as st

from models import Shipment, SyncState, WorkflowStatus
from services import shipment_rows, shipments
from services.search import HELP as SEARCH_HELP
from services.shipments import ShipmentFilter
from ui import common, shipment_url, state
from ui.text import md_text

SORT_LABELS = {
    "created": "Created",
    "number": "Shipment number",
    "customer": "Customer",
    "due": "Due date",
    "status": "Status",
    "sync": "Sync state",
}
PAGE_SIZES = shipment_url.PAGE_SIZES
# The table's data (AppTest and the CSV read these names). Shown: every column but the code,
# which stands in the Customer cell while Xero has no name for it (search finds by code).
COLUMNS = [
    "Shipment",
    "Customer",
    "Customer code",
    "Organisation",
    "Status",
    "Sync state",
    "Total",
    "Invoice date",
    "Due date",
    "Xero number",
    "Problem",
]
SHOWN = [column for column in COLUMNS if column != "Customer code"]


def first_page() -> None:
    st.session_state[state.SHIP_PAGE] = 1


def step_page(step: int) -> None:
    st.session_state[state.SHIP_PAGE] = max(1, st.session_state.get(state.SHIP_PAGE, 1) + step)


def any_of(box, label: str, choices: type[StrEnum], *, key: str) -> list[str]:
    """A filter on some of `choices` (none chosen: any); changing it goes back to page one."""
    values = [c.value for c in choices]
    return box.multiselect(
        label,
        values,
        key=key,
        on_change=first_page,
        placeholder=f"Any {label.lower()}",
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
            help=SEARCH_HELP,
            on_change=first_page,
        )
        or None,
        workflow_status=any_of(status, "Status", WorkflowStatus, key=state.SHIP_STATUS),
        sync_state=any_of(sync, "Sync state", SyncState, key=state.SHIP_SYNC),
        date_from=date_from.date_input(
            "Invoice date from",
            value=None,
            key=state.SHIP_DATE_FROM,
            on_change=first_page,
        ),
        date_to=date_to.date_input(
            "Invoice date to", value=None, key=state.SHIP_DATE_TO, on_change=first_page
        ),
    )


def sorting() -> tuple[str, bool, int]:
    sort_col, order_col, size_col = st.columns([2, 2, 1])
    sort = sort_col.selectbox(
        "Sort by",
        list(SORT_LABELS),
        format_func=lambda k: SORT_LABELS.get(k, k),
        key=state.SHIP_SORT,
        on_change=first_page,
    )
    descending = order_col.toggle(
        "Newest / highest first", key=state.SHIP_DESCENDING, on_change=first_page
    )
    page_size = size_col.selectbox(
        "Rows per page",
        PAGE_SIZES,
        key=state.SHIP_PAGE_SIZE,
        on_change=first_page,
    )
    return sort, descending, page_size


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


def code(shipment: Shipment) -> str:
    return shipment.buyer_code or shipment.consignee_code or ""


def table_frame(rows: list[Shipment]) -> pd.DataFrame:
    """The page's rows as the table shows them: every cell text, never "None"."""

    def total(shipment: Shipment) -> str:
        amount = shipments.shipment_total(shipment)
        return common.money(amount, shipment.currency) if amount is not None else ""

    with common.session() as db_session:
        names = shipment_rows.row_names(session=db_session, rows=rows)
        attempts = shipments.last_attempts(
            session=db_session, shipment_ids=[s.id for s in rows if s.last_error and s.id]
        )
    frame = pd.DataFrame(
        [
            {
                "Shipment": s.shipment_number,
                "Customer": (names[s.id].customer if s.id else "") or code(s),
                "Customer code": code(s),
                "Organisation": names[s.id].organisation if s.id else "",
                "Status": s.workflow_status,
                "Sync state": s.sync_state,
                "Total": total(s),
                "Invoice date": common.local_date(s.invoice_date),
                "Due date": common.local_date(s.due_date),
                "Xero number": s.xero_document_number or "",
                "Problem": problem(s, attempts.get(s.id) if s.id else None),
            }
            for s in rows
        ],
        columns=COLUMNS,
    )
    return frame.fillna("").astype("string")


def keep_selection(page_ids: list[int]) -> None:
    """The selection lives in session state by shipment id; the table's own selection
    (row positions of the rows last drawn) is read into it, then redrawn for these rows. A
    clicked cell opens that row's shipment."""
    ss = st.session_state
    drawn = ss.get(state.TABLE_ROW_IDS)
    selected = common.selected_ids()
    table = ss.get(state.SHIPMENTS_TABLE)
    clicked = None
    if drawn is not None and table is not None:
        chosen = {drawn[n] for n in table["selection"]["rows"] if n < len(drawn)}
        on_table = set(drawn)
        selected = [i for i in selected if i not in on_table or i in chosen]
        selected += [i for i in drawn if i in chosen and i not in selected]
        common.set_selected_ids(selected, from_table=True)
        cells = table["selection"].get("cells") or []
        clicked = drawn[cells[0][0]] if cells and cells[0][0] < len(drawn) else None
    if clicked is not None:
        ss[state.OPEN_SHIPMENT] = clicked
        ss[state.SHIP_TABS] = "Open shipment"
        ss[state.SHIPMENT_TABS] = "Details"
    # Redraw the ticks for new rows, after a click opened a row (so the cell is not left
    # selected), and when the table's own state is gone (Streamlit drops it while the user
    # is on another page): else the next click would read "none ticked".
    if drawn != page_ids or table is None or clicked is not None:
        rows = [n for n, shipment_id in enumerate(page_ids) if shipment_id in selected]
        ss[state.SHIPMENTS_TABLE] = {"selection": {"rows": rows, "columns": [], "cells": []}}
        ss[state.TABLE_ROW_IDS] = page_ids


def column_config() -> dict:
    """Widths (px) that fit every shown column in a 1400 px window beside the sidebar, with
    the tick column: long cells are cut (a problem in full is listed below the table) and
    short labels say in full what they mean on hover."""

    def text(label: str, width: int, meaning: str):
        return st.column_config.TextColumn(label, width=width, help=meaning)

    return {
        "Shipment": text("Shipment", 86, "Click a shipment's cell to open it below."),
        "Customer": text(
            "Customer", 120, "The customer's name in Xero (its code while Xero has none)."
        ),
        "Organisation": text("Organisation", 84, "The Xero organisation it is sent to."),
        "Status": text("Status", 72, "Where the shipment is in its workflow."),
        "Sync state": text("Sync state", 80, "Where its sending to Xero stands."),
        "Total": text("Total", 90, "The invoice total, in its currency."),
        "Invoice date": text("Invoiced", 80, "Invoice date."),
        "Due date": text("Due", 80, "Due date."),
        "Xero number": text("Xero number", 90, "The document's number in Xero."),
        "Problem": text(
            "Problem", 100, "Why the last send was refused: each in full below the table."
        ),
    }


def draw(rows: list[Shipment], *, can_edit: bool) -> None:
    frame = table_frame(rows)
    config = column_config()
    if can_edit:
        keep_selection([s.id for s in rows if s.id is not None])
    else:
        read_only_open([s.id for s in rows if s.id is not None])
    st.dataframe(
        frame,
        key=state.SHIPMENTS_TABLE,
        on_select="rerun",
        selection_mode=["multi-row", "single-cell"] if can_edit else "single-cell",
        hide_index=True,
        column_config=config,
        column_order=SHOWN,
    )
    problems_in_full(frame)


def read_only_open(page_ids: list[int]) -> None:
    """For a role that only reads: a clicked cell opens the shipment."""
    ss = st.session_state
    drawn, table = ss.get(state.TABLE_ROW_IDS), ss.get(state.SHIPMENTS_TABLE)
    cells = (table or {}).get("selection", {}).get("cells") or []
    if drawn and cells and cells[0][0] < len(drawn):
        ss[state.OPEN_SHIPMENT] = drawn[cells[0][0]]
        ss[state.SHIP_TABS] = "Open shipment"
    ss[state.SHIPMENTS_TABLE] = {"selection": {"rows": [], "columns": [], "cells": []}}
    ss[state.TABLE_ROW_IDS] = page_ids


def problems_in_full(frame: pd.DataFrame) -> None:
    """The table cuts long problems off: here each is in full."""
    found = frame[frame["Problem"] != ""]
    if found.empty:
        return
    with (
        st.container(key=state.SHIP_PROBLEMS),
        st.expander(f"Problems on this page in full ({len(found)})"),
    ):
        for number, said in zip(found["Shipment"], found["Problem"], strict=True):
            st.markdown(f"**{md_text(number)}**: {md_text(said)}")


def pager(total: str, pages: int) -> None:
    """The count ("1,234", or "10,000+" past the cap) and the page controls."""
    info, prev, number, nxt = st.columns([4, 1, 1.2, 1], vertical_alignment="bottom")
    page = st.session_state.get(state.SHIP_PAGE, 1)
    info.caption(f"{total} shipment(s) · page {page} of {pages}")
    prev.button("Previous", key=state.SHIP_PREV, on_click=step_page, args=(-1,), disabled=page <= 1)
    number.number_input("Page", min_value=1, max_value=pages, step=1, key=state.SHIP_PAGE)
    nxt.button("Next", key=state.SHIP_NEXT, on_click=step_page, args=(1,), disabled=page >= pages)
