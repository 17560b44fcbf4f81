"""Accounting Logs: every attempt to send a shipment, newest first, paged in SQL, with
Xero's words, the plain-words fix and the payload of each rejection; CSV export; Retry one
rejected shipment or all of them."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import streamlit as st

from models import Outcome, SyncState, Trigger
from services import integration_log, queue, shipments
from services.integration_log import LogFilter
from services.paging import Page
from services.shipments import ShipmentFilter
from services.sync import batch_size
from ui import attention, common, data_cache, panels, state, xero_status
from ui.text import md_text

PAGE_SIZE = 50
OUTCOME_PARAM = "outcome"  # ?outcome=Rejected opens the page filtered to that outcome


def first_page() -> None:
    st.session_state[state.LOG_PAGE] = 1


def outcome_from_link() -> None:
    """A link here may ask for one outcome (e.g. ?outcome=Rejected from the Send page's
    queue): set the filter to it once, then leave the filter to the user."""
    asked = st.query_params.get(OUTCOME_PARAM)
    if asked is None:
        return
    del st.query_params[OUTCOME_PARAM]
    if asked in {o.value for o in Outcome}:
        st.session_state[state.LOG_OUTCOME] = asked
        first_page()


def who_filter(column) -> str | None:
    """Everyone who appears in the log, by the name the sidebar shows; filters by username."""
    names = dict(data_cache.log_users())
    chosen = st.session_state.get(state.LOG_USER)
    if chosen and chosen not in names:
        names[chosen] = chosen  # kept while chosen, e.g. when nothing matches any more
    return column.selectbox(
        "Who",
        list(names),
        index=None,
        placeholder="Anyone",
        format_func=lambda username: (
            names[username] if names[username] == username else f"{names[username]} ({username})"
        ),
        key=state.LOG_USER,
        on_change=first_page,
    )


def any_one(box, label: str, choices: type[StrEnum], *, key: str) -> str | None:
    """A filter on one of `choices`, or none (Any); changing it goes back to page one."""
    values = [c.value for c in choices]
    return box.selectbox(
        label, values, index=None, placeholder="Any", key=key, on_change=first_page
    )


def log_filter() -> LogFilter:
    # Two rows, so dates and names are readable at a laptop's width.
    outcome, trigger, who = st.columns(3)
    organisation, since, until = st.columns(3)
    tenant_id, _ = common.organisation_filter(
        organisation, key=state.LOG_ORGANISATION, on_change=first_page
    )
    date_from = since.date_input("From", value=None, key=state.LOG_DATE_FROM, on_change=first_page)
    date_to = until.date_input("To", value=None, key=state.LOG_DATE_TO, on_change=first_page)
    return LogFilter(
        outcome=any_one(outcome, "Outcome", Outcome, key=state.LOG_OUTCOME),
        trigger=any_one(trigger, "Trigger", Trigger, key=state.LOG_TRIGGER),
        user=who_filter(who),
        tenant_id=tenant_id,
        since=common.start_of_day(date_from) if date_from else None,
        until=common.start_of_day(date_to + timedelta(days=1)) if date_to else None,
    )


def csv_text(flt: LogFilter, zone: ZoneInfo) -> str:
    """Every entry the filter matches (not just this page), times in `zone` (the user's,
    taken while the page is drawn: Streamlit builds the file later, outside the page run,
    where the browser's time zone is not known)."""
    with common.session() as db_session:
        _, total = integration_log.list_entries(session=db_session, flt=flt, page_size=1)
        entries, _ = integration_log.list_entries(
            session=db_session, flt=flt, page_size=max(total, 1)
        )
    return panels.log_csv(entries, zone)


def rejected_now(shipment_ids: set[int]) -> set[int]:
    """Which of these shipments are rejected now (a later send may have fixed the others)."""
    with common.session() as db_session:
        return shipments.rejected_among(session=db_session, shipment_ids=shipment_ids)


def retry_all(user: common.CurrentUser) -> None:
    """Every rejected shipment again: sent now when they fit in one batch, else queued."""
    flt = ShipmentFilter(sync_state=[SyncState.REJECTED])
    with common.session() as db_session:
        total = shipments.list_shipments(session=db_session, flt=flt, page_size=1).total
    text, button = st.columns([4, 1.4], vertical_alignment="center")
    if not total:
        text.caption("No shipment is rejected now.")
    elif total <= batch_size():
        text.caption(f"{total} shipment(s) are rejected now: Retry all rejected sends them again.")
    else:
        text.caption(
            f"{total} shipments are rejected now: Retry all rejected queues them for the "
            f"worker, which sends them {batch_size()} at a time."
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
    if len(ids) <= batch_size():
        panels.retry(ids, user=user)
        return

    def work(db_session) -> None:
        answer = queue.enqueue(
            session=db_session, shipment_ids=ids, trigger=Trigger.RETRY, user=user.username
        )
        common.flash(
            "success",
            f"{len(ids) - len(answer.cancelling)} rejected shipments are queued for the "
            f"worker, which sends them {batch_size()} at a time; their outcomes appear here "
            "as they go.",
        )
        if answer.cancelling:
            waiting = shipments.shipments_by_id(session=db_session, shipment_ids=answer.cancelling)
            numbers = [s.shipment_number for s in waiting]
            common.flash(
                "warning", f"Not queued: {md_text(', '.join(numbers))}. {queue.CANCELLATION_WAITS}"
            )

    common.save_then_rerun(work)


user = common.require("logs")
can_send = user.can_edit("send")
st.title("Accounting Logs")
xero_status.connected(user, "logs")  # one word on the connection, said once
outcome_from_link()
flt = log_filter()
if can_send:
    retry_all(user)
attention.needs_attention(key=state.LOG_RETRY_ATTENTION, user=user, can_retry=can_send)

total = data_cache.log_count(flt)  # a count over the log, kept per log version
with common.session() as db_session:
    page = st.session_state.get(state.LOG_PAGE, 1)
    entries, total = integration_log.list_entries(
        session=db_session, flt=flt, page=page, page_size=PAGE_SIZE, total=total
    )
    # A page past the last (the filter shrank the result) was read as the last.
    shown = Page(page, PAGE_SIZE, total).clamped()
    page, pages = shown.number, shown.count
st.session_state[state.LOG_PAGE] = page

info, number, refresh, export = st.columns([4, 1, 1, 1.2], vertical_alignment="bottom")
zone = common.local_zone()
info.caption(f"{panels.counted(total, 'attempt')} · page {page} of {pages} · times in {zone.key}")
number.number_input("Page", min_value=1, max_value=pages, step=1, key=state.LOG_PAGE)
refresh.button("Refresh", key=state.LOG_REFRESH)
export.download_button(
    "Export CSV",
    data=lambda: csv_text(flt, zone),
    file_name="accounting-log.csv",
    mime="text/csv",
    key=state.LOG_EXPORT,
    on_click="ignore",
)

if entries:
    latest = panels.latest_attempts(entries)
    with st.container(key=state.LOG_TABLE):
        st.dataframe(panels.log_frame(entries, latest), hide_index=True)
    if any(e.id not in latest for e in entries):
        st.caption(
            "Superseded: a later attempt to send the same shipment exists; Retry is offered "
            "only on a shipment's latest attempt, while it is still rejected."
        )
    panels.rejection_buttons(
        entries,
        open_key=state.OPEN_ERROR_LOGS,
        retry_user=user if can_send else None,
        retryable=rejected_now({e.shipment_id for e in entries if e.outcome == Outcome.REJECTED})
        if can_send
        else (),
        latest=latest,
    )
else:
    st.info("No attempts match: nothing has been sent yet, or the filters leave nothing.")
