"""Every injected fault ends with each shipment Processed, Rejected or still queued, and
exactly one document per shipment in Xero."""

from __future__ import annotations

import threading
from collections import Counter

import httpx
import pytest
from sqlmodel import delete, select

from models import (
    ConnectionStatus,
    JobStatus,
    RateLimitBlock,
    Shipment,
    SyncJob,
    SyncState,
    XeroConnection,
)
from services import connections, settings
from services.db import session_scope
from services.sync import send_shipments
from services.worker import run_once
from tests.services.conftest import connect
from tests.utils.factories import id_of, make_shipment, stored

FINAL = {SyncState.PROCESSED, SyncState.REJECTED, SyncState.QUEUED}


def new_shipments(engine, n=3):
    with session_scope(engine) as session:
        return [make_shipment(session).id for _ in range(n)]


def documents_in_xero(engine) -> Counter:
    """How many invoices Xero holds per number (read through the real API, once any
    Retry-After block has passed)."""
    with session_scope(engine) as session:
        session.exec(delete(RateLimitBlock))
    with session_scope(engine) as session:
        connection = connections.default_connection(session=session)
        assert connection is not None
        adapter = connections.adapter_for(connection, session=session)
        numbers = [s.shipment_number for s in session.exec(select(Shipment))]
        found = adapter.find_invoices(connection.tenant_id, numbers)
    return Counter(a.number for a in found)


def states(engine) -> dict[int, str]:
    with session_scope(engine) as session:
        return {id_of(s): s.sync_state for s in session.exec(select(Shipment))}


def assert_invariant(engine, ids, *, expect=SyncState.PROCESSED):
    by_id = states(engine)
    assert all(by_id[i] in FINAL for i in ids), by_id
    assert {by_id[i] for i in ids} == {expect}, by_id
    counts = documents_in_xero(engine)
    assert all(n == 1 for n in counts.values()), counts
    processed = sum(1 for i in ids if by_id[i] == SyncState.PROCESSED)
    assert len(counts) == processed


@pytest.mark.parametrize(
    "kind",
    ["429-minute", "429-concurrent", "429-appminute", "500", "503", "drop-before", "drop-after"],
)
def test_transient_fault_is_retried_without_duplicates(engine, connected, sandbox, kind):
    ids = new_shipments(engine)
    sandbox.inject_faults(kind, path_contains="/Invoices", retry_after=1)
    result = send_shipments(shipment_ids=ids, trigger="bulk", user="ops")
    assert result.count("Processed") == 3, result.outcomes
    assert_invariant(engine, ids)


def test_a_timeout_is_reconciled_not_created_twice(engine, connected, sandbox, monkeypatch):
    monkeypatch.setenv("XERO_TIMEOUT", "1")
    settings.get_settings.cache_clear()
    ids = new_shipments(engine)
    sandbox.inject_faults("timeout", path_contains="/Invoices", seconds=2.5)
    result = send_shipments(shipment_ids=ids, trigger="bulk", user="ops")
    assert {o.outcome for o in result.outcomes} <= {"Processed", "Failed"}
    # The lost answer was looked up by number, not blindly created again.
    lookups = [
        c for c in sandbox.calls() if c["method"] == "GET" and "InvoiceNumbers" in str(c["query"])
    ]
    assert lookups, sandbox.calls()
    # Whatever the first answer was, the worker finishes the job with one document each.
    for _ in range(5):
        if all(s == SyncState.PROCESSED for s in states(engine).values()):
            break
        _release_delays(engine)
        run_once(engine=engine, worker_id="test")
    assert_invariant(engine, ids)


def test_a_long_retry_after_goes_back_to_the_queue(engine, connected, sandbox):
    ids = new_shipments(engine)
    sandbox.inject_faults("429-day", path_contains="/Invoices", retry_after=3600)
    result = send_shipments(shipment_ids=ids, trigger="bulk", user="ops")
    assert result.count("Failed") == 3
    assert "limit was reached" in result.outcomes[0].messages[0]
    with session_scope(engine) as session:
        jobs = session.exec(select(SyncJob)).all()
    assert sorted(j.shipment_id for j in jobs) == sorted(ids)
    assert_invariant(engine, ids, expect=SyncState.QUEUED)


def test_an_expired_token_is_refreshed_and_rotated(engine, connected, sandbox):
    with session_scope(engine) as session:
        before = stored(session, XeroConnection, connected.id).refresh_token_enc
    sandbox.advance_clock(31 * 60)  # Xero now considers the access token expired
    ids = new_shipments(engine)
    result = send_shipments(shipment_ids=ids, trigger="bulk", user="ops")
    assert result.count("Processed") == 3, result.outcomes
    with session_scope(engine) as session:
        row = stored(session, XeroConnection, connected.id)
        assert row.status == ConnectionStatus.ACTIVE
        assert row.refresh_token_enc != before  # the rotated refresh token was saved


def test_a_revoked_connection_holds_sends_until_reconnected(engine, connected, sandbox):
    with session_scope(engine) as session:
        row = stored(session, XeroConnection, connected.id)
        adapter = connections.adapter_for(row, session=session)
        assert adapter.token is not None
        refresh_token = adapter.token.refresh_token
    httpx.post(
        f"{sandbox.url}/connect/revocation",
        data={
            "token": refresh_token,
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
        },
    ).raise_for_status()
    ids = new_shipments(engine)
    result = send_shipments(shipment_ids=ids, trigger="bulk", user="ops")
    assert result.count("Held") == 3
    assert "reconnect" in result.outcomes[0].messages[0]
    with session_scope(engine) as session:
        assert (
            stored(session, XeroConnection, connected.id).status == ConnectionStatus.NEEDS_RECONNECT
        )
        assert {j.status for j in session.exec(select(SyncJob))} == {JobStatus.HELD}
    assert run_once(engine=engine, worker_id="test") == 0  # held jobs are not sent
    connect(engine)  # an admin reconnects: the held jobs resume
    assert run_once(engine=engine, worker_id="test") == 3
    assert_invariant(engine, ids)


def test_two_concurrent_sends_make_one_document_each(engine, connected, sandbox):
    ids = new_shipments(engine, 5)
    results = []

    def send():
        results.append(send_shipments(shipment_ids=ids, trigger="bulk", user="ops"))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    processed = sum(r.count("Processed") for r in results)
    skipped = sum(r.count("Skipped") for r in results)
    assert processed + skipped == 10 and processed >= 5
    assert_invariant(engine, ids)


def _release_delays(engine):
    """Make queued jobs due now (the test does not wait out the backoff)."""
    from sqlalchemy import update

    from models import utcnow

    with session_scope(engine) as session:
        session.exec(update(SyncJob).values(not_before=utcnow()))
