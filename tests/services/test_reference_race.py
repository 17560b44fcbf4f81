"""Two workers refreshing the same organisation's reference data at once (as `make chaos` found):
both succeed, and the cache holds one row per Xero record (no unique-key violation)."""

from __future__ import annotations

import logging
import threading
from collections import Counter

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select

from bench.chaos_scenarios import drain, enqueue, in_thread
from models import (
    SyncBookmark,
    SyncState,
    XeroAccount,
    XeroConnection,
    XeroContact,
    XeroCurrency,
    XeroItem,
    XeroTaxRate,
)
from services import connections, reference_data, worker
from services.db import session_scope
from services.xero.adapter import XeroAdapter
from tests.services.test_faults import new_shipments, states

CACHED = (XeroContact, XeroItem, XeroAccount, XeroTaxRate, XeroCurrency, SyncBookmark)


def forget_reference_data(engine, tenant: str) -> None:
    """As for an organisation never refreshed yet: nothing cached, no bookmark."""
    with session_scope(engine) as session:
        for table in CACHED:
            session.exec(delete(table).where(col(table.tenant_id) == tenant))


def test_two_workers_refreshing_one_organisation_at_once_both_succeed(
    engine, connected, monkeypatch
):
    tenant = connected.tenant_id
    forget_reference_data(engine, tenant)
    # Both have read everything from Xero before either writes: their writes overlap.
    both_read = threading.Barrier(2, timeout=30)
    real_currencies = XeroAdapter.currencies

    def currencies_then_wait(self, tenant_id):
        answer = real_currencies(self, tenant_id)
        both_read.wait()
        return answer

    monkeypatch.setattr(XeroAdapter, "currencies", currencies_then_wait)
    summaries = []

    def refresh() -> None:
        with session_scope(engine) as session:
            connection = session.get(XeroConnection, connected.id)
            assert connection is not None
            adapter = connections.adapter_for(connection, session=session)
            summaries.append(
                reference_data.refresh(session=session, connection=connection, adapter=adapter)
            )

    refreshing = [in_thread(refresh), in_thread(refresh)]
    for thread in refreshing:
        thread.join()  # raises what the refresh raised
    assert len(summaries) == 2
    with session_scope(engine) as session:
        contacts = session.exec(
            select(XeroContact.contact_id).where(col(XeroContact.tenant_id) == tenant)
        ).all()
        items = session.exec(
            select(XeroItem.item_id).where(col(XeroItem.tenant_id) == tenant)
        ).all()
        currencies = session.exec(
            select(XeroCurrency.code).where(col(XeroCurrency.tenant_id) == tenant)
        ).all()
        marks = session.exec(
            select(SyncBookmark.kind).where(col(SyncBookmark.tenant_id) == tenant)
        ).all()
    assert contacts and items and currencies
    assert set(Counter(contacts).values()) == {1}, Counter(contacts)
    assert set(Counter(items).values()) == {1}, Counter(items)
    assert set(Counter(currencies).values()) == {1}, Counter(currencies)
    assert sorted(marks) == ["accounts", "contacts", "items"]
    # Each refresh saw every contact Xero holds: none was lost to the other's write.
    assert all(sum(s.counts["contacts"].values()) == len(contacts) for s in summaries)


def duplicate_key() -> IntegrityError:
    return IntegrityError("INSERT INTO xero_contact …", {}, Exception("duplicate key value"))


def test_a_scheduled_read_failing_unexpectedly_is_logged_and_the_others_still_run(
    engine, monkeypatch, caplog
):
    ran = []

    def refresh_crashing(*, engine):
        raise duplicate_key()

    monkeypatch.setattr(worker, "refresh_reference_data", refresh_crashing)
    monkeypatch.setattr(worker, "pull_payments", lambda *, engine: ran.append("payments"))
    monkeypatch.setattr(worker, "check_drift", lambda *, engine: ran.append("drift"))
    with caplog.at_level(logging.ERROR, logger="shipbridge.worker"):
        worker.scheduled_reads(engine=engine)
    assert ran == ["payments", "drift"]
    failed = [r for r in caplog.records if "reference data" in r.getMessage()]
    assert len(failed) == 1 and failed[0].exc_info is not None  # with its traceback


def test_a_job_failing_unexpectedly_is_logged_and_the_worker_takes_the_next(
    engine, connected, monkeypatch, caplog
):
    ids = new_shipments(engine, 2)
    enqueue(engine, ids[:1])

    def send_crashing(**_):
        raise duplicate_key()

    with monkeypatch.context() as crashing, caplog.at_level(logging.ERROR, "shipbridge.worker"):
        crashing.setattr(worker, "send_shipments", send_crashing)
        assert worker.work_once(engine=engine, worker_id="w1") == 0
    assert any(r.exc_info is not None for r in caplog.records)  # logged with its traceback
    enqueue(engine, ids[1:])
    drain(engine, worker_id="w1")  # the same worker goes on with the next job
    assert states(engine)[ids[1]] == SyncState.PROCESSED
