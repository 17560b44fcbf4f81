"""The Shipments page's work in the URL: filters, search, sort, page, selection and the open
shipment. A reload, a shared link, and the browser's Back and Forward find the same work.

How Streamlit (1.67) treats the URL, which shapes this module:
- A write to ``st.query_params`` reaches the browser as one message per write, and the
  browser *pushes* a history entry for it (when the query string differs from the one it
  shows). During a run caused by Back/Forward it *replaces* instead, so forward history
  stays.
- A widget bound with ``bind="query-params"`` writes the URL from the browser with
  ``history.replaceState``: it rewrites the current entry and makes none, so Back could never
  return to the filter before. That is why the page's widgets are not bound: this module
  writes the whole query string once per run, and each change of the work is one entry.
- Back and Forward (``popstate``) rerun the script with the restored URL and mark the run as
  a history navigation; on such a run the URL wins and the widgets are set from it.
  On any other run the session leads: a rerun's URL can lag a click behind (the browser
  applies the last run's URL asynchronously), and taking it then would undo that click.
- A new session (a reload, a pasted link, a new tab) takes everything from the URL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from ui import common, state

Params = dict[str, tuple[str, ...]]

SORTS = ("created", "number", "customer", "due", "status", "sync")  # shipment_table.SORT_LABELS
PAGE_SIZES = (25, 50, 100)
# Each widget's value when the URL does not name it (left out of the URL, but the page).
DEFAULTS: dict[str, Any] = {
    state.SHIP_SEARCH: "",
    state.SHIP_ORGANISATION: None,
    state.SHIP_STATUS: [],
    state.SHIP_SYNC: [],
    state.SHIP_DATE_FROM: None,
    state.SHIP_DATE_TO: None,
    state.SHIP_SORT: SORTS[0],
    state.SHIP_DESCENDING: True,
    state.SHIP_PAGE_SIZE: 50,
    state.SHIP_PAGE: 1,
}

NAMES = (*DEFAULTS, state.URL_SELECTED, state.URL_OPEN)  # the page's URL parameters


def _one(values: tuple[str, ...]) -> str:
    return values[-1] if values else ""


def _date(values: tuple[str, ...]) -> date | None:
    try:
        return date.fromisoformat(_one(values))
    except ValueError:
        return None


def _int_in(choices: tuple[int, ...]) -> Callable[[tuple[str, ...]], int | None]:
    def parse(values: tuple[str, ...]) -> int | None:
        text = _one(values)
        return int(text) if text.isdigit() and int(text) in choices else None

    return parse


def _page(values: tuple[str, ...]) -> int | None:
    text = _one(values)
    return int(text) if text.isdigit() and int(text) >= 1 else None


# How a widget's value is read from the URL (None: not usable, the default is taken).
READERS: dict[str, Callable[[tuple[str, ...]], Any]] = {
    state.SHIP_SEARCH: _one,
    state.SHIP_ORGANISATION: lambda v: _one(v) or None,
    state.SHIP_STATUS: list,
    state.SHIP_SYNC: list,
    state.SHIP_DATE_FROM: _date,
    state.SHIP_DATE_TO: _date,
    state.SHIP_SORT: lambda v: _one(v) if _one(v) in SORTS else None,
    state.SHIP_DESCENDING: lambda v: _one(v) != "false" if _one(v) else None,
    state.SHIP_PAGE_SIZE: _int_in(PAGE_SIZES),
    state.SHIP_PAGE: _page,
}


def _text(key: str, value: Any) -> tuple[str, ...]:
    """A widget's value as URL values; none for its default, so a plain URL stays plain
    (but the page number always: it marks a URL this page wrote, see `ours`)."""
    if key == state.SHIP_PAGE:
        return (str(value or 1),)
    if value is None or value == DEFAULTS[key]:
        return ()
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    if isinstance(value, bool):
        return ("true" if value else "false",)
    if isinstance(value, date):
        return (value.isoformat(),)
    return (str(value),)


def _ids(values: tuple[str, ...]) -> list[int]:
    return [int(part) for part in _one(values).split(",") if part.strip().isdigit()]


def url_now() -> Params:
    """This page's share of the URL the browser shows (for this run)."""
    params = st.query_params
    return {name: tuple(params.get_all(name)) for name in NAMES if params.get_all(name)}


def page_now() -> Params:
    """The work on the page now, as URL parameters."""
    ss = st.session_state
    found = {key: _text(key, ss.get(key, default)) for key, default in DEFAULTS.items()}
    found[state.URL_SELECTED] = (",".join(str(i) for i in common.selected_ids()),)
    opened = ss.get(state.OPEN_SHIPMENT)
    found[state.URL_OPEN] = (str(opened),) if opened is not None else ()
    return {name: values for name, values in found.items() if values and values != ("",)}


def navigated() -> bool:
    """Whether this run is the browser's Back or Forward (Streamlit marks such reruns)."""
    ctx = get_script_run_ctx()
    return bool(ctx is not None and getattr(ctx, "is_history_navigation", False))


def ours(url: Params) -> bool:
    """Whether this page wrote the URL (it always names the table page). Streamlit pushes
    an entry of its own, without the page's parameters, when the user comes to the page from
    the sidebar; Back onto that entry must not clear the user's filters."""
    return state.SHIP_PAGE in url


def _take(url: Params) -> None:
    """Set the widgets, the selection and the open shipment from the URL, before they draw."""
    ss = st.session_state
    for key, read in READERS.items():
        value = read(url[key]) if key in url else None
        ss[key] = DEFAULTS[key] if value is None or value == [] else value
    common.set_selected_ids(_ids(url.get(state.URL_SELECTED, ())))
    opened = _one(url.get(state.URL_OPEN, ()))
    if opened.isdigit():
        ss[state.OPEN_SHIPMENT] = int(opened)
        ss[state.SHIP_TABS] = "Open shipment"
    else:
        ss.pop(state.OPEN_SHIPMENT, None)
    # The table's ticks are redrawn from the selection, never read back from the old page.
    ss.pop(state.TABLE_ROW_IDS, None)


def apply_url() -> None:
    """Before the page draws: a new session, or Back/Forward to a URL this page wrote (not
    the one it wrote last), takes the work from the URL; otherwise the session's own values
    stand (and the URL is rewritten to them after the run). Widgets without a value yet get
    their defaults here (they are drawn without one of their own, so setting them from the
    URL never makes Streamlit warn)."""
    ss = st.session_state
    url = url_now()
    new_session = state.URL_SEEN not in ss
    if (new_session and url) or (navigated() and ours(url) and url != ss.get(state.URL_SEEN)):
        _take(url)
    for key, default in DEFAULTS.items():
        ss.setdefault(key, default)
    ss[state.URL_SEEN] = url


def write_url() -> None:
    """After the page has drawn: the URL says what the page shows, in one write, so the
    browser makes one history entry per change (and none when nothing changed). Other
    parameters in the URL are kept."""
    ss = st.session_state
    wanted = page_now()
    if wanted != url_now():
        others = {k: st.query_params.get_all(k) for k in st.query_params if k not in NAMES}
        st.query_params.from_dict({**others, **{k: list(v) for k, v in wanted.items()}})
    ss[state.URL_SEEN] = wanted
