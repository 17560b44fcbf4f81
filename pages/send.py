"""Send to Accounting: the current selection (shared with the Shipments page), Send with a
result per shipment, and Push remaining with the queue's progress."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models import JobStatus
from pages import common, panels, send_preview, state
from services import queue, shipments
from services.shipments import ShipmentError
from services.sync import MAX_BATCH

QUEUE_REDRAW_SECONDS = 3
LABELS = {
    JobStatus.QUEUED: "Waiting",
    JobStatus.RUNNING: "Sending",
    JobStatus.HELD: "Held (reconnect Xero)",
    JobStatus.DONE: "Done",
}


def queue_section() -> None:
    """The queue's counts and the progress of its current run, redrawn every few seconds
    while the worker has shipments to send."""
    with common.session() as db_session:
        counts = queue.counts(session=db_session)
        run = queue.progress(session=db_session)
    st.markdown("**Queue**")
    if run.total:
        text = f"{run.done} of {run.total} sent"
        if run.waiting:
            text += f", {run.waiting} waiting for the worker"
        if run.held:
            text += f", {run.held} held until Xero is reconnected"
        st.progress(run.share, text=text + ".")
    else:
        st.caption("The queue is empty: every queued shipment has been sent.")
    for column, (status, label) in zip(st.columns(len(LABELS)), LABELS.items(), strict=True):
        column.metric(label, counts.get(status, 0))
    st.button("Refresh", key=state.QUEUE_REFRESH)
    if st.session_state.get(state.QUEUE_WATCHING) and not run.waiting:
        st.session_state[state.QUEUE_WATCHING] = False
        st.rerun()  # the whole page: stop redrawing


user = common.require("send")
st.title("Send to Accounting")

ids = common.selected_ids()
rows = []
with common.session() as db_session:
    for shipment_id in ids:
        try:
            s = shipments.get_shipment(session=db_session, shipment_id=shipment_id)
        except ShipmentError:
            continue  # deleted since it was selected
        rows.append(
            {
                "Shipment": s.shipment_number,
                "Status": s.workflow_status,
                "Sync state": s.sync_state,
                "Customer": s.buyer_code or s.consignee_code or "",
                "Xero number": s.xero_document_number or "",
            }
        )

st.subheader("Selection")
if rows:
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    st.caption(f"{len(rows)} of {MAX_BATCH} selected (choose them on the Shipments page).")
else:
    st.info("Nothing is selected: tick shipments in the Shipments page's table.")
send_preview.show(ids)

send_col, clear_col = st.columns([1.5, 5])
clicked = send_col.button(
    "Send to Accounting", key=state.SEND_BUTTON, type="primary", disabled=not rows
)
clear_col.button(
    "Clear selection",
    key=state.CLEAR_SELECTION,
    on_click=common.set_selected_ids,
    args=([],),
    disabled=not rows,
)
if clicked and panels.send(ids, trigger="bulk", user=user) is not None:
    st.rerun()
panels.show_last_send()

st.divider()
st.subheader("Push remaining")
st.write(
    "Queue every shipment not yet sent (or changed since it was sent) for the worker, "
    "which sends them in batches of ten."
)
if st.button("Push remaining", key=state.PUSH_REMAINING):
    with common.shown_errors(), common.session() as db_session:
        unsent = shipments.unsent_ids(session=db_session)
        added = queue.enqueue(
            session=db_session, shipment_ids=unsent, trigger="push remaining", user=user.username
        )
        st.success(
            f"{len(unsent)} unsent shipment(s) are queued for the worker ({added} newly added)."
            if unsent
            else "Every shipment has been sent already: nothing to queue."
        )

with common.session() as db_session:
    busy = queue.progress(session=db_session).waiting > 0
st.session_state[state.QUEUE_WATCHING] = busy
st.fragment(queue_section, run_every=QUEUE_REDRAW_SECONDS if busy else None)()
