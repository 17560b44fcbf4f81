"""Pieces more than one page draws: sending a selection and its outcomes, and
integration-log tables with a rejection's details."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from models import IntegrationLog, Outcome, Trigger, as_utc
from services import csv_safety, integration_log, shipments
from services.sync import BatchResult, send_shipments
from ui import common, state, xero_document
from ui.text import md_text

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
    # Latest, or superseded by a later attempt to send the same shipment.
    "Attempt",
]
LATEST, SUPERSEDED = "Latest", "Superseded"


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """E.g. "1 attempt", "3 attempts"."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def attempts_caption(total: int, shown: int) -> str:
    """How many attempts there are and how many the table shows."""
    if shown >= total:
        return f"{counted(total, 'attempt')}, newest first."
    return f"{counted(total, 'attempt')}; the newest {shown} are shown."


def send(ids: list[int], *, trigger: str, user: common.CurrentUser) -> BatchResult | None:
    """Send shipments now, with a progress indicator. Errors are shown, not raised."""
    with st.container(key=state.SEND_PROGRESS):
        bar = st.progress(0.0, text=f"Sending {len(ids)} shipment(s) to Xero…")

    def show_progress(share: float, text: str) -> None:
        bar.progress(min(share, 1.0), text=md_text(text))

    try:
        result = send_shipments(
            shipment_ids=ids,
            trigger=trigger,
            user=user.username,
            progress=show_progress,
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
    """What the send did, in one sentence; "Sent" only when Xero took something."""
    parts = [
        f"{result.count(name)} {name.lower()}"
        for name in (Outcome.PROCESSED, Outcome.REJECTED, Outcome.HELD, Outcome.FAILED, "Skipped")
        if result.count(name)
    ]
    if not parts:
        return "Nothing to send."
    if result.count(Outcome.PROCESSED):
        lead = "Sent"
    elif result.sent_to_xero:
        lead = "Xero took none of them"
    else:
        lead = "Nothing was sent to Xero"
    return f"{lead}: {', '.join(parts)}."


def _calls(result: BatchResult) -> str:
    """The send's API calls, saying so when they only read Xero's codes."""
    calls = counted(result.api_calls, "API call")
    if result.api_calls and result.only_checked:
        return (
            f"{calls}, all reading Xero's codes (contacts, items, accounts, tax rates) to check "
            "the shipments; no document was sent."
        )
    return f"{calls}."


def _outcome_messages(result: BatchResult) -> list[tuple[str, str]]:
    """(kind, text) per shipment: success, error or warning. A document Xero took links to
    its page in Xero. Every word from a shipment or from Xero is shown as text (md_text)."""
    messages = []
    links = _document_links([o.shipment_id for o in result.outcomes if o.document_id])
    for outcome in result.outcomes:
        shipment = md_text(outcome.shipment_number)
        if outcome.outcome == Outcome.PROCESSED:
            number = md_text(outcome.document_number) if outcome.document_number else "(no number)"
            if outcome.shipment_id in links:  # Xero's own deep link, built from IDs
                number = f"[{number}]({links[outcome.shipment_id]})"
            status = f", {md_text(outcome.xero_status)}" if outcome.xero_status else ""
            messages.append(("success", f"{shipment}: Processed — Xero {number}{status}."))
        elif outcome.outcome == Outcome.REJECTED:
            text = "\n".join(f"- {md_text(m)}" for m in outcome.messages or outcome.xero_messages)
            messages.append(("error", f"{shipment}: Rejected\n\n{text}"))
        else:
            reason = md_text(" ".join(outcome.messages)) or "no reason given"
            messages.append(("warning", f"{shipment}: {outcome.outcome} — {reason}"))
    return messages


def _document_links(shipment_ids: list[int]) -> dict[int, str]:
    if not shipment_ids:
        return {}
    codes = xero_document.organisation_short_codes()
    with common.session() as db_session:
        found = shipments.shipments_by_id(session=db_session, shipment_ids=shipment_ids)
        links = {s.id: xero_document.document_url(s, codes) for s in found if s.id is not None}
    return {i: url for i, url in links.items() if url}


def show_last_send() -> None:
    """Each shipment's outcome of the last send in this session."""
    result: BatchResult | None = st.session_state.get(state.LAST_SEND)
    if result is None:
        return
    st.subheader("Last send")
    st.caption(f"{_summary(result)} {_calls(result)} Took {result.duration_ms} ms.")
    show = {"success": st.success, "error": st.error, "warning": st.warning}
    for kind, text in _outcome_messages(result):
        show[kind](text)


def retry(ids: list[int], *, user: common.CurrentUser) -> None:
    """Send shipments again now; the outcomes show at the top of the redrawn page."""
    result = send(ids, trigger=Trigger.RETRY, user=user)
    if result is None:
        return  # the reason is on screen; keep it there
    common.flash("info", f"Retry — {_summary(result)} {_calls(result)}")
    for kind, text in _outcome_messages(result):
        common.flash(kind, text)
    st.rerun()


def latest_attempts(entries: list[IntegrationLog]) -> set[int]:
    """Ids of the entries that are their shipment's newest attempt."""
    with common.session() as db_session:
        return integration_log.latest_ids(
            session=db_session, shipment_ids={e.shipment_id for e in entries if e.shipment_id}
        )


def log_frame(entries: list[IntegrationLog], latest: set[int] | None = None) -> pd.DataFrame:
    """The entries as a table; `latest` (looked up when not given) marks each shipment's
    newest attempt, the others being superseded."""
    latest = latest_attempts(entries) if latest is None else latest
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
            "Attempt": LATEST if e.id in latest else SUPERSEDED,
        }
        for e in entries
    ]
    return pd.DataFrame(rows, columns=LOG_COLUMNS)


