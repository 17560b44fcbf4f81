"""Choosing the default organisation: the one shipments with no organisation of their own
go to."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from models import AuditEvent, ConnectionStatus, XeroConnection, utcnow
from services import connections
from services.connections import ConnectError
from services.crypto import encrypt
from services.db import session_scope
from services.settings import get_settings
from services.xero.adapter import TokenSet
from services.xero.errors import XeroAuthError, XeroRequestRejected


def organisation(session, name: str, *, status=ConnectionStatus.ACTIVE, default=False):
    row = XeroConnection(tenant_id=f"t-{name}", tenant_name=name, status=status, is_default=default)
    session.add(row)
    session.flush()
    return row


def test_make_default_moves_the_default_and_records_who(session):
    exports = organisation(session, "Demo Exports Ltd", default=True)
    uk = organisation(session, "Demo UK Ltd")
    connections.make_default(session=session, connection=uk, user="admin")
    default = connections.default_connection(session=session)
    assert default is not None and default.id == uk.id
    chosen = connections.connection_for(session=session, tenant_id=None)
    assert chosen is not None and chosen.tenant_name == "Demo UK Ltd"
    assert [
        r.tenant_name for r in connections.list_connections(session=session) if r.is_default
    ] == ["Demo UK Ltd"]
    assert session.get(XeroConnection, exports.id).is_default is False
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "make default")).all()
    assert (event.actor, event.entity, event.entity_id) == (
        "admin",
        "xero_connection",
        "t-Demo UK Ltd",
    )
    assert json.loads(event.before) == {"default": "Demo Exports Ltd"}
    assert json.loads(event.after) == {"default": "Demo UK Ltd"}


def test_making_the_default_the_default_again_changes_nothing(session):
    exports = organisation(session, "Demo Exports Ltd", default=True)
    connections.make_default(session=session, connection=exports, user="admin")
    assert session.exec(select(AuditEvent)).all() == []
    default = connections.default_connection(session=session)
    assert default is not None and default.id == exports.id


@pytest.mark.parametrize(
    "status", [ConnectionStatus.DISCONNECTED, ConnectionStatus.NEEDS_RECONNECT]
)
def test_only_a_connected_organisation_can_be_the_default(session, status):
    exports = organisation(session, "Demo Exports Ltd", default=True)
    uk = organisation(session, "Demo UK Ltd", status=status)
    with pytest.raises(ConnectError, match="Demo UK Ltd is not connected .*reconnect it first"):
        connections.make_default(session=session, connection=uk, user="admin")
    default = connections.default_connection(session=session)
    assert default is not None and default.id == exports.id
    assert session.get(XeroConnection, uk.id).is_default is False
    assert session.exec(select(AuditEvent)).all() == []


def test_a_read_is_due_for_connected_organisations_never_read_or_read_long_enough_ago(session):
    never = organisation(session, "Never read Ltd")
    stale = organisation(session, "Stale Ltd")
    stale.payments_pulled_at = utcnow() - timedelta(minutes=6)
    fresh = organisation(session, "Fresh Ltd")
    fresh.payments_pulled_at = utcnow() - timedelta(minutes=1)
    organisation(session, "Revoked Ltd", status=ConnectionStatus.NEEDS_RECONNECT)

    due = connections.due_connections(
        session=session, last_read=lambda c: c.payments_pulled_at, every=timedelta(minutes=5)
    )

    assert [c.id for c in due] == [never.id, stale.id]
    assert {c.tenant_name for c in connections.due_connections(session=session)} == {
        "Fresh Ltd",
        "Never read Ltd",
        "Stale Ltd",
    }


def test_one_organisation_failing_a_read_does_not_stop_the_others(session):
    def with_tokens(name: str) -> XeroConnection:
        row = organisation(session, name)
        row.access_token_enc = encrypt("access")
        row.refresh_token_enc = encrypt("refresh")
        row.expires_at = utcnow() + timedelta(minutes=30)
        return row

    refused = with_tokens("Refusing Ltd")
    no_tokens = organisation(session, "Signed out Ltd")  # Xero no longer accepts it
    read_well = with_tokens("Working Ltd")

    def read(*, session, connection, adapter):
        if connection.id == refused.id:
            raise XeroRequestRejected("Xero refused the request (HTTP 400)")
        return f"read {connection.tenant_name}"

    outcomes = {
        c.tenant_name: outcome
        for c, outcome in connections.read_each(
            [refused, no_tokens, read_well], session=session, read=read
        )
    }

    assert isinstance(outcomes["Refusing Ltd"], XeroRequestRejected)
    assert isinstance(outcomes["Signed out Ltd"], XeroAuthError)
    assert outcomes["Working Ltd"] == "read Working Ltd"
    assert session.get(XeroConnection, no_tokens.id).status == ConnectionStatus.NEEDS_RECONNECT


def with_token(session, name: str, access: str, refresh: str) -> XeroConnection:
    row = organisation(session, name)
    row.access_token_enc, row.refresh_token_enc = encrypt(access), encrypt(refresh)
    row.expires_at = utcnow() + timedelta(minutes=30)
    session.flush()
    return row


def tokens(adapter) -> tuple[str, str | None]:
    return adapter.token.access_token, adapter.token.refresh_token


def test_the_next_adapter_holds_the_tokens_a_refresh_stored(session):
    row = with_token(session, "Demo Exports Ltd", "access-1", "refresh-1")
    first = connections.adapter_for(row, session=session)
    assert tokens(first) == ("access-1", "refresh-1")
    # The SDK rotated the tokens: the adapter saves them to the row (as a refresh does).
    assert first.on_token_refreshed is not None and first.token is not None
    first.on_token_refreshed(
        TokenSet("access-2", "refresh-2", expires_at=first.token.expires_at + 60)
    )
    assert tokens(connections.adapter_for(row, session=session)) == ("access-2", "refresh-2")


def test_the_next_adapter_holds_tokens_another_process_rotated(session, engine):
    row = with_token(session, "Demo Exports Ltd", "access-1", "refresh-1")
    session.commit()
    assert tokens(connections.adapter_for(row, session=session)) == ("access-1", "refresh-1")
    with session_scope(engine) as other:  # another worker refreshed the shared token
        theirs = other.get(XeroConnection, row.id)
        assert theirs is not None
        theirs.access_token_enc = encrypt("access-3")
        theirs.refresh_token_enc = encrypt("refresh-3")
    session.refresh(row)
    assert tokens(connections.adapter_for(row, session=session)) == ("access-3", "refresh-3")


def test_a_reconnected_organisation_is_sent_with_its_new_tokens(session):
    row = with_token(session, "Demo Exports Ltd", "access-1", "refresh-1")
    assert tokens(connections.adapter_for(row, session=session)) == ("access-1", "refresh-1")
    connections.disconnect(session=session, connection=row, user="admin")
    with pytest.raises(XeroAuthError):
        connections.adapter_for(row, session=session)
    # Reconnected: the same tokens' text is never stored again (each encryption differs).
    row.status = ConnectionStatus.ACTIVE
    row.access_token_enc, row.refresh_token_enc = encrypt("access-4"), encrypt("refresh-4")
    assert tokens(connections.adapter_for(row, session=session)) == ("access-4", "refresh-4")


def kept_in_memory(monkeypatch, stored: tuple[str | None, str | None]) -> bool:
    """Whether this process still holds the plain tokens of `stored` (their encrypted text):
    asked for them again, it answers without decrypting."""
    decrypted: list[str] = []
    real = connections.decrypt

    def decrypt(text: str) -> str:
        decrypted.append(text)
        return real(text)

    with monkeypatch.context() as patch:
        patch.setattr(connections, "decrypt", decrypt)
        access, refresh = stored
        assert access is not None
        connections._plain_tokens(get_settings().secret_key, access, refresh)  # noqa: SLF001
    return not decrypted


def test_a_disconnected_organisations_tokens_do_not_stay_in_memory(session, monkeypatch):
    row = with_token(session, "Demo Exports Ltd", "access-1", "refresh-1")
    stored = (row.access_token_enc, row.refresh_token_enc)
    assert tokens(connections.adapter_for(row, session=session)) == ("access-1", "refresh-1")
    assert kept_in_memory(monkeypatch, stored)  # decrypted once, for every later send
    connections.disconnect(session=session, connection=row, user="admin")
    assert not kept_in_memory(monkeypatch, stored)


def test_tokens_a_refresh_replaced_do_not_stay_in_memory(session, monkeypatch):
    row = with_token(session, "Demo Exports Ltd", "access-1", "refresh-1")
    stored = (row.access_token_enc, row.refresh_token_enc)
    adapter = connections.adapter_for(row, session=session)
    assert kept_in_memory(monkeypatch, stored)
    assert adapter.on_token_refreshed is not None and adapter.token is not None
    adapter.on_token_refreshed(
        TokenSet("access-2", "refresh-2", expires_at=adapter.token.expires_at + 60)
    )
    assert not kept_in_memory(monkeypatch, stored)
    assert tokens(connections.adapter_for(row, session=session)) == ("access-2", "refresh-2")


@pytest.mark.parametrize(
    ("default", "disconnected", "expected"),
    [
        ("Demo UK Ltd", None, "t-Demo UK Ltd"),
        (None, None, "t-Demo Exports Ltd"),  # none chosen: the first by name
        (None, "Demo Exports Ltd", "t-Demo UK Ltd"),
        (None, "both", None),
    ],
)
def test_the_default_tenant_id_is_the_default_connections(session, default, disconnected, expected):
    for name in ("Demo UK Ltd", "Demo Exports Ltd"):
        gone = disconnected in (name, "both")
        status = ConnectionStatus.DISCONNECTED if gone else ConnectionStatus.ACTIVE
        organisation(session, name, status=status, default=name == default)
    assert connections.default_tenant_id(session=session) == expected
    chosen = connections.default_connection(session=session)
    assert (chosen.tenant_id if chosen else None) == expected
