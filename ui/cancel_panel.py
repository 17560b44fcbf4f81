"""The cancel panel: a shipment moved to Cancelled (or Returned) whose invoice is in Xero asks
what should happen there (void, delete the draft, or a credit note for the whole invoice or
chosen lines) and queues it for the worker (services/cancel_jobs.py), like a send; a voided
shipment says which number a new send will use."""

from __future__ import annotations

import streamlit as st

from models import Shipment, WorkflowStatus
from services import cancel_jobs, cancellation, retired_numbers
from services.cancellation import Action, CancelRequest
from services.document_kinds import kind_of
from ui import common, state
from ui.text import md_text

# The workflow statuses that mean the goods are not (or no longer) sold.
CANCELLED = {str(WorkflowStatus.CANCELLED), str(WorkflowStatus.RETURNED)}
LEAVE = "leave"


def show(shipment: Shipment, *, user: common.CurrentUser, can_edit: bool = True) -> None:
    """Draw the panel for the open shipment (nothing when it does not apply)."""
    with common.session() as db_session:
        note = retired_numbers.resend_note(session=db_session, shipment=shipment)
    if note:
        st.info(md_text(note), icon=":material/tag:")
    if shipment.workflow_status not in CANCELLED or not shipment.xero_document_id:
        return
    assert shipment.id is not None
    with common.session() as db_session:
        waiting = cancel_jobs.waiting_note(session=db_session, shipment_id=shipment.id)
    if waiting:
        # Just queued: say it once, in the words naming the invoice, not twice.
        just_said = st.session_state.pop(_said_key(shipment.id), None)
        st.info(md_text(just_said or waiting), icon=":material/schedule:")
        return
    number = md_text(shipment.xero_document_number or shipment.xero_document_id)
    kind = kind_of(shipment.xero_document_type)
    with st.container(key=state.CANCEL_PANEL, border=True):
        st.markdown(f"**{md_text(shipment.workflow_status)}: what should happen in Xero?**")
        if kind.document_type != "invoice":
            st.caption(
                f"{number} is a Xero {kind.label}: Shipbridge cancels invoices only. "
                f"Mark {number} declined or delete it in Xero."
            )
            return
        actions = cancellation.actions_for(shipment.xero_status, shipment.xero_amount_paid)
        if not actions:
            st.caption(
                f"Xero holds invoice {number} as {md_text(shipment.xero_status or '—')}: "
                "there is nothing more to cancel there."
            )
            return
        if not can_edit:
            st.caption(f"Invoice {number} is still in Xero; someone in operations can cancel it.")
            return
        _choose_and_do(shipment, actions, number, user)


def _paid_words(shipment: Shipment) -> str:
    paid = shipment.xero_amount_paid or 0
    if not paid:
        return "nothing paid"
    return f"{common.money_md(paid, shipment.currency)} paid"


def _choose_and_do(
    shipment: Shipment, actions: list[Action], number: str, user: common.CurrentUser
) -> None:
    sid = shipment.id
    st.caption(
        f"Shipbridge's copy: invoice {number} is {md_text(shipment.xero_status or '—')} with "
        f"{_paid_words(shipment)}. Xero is asked again before anything is done."
    )
    options = [*actions, LEAVE]
    labels: dict[str, str] = {
        **cancellation.WHAT_IT_DOES,
        LEAVE: "Leave the invoice in Xero as it is",
    }
    action = st.radio(
        "In Xero", options, format_func=lambda a: labels[a], key=f"{state.CANCEL_ACTION}_{sid}"
    )
    lines: tuple[int, ...] = ()
    if action == Action.CREDIT:
        lines = _chosen_lines(shipment)
    if action == LEAVE:
        st.caption(f"Nothing is changed in Xero; {number} stays owed there.")
        return
    if action == Action.VOID:
        st.caption(
            f"Xero never reuses a voided invoice's number: sent again later, the shipment "
            f"goes as a new invoice with a new number, not {number}."
        )
    if st.button("Queue it for Xero", key=f"{state.CANCEL_DO}_{sid}", type="primary"):
        assert sid is not None
        _do(CancelRequest(sid, Action(action), lines), user)


def _chosen_lines(shipment: Shipment) -> tuple[int, ...]:
    sid = shipment.id
    scope = st.radio(
        "Credit",
        ["whole", "lines"],
        format_func=lambda s: "The whole invoice" if s == "whole" else "Chosen lines",
        horizontal=True,
        key=f"{state.CANCEL_SCOPE}_{sid}",
    )
    if scope == "whole":
        return ()
    # Xero's invoice has the shipment's lines in order, then the freight line if any.
    labels = {
        n: f"{n}. {line.product_code or ''} {line.description or ''} "
        f"{common.money(line.item_value, shipment.currency)}".strip()
        for n, line in enumerate(shipment.lines, start=1)
    }
    if shipment.freight_amount:
        freight = common.money(shipment.freight_amount, shipment.currency)
        labels[len(labels) + 1] = f"{len(labels) + 1}. Freight {freight}"
    chosen = st.multiselect(
        "Lines to credit",
        list(labels),
        format_func=lambda n: labels[n],
        key=f"{state.CANCEL_LINES}_{sid}",
    )
    return tuple(chosen)


def _do(request: CancelRequest, user: common.CurrentUser) -> None:
    said = None
    with common.shown_errors(), common.session() as db_session:
        said = cancel_jobs.enqueue_cancel(session=db_session, request=request, user=user.username)
    if said is None:
        return  # the reason is on screen
    st.session_state[_said_key(request.shipment_id)] = said
    st.rerun()


def _said_key(shipment_id: int) -> str:
    return f"{state.CANCEL_DO}_said_{shipment_id}"
