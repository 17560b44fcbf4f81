"""Choosing the default organisation: the one shipments with no organisation of their own
go to."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from models import AuditEvent, ConnectionStatus, XeroConnection
from services import connections
from services.connections import ConnectError


def organisation(session, name: str, *, status=ConnectionStatus.ACTIVE, default=False):
    row = XeroConnection(tenant_id=f"t-{name}", tenant_name=name, status=status, is_default=default)
    session.add(row)
    session.flush()
    return row


def test_make_default_moves_the_default_and_records_who(session):
    exports = organisation(session, "Demo Exports Ltd", default=True)
    uk = organisation(session, "Demo UK Ltd")
    connections.make_default(session=session, connection=uk, user="admin")
    assert connections.default_connection(session=session).id == uk.id
    assert connections.connection_for(session=session, tenant_id=None).tenant_name == "Demo UK Ltd"
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
    assert connections.default_connection(session=session).id == exports.id


@pytest.mark.parametrize(
    "status", [ConnectionStatus.DISCONNECTED, ConnectionStatus.NEEDS_RECONNECT]
)
def test_only_a_connected_organisation_can_be_the_default(session, status):
    exports = organisation(session, "Demo Exports Ltd", default=True)
    uk = organisation(session, "Demo UK Ltd", status=status)
    with pytest.raises(ConnectError, match="Demo UK Ltd is not connected .*reconnect it first"):
        connections.make_default(session=session, connection=uk, user="admin")
    assert connections.default_connection(session=session).id == exports.id
    assert session.get(XeroConnection, uk.id).is_default is False
    assert session.exec(select(AuditEvent)).all() == []
