"""Polls are their own work (issue 16, goal 2): the worker's scheduled reads (reference data,
payments, drift) run in a thread of their own, so a send is never delayed by one in progress,
and they still ask the day's budget first (services/budget.py)."""

from __future__ import annotations

import threading

from sqlalchemy import update
from sqlmodel import col, select

from bench.chaos_scenarios import enqueue, wait_for
from models import Shipment, SyncState, XeroConnection
from services import worker
from services.db import session_scope
from tests.services.test_fair_fences import know_xeros_codes, last_call, shipments


def test_a_poll_in_progress_does_not_delay_a_send(engine, connected, sandbox):
    ids = shipments(engine, 3)
    know_xeros_codes(engine)
    with session_scope(engine) as session:  # the reference refresh is due (never read yet)
        session.exec(update(XeroConnection).values(reference_refreshed_at=None))
    # Xero holds the poll's items read for 6 s (the refresh reads organisation, contacts,
    # then items).
    sandbox.inject_faults("timeout", path_contains="/Items", seconds=6)
    mark = last_call(sandbox)
    polls = worker.Polls(engine=engine)
    poll = threading.Thread(target=polls.run_once)
    poll.start()
    assert wait_for(
        lambda: any("/Contacts" in c["path"] for c in sandbox.calls(since_id=mark)), 30
    )  # the poll has reached its items read
    enqueue(engine, ids)
    assert worker.run_once(engine=engine, worker_id="w1") == 3
    with session_scope(engine) as session:
        sent = session.exec(select(Shipment.sync_state).where(col(Shipment.id).in_(ids))).all()
    poll_done_after_send = poll.is_alive()
    poll.join()
    assert set(sent) == {SyncState.PROCESSED}
    assert poll_done_after_send  # the send finished while the poll still waited for Xero
    # The poll ran to its end on its own: the items read came back after the sends.
    items = [c for c in sandbox.calls(since_id=mark) if "/Items" in c["path"]]
    invoices = [c for c in sandbox.calls(since_id=mark) if c["path"].endswith("/Invoices")]
    assert items and invoices and invoices[0]["id"] < items[-1]["id"]


def test_scheduled_reads_still_ask_the_days_budget(engine, connected, sandbox, monkeypatch):
    """A worker whose organisation has used its reads' share of the day makes no poll call."""
    monkeypatch.setenv("XERO_SCHEDULED_READ_SHARE", "0.0001")  # under one call a day
    from services import settings

    settings.get_settings.cache_clear()
    shipments(engine, 1)
    mark = last_call(sandbox)
    worker.Polls(engine=engine).run_once()
    assert sandbox.calls(since_id=mark) == []
