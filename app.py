"""Shipbridge's only router: the database, login, the pages the user's role may open,
the Xero OAuth callback, and the reconnect banner."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

import streamlit as st
import streamlit_authenticator as stauth

from services import connections, users
from services.db import get_engine, migrate
from services.observability import configure_logging
from services.settings import get_settings
from ui import common, state

log = logging.getLogger("shipbridge.ui")

# For this long after Xero sent the browser back, the default page means Connect.
OAUTH_LANDING_SECONDS = 10
# For this long a refused page's explanation stays on the page the user landed on.
REFUSED_SECONDS = 10
# The keys streamlit-authenticator's cookie manager gives its set / delete components.
COOKIE_SET_KEY, COOKIE_DELETE_KEY = "set", "delete"
# Page key (as in services.users.PAGES_BY_ROLE) -> (file, title, icon).
PAGES = {
    "dashboard": ("pages/dashboard.py", "Dashboard", ":material/monitoring:"),
    "shipments": ("pages/shipments.py", "Shipments", ":material/local_shipping:"),
    "send": ("pages/send.py", "Send to Accounting", ":material/send:"),
    "logs": ("pages/logs.py", "Accounting Logs", ":material/receipt_long:"),
    "mapping": ("pages/mapping.py", "Mapping", ":material/tune:"),
    "connect": ("pages/connect.py", "Connect", ":material/link:"),
}
# Kept only for the user who set them; dropped at logout.
PER_USER_KEYS = (
    state.SELECTED_IDS,
    state.TABLE_ROW_IDS,
    state.LAST_SEND,
    state.CONNECT_URL,
    state.OAUTH_RESULT,
    state.OAUTH_FINISHED_AT,
    state.OPEN_ERROR_LOGS,
    state.OPEN_ERROR_SHIPMENT,
    state.ROLE,
    state.DISCONNECT_ASKED,
    state.PUSH_PENDING,
    state.REFUSED_PAGE,
    *state.KEPT_ACROSS_PAGES,
)


@st.cache_resource(show_spinner=False)
def _logs_configured() -> bool:
    """JSON logs for this Streamlit process, set up once, not on every rerun."""
    configure_logging(process="app")
    return True


@st.cache_resource(show_spinner=False)
def _migrated(database_url: str) -> str:
    """Bring the schema up to date once per process (and per database)."""
    migrate(get_engine())
    return database_url


def _authenticator(credentials: dict) -> stauth.Authenticate:
    return stauth.Authenticate(
        credentials,
        cookie_name="shipbridge_auth",
        cookie_key=get_settings().cookie_key,
        cookie_expiry_days=1,
        auto_hash=False,
        # The cookie is read from the request, so there is nothing to wait for.
        login_sleep_time=0,
    )


def _log_in_from_cookie(authenticator: stauth.Authenticate) -> None:
    try:
        authenticator.login(location="unrendered")
    except stauth.LoginError as error:  # a cookie for a user who no longer exists
        log.info("Cookie login refused: %s", error)
        authenticator.authentication_controller.logout()


def _keep_cookie_in_step(authenticator: stauth.Authenticate) -> None:
    """Write or delete the login cookie until the browser says it has.

    An invisible component does it in the browser and answers True when done; a rerun that
    starts before the browser has drawn it would drop it, so it is drawn on every run until
    that answer comes (Streamlit keeps the answer under the component's key). It sits in a
    container that every run draws, so the page's own elements keep their places (and a tab
    the user opened stays open) whether it is there or not."""
    logged_in = bool(st.session_state.get(state.AUTH_STATUS))
    with st.container(key=state.COOKIE_BOX, border=False):
        if st.session_state.get(state.SET_COOKIE):
            if st.session_state.get(COOKIE_SET_KEY) is True or not logged_in:
                st.session_state[state.SET_COOKIE] = False
            else:
                authenticator.cookie_controller.set_cookie()
        if st.session_state.get(state.DELETE_COOKIE):
            if st.session_state.get(COOKIE_DELETE_KEY) is True or logged_in:
                st.session_state[state.DELETE_COOKIE] = False
            else:
                authenticator.cookie_controller.delete_cookie()


def _role_of_logged_in_user(authenticator: stauth.Authenticate) -> str | None:
    if not st.session_state.get(state.AUTH_STATUS):
        return None
    with common.session() as db_session:
        role = users.role_of(session=db_session, username=st.session_state.get(state.AUTH_USERNAME))
    if role is None:  # the user was removed while logged in
        authenticator.authentication_controller.logout()
    st.session_state[state.ROLE] = role
    return role


def _login_page(authenticator: stauth.Authenticate, has_users: bool):
    def login() -> None:
        st.title("Shipbridge")
        if not has_users:
            st.info(
                "No users exist yet: load the demo with `python -m services.cli seed-demo`, "
                "or add one with `python -m services.cli create-user`."
            )
        try:
            authenticator.login(location="main", key=state.LOGIN_FORM)
        except stauth.LoginError as error:
            st.error(str(error))
        status = st.session_state.get(state.AUTH_STATUS)
        if status is False:
            st.error("Username or password is incorrect.")
        elif status:
            # Draw the signed-in app on a clean run; the cookie is written there.
            st.session_state[state.SET_COOKIE] = True
            st.session_state[state.DELETE_COOKIE] = False
            st.rerun()

    return login


def _log_out(authenticator: stauth.Authenticate) -> None:
    authenticator.authentication_controller.logout()
    st.session_state[state.DELETE_COOKIE] = True
    st.session_state[state.SET_COOKIE] = False
    for key in PER_USER_KEYS:
        st.session_state.pop(key, None)


def _sidebar(user: common.CurrentUser, authenticator: stauth.Authenticate) -> None:
    with st.sidebar:
        st.markdown(f"**{user.name}**")
        st.caption(f"Role: {user.role}")
        st.button("Logout", key=state.LOGOUT_BUTTON, on_click=_log_out, args=(authenticator,))


def _finish_oauth(user: common.CurrentUser, connect_page: st.Page | None) -> None:
    """Xero sent the browser back to the app's root with ?code&state (or ?error).

    The result stays in session state for the Connect page: the browser may rerun this
    URL once more before it learns the new one, and that rerun must not lose it."""
    params = st.query_params
    code, oauth_state, error = params.get("code"), params.get("state"), params.get("error")
    if not (error or (code and oauth_state)):
        return
    if connect_page is None:
        st.query_params.clear()
        common.flash("error", "Only an admin can connect Xero organisations.")
        return
    if st.session_state.get(state.OAUTH_FINISHED) != (oauth_state or error):
        st.session_state[state.OAUTH_FINISHED] = oauth_state or error
        st.session_state[state.OAUTH_RESULT] = _oauth_result(user, code, oauth_state, error)
        st.session_state[state.OAUTH_FINISHED_AT] = time.monotonic()
    st.query_params.clear()
    st.switch_page(connect_page)


def _stay_on_connect(current: st.Page, connect_page: st.Page | None) -> None:
    """Just after Xero sent the browser back, a rerun the browser had asked for before it
    learnt the Connect page's URL (the login cookie's, say) lands on the default page: take
    it back to Connect, where the connection's result is shown."""
    finished = st.session_state.get(state.OAUTH_FINISHED_AT)
    if connect_page is None or finished is None or current.url_path != "":
        return
    if time.monotonic() - finished < OAUTH_LANDING_SECONDS:
        st.switch_page(connect_page)
    st.session_state.pop(state.OAUTH_FINISHED_AT, None)


