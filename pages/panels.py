"""Pieces more than one page draws: sending a selection and its outcomes, and
integration-log tables with a rejection's details."""

from __future__ import annotations

import json
from collections.abc import Collection

import pandas as pd
import streamlit as st
from sqlmodel import select

from models import IntegrationLog, Outcome, Shipment, Trigger
from pages import common, state, xero_document
from services import integration_log
from services.sync import BatchResult, send_shipments

LOG_COLUMNS = [
    "When",
    "Shipment",
    "Trigger",
    "Who",
    "Document",
    "Action",
    "Outcome",
    "Xero number",
    # A batch is one call for up to ten shipments: each of its entries shows the batch's calls.
    "API calls (batch)",
]


def send(ids: list[int], *, trigger: str, user: common.CurrentUser) -> BatchResult | None:
    """Send shipments now, with a progress indicator. Errors are shown, not raised."""
    with st.container(key=state.SEND_PROGRESS):
        bar = st.progress(0.0, text=f"Sending {len(ids)} shipment(s) to Xero…")
    try:
        result = send_shipments(
            shipment_ids=ids,
            trigger=trigger,
            user=user.username,
            progress=lambda share, text: bar.progress(min(share, 1.0), text=text),
        )
    except Exception as error:  # noqa: BLE001 - shown in plain words below the progress
        bar.empty()
        common.show_error(error)
        return None
    st.session_state[state.LAST_SEND] = result
    # Processed shipments leave the selection; rejected ones stay to be fixed and resent.
    done = {o.shipment_id for o in result.outcomes if o.outcome == Outcome.PROCESSED}
    common.set_selected_ids(i for i in common.selected_ids() if i not in done)
    return result


def _summary(result: BatchResult) -> str:
    parts = [
        f"{result.count(name)} {name.lower()}"
        for name in (Outcome.PROCESSED, Outcome.REJECTED, Outcome.HELD, Outcome.FAILED, "Skipped")
        if result.count(name)
    ]
    return "Sent: " + (", ".join(parts) or "nothing to send") + "."


def _outcome_messages(result: BatchResult) -> list[tuple[str, str]]:
    """(kind, text) per shipment: success, error or warning. A document Xero took links to
    its page in Xero."""
    messages = []
    links = _document_links([o.shipment_id for o in result.outcomes if o.document_id])
    for outcome in result.outcomes:
        if outcome.outcome == Outcome.PROCESSED:
            number = outcome.document_number or "(no number)"
            if outcome.shipment_id in links:
                number = f"[{number}]({links[outcome.shipment_id]})"
            status = f", {outcome.xero_status}" if outcome.xero_status else ""
            messages.append(
                ("success", f"{outcome.shipment_number}: Processed — Xero {number}{status}.")
            )
        elif outcome.outcome == Outcome.REJECTED:
            text = "\n".join(f"- {m}" for m in outcome.messages or outcome.xero_messages)
            messages.append(("error", f"{outcome.shipment_number}: Rejected\n\n{text}"))
        else:
            reason = " ".join(outcome.messages) or "no reason given"
            messages.append(("warning", f"{outcome.shipment_number}: {outcome.outcome} — {reason}"))
    return messages


def _document_links(shipment_ids: list[int]) -> dict[int, str]:
    if not shipment_ids:
        return {}
    codes = xero_document.organisation_short_codes()
    with common.session() as db_session:
        found = db_session.exec(select(Shipment).where(Shipment.id.in_(shipment_ids))).all()
        links = {s.id: xero_document.document_url(s, codes) for s in found}
    return {i: url for i, url in links.items() if url}


def show_last_send() -> None:
    """Each shipment's outcome of the last send in this session."""
    result: BatchResult | None = st.session_state.get(state.LAST_SEND)
    if result is None:
        return
    st.subheader("Last send")
    st.caption(f"{_summary(result)} {result.api_calls} API call(s), {result.duration_ms} ms.")
    show = {"success": st.success, "error": st.error, "warning": st.warning}
    for kind, text in _outcome_messages(result):
        show[kind](text)


def retry(ids: list[int], *, user: common.CurrentUser) -> None:
    """Send shipments again now; the outcomes show at the top of the redrawn page."""
    result = send(ids, trigger=Trigger.RETRY, user=user)
    if result is None:
        return  # the reason is on screen; keep it there
    common.flash("info", f"Retry — {_summary(result)} {result.api_calls} API call(s).")
    for kind, text in _outcome_messages(result):
        common.flash(kind, text)
    st.rerun()


def log_frame(entries: list[IntegrationLog]) -> pd.DataFrame:
    rows = [
        {
            "When": common.local_time(e.created_at),
            "Shipment": e.shipment_number or "",
            "Trigger": e.trigger,
            "Who": e.triggered_by or "",
            "Document": e.document_type or "",
            "Action": e.action or "",
            "Outcome": e.outcome,
            "Xero number": e.document_number or "",
            "API calls (batch)": e.api_calls,
        }
        for e in entries
    ]
    return pd.DataFrame(rows, columns=LOG_COLUMNS)


def rejection_buttons(
    entries: list[IntegrationLog],
    *,
    open_key: str,
    retry_user: common.CurrentUser | None = None,
    retryable: Collection[int] = (),
) -> None:
    """A "View error" button per rejected entry; the open one shows its details below it.
    With `retry_user`, a "Retry" button sends the shipments in `retryable` again."""
    rejected = [e for e in entries if e.outcome == Outcome.REJECTED]
    if not rejected:
        return
    st.markdown("**Rejections**")
    for entry in rejected:
        left, view, again = st.columns([5, 1, 1], vertical_alignment="center")
        left.write(f"{entry.shipment_number} · {common.local_time(entry.created_at)}")
        if view.button("View error", key=f"{state.VIEW_ERROR_PREFIX}{entry.id}"):
            same = st.session_state.get(open_key) == entry.id
            st.session_state[open_key] = None if same else entry.id
        if (
            retry_user is not None
            and entry.shipment_id in retryable
            and again.button("Retry", key=f"{state.LOG_RETRY_PREFIX}{entry.id}")
        ):
            retry([entry.shipment_id], user=retry_user)
        if st.session_state.get(open_key) == entry.id:
            with st.container(border=True):
                show_error(entry)


def show_error(entry: IntegrationLog) -> None:
    """Xero's words, the plain words with the fix, and the payload that was sent."""
    xero_words, plain_words = integration_log.errors_of(entry)
    st.markdown("**What to fix**")
    for sentence in plain_words or ["No explanation was recorded."]:
        st.markdown(f"- {sentence}")
    st.markdown("**Xero's words**")
    if xero_words:
        for sentence in xero_words:
            st.markdown(f"- {sentence}")
    else:
        st.caption("Xero was not asked: Shipbridge found the problem before sending.")
    if entry.note:
        st.caption(entry.note)
    st.markdown("**Payload sent**")
    if entry.payload:
        st.json(json.loads(entry.payload), expanded=False)
    else:
        st.caption("Nothing was sent to Xero.")
