"""Accounting Logs: every attempt to send a shipment, newest first, paged in SQL, with
Xero's words, the plain-words fix and the payload of each rejection; CSV export; Retry one
rejected shipment or all of them."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st
from sqlmodel import select

from models import Outcome, Shipment, SyncState, Trigger
from pages import common, panels, state
from services import integration_log, queue, shipments
from services.integration_log import LogFilter
from services.shipments import ShipmentFilter
from services.sync import MAX_BATCH

PAGE_SIZE = 50


def first_page() -> None:
    st.session_state[state.LOG_PAGE] = 1


def log_filter() -> LogFilter:
    outcome, trigger, who, organisation, since, until = st.columns([1.2, 1.2, 1.2, 1.4, 1, 1])
    tenant_id, _ = common.organisation_filter(
        organisation, key=state.LOG_ORGANISATION, on_change=first_page
    )
    date_from = since.date_input("From", value=None, key=state.LOG_DATE_FROM, on_change=first_page)
    date_to = until.date_input("To", value=None, key=state.LOG_DATE_TO, on_change=first_page)
    return LogFilter(
        outcome=outcome.selectbox(
            "Outcome",
            [o.value for o in Outcome],
            index=None,
            placeholder="Any",
            key=state.LOG_OUTCOME,
            on_change=first_page,
        ),
        trigger=trigger.selectbox(
            "Trigger",
            [t.value for t in Trigger],
            index=None,
            placeholder="Any",
            key=state.LOG_TRIGGER,
            on_change=first_page,
        ),
        user=who.text_input(
            "Who", key=state.LOG_USER, placeholder="user name", on_change=first_page
        ).strip()
        or None,
        tenant_id=tenant_id,
        since=common.start_of_day(date_from) if date_from else None,
        until=common.start_of_day(date_to + timedelta(days=1)) if date_to else None,
    )


def csv_text(flt: LogFilter) -> str:
    """Every entry the filter matches (not just this page)."""
    with common.session() as db_session:
        _, total = integration_log.list_entries(session=db_session, flt=flt, page_size=1)
        entries, _ = integration_log.list_entries(
            session=db_session, flt=flt, page_size=max(total, 1)
        )
    frame = panels.log_frame(entries)
    words = [integration_log.errors_of(e) for e in entries]
    frame["Xero's words"] = [" | ".join(xero) for xero, _ in words]
    frame["What to fix"] = [" | ".join(plain) for _, plain in words]
    frame["Note"] = [e.note or "" for e in entries]
    return frame.to_csv(index=False)


def rejected_now(shipment_ids: set[int]) -> set[int]:
    """Which of these shipments are rejected now (a later send may have fixed the others)."""
    if not shipment_ids:
        return set()
    with common.session() as db_session:
        return set(
            db_session.exec(
                select(Shipment.id).where(
                    Shipment.id.in_(shipment_ids), Shipment.sync_state == SyncState.REJECTED
                )
            )
        )


def retry_all(user: common.CurrentUser) -> None:
    """Every rejected shipment again: sent now when they fit in one batch, else queued."""
    flt = ShipmentFilter(sync_state=[SyncState.REJECTED])
    with common.session() as db_session:
        total = shipments.list_shipments(session=db_session, flt=flt, page_size=1).total
    text, button = st.columns([4, 1.4], vertical_alignment="center")
    if not total:
        text.caption("No shipment is rejected now.")
    elif total <= MAX_BATCH:
        text.caption(f"{total} shipment(s) are rejected now: Retry all rejected sends them again.")
    else:
        text.caption(
            f"{total} shipments are rejected now: Retry all rejected queues them for the "
            f"worker, which sends them {MAX_BATCH} at a time."
        )
    if not button.button("Retry all rejected", key=state.LOG_RETRY_ALL, disabled=not total):
        return
    with common.session() as db_session:
        ids = [
            s.id
            for s in shipments.list_shipments(
                session=db_session, flt=flt, page_size=max(total, 1), sort="created"
            ).rows
        ]
    if len(ids) <= MAX_BATCH:
        panels.retry(ids, user=user)
        return
    common.save_then_rerun(
        lambda db_session: queue.enqueue(
            session=db_session, shipment_ids=ids, trigger=Trigger.RETRY, user=user.username
        ),
        f"{len(ids)} rejected shipments are queued for the worker, which sends them "
        f"{MAX_BATCH} at a time; their outcomes appear here as they go.",
    )


user = common.require("logs")
can_send = user.can_edit("send")
st.title("Accounting Logs")
flt = log_filter()
if can_send:
    retry_all(user)

with common.session() as db_session:
    page = st.session_state.get(state.LOG_PAGE, 1)
    entries, total = integration_log.list_entries(
        session=db_session, flt=flt, page=page, page_size=PAGE_SIZE
    )
    pages = max(1, -(-total // PAGE_SIZE))
    if page > pages:
        page = pages
        entries, total = integration_log.list_entries(
            session=db_session, flt=flt, page=page, page_size=PAGE_SIZE
        )
st.session_state[state.LOG_PAGE] = page

info, number, refresh, export = st.columns([4, 1, 1, 1.2], vertical_alignment="bottom")
info.caption(f"{total} attempt(s) · page {page} of {pages} · times in {common.local_zone().key}")
number.number_input("Page", min_value=1, max_value=pages, step=1, key=state.LOG_PAGE)
refresh.button("Refresh", key=state.LOG_REFRESH)
export.download_button(
    "Export CSV",
    data=lambda: csv_text(flt),
    file_name="accounting-log.csv",
    mime="text/csv",
    key=state.LOG_EXPORT,
    on_click="ignore",
)

if entries:
    with st.container(key=state.LOG_TABLE):
        st.dataframe(panels.log_frame(entries), hide_index=True)
    panels.rejection_buttons(
        entries,
        open_key=state.OPEN_ERROR_LOGS,
        retry_user=user if can_send else None,
        retryable=rejected_now({e.shipment_id for e in entries if e.outcome == Outcome.REJECTED})
        if can_send
        else (),
    )
else:
    st.info("No attempts match: nothing has been sent yet, or the filters leave nothing.")
