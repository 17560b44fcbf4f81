"""Send to Accounting: the current selection (shared with the Shipments page), Send with a
result per shipment, and Push remaining (after a confirmation) with the queue's progress."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models import JobStatus, Outcome, Trigger
from services import preview, queue, shipments
from services.preview import PushGroup
from services.queue import Progress
from services.shipments import ShipmentError
from services.sync import batch_size
from ui import attention, common, panels, send_preview, state
from ui.panels import counted
from ui.text import md_text

QUEUE_REDRAW_SECONDS = 3
LABELS = {
    JobStatus.QUEUED: "Waiting",
    JobStatus.RUNNING: "Sending",
    JobStatus.HELD: "Held (reconnect Xero)",
    JobStatus.NEEDS_ATTENTION: "Needs attention",
}
LOGS_PAGE = "pages/logs.py"


def run_text(run: Progress) -> str:
    """E.g. "22 of 25 sent, 3 rejected." or "10 of 30 sent, 20 waiting for the worker."."""
    text = f"{run.sent} of {run.total} sent"
    if run.rejected:
        text += f", {run.rejected} rejected"
    if run.waiting:
        text += f", {run.waiting} waiting for the worker"
    if run.held:
        text += f", {run.held} held until Xero is reconnected"
    return text + "."


def rejected_in_run(run: Progress) -> None:
    """The run's rejected shipments by number, and the way to what to fix."""
    if not run.rejected:
        return
    numbers = ", ".join(md_text(number) for number in run.rejected_numbers)
    more = run.rejected - len(run.rejected_numbers)
    if more > 0:
        numbers += f" and {more} more"
    st.warning(
        f"Rejected, not sent: {numbers}. Fix them (Accounting Logs says what to fix) and "
        "send them again.",
        icon=":material/block:",
    )
    st.page_link(
        LOGS_PAGE,
        label="See the rejections in Accounting Logs",
        icon=":material/receipt_long:",
        query_params={"outcome": Outcome.REJECTED.value},
    )


def queue_section() -> None:
    """The queue's counts and the progress of its current run (or how its last run ended),
    redrawn every few seconds while the worker has shipments to send."""
    with common.session() as db_session:
        counts = queue.counts(session=db_session)
        run = queue.progress(session=db_session)
    st.markdown("**Queue**")
    if not run.total:
        st.caption("The queue is empty: nothing has been queued yet.")
    elif run.finished:
        st.caption(f"The queue is empty. Its last run: {run_text(run)}")
    else:
        st.progress(run.share, text=run_text(run))
    rejected_in_run(run)
    columns = st.columns(len(LABELS) + 2)
    for column, (status, label) in zip(columns, LABELS.items(), strict=False):
        column.metric(label, counts.get(status, 0))
    which = "last run" if run.finished else "current run"
    columns[-2].metric("Sent", run.sent, help=f"Sent to Xero in the queue's {which}.")
    columns[-1].metric(
        "Rejected", run.rejected, help=f"Rejected, not sent, in the queue's {which}."
    )
    st.button("Refresh", key=state.QUEUE_REFRESH)
    if st.session_state.get(state.QUEUE_WATCHING) and not run.waiting:
        st.session_state[state.QUEUE_WATCHING] = False
        st.rerun()  # the whole page: stop redrawing


def describe(group: PushGroup) -> str:
    """One organisation's share of a push, e.g. "25 shipments as DRAFT invoices in Demo Ltd"."""
    if group.organisation is None:
        return (
            f"{counted(group.count, 'shipment')} with no connected Xero organisation to go "
            "to: an admin must connect one on the Connect page, or they cannot be sent"
        )
    kind = group.document_type or "document"
    kind = f"{group.status} {kind}s" if group.count > 1 else f"a {group.status} {kind}"
    text = f"{counted(group.count, 'shipment')} as {kind} in {md_text(group.organisation)}"
    if group.needs_reconnect:
        text += " (held in the queue until an admin reconnects it)"
    return text


def stop_asking() -> None:
    st.session_state.pop(state.PUSH_PENDING, None)


