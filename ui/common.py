"""What every page shares: the current user, a database session, the role guard,
showing service errors in plain words, and formatting money and time."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st
from streamlit.errors import StreamlitAPIException

from models import as_utc
from services import connections, liveness, users
from services.db import session_scope
from services.errors import UserError
from services.money import format_amount
from ui import state
from ui.text import md_text

if TYPE_CHECKING:  # pages and parts pass the session to services; they never query it
    from sqlmodel import Session

log = logging.getLogger("shipbridge.ui")
T = TypeVar("T")

# What the user sees for anything that is not a UserError (a bug): never the exception's own
# text, which was not written for them, but a reference that finds its traceback in the log.
UNEXPECTED = (
    "Something went wrong on our side (ref {reference}). It has been logged; try again, "
    "or tell an admin and quote the reference."
)


@dataclass(frozen=True)
class CurrentUser:
    username: str
    name: str
    role: str

    def can_edit(self, page: str) -> bool:
        return users.can_edit(self.role, page)


def current_user() -> CurrentUser | None:
    """The logged-in user, or None. app.py sets the role on every run."""
    ss = st.session_state
    if not ss.get(state.AUTH_STATUS) or not ss.get(state.AUTH_USERNAME) or not ss.get(state.ROLE):
        return None
    username = ss[state.AUTH_USERNAME]
    return CurrentUser(username, ss.get(state.AUTH_NAME) or username, ss[state.ROLE])


def require(page: str) -> CurrentUser:
    """Stop the page unless the user's role may open it (app.py's navigation already
    leaves such pages out; this is the second lock)."""
    user = current_user()
    if user is None:
        # The first run of a fresh server may route a deep link here without app.py
        # (Streamlit's older pages-folder routing): go through the login instead.
        with suppress(StreamlitAPIException):
            st.switch_page("app.py")
        st.error("Log in to see this page.")
        st.stop()
    if not users.can_open(user.role, page):
        st.error(f"The {user.role} role cannot open this page.")
        st.stop()
    return user


# One per app process: the log hears once that the database went away and once that it is
# back, however many browser sessions wait meanwhile.
DATABASE_OUTAGE = liveness.Outage(log)
DATABASE_WAITING = (
    "The database is not answering; trying again in {delay:g} s (attempt {attempt}). "
    "Shipbridge carries on by itself as soon as it answers."
)


def pause(seconds: float) -> None:
    """The wait between tries to reach the database (page tests replace it)."""
    time.sleep(seconds)


def when_database_answers(step: Callable[[], T]) -> T:
    """The step's result (it opens the database). While the database is unreachable the
    page says so, waits a growing while (1, 2, 4 … s, at most 15) and tries again, then
    carries on as soon as it answers. Any other error is raised."""
    notice = st.empty()

    def waiting(delay: float, attempt: int) -> None:
        text = DATABASE_WAITING.format(delay=delay, attempt=attempt)
        notice.warning(text, icon=":material/hourglass_top:")

    result = liveness.retry_until_up(step, outage=DATABASE_OUTAGE, waiting=waiting, sleep=pause)
    notice.empty()
    return result


@contextmanager
def session() -> Iterator[Session]:
    """A unit of work on the app's database: committed at the end of the block."""
    with session_scope() as db_session:
        yield db_session


def error_message(error: Exception, *, where: str = "a page") -> str:
    """The words to show for `error`: a UserError's own message; for anything else (a bug)
    an apology with a short reference, logged here with the traceback under that reference.
    Call it once per error: each call logs. Markdown-safe: a service's words may quote what
    someone typed (a shipment number, a code), and that shows as text."""
    if isinstance(error, UserError):
        return md_text(str(error))
    reference = secrets.token_hex(4)
    log.error("Unexpected error in %s (ref %s)", where, reference, exc_info=error)
    return UNEXPECTED.format(reference=reference)


@contextmanager
def shown_errors() -> Iterator[None]:
    """Run a service call; show what went wrong with st.error instead of a traceback.

    Code after the failing line inside the block does not run; the page carries on
    after the block.
    """
    try:
        yield
    except Exception as error:  # noqa: BLE001 - the user sees plain words, the log the rest
        show_error(error)


