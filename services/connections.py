"""Connecting Xero organisations (OAuth 2.0) and getting an adapter for one of them."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache
from typing import TypeVar

from sqlalchemy import Engine, func
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from models import (
    ConnectionStatus,
    OAuthState,
    Shipment,
    SyncState,
    XeroConnection,
    XeroCreditNote,
    XeroPayment,
    as_utc,
    utc_from_epoch,
    utcnow,
)
from services import audit, queue
from services.budget import day_limit
from services.crypto import decrypt, encrypt
from services.errors import UserError
from services.rate_limit import Limits, RateLimiter
from services.settings import Settings, get_settings
from services.usage import UsageRecorder
from services.xero.adapter import TokenSet, XeroAdapter, new_pkce_pair
from services.xero.errors import XeroAuthError, XeroError

STATE_LIFETIME = timedelta(minutes=15)
Read = TypeVar("Read")


class ConnectError(UserError):
    """The connection could not be completed; the message says what to do."""


def start_connect(
    *,
    session: Session,
    user: str,
    login_session_id: str | None = None,
    settings: Settings | None = None,
) -> str:
    """Begin the authorization-code flow; returns the URL to send the browser to. The state
    belongs to this user and login session: only they may finish it."""
    settings = settings or get_settings()
    verifier, challenge = new_pkce_pair()
    state = secrets.token_urlsafe(32)
    session.add(
        OAuthState(
            state=state,
            code_verifier=verifier,
            requested_by=user,
            login_session_id=login_session_id,
        )
    )
    session.flush()
    return XeroAdapter(settings).authorization_url(state=state, code_challenge=challenge)


def finish_connect(
    *,
    session: Session,
    code: str,
    state: str,
    user: str,
    login_session_id: str | None = None,
    settings: Settings | None = None,
) -> list[XeroConnection]:
    """Complete the flow Xero redirected back to; returns the organisations now connected.
    Refused unless the same user, in the same login session, started it."""
    settings = settings or get_settings()
    pending = session.get(OAuthState, state)
    if pending is None or utcnow() - as_utc(pending.created_at) > STATE_LIFETIME:
        raise ConnectError(
            "This Xero sign-in link is unknown or expired (state check failed): "
            "click Connect to Xero again."
        )
    if pending.requested_by != user or pending.login_session_id != login_session_id:
        # Someone else's sign-in (a link sent to this browser, say): it is used up here so
        # it cannot be tried again, and nothing is connected.
        session.delete(pending)
        session.commit()
        raise ConnectError(
            "This Xero sign-in was started by another user or in another browser session, "
            "so it was not used: click Connect to Xero here to connect."
        )
    verifier = pending.code_verifier
    session.delete(pending)  # a state is good for one try
    session.commit()  # no write transaction stays open across API calls
    adapter = XeroAdapter(
        settings, limiter=_limiter(session, settings), usage=UsageRecorder(_engine(session))
    )
    try:
        token = adapter.exchange_code(code=code, code_verifier=verifier)
        tenants = adapter.connections()
        organisations: dict[str, dict] = {}
        for tenant in tenants:
            try:
                organisations[tenant.tenant_id] = adapter.organisation(tenant.tenant_id)
            except XeroError:
                organisations[tenant.tenant_id] = {}  # filled in by the next refresh
    except XeroAuthError as error:
        raise ConnectError(str(error)) from error
    if not tenants:
        raise ConnectError("Xero returned no organisation: tick at least one and allow access.")
    grant_id = secrets.token_hex(8)
    connected = []
    has_default = (
        session.exec(select(XeroConnection).where(col(XeroConnection.is_default))).first()
        is not None
    )
    for tenant in tenants:
        row = session.exec(
            select(XeroConnection).where(XeroConnection.tenant_id == tenant.tenant_id)
        ).first() or XeroConnection(tenant_id=tenant.tenant_id, tenant_name=tenant.tenant_name)
        before = row.status if row.id else None
        row.tenant_name = tenant.tenant_name
        row.connection_id = tenant.connection_id
        row.status = ConnectionStatus.ACTIVE
        row.connected_by = user
        row.connected_at = utcnow()
        row.grant_id = grant_id
        row.last_error = None
        if not has_default:
            row.is_default = has_default = True
        _store_token(row, token)
        organisation = organisations[tenant.tenant_id]
        row.base_currency = organisation.get("BaseCurrency") or row.base_currency
        row.short_code = organisation.get("ShortCode") or row.short_code
        session.add(row)
        connected.append(row)
        audit.record(
            session=session,
            actor=user,
            action="connect",
            entity="xero_connection",
            entity_id=tenant.tenant_id,
            before={"status": before},
            after={"status": row.status, "name": row.tenant_name},
        )
    session.flush()
    # Sends held while the organisation needed reconnecting go back in the queue.
    queue.resume_held(session=session, tenant_ids=[c.tenant_id for c in connected])
    return connected


def list_connections(*, session: Session) -> list[XeroConnection]:
    remembered = session.info.get(_REMEMBERED)
    if remembered is not None:
        return list(remembered)
    return list(session.exec(select(XeroConnection).order_by(XeroConnection.tenant_name)))


# A send reads the connections once (`remember_connections`) and every later look in the same
# session (the default organisation, one by tenant, the mapping's) uses those rows: one SELECT
# a batch instead of five (issue 16, goal 2). The rows are the session's own objects, so a
# change the send makes to one (marked for reconnecting) is seen.
_REMEMBERED = "shipbridge.connections"


def remember_connections(*, session: Session) -> list[XeroConnection]:
    """Read the connections once for the rest of this session's work (a send's session)."""
    session.info.pop(_REMEMBERED, None)
    rows = list_connections(session=session)
    session.info[_REMEMBERED] = rows
    return list(rows)


def get_connection(*, session: Session, connection_id: int) -> XeroConnection:
    """The organisation's connection row, read again in this unit of work (a page holds rows
    from an earlier one)."""
    connection = session.get(XeroConnection, connection_id)
    if connection is None:
        raise ConnectError("That organisation is no longer in Shipbridge: reload the page.")
    return connection


@dataclass(frozen=True)
class ConnectionActivity:
    """What went to and came back from one organisation."""

    documents_pushed: int  # shipments in Xero
    failing: int  # shipments rejected, waiting to be fixed
    payments_pulled: int


@dataclass(frozen=True)
class DocumentKinds:
    """What went to one organisation, by kind."""

    invoices: int  # shipments in Xero as invoices
    quotes: int
    credit_notes: int  # raised for cancelled shipments


def activity(
    *, session: Session, connections: list[XeroConnection]
) -> dict[int, ConnectionActivity]:
    """Per connection id: documents pushed, shipments failing and payments pulled. A shipment
    with no organisation of its own goes to the default one, so it counts there."""
    return activity_and_kinds(session=session, connections=connections)[0]


def activity_and_kinds(
    *, session: Session, connections: list[XeroConnection]
) -> tuple[dict[int, ConnectionActivity], dict[int, DocumentKinds]]:
    """Per connection id: its activity, and its documents by kind. The shipments in Xero are
    counted once, per organisation and kind (one pass over the shipments at any size, not
    one per organisation and another for the totals)."""

    def count_by_tenant(column, *conditions) -> dict[str | None, int]:
        rows = session.exec(select(column, func.count()).where(*conditions).group_by(column))
        return dict(rows.all())

    kind = col(Shipment.xero_document_type)
    in_xero = {
        (tenant, of_kind): n
        for tenant, of_kind, n in session.exec(
            select(Shipment.tenant_id, kind, func.count())
            .where(col(Shipment.xero_document_id).is_not(None))
            .group_by(col(Shipment.tenant_id), kind)
        )
    }
    failing = count_by_tenant(Shipment.tenant_id, Shipment.sync_state == SyncState.REJECTED)
    pulled = count_by_tenant(XeroPayment.tenant_id)
    notes = count_by_tenant(XeroCreditNote.tenant_id)
    default = default_connection(session=session)
    counts, kinds = {}, {}
    for row in connections:
        assert row.id is not None  # a stored row
        own = [row.tenant_id] + ([None] if default is not None and default.id == row.id else [])

        def pushed(*wanted: str | None, own=own) -> int:
            return sum(n for (t, k), n in in_xero.items() if t in own and k in wanted)

        counts[row.id] = ConnectionActivity(
            documents_pushed=sum(n for (t, _), n in in_xero.items() if t in own),
            failing=sum(failing.get(t, 0) for t in own),
            payments_pulled=pulled.get(row.tenant_id, 0),
        )
        kinds[row.id] = DocumentKinds(
            invoices=pushed("invoice", None),  # a shipment sent before kinds were kept
            quotes=pushed("quote"),
            credit_notes=notes.get(row.tenant_id, 0),
        )
    return counts, kinds


def default_connection(*, session: Session) -> XeroConnection | None:
    rows = list_connections(session=session)
    active = [r for r in rows if r.status != ConnectionStatus.DISCONNECTED]
    return next((r for r in active if r.is_default), active[0] if active else None)


def default_tenant_id(*, session: Session) -> str | None:
    """The default organisation's tenant id (`default_connection`'s, by the same rule: the
    default one not disconnected, else the first by name), read as ONE column: the queue
    asks at every lease and needs no connection rows."""
    if session.info.get(_REMEMBERED) is not None:
        connection = default_connection(session=session)
        return connection.tenant_id if connection else None
    return session.connection().execute(_default_tenant_query()).scalar()


@cache
def _default_tenant_query():
    """`default_tenant_id`'s query, built once."""
    row = XeroConnection.__table__.c  # type: ignore[attr-defined]
    return (
        core_select(row.tenant_id)
        .where(row.status != ConnectionStatus.DISCONNECTED)
        .order_by(row.is_default.desc(), row.tenant_name)
        .limit(1)
    )


