"""Shipments whose job stopped in Needs attention: how many, and a Retry (Send to Accounting
and Accounting Logs both show it)."""

from __future__ import annotations

import streamlit as st

from services import queue
from ui import common


def needs_attention(*, key: str, user: common.CurrentUser, can_retry: bool) -> None:
    """The count of shipments that need attention, with Retry when there are any."""
    with common.session() as db_session:
        waiting = len(queue.needing_attention(session=db_session))
    if not waiting:
        return
    text, button = st.columns([4, 1.4], vertical_alignment="center")
    text.warning(
        f"{waiting} shipment(s) need attention: Xero gave no answer after every retry. "
        "Retry puts them back in the queue."
    )
    if can_retry and button.button("Retry", key=key):
        common.save_then_rerun(
            lambda db_session: queue.retry_needing_attention(
                session=db_session, user=user.username
            ),
            f"{waiting} shipment(s) are queued again for the worker.",
        )