def log_csv(entries: list[IntegrationLog], zone: ZoneInfo) -> str:
    """The entries as CSV, each time in ISO 8601 with the zone's offset (e.g.
    2026-11-29T23:03:00+13:00), with Xero's words, the fix and the note."""
    frame = log_frame(entries)
    frame["When"] = [_iso(e.created_at, zone) for e in entries]
    frame = frame.rename(columns={"When": f"When ({zone.key})"})
    words = [integration_log.errors_of(e) for e in entries]
    frame["Xero's words"] = [" | ".join(xero) for xero, _ in words]
    frame["What to fix"] = [" | ".join(plain) for _, plain in words]
    frame["Note"] = [integration_log.note_of(e) for e in entries]
    cells = frame.astype(object).where(frame.notna(), None)  # an empty cell, never "nan"
    return csv_safety.csv_text(columns=list(frame.columns), rows=cells.to_dict("records"))


def _iso(moment: datetime, zone: ZoneInfo) -> str:
    return as_utc(moment).astimezone(zone).isoformat(timespec="seconds")


def rejection_buttons(
    entries: list[IntegrationLog],
    *,
    open_key: str,
    retry_user: common.CurrentUser | None = None,
    retryable: Collection[int] = (),
    latest: set[int] | None = None,
) -> None:
    """A "View error" button per rejected entry; the open one shows its details below it.
    With `retry_user`, a "Retry" button sends a shipment in `retryable` again, on its newest
    attempt only; older ones say a later attempt superseded them."""
    rejected = [e for e in entries if e.outcome == Outcome.REJECTED]
    if not rejected:
        return
    latest = latest_attempts(rejected) if latest is None else latest
    st.markdown("**Rejections**")
    for entry in rejected:
        left, view, again = st.columns([5, 1, 1], vertical_alignment="center")
        newest = entry.id in latest
        left.write(
            f"{md_text(entry.shipment_number)} · {common.local_time(entry.created_at)}"
            + ("" if newest else " · superseded by a later attempt")
        )
        if view.button("View error", key=f"{state.VIEW_ERROR_PREFIX}{entry.id}"):
            same = st.session_state.get(open_key) == entry.id
            st.session_state[open_key] = None if same else entry.id
        if (
            retry_user is not None
            and newest
            and entry.shipment_id is not None
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
        st.markdown(f"- {md_text(sentence)}")
    st.markdown("**Xero's words**")
    if xero_words:
        for sentence in xero_words:
            st.markdown(f"- {md_text(sentence)}")
    elif entry.payload:
        st.caption("Xero's answer gave no reason.")
    else:
        st.caption(_not_sent(entry))
    note = integration_log.note_of(entry)
    if note:
        st.caption(md_text(note))
    st.markdown("**Payload sent**")
    if entry.payload:
        st.json(json.loads(entry.payload), expanded=False)
    else:
        st.caption("Nothing was sent to Xero.")


def _not_sent(entry: IntegrationLog) -> str:
    """Why Xero has no words for a shipment it was never sent, and what its batch's API
    calls (the table's count) were for."""
    text = "Xero was not sent this shipment: Shipbridge found the problem first."
    if not entry.api_calls:
        return text + " Its batch made no API call."
    with common.session() as db_session:
        sent = integration_log.documents_sent(session=db_session, entry=entry)
    calls = counted(entry.api_calls, "API call")
    if sent == 0:
        return (
            f"{text} Its batch's {calls} only read Xero's codes (contacts, items, accounts, "
            "tax rates) to check the shipments; no document was sent."
        )
    others = f" ({counted(sent, 'document')} sent to Xero)" if sent else ""
    return (
        f"{text} The {calls} in the table are its batch's: for the batch's other "
        f"shipments{others}, and for reading Xero's codes when the check needed them."
    )