def _oauth_result(
    user: common.CurrentUser, code: str | None, oauth_state: str | None, error: str | None
) -> tuple[str, str]:
    if error == "access_denied":
        return "error", "Xero access was not allowed."
    if error:
        return "error", f"Xero did not connect: {st.query_params.get('error_description', error)}."
    try:
        with common.session() as db_session:
            connected = connections.finish_connect(
                session=db_session, code=code, state=oauth_state, user=user.username
            )
            names = ", ".join(c.tenant_name for c in connected)
        return "success", f"Connected to {names}"
    except Exception as problem:  # noqa: BLE001 - plain words, never a traceback
        return "error", common.error_message(problem, where="finishing the Xero connection")


def _keep_filters() -> None:
    """Keep the filters' values while the user is on another page: Streamlit drops a
    widget's state at the end of a run that does not draw it, unless the script has set the
    key itself in that run."""
    for key in state.KEPT_ACROSS_PAGES:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def _say_why_not_that_page(role: str, landed: st.Page) -> None:
    """A URL (or a link from another role's session) asked for a page this role may not open:
    Streamlit shows the first page instead; say so. A new browser session reruns by itself
    a moment later (the cookie component answering), so the words stay for REFUSED_SECONDS
    while the user is still on the page they landed on."""
    refused = _refused_page(role)
    if refused is not None:
        text = f"Your role ({role}) cannot open {refused}; here is {landed.title}."
        st.session_state[state.REFUSED_PAGE] = (text, landed.url_path, time.monotonic())
    shown = st.session_state.get(state.REFUSED_PAGE)
    if shown is None:
        return
    text, url_path, since = shown
    if url_path != landed.url_path or time.monotonic() - since > REFUSED_SECONDS:
        st.session_state.pop(state.REFUSED_PAGE, None)
        return
    st.info(text)


