"""Accounting Logs: every attempt to send a shipment, newest first, paged in SQL, with
Xero's words, the plain-words fix and the payload of each rejection; CSV export."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from models import Outcome, Trigger
from pages import common, panels, state
from services import integration_log
from services.integration_log import LogFilter

PAGE_SIZE = 50


def first_page() -> None:
    st.session_state[state.LOG_PAGE] = 1


def log_filter() -> LogFilter:
    outcome, trigger, who, since, until = st.columns([1.2, 1.2, 1.2, 1, 1])
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


common.require("logs")
st.title("Accounting Logs")
flt = log_filter()

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
    panels.rejection_buttons(entries, open_key=state.OPEN_ERROR_LOGS)
else:
    st.info("No attempts match: nothing has been sent yet, or the filters leave nothing.")
