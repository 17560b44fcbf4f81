"""Bulk actions on the selection (Send to Accounting, Change status) that act on what the user
sees: "n selected, m not shown" under the table, and before anything happens a list of every
shipment the action will touch (those on other pages or hidden by the filters included, and
marked so), to confirm. A status change confirmed on a list that has changed since is
refused whole (services.versions)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models import Trigger, WorkflowStatus
from services import preview as previews
from services import queue, shipment_edits, shipments, users
from services.shipment_edits import MAX_STATUS_CHANGE
from services.shipments import ShipmentFilter
from services.sync import batch_size
from ui import common, panels, state
from ui.text import md_text

ON_PAGE, OTHER_PAGE, HIDDEN = "on this page", "on another page", "hidden by the filters"


def where_each(ids: list[int], page_ids: list[int], flt: ShipmentFilter) -> dict[int, str]:
    """Where each selected shipment is: on the table's page, on another page of the same
    filters, or hidden by them."""
    with common.session() as db_session:
        matching = shipments.matching_ids(session=db_session, flt=flt, shipment_ids=ids)
    shown = set(page_ids)
    return {i: ON_PAGE if i in shown else OTHER_PAGE if i in matching else HIDDEN for i in ids}


def summary(ids: list[int], places: dict[int, str]) -> str:
    hidden = sum(1 for i in ids if places.get(i) != ON_PAGE)
    text = f"{len(ids)} selected, {hidden} not shown"
    if hidden:
        others = sum(1 for i in ids if places.get(i) == OTHER_PAGE)
        parts = [f"{others} on other pages"] if others else []
        parts += [f"{hidden - others} hidden by the filters"] if hidden - others else []
        text += f" ({', '.join(parts)})"
    return text


def refusals(ids: list[int]) -> list[str]:
    """When the checks a send makes first refuse every selected shipment (read from the
    cached Xero codes, no API call): why, one line each. Else []: Send has work to do."""
    if not ids or len(ids) > batch_size():  # more than a batch: Send says so when clicked
        return []
    with common.session() as db_session:
        found = previews.preview(session=db_session, shipment_ids=ids)
    if not found or any(p.verdict != previews.REFUSE for p in found):
        return []
    return [
        f"{md_text(p.shipment_number)}: {md_text((p.problems or ['refused'])[0])}" for p in found
    ]


def _ask(action: str) -> None:
    ids = common.selected_ids()
    status = st.session_state.get(state.BULK_STATUS) if action == "status" else None
    if not ids:
        common.flash("error", "Select the shipments first: nothing was changed or sent.")
        return
    with common.session() as db_session:
        found = shipments.shipments_by_id(session=db_session, shipment_ids=ids)
        versions = {s.id: s.version for s in found if s.id is not None}
    st.session_state[state.BULK_PENDING] = {
        "action": action,
        "status": status,
        "ids": ids,
        "versions": versions,
    }


def actions(user: common.CurrentUser, ids: list[int]) -> None:
    send, status, change, clear = st.columns([1.4, 1.4, 1.2, 1.2], vertical_alignment="bottom")
    refused = refusals(ids)
    status.selectbox("New status", [s.value for s in WorkflowStatus], key=state.BULK_STATUS)
    send.button(
        "Send to Accounting",
        key=state.SEND_SELECTED,
        type="primary",
        disabled=bool(refused),
        help="None of the selected shipments can be sent yet." if refused else None,
        on_click=_ask,
        args=("send",),
    )
    change.button("Change status", key=state.CHANGE_STATUS, on_click=_ask, args=("status",))
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


def _drop_hidden(ids_shown: list[int]) -> None:
    common.set_selected_ids([i for i in common.selected_ids() if i in ids_shown])
    st.session_state.pop(state.BULK_PENDING, None)


def _cancel() -> None:
    st.session_state.pop(state.BULK_PENDING, None)


def confirm(user: common.CurrentUser, page_ids: list[int], flt: ShipmentFilter) -> None:
    """The list of every shipment the pending action touches, and Confirm / Cancel."""
    pending = st.session_state.get(state.BULK_PENDING)
    if not pending:
        return
    ids = [i for i in pending["ids"] if i in set(common.selected_ids())]
    places = where_each(ids, page_ids, flt)
    with common.session() as db_session:
        found = shipments.shipments_by_id(session=db_session, shipment_ids=ids)
    verb = f"Move to {pending['status']}" if pending["action"] == "status" else "Send to Accounting"
    with st.container(key=state.BULK_CONFIRM, border=True):
        st.markdown(f"**{verb}: {len(found)} shipment(s)**. Check the list, then confirm.")
        st.caption(summary(ids, places))
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Shipment": s.shipment_number,
                        "Customer code": s.buyer_code or s.consignee_code or "",
                        "Status": s.workflow_status,
                        "Sync state": s.sync_state,
                        "Where": places.get(s.id or 0, HIDDEN),
                    }
                    for s in found
                ],
                columns=["Shipment", "Customer code", "Status", "Sync state", "Where"],
            ),
            hide_index=True,
        )
        limit = batch_size() if pending["action"] == "send" else MAX_STATUS_CHANGE
        if len(found) > limit:
            st.warning(
                f"{len(found)} shipments: {verb} takes at most {limit} at a time. Take some out "
                "of the selection (or queue them all with Push remaining on Send to Accounting)."
            )
        go, drop, cancel = st.columns(3)
        clicked = go.button(
            f"Yes, {verb.lower()} these {len(found)}",
            key=state.BULK_CONFIRM_BUTTON,
            type="primary",
            disabled=len(found) > limit or not found,
        )
        shown = [i for i in ids if places[i] == ON_PAGE]
        drop.button(
            "Take the ones not shown out of the selection",
            key=state.BULK_DROP_HIDDEN,
            on_click=_drop_hidden,
            args=(shown,),
            disabled=len(shown) == len(ids),
        )
        cancel.button("Cancel", key=state.BULK_CANCEL, on_click=_cancel)
    if clicked:
        _run(pending, ids, user)


def _run(pending: dict, ids: list[int], user: common.CurrentUser) -> None:
    if pending["action"] == "send":
        st.session_state.pop(state.BULK_PENDING, None)
        if panels.send(ids, trigger=Trigger.BULK, user=user) is not None:
            st.rerun()
        return
    status, changed = pending["status"], None
    versions = {int(k): v for k, v in pending["versions"].items() if int(k) in set(ids)}
    with common.shown_errors(), common.session() as db_session:
        moved = shipment_edits.change_status(
            session=db_session,
            shipment_ids=ids,
            status=status,
            user=user.username,
            expected_versions=versions,
        )
        changed = [s.shipment_number for s in moved.shipments]
    if changed is None:
        _refresh_versions(pending)
        return
    st.session_state.pop(state.BULK_PENDING, None)
    common.flash("success", f"{len(changed)} shipment(s) moved to {status}: {_names(changed)}.")
    if queued := moved.queued_numbers():
        common.flash("info", f"Queued for Xero by the trigger status: {_names(queued)}.")
    if waiting := moved.cancelling_numbers():
        common.flash(
            "warning", f"Not queued for Xero: {_names(waiting)}. {queue.CANCELLATION_WAITS}"
        )
    st.rerun()


def _names(numbers: list[str]) -> str:
    return ", ".join(md_text(number) for number in numbers)


def _refresh_versions(pending: dict) -> None:
    """After a refusal the list shown is current again: confirming now means this list."""
    with common.session() as db_session:
        found = shipments.shipments_by_id(session=db_session, shipment_ids=pending["ids"])
    pending["versions"] = {s.id: s.version for s in found if s.id is not None}
    st.caption("The list above shows them as they are now: confirm again, or cancel.")
