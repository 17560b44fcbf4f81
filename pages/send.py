"""Send to Accounting: the current selection (shared with the Shipments page), Send with a
result per shipment, and Push remaining (after a confirmation) with the queue's progress."""

from __future__ import annotations

import streamlit as st

from models import JobStatus, Outcome, Trigger
from services import preview, queue, shipments
from services.preview import PushGroup
from services.queue import Progress
from services.sync import batch_size
from ui import attention, common, panels, send_preview, send_selection, state, xero_status
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
    st.session_state.pop(state.PUSH_FROM_SELECTION, None)


def confirm_push(ids: list[int], user: common.CurrentUser, *, from_selection: int) -> None:
    """Say how many shipments Push remaining (or "Queue all selected": `from_selection` is
    how many were selected) would queue and as what; queue them only once the user says so."""
    if not ids:
        stop_asking()
        which = "selected shipment" if from_selection else "shipment"
        st.info(f"Nothing to queue: every {which} is sent or in the queue already.")
        return
    with common.session() as db_session:
        plan = preview.push_plan(session=db_session, shipment_ids=ids)
    n = counted(len(ids), "shipment")
    with st.container(border=True, key=state.PUSH_CONFIRM):
        st.markdown(f"**Queue {n} for the worker?** They will go to Xero as:")
        st.markdown("\n".join(f"- {describe(group)}" for group in plan))
        if from_selection > len(ids):
            st.markdown(
                f"{counted(from_selection - len(ids), 'selected shipment')} "
                f"{'is' if from_selection - len(ids) == 1 else 'are'} left out: sent already "
                "and unchanged (or in the queue already). They stay selected."
            )
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
            # Sent (or queued) since the question?
            if from_selection:
                rows = preview.selection_rows(session=db_session, shipment_ids=ids)
                still = set(send_selection.queueable(rows))
            else:
                still = set(shipments.unsent_ids(session=db_session))
            chosen = [i for i in ids if i in still]
            answer = queue.enqueue(
                session=db_session,
                shipment_ids=chosen,
                trigger=Trigger.BULK if from_selection else Trigger.PUSH_REMAINING,
                user=user.username,
            )
            if answer.cancelling:
                waiting = shipments.shipments_by_id(
                    session=db_session, shipment_ids=answer.cancelling
                )
                numbers = [s.shipment_number for s in waiting]
                common.flash(
                    "warning",
                    f"Not queued: {md_text(', '.join(numbers))}. {queue.CANCELLATION_WAITS}",
                )
        queued = [i for i in chosen if i not in answer.cancelling]  # committed
    if queued is None:
        return  # the reason is on screen; the question stays
    if queued:
        left = ""
        if from_selection:  # queued: they leave the selection, so Send cannot take them too
            gone = set(queued)
            common.set_selected_ids(i for i in common.selected_ids() if i not in gone)
            left = f" They left the selection; {len(common.selected_ids())} still selected."
        common.flash(
            "success",
            f"{counted(len(queued), 'shipment')} queued for the worker, which sends them "
            f"{batch_size()} at a time; the queue below counts how many are sent and rejected."
            + left,
        )
    elif len(queued) == len(chosen):  # none queued for another reason: the warning says why
        common.flash("info", "They have all been sent since: nothing was queued.")
    stop_asking()
    st.rerun()


user = common.require("send")
st.title("Send to Accounting")
xero_status.connected(user, "send")  # one word on the connection, said once

st.subheader("Selection")
selection = send_selection.rows()
ids = send_selection.show(selection, send_selection.chosen(selection))
# Only the shipments Send will take are checked and previewed: a large selection opens fast.
found = send_preview.show(ids)
# Sending what the preview refuses would only record rejections (and read Xero's codes).
blocked = send_preview.none_can_be_sent(found)
# Only an admin can refresh Xero's codes (on the Mapping page); others ask one.
REFRESH = (
    "Refresh Xero's codes on the Mapping page"
    if user.can_edit("mapping")
    else "ask an admin to refresh Xero's codes on the Mapping page"
)
WHICH = (
    "the selected shipments"
    if len(ids) == len(selection)
    else f"the {len(ids)} chosen to send now (choose others above)"
)
BLOCKED = (
    f"None of {WHICH} can be sent: fix what the preview lists for each of them first, then "
    f"send. Just added a code in Xero? {REFRESH}, and the preview checks again."
)

send_col, queue_col, clear_col = st.columns([1.6, 2.2, 2.2])
clicked = send_col.button(
    send_selection.button_label(len(ids)),
    key=state.SEND_BUTTON,
    type="primary",
    disabled=not ids or blocked,
    help=BLOCKED if blocked else None,
)
if len(selection) > len(ids) and queue_col.button(
    f"Queue all {len(selection)} selected", key=state.SEND_QUEUE_SELECTED
):
    st.session_state[state.PUSH_PENDING] = send_selection.queueable(selection)
    st.session_state[state.PUSH_FROM_SELECTION] = len(selection)
clear_col.button(
    "Clear selection",
    key=state.CLEAR_SELECTION,
    on_click=common.set_selected_ids,
    args=([],),
    disabled=not selection,
)
if blocked:
    st.caption(BLOCKED)
if st.session_state.get(state.PUSH_FROM_SELECTION) and state.PUSH_PENDING in st.session_state:
    confirm_push(
        st.session_state[state.PUSH_PENDING],
        user,
        from_selection=st.session_state[state.PUSH_FROM_SELECTION],
    )
if clicked:
    result = panels.send(ids, trigger=Trigger.BULK, user=user)
    if result is not None:
        send_selection.after_send(result)
        st.rerun()
send_selection.show_after_send()
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
        st.session_state[state.PUSH_FROM_SELECTION] = False
if state.PUSH_PENDING in st.session_state and not st.session_state.get(state.PUSH_FROM_SELECTION):
    confirm_push(st.session_state[state.PUSH_PENDING], user, from_selection=0)

with common.session() as db_session:
    busy = queue.progress(session=db_session).waiting > 0
st.session_state[state.QUEUE_WATCHING] = busy
st.fragment(queue_section, run_every=QUEUE_REDRAW_SECONDS if busy else None)()
attention.needs_attention(key=state.QUEUE_RETRY_ATTENTION, user=user, can_retry=True)