def make_default(*, session: Session, connection: XeroConnection, user: str) -> None:
    """Make `connection` the organisation shipments with no organisation of their own go to.
    Only a connected one: a send to a disconnected default would have nowhere to go. A shipment
    already in Xero stays with its organisation whatever the default."""
    if connection.status != ConnectionStatus.ACTIVE:
        raise ConnectError(
            f"{connection.tenant_name} is not connected (status: {connection.status}): "
            "reconnect it first, then make it the default organisation."
        )
    before = default_connection(session=session)
    if before is not None and before.id == connection.id and connection.is_default:
        return
    for row in list_connections(session=session):
        if row.is_default and row.id != connection.id:
            row.is_default = False
            session.add(row)
    connection.is_default = True
    session.add(connection)
    audit.record(
        session=session,
        actor=user,
        action="make default",
        entity="xero_connection",
        entity_id=connection.tenant_id,
        before={"default": before.tenant_name if before is not None else None},
        after={"default": connection.tenant_name},
    )
    session.flush()


def connection_for(*, session: Session, tenant_id: str | None) -> XeroConnection | None:
    if tenant_id is None:
        return default_connection(session=session)
    remembered = session.info.get(_REMEMBERED)
    if remembered is not None:
        return next((row for row in remembered if row.tenant_id == tenant_id), None)
    return session.exec(select(XeroConnection).where(XeroConnection.tenant_id == tenant_id)).first()