def confirm_push(ids: list[int], user: common.CurrentUser) -> None:
    """Say how many shipments Push remaining would queue and as what; queue them only once
    the user says so."""
    if not ids:
        stop_asking()
        st.info("Nothing to queue: every shipment is sent or in the queue already.")
        return
    with common.session() as db_session:
        plan = preview.push_plan(session=db_session, shipment_ids=ids)
    n = counted(len(ids), "shipment")
    with st.container(border=True, key=state.PUSH_CONFIRM):
        st.markdown(f"**Queue {n} for the worker?** They will go to Xero as:")
        st.markdown("\n".join(f"- {describe(group)}" for group in plan))
        st.caption(
            "Invoice or quote, and its status, come from the Mapping settings. The worker "
            "checks each shipment before sending it: one with a problem is rejected, not "
            "sent, and the queue below names it."
        )
        yes, no = st.columns([1.5, 5])
        confirmed = yes.button(f"Queue {n}", key=state.PUSH_CONFIRM_BUTTON, type="primary")
        no.button("Cancel", key=state.PUSH_CANCEL, on_click=stop_asking)
    if not confirmed:
        return
    queued: list[int] | None = None
    with common.shown_errors():
        with common.session() as db_session:
            still = set(shipments.unsent_ids(session=db_session))  # sent since the question?
            chosen = [i for i in ids if i in still]
            queue.enqueue(
                session=db_session,
                shipment_ids=chosen,
                trigger=Trigger.PUSH_REMAINING,
                user=user.username,
            )
        queued = chosen  # committed
    if queued is None:
        return  # the reason is on screen; the question stays
    if queued:
        common.flash(
            "success",
            f"{counted(len(queued), 'shipment')} queued for the worker, which sends them "
            f"{batch_size()} at a time; the queue below counts how many are sent and rejected.",
        )
    else:
        common.flash("info", "They have all been sent since: nothing was queued.")
    stop_asking()
    st.rerun()


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
    st.caption(f"{len(rows)} of {batch_size()} selected (choose them on the Shipments page).")
else:
    st.info("Nothing is selected: tick shipments in the Shipments page's table.")
found = send_preview.show(ids)
# Sending what the preview refuses would only record rejections (and read Xero's codes).
blocked = send_preview.none_can_be_sent(found)
# Only an admin can refresh Xero's codes (on the Mapping page); others ask one.
REFRESH = (
    "Refresh Xero's codes on the Mapping page"
    if user.can_edit("mapping")
    else "ask an admin to refresh Xero's codes on the Mapping page"
)
BLOCKED = (
    "None of the selected shipments can be sent: fix what the preview lists for each of "
    f"them first, then send. Just added a code in Xero? {REFRESH}, and the preview checks "
    "again."
)

send_col, clear_col = st.columns([1.5, 5])
clicked = send_col.button(
    "Send to Accounting",
    key=state.SEND_BUTTON,
    type="primary",
    disabled=not rows or blocked,
    help=BLOCKED if blocked else None,
)
clear_col.button(
    "Clear selection",
    key=state.CLEAR_SELECTION,
    on_click=common.set_selected_ids,
    args=([],),
    disabled=not rows,
)
if blocked:
    st.caption(BLOCKED)
if clicked and panels.send(ids, trigger=Trigger.BULK, user=user) is not None:
    st.rerun()
panels.show_last_send()

st.divider()
st.subheader("Push remaining")
st.write(
    "Queue every shipment not yet sent (or changed since it was sent) for the worker, "
    "which sends them in batches of ten. You confirm first."
)
if st.button("Push remaining", key=state.PUSH_REMAINING):
    with common.shown_errors(), common.session() as db_session:
        st.session_state[state.PUSH_PENDING] = shipments.unsent_ids(session=db_session)
if state.PUSH_PENDING in st.session_state:
    confirm_push(st.session_state[state.PUSH_PENDING], user)

with common.session() as db_session:
    busy = queue.progress(session=db_session).waiting > 0
st.session_state[state.QUEUE_WATCHING] = busy
st.fragment(queue_section, run_every=QUEUE_REDRAW_SECONDS if busy else None)()
attention.needs_attention(key=state.QUEUE_RETRY_ATTENTION, user=user, can_retry=True)