def save_then_rerun(work: Callable[[Session], object], success: str | None = None) -> None:
    """Run `work` in a unit of work; once it is committed, redraw the page saying `success`;
    if it fails, show why here."""
    done = False
    with shown_errors():
        with session() as db_session:
            work(db_session)
        done = True
    if done:
        if success:
            flash("success", success)
        st.rerun()


@contextmanager
def flashed_errors() -> Iterator[None]:
    """shown_errors for a widget callback: what went wrong shows at the top of the run the
    callback starts. Code after the failing line inside the block does not run."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - the user sees plain words, the log the rest
        flash("error", error_message(error, where="a page callback"))


def show_error(error: Exception) -> None:
    """st.error with the service's own words, or an apology with a reference (and a log
    entry with the traceback) for a bug."""
    st.error(error_message(error))


def flash(kind: str, text: str) -> None:
    """Show a message on the next run (it survives st.switch_page and st.rerun)."""
    st.session_state.setdefault(state.FLASH, []).append((kind, text))


def show_flashes() -> None:
    show = {"success": st.success, "error": st.error, "info": st.info, "warning": st.warning}
    for kind, text in st.session_state.pop(state.FLASH, []):
        show.get(kind, st.info)(text)


# --- selection shared by the Shipments and Send pages ---------------------------------


def selected_ids() -> list[int]:
    return list(st.session_state.get(state.SELECTED_IDS, []))


def set_selected_ids(ids, *, from_table: bool = False) -> None:
    st.session_state[state.SELECTED_IDS] = list(dict.fromkeys(ids))
    if not from_table:
        # The table's own selection is now out of date: redraw it from this list.
        st.session_state.pop(state.TABLE_ROW_IDS, None)


# --- formatting ------------------------------------------------------------------------


def organisation_filter(column, *, key: str, on_change) -> tuple[str | None, bool]:
    """An "Organisation" filter (Any, or one connected organisation). Returns the tenant id
    chosen and whether it is the default organisation (which shipments with no organisation
    of their own go to)."""
    with session() as db_session:
        found = connections.list_connections(session=db_session)
    names = {c.tenant_id: c.tenant_name for c in found}
    chosen = column.selectbox(
        "Organisation",
        list(names),
        index=None,
        placeholder="Any",
        format_func=names.get,
        key=key,
        on_change=on_change,
        disabled=not names,
    )
    default = next((c.tenant_id for c in found if c.is_default), None)
    return chosen, chosen is not None and chosen == default


def local_zone() -> ZoneInfo:
    """The browser's time zone (UTC when the browser did not say)."""
    name = st.context.timezone
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def to_local(moment: datetime) -> datetime:
    """A stored (UTC) moment in the user's time zone."""
    return as_utc(moment).astimezone(local_zone())


def local_time(moment: datetime | None) -> str:
    """A stored (UTC) moment in the user's time zone, e.g. 2026-11-22 14:05."""
    if moment is None:
        return ""
    return to_local(moment).strftime("%Y-%m-%d %H:%M")


def local_today() -> date:
    """Today in the user's time zone (what "overdue" is measured against)."""
    return datetime.now(local_zone()).date()


def local_date(day: date | None) -> str:
    return day.isoformat() if day else ""


def money(amount: Decimal | int | None, currency: str | None) -> str:
    """An amount with its currency code, e.g. 1,234.50 USD. Never converted, never summed."""
    if amount is None:
        return ""
    return f"{format_amount(Decimal(amount))} {currency or ''}".strip()


def money_md(amount: Decimal | int | None, currency: str | None) -> str:
    """`money` for Markdown (captions, labels, metric values): the currency code as text."""
    return money(amount, md_text(currency) if currency else None)


def start_of_day(day: date) -> datetime:
    """Midnight of a local date, in UTC, for filtering stored moments."""
    return datetime.combine(day, datetime.min.time(), tzinfo=local_zone()).astimezone(UTC)