def _refused_page(role: str) -> str | None:
    """The title of the page the browser's URL asked for, when this role may not open it."""
    url = st.context.url  # None when the browser did not say
    if not url:
        return None
    # A page's URL path is its file's name (the key in PAGES), the last segment of the path
    # (after any base path the app is served under). Streamlit leaves the path of a page it
    # did not register (another role's) as the browser sent it.
    asked = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    if asked in PAGES and asked not in users.PAGES_BY_ROLE.get(role, ()):
        return PAGES[asked][1]
    return None


def _reconnect_banner(user: common.CurrentUser, connect_page: st.Page | None) -> None:
    with common.session() as db_session:
        names = [c.tenant_name for c in connections.needing_reconnect(session=db_session)]
    if not names:
        return
    text = (
        f"Xero needs reconnecting: {', '.join(names)}. Sends for it wait in the queue until then."
    )
    if connect_page is not None:
        st.error(text)
        st.page_link(connect_page, label="Reconnect", icon=":material/link:")
    else:
        st.error(text + " Ask an admin to reconnect it on the Connect page.")


def main() -> None:
    st.set_page_config(page_title="Shipbridge", layout="wide")
    _logs_configured()
    try:
        _migrated(get_settings().database_url)
        with common.session() as db_session:
            credentials = users.credentials(session=db_session)
    except Exception as error:  # noqa: BLE001 - plain words, never a traceback
        log.error("The database cannot be opened", exc_info=error)
        st.error(
            f"Shipbridge cannot open its database ({type(error).__name__}): check DATABASE_URL "
            "and that the database server is running, then reload the page."
        )
        st.stop()
    authenticator = _authenticator(credentials)
    _log_in_from_cookie(authenticator)
    _keep_cookie_in_step(authenticator)
    role = _role_of_logged_in_user(authenticator)

    if role is None:
        # Anonymous: the login form and nothing else.
        has_users = bool(credentials["usernames"])
        login = st.Page(_login_page(authenticator, has_users), title="Log in", default=True)
        st.navigation([login], position="hidden").run()
        return

    user = common.current_user()
    allowed = users.PAGES_BY_ROLE.get(role, ())
    pages = {
        key: st.Page(PAGES[key][0], title=PAGES[key][1], icon=PAGES[key][2], default=n == 0)
        for n, key in enumerate(allowed)
    }
    navigation = st.navigation(list(pages.values()))
    _sidebar(user, authenticator)
    _finish_oauth(user, pages.get("connect"))
    _stay_on_connect(navigation, pages.get("connect"))
    if navigation.url_path != "connect":  # the admin moved on: the connect result is over
        st.session_state.pop(state.OAUTH_RESULT, None)
    _reconnect_banner(user, pages.get("connect"))
    common.show_flashes()
    _say_why_not_that_page(role, navigation)
    _keep_filters()
    try:
        navigation.run()
    except Exception as error:  # noqa: BLE001 - a page bug shows plain words, not a traceback
        common.show_error(error)


main()
