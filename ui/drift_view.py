"""The drift check on screen: the button that runs it, the count of shipments that differ
from Xero, the "Differs from Xero" view, and the differences of one shipment."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models import Role
from services import differences, drift
from ui import common, state
from ui.text import md_text

# Who may start a check from a page: it spends the organisation's Xero calls.
MAY_CHECK = (Role.ADMIN, Role.FINANCE)
KIND_LABELS = {
    differences.TOTAL: "Total",
    differences.CONTACT: "Contact",
    differences.CURRENCY: "Currency",
    differences.LINES: "Lines",
    differences.STATUS: "Status",
    differences.VOIDED: "Voided in Xero",
    differences.DELETED: "Deleted in Xero",
    differences.PAID: "Paid in Xero",
    differences.CANCELLED: "Cancelled here",
}


def check_button(user: common.CurrentUser, *, key: str) -> None:
    """The "Check for differences" button (admins and finance) and what the check found."""
    if user.role not in MAY_CHECK:
        return
    if not st.button("Check for differences from Xero", key=key):
        return
    with st.status("Comparing sent shipments with Xero…") as box:
        try:
            with common.session() as db_session:
                summaries = drift.check_all(session=db_session)
        except Exception as error:  # noqa: BLE001 - shown in plain words below
            box.update(label="The check failed.", state="error")
            common.show_error(error)
            return
        calls = sum(s.api_calls for s in summaries.values())
        box.update(label=f"Checked, {calls} API call(s).", state="complete")
    if not summaries:
        st.info("No Xero organisation is connected: there is nothing to check.")
        return
    for name, summary in summaries.items():
        if summary.error:
            st.error(f"{md_text(name)}: not checked: {md_text(summary.error)}")
        else:
            st.write(
                f"{md_text(name)}: {summary.documents_read} changed document(s) read; "
                f"{summary.shipments_differing} shipment(s) differ from Xero."
            )


def count() -> int:
    """The Dashboard's line: how many shipments differ from Xero."""
    with common.session() as db_session:
        differing = drift.shipments_differing(session=db_session)
    with st.container(key=state.DRIFT_COUNT):
        if differing:
            st.warning(
                f"**{differing} shipment(s) differ from Xero**: see the Differs from Xero tab."
            )
        else:
            st.caption("Every checked shipment agrees with Xero.")
    return differing


def show() -> None:
    """The "Differs from Xero" view: each shipment that differs, with what differs."""
    with common.session() as db_session:
        rows = drift.differing_shipments(session=db_session)
    if not rows:
        st.caption("No sent shipment differs from its document in Xero.")
        return
    with st.container(key=state.DRIFT_TABLE):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Shipment": row.shipment_number,
                        "Xero document": row.document_number or "",
                        "What differs": "; ".join(d.detail for d in row.differences),
                        "Found": common.local_time(max(d.found_at for d in row.differences)),
                    }
                    for row in rows
                ]
            ),
            hide_index=True,
        )
    st.caption(
        "Found by the drift check, which reads what changed in Xero since it last looked. "
        f"Times in {common.local_zone().key}."
    )


def shipment_differences(shipment_id: int) -> None:
    """How one shipment differs from its document in Xero, on the shipment."""
    with common.session() as db_session:
        rows = drift.differences_of(session=db_session, shipment_id=shipment_id)
    if not rows:
        return
    lines = "\n".join(f"- {KIND_LABELS.get(d.kind, d.kind)}: {md_text(d.detail)}" for d in rows)
    st.error(f"**Differs from Xero**\n\n{lines}")
