"""The send's last checks (issue 13): the fence is checked immediately before the request
goes to Xero, after any wait for the rate limit, so a send whose claim was taken over while it
waited sends nothing; and a lost answer whose batch is only partly found in Xero applies what
was found and sends only the rest (under its own idempotency key)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from bench.chaos_scenarios import SendRecorder, numbers, wait_for
from models import IntegrationLog, Outcome, SyncState, utcnow
from services import claims, connections, reference_data, settings, sync
from services.db import session_scope
from services.fencing import TAKEN_OVER
from tests.services.test_fair_leasing import fill_minute
from tests.services.test_faults import documents_in_xero, states
from tests.utils.factories import line, make_shipment
from xero_sandbox.seed import seed_id


def shipments(engine, n: int, **overrides) -> list[int]:
    with session_scope(engine) as session:
        return [i for i in (make_shipment(session, **overrides).id for _ in range(n)) if i]


def know_xeros_codes(engine):
    """Shipbridge's cache of the organisation's codes, so a send needs no read first."""
    with session_scope(engine) as session:
        connection = connections.default_connection(session=session)
        assert connection is not None
        adapter = connections.adapter_for(connection, session=session)
        reference_data.refresh(session=session, connection=connection, adapter=adapter)
        return adapter, connection.tenant_id


def invoice_calls(sandbox, since: int) -> list[dict]:
    return [
        c
        for c in sandbox.calls(since_id=since)
        if c["method"] in ("PUT", "POST") and c["path"].endswith("/Invoices")
    ]


def last_call(sandbox) -> int:
    return max([c["id"] for c in sandbox.calls()] or [0])


@pytest.fixture
def sends(monkeypatch) -> dict[str, list[str]]:
    recorder = SendRecorder()
    monkeypatch.setattr(sync, "idempotency_key", recorder)
    return recorder.batches


def test_a_claim_taken_over_while_the_send_waited_for_the_limit_sends_nothing(
    engine, connected, sandbox, monkeypatch
):
    # A one-second claim that is never renewed, and a Xero minute of about 15 s for our
    # limiter: the send's one call waits for the window longer than its claim lasts.
    monkeypatch.setenv("SYNC_LEASE_SECONDS", "1")
    monkeypatch.setenv("XERO_RATE_CLOCK_SCALE", "4")
    settings.get_settings.cache_clear()
    monkeypatch.setattr(claims.Heartbeat, "__enter__", lambda self: self)
    ids = shipments(engine, 3)
    _adapter, tenant = know_xeros_codes(engine)
    mark = last_call(sandbox)
    limiter = fill_minute(engine, tenant)
    opening, _ = limiter.next_call_at(tenant)
    assert opening > utcnow() + timedelta(seconds=3)  # the wait outlasts the claim
    taken: list[claims.Claim] = []

    def take_over() -> None:
        assert wait_for(lambda: set(states(engine).values()) == {SyncState.SENDING})
        time.sleep(1.2)  # the claim runs out while the send waits for the window
        taken.append(claims.claim(engine=engine, shipment_ids=ids, token=claims.new_token("w2")))

    other = threading.Thread(target=take_over)
    other.start()
    result = sync.send_shipments(shipment_ids=ids, trigger="bulk", user="ops", max_inline_wait=30)
    other.join()
    assert sorted(taken[0].fences) == sorted(ids)
    assert [o.messages for o in result.outcomes] == [[TAKEN_OVER]] * 3
    assert invoice_calls(sandbox, mark) == []  # nothing went to Xero
    with session_scope(engine) as session:
        assert session.exec(select(IntegrationLog)).all() == []


def test_a_lost_answer_found_in_part_applies_that_part_and_sends_only_the_rest(
    engine, connected, sandbox, sends
):
    good = shipments(engine, 3)
    [odd] = shipments(engine, 1, lines=[line(product_code="WIDGET-B", unit_price="20.00")])
    adapter, tenant = know_xeros_codes(engine)
    # Xero's item WIDGET-B is renamed after Shipbridge read it: Xero refuses that document
    # alone and commits the rest of the batch (xero-facts.md §3: "Item code '…' is not valid").
    assert adapter.token is not None
    renamed = httpx.post(
        f"{sandbox.url}/api.xro/2.0/Items/{seed_id(tenant, 'item', 'WIDGET-B')}",
        json={"Items": [{"Code": "WIDGET-B2"}]},
        headers={
            "Authorization": f"Bearer {adapter.token.access_token}",
            "xero-tenant-id": tenant,
            "Accept": "application/json",
        },
    )
    assert renamed.status_code == 200, renamed.text
    sandbox.inject_faults("drop-after", path_contains="/Invoices")  # committed, answer lost
    mark = last_call(sandbox)
    result = sync.send_shipments(shipment_ids=[*good, odd], trigger="bulk", user="ops")
    by_id = {o.shipment_id: o for o in result.outcomes}
    assert [by_id[i].outcome for i in good] == [Outcome.PROCESSED] * 3
    assert by_id[odd].outcome == Outcome.REJECTED
    assert by_id[odd].xero_messages == ["Item code 'WIDGET-B' is not valid"]
    # Two calls: the whole batch (lost answer), then only the one not found, under its own key.
    calls = invoice_calls(sandbox, mark)
    assert len(calls) == 2
    first, second = (sends[c["idempotency_key"]] for c in calls)
    assert sorted(first) == sorted(numbers(engine, [*good, odd]))
    assert second == numbers(engine, [odd])
    assert calls[0]["idempotency_key"] != calls[1]["idempotency_key"]
    assert dict(documents_in_xero(engine)) == {n: 1 for n in numbers(engine, good)}
    with session_scope(engine) as session:
        notes = session.exec(
            select(IntegrationLog.note).where(IntegrationLog.outcome == Outcome.PROCESSED)
        ).all()
    assert len(notes) == 3 and all("Found in Xero" in (n or "") for n in notes)
