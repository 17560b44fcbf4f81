"""Slow reads the Dashboard, Connect and Accounting Logs repeat each run, kept per data version.

Each read first takes a cheap version of the rows it stands on (services/data_versions.py)
and is cached under (database, version, arguments): while nothing changed, a rerun, another
tab or another user gets the rows kept in memory; any write (by this user, another one, the
worker) changes the version, so the very next run reads the database again. What a page
shows is therefore always what the database holds as of that run."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from models import XeroConnection
from services import connections, credits, data_versions, integration_log
from services.connections import ConnectionActivity, DocumentKinds
from services.credits import NetCredits
from services.integration_log import LogFilter
from services.settings import get_settings
from ui import common

# A few versions per read at most: an old one is never asked for again once data changed.
# (Every argument is part of the key: Streamlit leaves out only names starting with "_".)
KEEP = 16


def _database() -> str:
    return get_settings().database_url


# --- the Dashboard ---------------------------------------------------------------------------


def net_credits() -> list[NetCredits]:
    """services.credits.net_credits; with no credit note at all nothing is credited, and the
    full scan of sent invoices is not made."""
    with common.session() as db_session:
        notes = data_versions.credit_notes(session=db_session)
        if notes[0] == 0:
            return []
        shipments = data_versions.shipments(session=db_session)
    return _net_credits(_database(), notes, shipments)


@st.cache_data(show_spinner=False, max_entries=KEEP)
def _net_credits(url: str, notes: tuple, shipments: tuple) -> list[NetCredits]:
    with common.session() as db_session:
        return credits.net_credits(session=db_session)


def attempts_since(since: datetime) -> list[tuple[datetime, str, int]]:
    """services.integration_log.attempts_since, read again when an entry is added."""
    with common.session() as db_session:
        version = data_versions.integration_log(session=db_session)
    return _attempts_since(_database(), version, since)


@st.cache_data(show_spinner=False, max_entries=KEEP)
def _attempts_since(url: str, version: tuple, since: datetime) -> list:
    with common.session() as db_session:
        return integration_log.attempts_since(session=db_session, since=since)


def rejection_reasons(since: datetime, limit: int) -> list[str]:
    """services.integration_log.rejection_reasons, read again when an entry is added."""
    with common.session() as db_session:
        version = data_versions.integration_log(session=db_session)
    return _rejection_reasons(_database(), version, since, limit)


@st.cache_data(show_spinner=False, max_entries=KEEP)
def _rejection_reasons(url: str, version: tuple, since: datetime, limit: int) -> list[str]:
    with common.session() as db_session:
        return integration_log.rejection_reasons(session=db_session, since=since, limit=limit)


# --- Connect ---------------------------------------------------------------------------------


def _organisations(rows: list[XeroConnection]) -> tuple:
    """What the per-organisation counts depend on among the connections themselves."""
    return tuple((r.id, r.tenant_id, r.is_default, r.status) for r in rows)


def activity(
    rows: list[XeroConnection],
) -> tuple[dict[int, ConnectionActivity], dict[int, DocumentKinds]]:
    """Per connection: services.connections.activity_and_kinds, read again when a shipment,
    a payment or a credit note changes (or a connection)."""
    with common.session() as db_session:
        versions = (
            data_versions.shipments(session=db_session),
            data_versions.payments(session=db_session),
            data_versions.credit_notes(session=db_session),
        )
    return _activity(_database(), versions, _organisations(rows))


@st.cache_data(show_spinner=False, max_entries=KEEP)
def _activity(
    url: str, versions: tuple, organisations: tuple
) -> tuple[dict[int, ConnectionActivity], dict[int, DocumentKinds]]:
    with common.session() as db_session:
        rows = connections.list_connections(session=db_session)
        return connections.activity_and_kinds(session=db_session, connections=rows)


# --- Accounting Logs -------------------------------------------------------------------------


def log_count(flt: LogFilter) -> int:
    """How many entries match the filter (a count over the log), read again when one is
    added: entries are only ever added, and what a filter reads never changes after."""
    with common.session() as db_session:
        version = data_versions.integration_log(session=db_session)
    return _log_count(_database(), version, flt)


@st.cache_data(show_spinner=False, max_entries=KEEP * 4)
def _log_count(url: str, version: tuple, flt: LogFilter) -> int:
    with common.session() as db_session:
        return integration_log.count_entries(session=db_session, flt=flt)


def log_users() -> list[tuple[str, str]]:
    """(username, display name) of everyone in the log: the usernames kept per log version,
    their names read each time (a small table; a renamed user shows at once)."""
    with common.session() as db_session:
        version = data_versions.integration_log(session=db_session)
    usernames = _log_usernames(_database(), version)
    with common.session() as db_session:
        return integration_log.named(session=db_session, usernames=usernames)


@st.cache_data(show_spinner=False, max_entries=KEEP)
def _log_usernames(url: str, version: tuple) -> list[str]:
    with common.session() as db_session:
        return integration_log.triggered_by(session=db_session)
