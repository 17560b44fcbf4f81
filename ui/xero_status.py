"""A page's one word on the Xero connection (issue 15 item 8): while no organisation is
connected, say so once, name the disconnected one and the action to take, and let the page
leave out what could only fail or contradict it (Pull payments, the drift check)."""

from __future__ import annotations

import streamlit as st

from models import ConnectionStatus
from services import connections
from ui import common
from ui.text import md_text

XERO_STATUS = "dashboard_xero_status"


def connected(user: common.CurrentUser) -> bool:
    """The page's one word on the Xero connection (issue 15 item 8). True when an organisation
    is connected (the pull and check buttons follow, and say the rest); otherwise says once
    that none is, which one was disconnected, and what to do, and returns False."""
    with common.session() as db_session:
        rows = connections.list_connections(session=db_session)
    if any(r.status != ConnectionStatus.DISCONNECTED for r in rows):
        return True
    gone = [r.tenant_name for r in rows]
    why = (
        f" ({md_text(', '.join(gone))} {'was' if len(gone) == 1 else 'were'} disconnected)"
        if gone
        else ""
    )
    fix = "reconnect it on the Connect page" if gone else "connect one on the Connect page"
    if user.can_edit("connect"):
        fix = fix.replace("on the Connect page", "on the Connect page (link below)")
    else:
        fix = f"ask an admin to {fix}"
    with st.container(key=XERO_STATUS):
        st.warning(
            f"No Xero organisation is connected{why}: payments are not pulled, nothing is "
            f"checked against Xero and nothing can be sent. To fix it, {fix}. The amounts "
            "below are as last pulled."
        )
        if user.can_edit("connect"):
            st.page_link("pages/connect.py", label="Open Connect", icon=":material/link:")
    return False