def needing_reconnect(*, session: Session) -> list[XeroConnection]:
    return list(
        session.exec(
            select(XeroConnection).where(XeroConnection.status == ConnectionStatus.NEEDS_RECONNECT)
        )
    )


NOT_CONNECTED = (
    "The shipment's Xero organisation is not connected: an admin must connect it on the "
    "Connect page, or move the shipment to a connected organisation."
)


def needs_reconnect_message(connection: XeroConnection) -> str:
    return (
        f"{connection.tenant_name} needs reconnecting: an admin must reconnect it on the "
        "Connect page. Sends wait in the queue until then."
    )


def adapter_for(
    connection: XeroConnection, *, session: Session, settings: Settings | None = None
) -> XeroAdapter:
    """An adapter holding this organisation's tokens; rotated tokens are saved at once."""
    settings = settings or get_settings()
    if connection.status != ConnectionStatus.ACTIVE or not connection.access_token_enc:
        raise XeroAuthError(needs_reconnect_message(connection))
    access, refresh = _plain_tokens(
        get_settings().secret_key, connection.access_token_enc, connection.refresh_token_enc
    )
    token = TokenSet(
        access_token=access,
        refresh_token=refresh,
        expires_at=_epoch(connection),
        scope=connection.scope or "",
    )

    def save(new: TokenSet) -> None:
        # One consent covers several organisations: they share (and rotate) one token.
        siblings = [connection]
        if connection.grant_id:
            siblings = list(
                session.exec(
                    select(XeroConnection).where(XeroConnection.grant_id == connection.grant_id)
                )
            )
        for row in siblings:
            _store_token(row, new)
            session.add(row)
        session.commit()

    return XeroAdapter(
        settings,
        token=token,
        on_token_refreshed=save,
        limiter=_limiter(session, settings),
        usage=UsageRecorder(_engine(session)),
    )


