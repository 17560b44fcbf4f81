"""Connect: connect, reconnect and disconnect Xero organisations (admins only), and what
went to and came back from each: documents pushed, failing shipments, payments pulled."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from models import ConnectionStatus, XeroConnection
from services import budget, connections
from services.budget import OrganisationUsage
from services.connections import ConnectionActivity, DocumentKinds
from services.settings import get_settings
from services.usage import readable_bytes
from ui import common, data_cache, drift_view, state, users_admin, xero_status
from ui.text import md_text

# A link the browser follows in this tab: st.link_button always opens a new one, and the
# OAuth redirect must come back to this browser tab's cookie-logged-in app.
LINK_STYLE = (
    "display:inline-block;padding:0.5rem 1rem;border-radius:0.5rem;background:#13B5EA;"
    "color:#fff;font-weight:600;text-decoration:none"
)


def start(user: common.CurrentUser) -> None:
    """Create the OAuth state now (only when asked) and offer the link to Xero."""
    url = None
    with common.shown_errors(), common.session() as db_session:
        url = connections.start_connect(
            session=db_session,
            user=user.username,
            login_session_id=st.session_state.get(state.LOGIN_SESSION),
        )
    if url:
        st.session_state[state.CONNECT_URL] = url
        st.session_state.pop(state.OAUTH_RESULT, None)
        st.rerun()


def continue_link(url: str) -> None:
    st.markdown(
        f'<a href="{html.escape(url, quote=True)}" target="_self" style="{LINK_STYLE}">'
        "Continue to Xero</a>",
        unsafe_allow_html=True,
    )
    st.caption(
        "Xero asks which organisations Shipbridge may use, then sends you back here. "
        "The link works once, within 15 minutes."
    )
    st.button(
        "Cancel",
        key=state.CONNECT_CANCEL,
        on_click=st.session_state.pop,
        args=(state.CONNECT_URL, None),
    )


def connection_rows(rows: list[XeroConnection], default: XeroConnection | None) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Organisation": c.tenant_name,
                "Status": c.status,
                "Base currency": c.base_currency or "",
                "Connected by": c.connected_by or "",
                "Connected": common.local_time(c.connected_at),
                "Default": "yes" if default is not None and c.id == default.id else "",
                "Last problem": c.last_error or "",
            }
            for c in rows
        ]
    )


def activity_rows(
    rows: list[XeroConnection],
    activity: dict[int, ConnectionActivity],
    kinds: dict[int, DocumentKinds],
) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Organisation": c.tenant_name,
                "Documents pushed": activity[c.id].documents_pushed,
                "Invoices": kinds[c.id].invoices,
                "Quotes": kinds[c.id].quotes,
                "Credit notes": kinds[c.id].credit_notes,
                "Failing": activity[c.id].failing,
                "Payments pulled": activity[c.id].payments_pulled,
                "Payments pulled at": common.local_time(c.payments_pulled_at),
                "Refreshed from Xero": common.local_time(c.reference_refreshed_at),
            }
            for c in rows
        ]
    )


def usage_rows(rows: list[XeroConnection], used: dict[str, OrganisationUsage]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Organisation": c.tenant_name,
                "Calls today": used[c.tenant_id].calls_today,
                "Left today": f"{used[c.tenant_id].day_left:,} of {used[c.tenant_id].day_limit:,}",
                "Scheduled reads today": (
                    f"{used[c.tenant_id].reads_today:,} of {used[c.tenant_id].read_allowance:,}"
                ),
                "Calls this month": used[c.tenant_id].month_calls,
                "Downloaded this month": readable_bytes(used[c.tenant_id].month_bytes),
            }
            for c in rows
        ]
    )


def usage_by_kind_rows(
    rows: list[XeroConnection], used: dict[str, OrganisationUsage]
) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Organisation": c.tenant_name,
                "Call": kind,
                "Calls": calls,
                "Downloaded": readable_bytes(size),
            }
            for c in rows
            for kind, (calls, size) in used[c.tenant_id].today_by_kind.items()
        ],
        columns=["Organisation", "Call", "Calls", "Downloaded"],
    )


def connect_result() -> tuple[str, str] | None:
    """How the last connect ended. It stays while the admin is on this page; the next thing
    they do here (or another page, see app.py) drops it, so it does not sit above what they
    do next."""
    result = st.session_state.get(state.OAUTH_RESULT)
    if result is not None:
        st.session_state.pop(state.CONNECT_URL, None)  # that link is used up
    return result


def ask_to_disconnect(connection_id: int) -> None:
    st.session_state[state.DISCONNECT_ASKED] = connection_id
    st.session_state.pop(state.OAUTH_RESULT, None)


def disconnect_warning(row: XeroConnection, rows: list[XeroConnection], default) -> str:
    """What disconnecting `row` means for sends, in the admin's words."""
    name = md_text(row.tenant_name)
    text = (
        f"Disconnect {name}? Shipbridge forgets its Xero sign-in: shipments that "
        f"belong to {name} wait in the queue, and are not sent, until you reconnect "
        "it; payments are not pulled from it meanwhile."
    )
    if default is not None and default.id == row.id:
        others = [r for r in rows if r.id != row.id and r.status != ConnectionStatus.DISCONNECTED]
        if others:
            text += (
                f" It is the default organisation: shipments with no organisation of their own "
                f"go to {md_text(others[0].tenant_name)} instead."
            )
        else:
            text += (
                " It is the default organisation and no other is connected: shipments with no "
                "organisation of their own are refused until one is."
            )
    return text + " Invoices and quotes already in Xero stay there, unchanged."


