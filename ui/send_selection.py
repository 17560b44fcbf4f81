"""On Send to Accounting: the selection as Send will take it. Rows can be removed; with more
selected than one send takes (the batch size), the user chooses which to send now and the
rest stay selected (or are all queued). Reads a few columns of each selected shipment; only
the chosen ones are previewed (ui/send_preview.py)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models import Outcome, SyncState
from services import preview
from services.paging import Page
from services.preview import SelectionRow
from services.sync import BatchResult, batch_size
from ui import common, state
from ui.panels import counted
from ui.text import md_text

PAGE_SIZE = 25  # rows of the selection table drawn at a time
NOT_QUEUED = {SyncState.PROCESSED, SyncState.QUEUED, SyncState.SENDING}


def rows() -> list[SelectionRow]:
    """The selected shipments that still exist, in the order they were selected."""
    ids = common.selected_ids()
    if not ids:
        return []
    with common.session() as db_session:
        return preview.selection_rows(session=db_session, shipment_ids=ids)


def chosen(found: list[SelectionRow]) -> list[int]:
    """The shipment ids Send will take: all of them when they fit in one send, otherwise the
    user's choice (the first batch until they choose), never more than a batch."""
    limit = batch_size()
    ids = [r.shipment_id for r in found]
    if len(ids) <= limit:
        st.session_state.pop(state.SEND_CHOSEN, None)
        return ids
    kept = [i for i in st.session_state.get(state.SEND_CHOSEN, ids[:limit]) if i in set(ids)]
    st.session_state[state.SEND_CHOSEN] = kept[:limit]  # before the widget is drawn
    return kept[:limit]


def show(found: list[SelectionRow], send_now: list[int]) -> list[int]:
    """The selection: what Send takes and what stays, a page of the table, the choice of
    which to send now, and removing rows. Returns the ids Send will take."""
    limit = batch_size()
    if not found:
        st.info("Nothing is selected: tick shipments in the Shipments page's table.")
        return []
    if len(found) > limit:
        st.warning(
            f"**{len(found)} shipments are selected; one send takes at most {limit}.** "
            f"Choose below which {limit} to send now (the first {limit} are chosen); the "
            f"other {len(found) - limit} stay selected for the next send. Or queue all "
            f"{len(found)} for the worker, which sends them {limit} at a time.",
            icon=":material/filter_list:",
        )
        send_now = _choose(found, limit)
    _table(found, set(send_now))
    _remove(found)
    return send_now


def _label(found: list[SelectionRow]):
    numbers = {r.shipment_id: r.shipment_number for r in found}
    return lambda shipment_id: numbers.get(shipment_id, str(shipment_id))


def _choose(found: list[SelectionRow], limit: int) -> list[int]:
    picked = st.multiselect(
        f"Send now (at most {limit})",
        [r.shipment_id for r in found],
        format_func=_label(found),
        max_selections=limit,
        key=state.SEND_CHOSEN,
        help="Only these are checked and previewed below, and only these are sent. The "
        "others stay selected.",
    )
    return list(picked)


def _table(found: list[SelectionRow], send_now: set[int]) -> None:
    page = Page(st.session_state.get(state.SEND_SELECTION_PAGE, 1), PAGE_SIZE, len(found))
    page = page.clamped()
    if st.session_state.get(state.SEND_SELECTION_PAGE, 1) != page.number:
        st.session_state[state.SEND_SELECTION_PAGE] = page.number  # the selection shrank
    if page.count > 1:
        number = st.selectbox(
            "Page of the selection",
            list(range(1, page.count + 1)),
            key=state.SEND_SELECTION_PAGE,
        )
        page = Page(number, PAGE_SIZE, len(found)).clamped()
    shown = page.rows_of(found)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Send now": "yes" if r.shipment_id in send_now else "stays selected",
                    "Shipment": r.shipment_number,
                    "Status": r.workflow_status,
                    "Sync state": r.sync_state,
                    "Customer": r.customer,
                    "Xero number": r.xero_number,
                }
                for r in shown
            ]
        ),
        hide_index=True,
    )
    rest = len(found) - len(send_now)
    stays = f"; {rest} stay selected" if rest else ""
    where = (
        f" Rows {page.first}–{page.offset + len(shown)} of {len(found)} shown."
        if page.count > 1
        else ""
    )
    st.caption(
        f"{len(found)} selected: {len(send_now)} to send now{stays}.{where} Select more on "
        "the Shipments page."
    )


def _remove(found: list[SelectionRow]) -> None:
    left, right = st.columns([4, 1.5], vertical_alignment="bottom")
    removing = left.multiselect(
        "Remove from the selection",
        [r.shipment_id for r in found],
        format_func=_label(found),
        key=state.SEND_REMOVE,
        placeholder="Shipments to take out of the selection",
    )
    right.button(
        f"Remove {len(removing)}" if removing else "Remove",
        key=state.SEND_REMOVE_BUTTON,
        disabled=not removing,
        on_click=_removed,
        args=(list(removing), _label(found)),
    )


def _removed(ids: list[int], label) -> None:
    gone = set(ids)
    common.set_selected_ids(i for i in common.selected_ids() if i not in gone)
    if state.SEND_CHOSEN in st.session_state:
        st.session_state[state.SEND_CHOSEN] = [
            i for i in st.session_state[state.SEND_CHOSEN] if i not in gone
        ]
    st.session_state[state.SEND_REMOVE] = []
    numbers = ", ".join(md_text(label(i)) for i in ids)
    left = len(common.selected_ids())
    common.flash(
        "info",
        f"Removed from the selection: {numbers}. Nothing was sent or changed; "
        f"{counted(left, 'shipment')} still selected.",
    )


def queueable(found: list[SelectionRow]) -> list[int]:
    """The selected shipments "Queue all selected" queues: all but those sent and unchanged
    and those in the queue or being sent already."""
    return [r.shipment_id for r in found if r.sync_state not in NOT_QUEUED]


def button_label(n: int) -> str:
    """What the button says it will do: "Send 10 to Accounting"."""
    return f"Send {n} to Accounting" if n else "Send to Accounting"


def after_send(result: BatchResult) -> None:
    """Remember, for the redrawn page, what the send did and what is still selected: the
    label said how many it would send; this says how many it sent."""
    st.session_state.pop(state.SEND_CHOSEN, None)  # the next batch is chosen afresh
    sent = result.count(Outcome.PROCESSED)
    took = len(result.outcomes)
    left = len(common.selected_ids())
    text = f"Sent {sent} of the {took} chosen"
    if took - sent:
        unsent = took - sent
        text += f" ({unsent} not sent {'stays' if unsent == 1 else 'stay'} selected, see below)"
    text += f"; {left} still selected." if left else "; nothing is selected now."
    st.session_state[state.SEND_AFTER] = text


def show_after_send() -> None:
    text = st.session_state.get(state.SEND_AFTER)
    if text:
        st.markdown(f"**{text}**")
