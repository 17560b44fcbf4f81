"""Shipbridge's only router: the database, login, the pages the user's role may open,
the Xero OAuth callback, and the reconnect banner."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.controllers import AuthenticationController, CookieController

from services import connections, liveness, sessions, users
from services.db import get_engine, migrate
from services.observability import configure_logging
from services.settings import get_settings
from ui import common, state
from ui.text import md_text

log = logging.getLogger("shipbridge.ui")

# How far the landing on Connect after Xero sent the browser back has got (state.OAUTH_LANDING):
# app.py has switched to Connect / Connect has run once / a late default-page rerun was sent back.
SWITCHED_TO_CONNECT, ON_CONNECT, SENT_BACK = "switched", "on connect", "sent back"
CUT_SHORT = (
    "Finishing the Xero connection was interrupted: the organisations below show whether it "
    "is connected; if not, click Connect to Xero again."
)
# For this long a refused page's explanation stays on the page the user landed on.
REFUSED_SECONDS = 10
# The keys streamlit-authenticator's cookie manager gives its set / delete components.
COOKIE_SET_KEY, COOKIE_DELETE_KEY = "set", "delete"
# The login cookie: it names a server-side session (services.sessions), signed.
COOKIE_NAME = "shipbridge_auth"
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
    state.OAUTH_LANDING,
    state.OPEN_ERROR_LOGS,
    state.OPEN_ERROR_SHIPMENT,
    state.ROLE,
    state.LOGIN_SESSION,
    state.LOGIN_COOKIE,
    state.DISCONNECT_ASKED,
    state.PUSH_PENDING,
    state.REFUSED_PAGE,
    state.EDIT_BASE,  # the Shipments page's open edit, its
    state.BULK_PENDING,  # bulk action awaiting confirmation and
    state.NEW_DRAFT_START,  # new shipment's starting values
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


def _open_database() -> bool:
    """Bring the schema up to date (once) and say whether any user exists yet."""
    _migrated(get_settings().database_url)
    with common.session() as db_session:
        return users.has_users(session=db_session)


class _Authenticator(stauth.Authenticate):
    """streamlit-authenticator's session-state keys now, its cookie component only when a
    cookie is written or deleted (inside the cookie box).

    Authenticate() draws the cookie manager's "getAll" component on every run; on a fresh
    page its first answer starts a second script run (doubling a fresh load's time), and the
    app never reads it: the login cookie comes from st.context.cookies."""

    def __init__(self) -> None:  # not Authenticate's: that draws the component at once
        self.authentication_controller = AuthenticationController(
            {"usernames": {}}, auto_hash=False, secret_key=get_settings().cookie_key
        )
        self._cookies: CookieController | None = None

    @property
    def cookie_controller(self) -> CookieController:
        if self._cookies is None:
            self._cookies = CookieController(COOKIE_NAME, get_settings().cookie_key, 1, None)
        return self._cookies


def _authenticator() -> stauth.Authenticate:
    """streamlit-authenticator's session-state keys and (when needed) its cookie component;
    the password check, the sessions and the cookie's contents are services.sessions'."""
    return _Authenticator()


def _check_login(authenticator: stauth.Authenticate) -> None:
    """On every run: a logged-in browser session's server-side session must still be alive
    (logout elsewhere, a password reset, a role change, a deactivation, idle or absolute
    expiry and a cookie-key rotation end it); one not logged in may be by its cookie."""
    ss = st.session_state
    with common.session() as db_session:
        if ss.get(state.AUTH_STATUS):
            alive = sessions.check(session=db_session, session_id=ss.get(state.LOGIN_SESSION))
            if alive is None:
                _forget_login(authenticator)
                ss[state.LOGIN_NOTICE] = "Your login has ended: log in again."
            return
        login = sessions.session_from_cookie(
            session=db_session, cookie=st.context.cookies.get(COOKIE_NAME)
        )
        name = users.name_of(session=db_session, username=login.username) if login else None
    if login is not None:
        _remember_login(login.username, name or login.username, login.id)


def _remember_login(username: str, name: str, session_id: str) -> None:
    ss = st.session_state
    ss[state.AUTH_STATUS], ss[state.AUTH_USERNAME], ss[state.AUTH_NAME] = True, username, name
    ss[state.LOGIN_SESSION] = session_id
    ss["logout"] = None  # streamlit-authenticator's: True only after a logout
    ss.pop(state.LOGIN_NOTICE, None)


def _submit_login(username: str, password: str) -> None:
    """Check the login form (throttled); once in, draw the app on a clean run, where the
    cookie is written."""
    try:
        with common.session() as db_session:
            login = sessions.log_in(
                session=db_session,
                username=username,
                password=password,
                client_address=_client_address(),
            )
            cookie = sessions.cookie_value(session=db_session, session_id=login.session_id)
    except Exception as error:  # noqa: BLE001 - plain words, never a traceback
        st.error(common.error_message(error, where="logging in"))
        return
    _remember_login(login.username, login.name, login.session_id)
    st.session_state[state.LOGIN_COOKIE] = cookie
    st.session_state[state.SET_COOKIE] = True
    st.session_state[state.DELETE_COOKIE] = False
    st.rerun()


def _client_address() -> str | None:
    """The browser's address as Streamlit saw it (None when it cannot say). Behind a proxy
    that is the proxy's; headers like X-Forwarded-For are not trusted, as anyone can send them."""
    address = st.context.ip_address
    return address if isinstance(address, str) else None


def _write_cookie(authenticator: stauth.Authenticate) -> None:
    cookie = st.session_state.get(state.LOGIN_COOKIE)
    if cookie is None:  # logged in by the cookie the browser already has
        st.session_state[state.SET_COOKIE] = False
        return
    token, expires = cookie
    manager = authenticator.cookie_controller.cookie_model.cookie_manager
    manager.set(COOKIE_NAME, token, key=COOKIE_SET_KEY, expires_at=expires)


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
                _write_cookie(authenticator)
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


def _login_page(has_users: bool):
    def login() -> None:
        st.title("Shipbridge")
        notice = st.session_state.get(state.LOGIN_NOTICE)
        if notice:
            st.info(notice)
        if not has_users:
            _first_admin_form()
            return
        with st.form(key=state.LOGIN_FORM):
            st.subheader("Login")
            username = st.text_input("Username", autocomplete="off")
            password = st.text_input("Password", type="password", autocomplete="off")
            submitted = st.form_submit_button("Login")
        if submitted:
            st.session_state.pop(state.LOGIN_NOTICE, None)
            _submit_login(username, password)

    return login


def _first_admin_form() -> None:
    """While no user exists (a real setup's first start): the person creates the first
    admin with a password of their own, and is logged in as them."""
    demo = " (For the demo, run `python -m services.cli seed-demo` instead.)"
    st.info(
        "No user exists yet: create the first admin. The password needs at least "
        f"{users.PASSWORD_MIN_LENGTH} characters and must not contain the username."
        + (demo if get_settings().uses_sandbox else "")
    )
    with st.form(key=state.FIRST_ADMIN_FORM):
        st.subheader("First admin")
        username = st.text_input("Username", autocomplete="off")
        name = st.text_input("Name")
        password = st.text_input("Password", type="password", autocomplete="new-password")
        again = st.text_input("Password again", type="password", autocomplete="new-password")
        submitted = st.form_submit_button("Create the first admin")
    if not submitted:
        return
    try:
        with common.session() as db_session:
            users.create_first_admin(
                session=db_session,
                username=username,
                name=name,
                password=password,
                password_again=again,
            )
    except Exception as error:  # noqa: BLE001 - plain words, never a traceback
        st.error(common.error_message(error, where="creating the first admin"))
        return
    _submit_login(username.strip(), password)


def _log_out(authenticator: stauth.Authenticate) -> None:
    with common.session() as db_session:
        sessions.end(session=db_session, session_id=st.session_state.get(state.LOGIN_SESSION))
    _forget_login(authenticator)


def _forget_login(authenticator: stauth.Authenticate) -> None:
    authenticator.authentication_controller.logout()
    st.session_state[state.DELETE_COOKIE] = True
    st.session_state[state.SET_COOKIE] = False
    for key in PER_USER_KEYS:
        st.session_state.pop(key, None)


def _sidebar(user: common.CurrentUser, authenticator: stauth.Authenticate) -> None:
    with st.sidebar:
        st.markdown(f"**{md_text(user.name)}**")
        st.caption(f"Role: {user.role}")
        st.button("Logout", key=state.LOGOUT_BUTTON, on_click=_log_out, args=(authenticator,))


def _finish_oauth(user: common.CurrentUser, connect_page: st.Page | None) -> None:
    """Xero sent the browser back to the app's root with ?code&state (or ?error).

    The result stays in session state for the Connect page: the browser may rerun this
    URL (or the default page) once more before it learns the new one, and that rerun must
    not lose it (see _stay_on_connect)."""
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
        # Said until the result replaces it: a run cut short while finishing (the browser's
        # rerun interrupts it; seen under load) must not leave Connect saying nothing.
        st.session_state[state.OAUTH_RESULT] = ("error", CUT_SHORT)
        st.session_state[state.OAUTH_RESULT] = _oauth_result(user, code, oauth_state, error)
    st.session_state[state.OAUTH_LANDING] = SWITCHED_TO_CONNECT
    st.query_params.clear()
    st.switch_page(connect_page)


def _stay_on_connect(current: st.Page, connect_page: st.Page | None) -> None:
    """Just after Xero sent the browser back, a rerun the browser had asked for before it
    learnt the Connect page's URL (the login cookie component's, say) lands on the default
    page: take it back to Connect, where the connection's result is shown.

    Not for a while but by what happened: on a loaded machine such a rerun comes many
    seconds late, and one let through drops the result (another page ran), so Connect drew
    it and at once, for the browser's next rerun, drew nothing. The landing is over when the
    browser itself asks for Connect (it knows the URL then: what it sends later is what the
    admin did), when another page runs, or after one default-page rerun was sent back (so
    the admin's own click on the default page is refused at most once)."""
    landing = st.session_state.get(state.OAUTH_LANDING)
    if connect_page is None or landing is None:
        return
    if current.url_path == connect_page.url_path:
        if landing == SWITCHED_TO_CONNECT:  # the run app.py switched to, not the browser's
            st.session_state[state.OAUTH_LANDING] = ON_CONNECT
        else:
            st.session_state.pop(state.OAUTH_LANDING, None)
        return
    if current.url_path == "" and landing != SENT_BACK:
        st.session_state[state.OAUTH_LANDING] = SENT_BACK
        st.switch_page(connect_page)
    st.session_state.pop(state.OAUTH_LANDING, None)


def _oauth_result(
    user: common.CurrentUser, code: str | None, oauth_state: str | None, error: str | None
) -> tuple[str, str]:
    if error == "access_denied":
        return "error", "Xero access was not allowed."
    if error:
        said = st.query_params.get("error_description", error)  # the URL's words: text only
        return "error", f"Xero did not connect: {md_text(said)}."
    try:
        with common.session() as db_session:
            connected = connections.finish_connect(
                session=db_session,
                code=code,
                state=oauth_state,
                user=user.username,
                login_session_id=st.session_state.get(state.LOGIN_SESSION),
            )
            names = ", ".join(md_text(c.tenant_name) for c in connected)
            # Kept at once, before the unit of work ends: the run may be cut short after it.
            st.session_state[state.OAUTH_RESULT] = ("success", f"Connected to {names}")
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
        names = [md_text(c.tenant_name) for c in connections.needing_reconnect(session=db_session)]
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


def _no_worker_banner() -> None:
    """Shipments wait in the queue and no worker is alive to send them: say so on every page."""
    with common.session() as db_session:
        warning = liveness.no_worker_warning(session=db_session)
    if warning:
        st.warning(warning, icon=":material/engineering:")


def main() -> None:
    st.set_page_config(page_title="Shipbridge", layout="wide")
    _logs_configured()
    try:
        # An unreachable database is waited for (saying so); anything else is a setup error.
        has_users = common.when_database_answers(_open_database)
    except Exception as error:  # noqa: BLE001 - plain words, never a traceback
        log.error("The database cannot be opened", exc_info=error)
        st.error(
            f"Shipbridge cannot open its database ({type(error).__name__}): check DATABASE_URL, "
            "then reload the page."
        )
        st.stop()
    authenticator = _authenticator()
    _check_login(authenticator)
    _keep_cookie_in_step(authenticator)
    role = _role_of_logged_in_user(authenticator)

    if role is None:
        # Anonymous: the login form and nothing else.
        login = st.Page(_login_page(has_users), title="Log in", default=True)
        st.navigation([login], position="hidden").run()
        return

    user = common.current_user()
    allowed = users.PAGES_BY_ROLE.get(role, ())
    with common.session() as db_session:
        landing = users.landing_page(session=db_session, role=role)
    pages = {
        key: st.Page(PAGES[key][0], title=PAGES[key][1], icon=PAGES[key][2], default=key == landing)
        for key in allowed
    }
    navigation = st.navigation(list(pages.values()))
    _sidebar(user, authenticator)
    _finish_oauth(user, pages.get("connect"))
    _stay_on_connect(navigation, pages.get("connect"))
    if navigation.url_path != "connect":  # the admin moved on: the connect result is over
        st.session_state.pop(state.OAUTH_RESULT, None)
    _reconnect_banner(user, pages.get("connect"))
    _no_worker_banner()
    common.show_flashes()
    _say_why_not_that_page(role, navigation)
    _keep_filters()
    try:
        navigation.run()
    except Exception as error:  # noqa: BLE001 - a page bug shows plain words, not a traceback
        common.show_error(error)


main()
