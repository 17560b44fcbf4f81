"""A page's one word on the Xero connection (issue 15 item 8): while no organisation is
connected (none ever, or all disconnected), say so once, name the disconnected ones, what the
page cannot do and the action for the user's role, and let the page leave out what could only
fail or contradict it (Pull payments, the drift check, Send). An organisation that needs
reconnecting is said once by app.py's banner on every page, so not here again."""

from __future__ import annotations

import streamlit as st

from models import ConnectionStatus, XeroConnection
from services import connections
from ui import common
from ui.text import md_text

XERO_STATUS = "dashboard_xero_status"  # the one status box's key, the same on every page
# What each page cannot do while no organisation can be reached.
CONSEQUENCES = {
    "dashboard": (
        "payments are not pulled, nothing is checked against Xero and nothing can be sent",
        " The amounts below are as last pulled.",
    ),
    "send": (
        "nothing can be sent to Xero until one is",
        "",
    ),
    "logs": (
        "nothing can be sent, so Retry sends nothing until one is; the attempts below are as "
        "they were made",
        "",
    ),
    "mapping": (
        "customer and product mappings and the check against Xero's codes need one",
        " The settings below can still be read and saved.",
    ),
    "connect": ("nothing can be sent, pulled or checked", ""),
}


def connected(user: common.CurrentUser, page: str = "dashboard") -> bool:
    """The page's one word on the Xero connection. True when an organisation is connected
    (the page's own actions follow and say the rest); otherwise says once that none can be
    reached, which ones and why, and what to do, and returns False."""
    with common.session() as db_session:
        rows = connections.list_connections(session=db_session)
    if any(r.status != ConnectionStatus.DISCONNECTED for r in rows):
        return True  # connected, or needing reconnecting (app.py's banner says so)
    consequence, after = CONSEQUENCES[page]
    with st.container(key=XERO_STATUS):
        st.warning(f"{_state(rows)}: {consequence}. To fix it, {_fix(user, rows, page)}.{after}")
        if page != "connect" and user.can_edit("connect"):
            label = "Open Connect" if rows else "Connect to Xero"
            st.page_link("pages/connect.py", label=label, icon=":material/link:")
    return False


def _state(rows: list[XeroConnection]) -> str:
    """E.g. "No Xero organisation is connected (Demo Ltd was disconnected)"."""
    if not rows:
        return "No Xero organisation is connected"
    verb = "was" if len(rows) == 1 else "were"
    names = md_text(", ".join(r.tenant_name for r in rows))
    return f"No Xero organisation is connected ({names} {verb} disconnected)"


def _fix(user: common.CurrentUser, rows: list[XeroConnection], page: str) -> str:
    action = "reconnect it" if len(rows) == 1 else "reconnect one" if rows else "connect one"
    if not user.can_edit("connect"):
        return f"ask an admin to {action} on the Connect page"
    if page == "connect":
        return f"{action} with its Reconnect button below"
    return f"{action} on the Connect page (link below)"
