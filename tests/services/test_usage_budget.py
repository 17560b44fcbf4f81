"""What Shipbridge takes from Xero: every response's bytes counted per organisation and kind of
call, and a day's budget where scheduled reads take at most their share and sends keep the
rest (real HTTP through the SDK to the sandbox)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest
from sqlmodel import col, select

from models import Shipment, XeroConnection, XeroUsage, utcnow
from services import budget, connections, settings, usage, worker
from services.db import session_scope
from services.sync import send_shipments
from services.xero.adapter import TokenSet
from services.xero.errors import XeroRateLimited, XeroTokenRejected
from tests.utils.factories import id_of, make_shipment, stored


def bodies_served(sandbox) -> dict[str, int]:
    """Bytes of each Accounting API response the sandbox sends, per path, from now on."""
    served: dict[str, int] = defaultdict(int)

    def observe(exchange) -> None:
        if exchange.path.startswith("/api.xro/"):
            served[exchange.path.rsplit("/", 1)[-1]] += len(exchange.response_body)

    sandbox.app.state.sandbox.observers.append(observe)
    return served


@pytest.fixture
def served(sandbox):
    found = bodies_served(sandbox)
    yield found
    sandbox.app.state.sandbox.observers.clear()


def test_bytes_counted_are_the_bytes_the_sandbox_sent(engine, connected, served):
    tenant = connected.tenant_id
    with session_scope(engine) as session:
        adapter = connections.adapter_for(connected, session=session)
        contacts = adapter.contacts(tenant)
        adapter.accounts(tenant)
        adapter.accounts(tenant)
    with session_scope(engine) as session:
        today = usage.day_usage(session=session, tenant_ids=[tenant])[tenant]

    assert contacts and served["Contacts"] > 0
    assert today.by_kind["contacts.read"] == (1, served["Contacts"])
    assert today.by_kind["accounts.read"] == (2, served["Accounts"])
    assert adapter.stats.bytes == served["Contacts"] + served["Accounts"]


def test_an_error_body_is_counted_too(engine, connected, served):
    tenant = connected.tenant_id
    with session_scope(engine) as session:
        adapter = connections.adapter_for(connected, session=session)
        # A token Xero does not know, and none to refresh it with: Xero answers 401 with a body.
        assert adapter.token is not None
        adapter.token = TokenSet("not-a-token", None, adapter.token.expires_at)
        with pytest.raises(XeroTokenRejected):
            adapter.invoices_by_id(tenant, ["0b7e4a55-0000-4000-8000-000000000001"])
    with session_scope(engine) as session:
        [row] = session.exec(
            select(XeroUsage).where(
                XeroUsage.tenant_id == tenant, XeroUsage.kind == "invoices.read"
            )
        ).all()
    assert row.calls == 1
    assert row.bytes == served["Invoices"] > 0


def calls_today(engine, tenant_id: str) -> usage.DayCount:
    with session_scope(engine) as session:
        return usage.day_count(session=session, tenant_id=tenant_id)


def pull_as_if_long_ago(engine, connection_id: int) -> None:
    """The worker's scheduled payment pull, with the last one a day ago: only the budget, not
    the spacing since the last pull, can hold it back."""
    with session_scope(engine) as session:
        row = stored(session, XeroConnection, connection_id)
        row.payments_pulled_at = utcnow() - timedelta(days=1)
    worker.pull_payments(engine=engine)


def test_on_starter_scheduled_reads_stop_at_their_share_and_sends_still_go(
    engine, connected, sandbox, monkeypatch
):
    monkeypatch.setenv("XERO_PRICING_TIER", "starter")
    monkeypatch.setenv("XERO_SCHEDULED_READ_SHARE", "0.02")
    settings.get_settings.cache_clear()
    sandbox.set_day_limit(budget.DAY_LIMITS["starter"])
    allowance = int(budget.DAY_LIMITS["starter"] * 0.02)
    tenant = connected.tenant_id
    with session_scope(engine) as session:
        first = [id_of(make_shipment(session)) for _ in range(2)]
    send_shipments(shipment_ids=first, trigger="bulk", user="ops")

    reads_seen = []
    for _ in range(allowance):
        pull_as_if_long_ago(engine, id_of(connected))
        reads_seen.append(calls_today(engine, tenant).reads)
    stopped_at = calls_today(engine, tenant)
    pull_as_if_long_ago(engine, id_of(connected))

    assert calls_today(engine, tenant) == stopped_at  # the share is used up: no call at all
    assert reads_seen[0] < stopped_at.reads <= allowance
    assert reads_seen[-1] == stopped_at.reads
    with session_scope(engine) as session:
        more = [id_of(make_shipment(session)) for _ in range(3)]
    result = send_shipments(shipment_ids=more, trigger="bulk", user="ops")
    with session_scope(engine) as session:
        sent = session.exec(select(Shipment).where(col(Shipment.id).in_(more))).all()
    assert {s.sync_state for s in sent} == {"Processed"}, result
    assert calls_today(engine, tenant).calls > stopped_at.calls


def test_the_sandbox_refuses_calls_past_the_apps_day_limit(engine, connected, sandbox):
    sandbox.set_day_limit(3)
    tenant = connected.tenant_id
    with session_scope(engine) as session:
        adapter = connections.adapter_for(connected, session=session)
        # Shipbridge's own limiter would hold the call back once Xero says none are left.
        adapter.limiter = None
        while adapter.stats.day_remaining != 0:
            adapter.accounts(tenant)
        with pytest.raises(XeroRateLimited) as refused:
            adapter.accounts(tenant)
    assert refused.value.problem == "day"
    assert [c["status"] for c in sandbox.calls(tenant)][-1] == 429