def confirm_disconnect(
    row: XeroConnection, rows: list[XeroConnection], default, user: common.CurrentUser
) -> None:
    st.warning(disconnect_warning(row, rows, default))
    yes, keep, _ = st.columns([1, 1, 3])
    if yes.button("Yes, disconnect", key=state.DISCONNECT_CONFIRM, type="primary"):
        disconnect(row, user)
    keep.button(
        "Cancel",
        key=state.DISCONNECT_KEEP,
        on_click=st.session_state.pop,
        args=(state.DISCONNECT_ASKED, None),
    )


def disconnect(row: XeroConnection, user: common.CurrentUser) -> None:
    st.session_state.pop(state.DISCONNECT_ASKED, None)
    change_connection(
        row, user, connections.disconnect, f"Disconnected {md_text(row.tenant_name)}."
    )


def make_default(row: XeroConnection, user: common.CurrentUser) -> None:
    st.session_state.pop(state.OAUTH_RESULT, None)
    change_connection(
        row,
        user,
        connections.make_default,
        f"{md_text(row.tenant_name)} is now the default organisation: shipments with no "
        "organisation of their own go to it.",
    )


def change_connection(row: XeroConnection, user: common.CurrentUser, change, done: str) -> None:
    """`change(session=, connection=, user=)` on the organisation's row as it is now (the page
    holds an older copy), then rerun saying `done`."""
    common.save_then_rerun(
        lambda db_session: change(
            session=db_session,
            connection=connections.get_connection(session=db_session, connection_id=row.id),
            user=user.username,
        ),
        done,
    )


user = common.require("connect")
st.title("Xero connections")
settings = get_settings()
if settings.uses_sandbox:
    st.info(
        f"Using the local Xero sandbox at {settings.api_url}: no Xero app credentials "
        "(XERO_CLIENT_ID and XERO_CLIENT_SECRET) are configured."
    )
else:
    st.caption(f"Using Xero at {settings.api_url}; Xero sends you back to {settings.redirect_uri}")

if result := connect_result():
    kind, text = result
    (st.success if kind == "success" else st.error)(text)

url = st.session_state.get(state.CONNECT_URL)
if url:
    continue_link(url)
elif st.button("Connect to Xero", key=state.CONNECT_START, type="primary"):
    start(user)
with st.expander("What Shipbridge asks Xero for"):
    st.markdown(
        "\n".join(
            f"- `{scope}`" + (f": {purpose}" if purpose else "")
            for scope, purpose in settings.scope_purposes()
        )
    )

with common.session() as db_session:
    rows = connections.list_connections(session=db_session)
    default = connections.default_connection(session=db_session)
    used = budget.organisation_usage(session=db_session, organisations=rows)
if not rows:
    users_admin.first_steps()
    users_admin.section(user)
    st.stop()

live = xero_status.connected(user, "connect")  # one word on the connection, said once
st.dataframe(connection_rows(rows, default), hide_index=True)
can_edit = user.can_edit("connect")
asked = st.session_state.get(state.DISCONNECT_ASKED)
for row in rows:
    name, choose, action = st.columns([4, 1, 1], vertical_alignment="center")
    name.write(f"{md_text(row.tenant_name)} — {row.status}")
    active = row.status == ConnectionStatus.ACTIVE
    if default is not None and row.id == default.id:
        choose.caption("Default")
    elif (
        active
        and can_edit
        and choose.button("Make default", key=f"{state.MAKE_DEFAULT_PREFIX}{row.id}")
    ):
        make_default(row, user)
    if active:
        action.button(
            "Disconnect",
            key=f"{state.DISCONNECT_PREFIX}{row.id}",
            on_click=ask_to_disconnect,
            args=(row.id,),
        )
        if asked == row.id:
            confirm_disconnect(row, rows, default, user)
    elif action.button("Reconnect", key=f"{state.RECONNECT_PREFIX}{row.id}"):
        start(user)
st.caption(
    "The default organisation is where shipments with no organisation of their own go. "
    "A shipment already in Xero stays with its organisation when the default changes."
)

st.subheader("To and from Xero")
st.dataframe(activity_rows(rows, *data_cache.activity(rows)), hide_index=True)
if live:  # with none connected there is nothing to check (said above)
    drift_view.check_button(user, key=state.DRIFT_CHECK_CONNECT)
st.caption(
    "Documents pushed: shipments in Xero (invoices and quotes by kind; credit notes raised "
    "for cancelled ones). Failing: shipments rejected, waiting to be fixed. "
    "Shipments with no organisation of their own go to the default one and count there. "
    f"Times in {common.local_zone().key}."
)

st.subheader("Xero calls and data")
st.dataframe(usage_rows(rows, used), hide_index=True)
st.caption(
    f"Xero allows each organisation {budget.day_limit(settings):,} calls a day on this app's "
    f"{settings.xero_pricing_tier.title()} tier; scheduled reads (payments, reference data, "
    "drift checks) take at most their share and slow down as it runs out, so sends keep the "
    "rest. Xero prices apps by data downloaded: days and months are UTC."
)
st.dataframe(usage_by_kind_rows(rows, used), hide_index=True)
st.caption("What today's calls went to, per organisation.")

users_admin.section(user)
