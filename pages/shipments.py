"""Shipments: the table (paged and filtered in SQL, its state in the URL), a selection kept
across table pages, bulk Send to Accounting and Change status (confirmed on the list of every
shipment they touch); one shipment's form and history; CSV import/export."""

from __future__ import annotations

import streamlit as st

from services import shipments
from services.paging import COUNT_CAP
from services.sync import batch_size
from ui import (
    bulk_actions,
    common,
    panels,
    shipment_editor,
    shipment_import,
    shipment_table,
    shipment_url,
    state,
)

user = common.require("shipments")
can_edit = user.can_edit("shipments")
st.title("Shipments")
if not can_edit:
    st.caption("Read-only: your role can look at shipments but not change or send them.")

shipment_url.apply_url()
flt = shipment_table.filters()
sort, descending, page_size = shipment_table.sorting()

with common.session() as db_session:
    listing = shipments.list_shipments(
        session=db_session,
        flt=flt,
        page=st.session_state.get(state.SHIP_PAGE, 1),
        page_size=page_size,
        sort=sort,
        descending=descending,
        count_cap=COUNT_CAP,
    )
st.session_state[state.SHIP_PAGE] = listing.page
page_ids = [s.id for s in listing.rows if s.id is not None]

shipment_table.draw(listing.rows, can_edit=can_edit)
shipment_table.pager(listing.total_text, listing.pages)

if can_edit:
    ids = common.selected_ids()
    places = bulk_actions.where_each(ids, page_ids, flt)
    st.caption(f"{len(ids)} of {batch_size()} selected")
    st.container(key=state.SELECTION_SUMMARY).caption(bulk_actions.summary(ids, places))
    bulk_actions.actions(user, ids)
    bulk_actions.confirm(user, page_ids, flt)
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
shipment_url.write_url()
