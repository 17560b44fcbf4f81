"""The Shipments page's selection and open shipment in the URL (the filters, sort and page
are widgets bound to it): a reload, a shared link and back/forward find the same work.

A new session (a reload, a shared or pasted link, a new tab) takes them from the URL; after
that the session's own state leads and is written back to the URL after each run. (A rerun's
URL can lag behind the session's by a click, as the browser applies the last run's URL
asynchronously: reading it back on every run would undo that click.) Back and forward keep
the work too: the page left and the page returned to are both this session's."""

from __future__ import annotations

import streamlit as st

from ui import common, state


def _ids(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip().isdigit()]


def _read() -> tuple[str, str]:
    params = st.query_params
    return params.get(state.URL_SELECTED, ""), params.get(state.URL_OPEN, "")


def apply_url() -> None:
    """Before the page first draws in a session: the selection and open shipment the URL
    names."""
    ss = st.session_state
    url = _read()
    if state.URL_SEEN in ss or url == ("", ""):
        return
    selected, opened = url
    common.set_selected_ids(_ids(selected))
    if opened.isdigit():
        ss[state.OPEN_SHIPMENT] = int(opened)
        ss[state.SHIP_TABS] = "Open shipment"
    ss[state.URL_SEEN] = url


def write_url() -> None:
    """After the page has drawn: the URL says what is selected and open now."""
    ss = st.session_state
    opened = ss.get(state.OPEN_SHIPMENT)
    url = (",".join(str(i) for i in common.selected_ids()), "" if opened is None else str(opened))
    if url == _read():
        ss[state.URL_SEEN] = url
        return
    for name, value in zip((state.URL_SELECTED, state.URL_OPEN), url, strict=True):
        if value:
            st.query_params[name] = value
        elif name in st.query_params:
            del st.query_params[name]
    ss[state.URL_SEEN] = url