@lru_cache(maxsize=32)
def _plain_tokens(key: str, access_enc: str, refresh_enc: str | None) -> tuple[str, str | None]:
    """The stored tokens decrypted (`decrypt` reads with `key`, the current one), remembered
    by their encrypted text and that key: the same text is always the same token, and a
    refresh, a reconnect or another process's rotation stores new text, so a changed row is
    decrypted afresh. Every send builds an adapter; it need not decrypt the same token again
    each batch. Cleared whenever this process disconnects or replaces tokens, so no plain
    token outlives its stored text here (all of it: lru_cache forgets no single entry, and the
    others are decrypted once more at their next send)."""
    return decrypt(access_enc), decrypt(refresh_enc) if refresh_enc else None


def _limiter(session: Session, settings: Settings) -> RateLimiter:
    """Every Accounting API call, whoever makes it, counts against the organisation's limits."""
    limits = Limits(per_day=day_limit(settings), clock_scale=settings.xero_rate_clock_scale)
    return RateLimiter(_engine(session), limits)


def _engine(session: Session) -> Engine:
    """The engine behind a session: the limiter and the usage counter write through their
    own connections, outside the caller's transaction (services.db binds every session to
    an engine)."""
    bind = session.get_bind()
    assert isinstance(bind, Engine)
    return bind


def mark_needs_reconnect(*, session: Session, connection: XeroConnection, reason: str) -> None:
    connection.status = ConnectionStatus.NEEDS_RECONNECT
    connection.last_error = reason
    session.add(connection)


def due_connections(
    *,
    session: Session,
    last_read: Callable[[XeroConnection], datetime | None] | None = None,
    every: timedelta | None = None,
) -> list[XeroConnection]:
    """The connected organisations a read from Xero is due for: every connected one, or, with
    `last_read` and `every`, those never read or last read `every` ago or longer."""

    def due(connection: XeroConnection) -> bool:
        last = last_read(connection) if last_read else None
        return every is None or last is None or utcnow() - as_utc(last) >= every

    return [
        c
        for c in list_connections(session=session)
        if c.status == ConnectionStatus.ACTIVE and due(c)
    ]


def read_each(
    organisations: Iterable[XeroConnection],
    *,
    session: Session,
    read: Callable[..., Read],
) -> Iterator[tuple[XeroConnection, Read | XeroError]]:
    """Runs `read(session=, connection=, adapter=)` for each organisation in turn and yields
    what it returned, or the Xero error that stopped it: one organisation failing never stops
    the others. A connection Xero no longer accepts is marked for reconnecting."""
    for connection in organisations:
        outcome: Read | XeroError
        try:
            adapter = adapter_for(connection, session=session)
            outcome = read(session=session, connection=connection, adapter=adapter)
        except XeroAuthError as error:
            mark_needs_reconnect(session=session, connection=connection, reason=str(error))
            # Kept even if a later organisation's failure rolls its own reading back.
            session.commit()
            outcome = error
        except XeroError as error:
            session.rollback()  # what the failed read half wrote
            outcome = error
        yield connection, outcome


def disconnect(*, session: Session, connection: XeroConnection, user: str) -> None:
    """Remove the connection in Xero (best effort) and forget its tokens."""
    try:
        adapter = adapter_for(connection, session=session)
        if connection.connection_id:
            adapter.disconnect(connection.connection_id)
    except Exception:  # noqa: BLE001 - disconnecting must work even when Xero refuses us
        pass
    before = connection.status
    connection.status = ConnectionStatus.DISCONNECTED
    connection.access_token_enc = connection.refresh_token_enc = None
    _plain_tokens.cache_clear()  # after adapter_for above, which may have decrypted them again
    connection.is_default = False
    session.add(connection)
    audit.record(
        session=session,
        actor=user,
        action="disconnect",
        entity="xero_connection",
        entity_id=connection.tenant_id,
        before={"status": before},
        after={"status": connection.status},
    )


def _store_token(row: XeroConnection, token: TokenSet) -> None:
    row.access_token_enc = encrypt(token.access_token)
    row.refresh_token_enc = encrypt(token.refresh_token) if token.refresh_token else None
    row.expires_at = utc_from_epoch(token.expires_at)
    row.scope = token.scope
    _plain_tokens.cache_clear()  # the tokens replaced (reconnect, refresh) leave memory too


def _epoch(connection: XeroConnection) -> float:
    if connection.expires_at is None:
        return 0.0
    return as_utc(connection.expires_at).timestamp()
