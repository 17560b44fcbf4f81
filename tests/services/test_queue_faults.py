"""The queue never sends twice and never stalls (issue 13): for each fault, every shipment
ends Processed, Rejected, Needs attention or queued; Xero holds one document per shipment;
every shipment was in exactly one create-or-update call Xero committed (counted from the
sandbox's call log, not from the idempotency key absorbing a second one); and no claim or
lease is held once the fault has passed."""

from __future__ import annotations

import time

import pytest
from sqlmodel import select

from bench.chaos_scenarios import (
    SendRecorder,
    committed_sends,
    drain,
    enqueue,
    in_thread,
    make_due,
    numbers,
    wait_for,
)
from models import IntegrationLog, JobStatus, Outcome, SyncJob, SyncState
from services import claims, queue, queue_leases, settings, sync
from services.db import session_scope
from services.document_kinds import DocumentKind
from services.fencing import TAKEN_OVER, UNCHANGED
from services.worker import run_once
from tests.services.test_faults import documents_in_xero, new_shipments, states

SETTLED = {SyncState.PROCESSED, SyncState.REJECTED, SyncState.QUEUED}


@pytest.fixture
def short_lease(sandbox, monkeypatch):
    """A one-second claim, renewed by heartbeat; Xero calls time out after 3 s."""
    monkeypatch.setenv("SYNC_LEASE_SECONDS", "1")
    monkeypatch.setenv("XERO_TIMEOUT", "3")
    settings.get_settings.cache_clear()


@pytest.fixture
def sends(monkeypatch) -> dict[str, list[str]]:
    """Each batch's idempotency key and the document numbers it carried, as sent."""
    recorder = SendRecorder()
    monkeypatch.setattr(sync, "idempotency_key", recorder)
    return recorder.batches


def assert_settled(engine, sandbox, batches, ids, *, processed=True) -> None:
    by_id = states(engine)
    assert {by_id[i] for i in ids} <= SETTLED, by_id  # nothing lost, nothing left Sending
    if processed:
        assert {by_id[i] for i in ids} == {SyncState.PROCESSED}, by_id
    in_xero = documents_in_xero(engine)
    assert set(in_xero.values()) <= {1}, in_xero  # no duplicate document
    done = numbers(engine, [i for i in ids if by_id[i] == SyncState.PROCESSED])
    assert sorted(in_xero) == done
    committed = committed_sends(sandbox, batches)
    assert dict(committed) == {n: 1 for n in done}, committed  # no double send
    with session_scope(engine) as session:
        assert claims.held_count(session=session) == 0
        running = session.exec(select(SyncJob).where(SyncJob.status == JobStatus.RUNNING))
        assert running.all() == []


def test_the_page_racing_the_worker_sends_each_shipment_once(
    engine, connected, sandbox, sends, short_lease
):
    ids = new_shipments(engine, 6)
    enqueue(engine, ids)
    sandbox.inject_faults("timeout", path_contains="/Invoices", seconds=1)
    results = []
    worker = in_thread(lambda: run_once(engine=engine, worker_id="w1"))
    page = in_thread(
        lambda: results.append(sync.send_shipments(shipment_ids=ids, trigger="bulk", user="ops"))
    )
    worker.join()
    page.join()
    drain(engine)
    assert_settled(engine, sandbox, sends, ids)
    # The page sent afterwards: everything is in Xero unchanged, nothing goes again.
    again = sync.send_shipments(shipment_ids=ids, trigger="bulk", user="ops")
    assert [o.messages for o in again.outcomes] == [[UNCHANGED]] * len(ids)
    assert_settled(engine, sandbox, sends, ids)


def test_two_workers_with_a_short_lease_send_each_shipment_once(
    engine, connected, sandbox, sends, short_lease
):
    ids = new_shipments(engine, 15)
    enqueue(engine, ids)
    # Each batch's call outlasts the lease: only the heartbeat keeps it.
    sandbox.inject_faults("timeout", 2, path_contains="/Invoices", seconds=1.5)
    workers = [in_thread(lambda w=w: drain(engine, worker_id=w)) for w in ("w1", "w2")]
    for worker in workers:
        worker.join()
    drain(engine)
    assert_settled(engine, sandbox, sends, ids)


def test_a_lease_outlasted_by_its_batch_is_renewed_not_taken_over(
    engine, connected, sandbox, sends, short_lease
):
    ids = new_shipments(engine, 5)
    enqueue(engine, ids)
    sandbox.inject_faults("timeout", path_contains="/Invoices", seconds=2.5)
    first = in_thread(lambda: run_once(engine=engine, worker_id="w1"))
    assert wait_for(lambda: set(states(engine).values()) == {SyncState.SENDING})
    time.sleep(1.5)  # the one-second lease would have run out without the heartbeat
    assert run_once(engine=engine, worker_id="w2") == 0
    first.join()
    assert_settled(engine, sandbox, sends, ids)


def test_a_claim_taken_over_mid_call_applies_nothing_and_is_not_sent_again(
    engine, connected, sandbox, sends, short_lease, monkeypatch
):
    ids = new_shipments(engine, 4)
    enqueue(engine, ids)
    # The first worker's heartbeat never beats (as when its database connection hangs).
    monkeypatch.setattr(claims.Heartbeat, "__enter__", lambda self: self)
    sandbox.inject_faults("timeout", path_contains="/Invoices", seconds=2.5)
    results = {}
    real_send = sync.send_shipments

    def send_and_keep(**kw):
        results[kw["claim"].token.split(":")[0]] = result = real_send(**kw)
        return result

    monkeypatch.setattr("services.worker.send_shipments", send_and_keep)
    first = in_thread(lambda: run_once(engine=engine, worker_id="w1"))
    assert wait_for(lambda: set(states(engine).values()) == {SyncState.SENDING})
    time.sleep(1.3)  # the call is in flight; the one-second claim runs out, unrenewed
    # The second worker takes the expired lease over; the first call may still reach Xero,
    # so it sends nothing yet.
    assert run_once(engine=engine, worker_id="w2") == 4
    first.join()
    taken_over = [o for o in results["w1"].outcomes if o.messages == [TAKEN_OVER]]
    assert len(taken_over) == 4, results["w1"].outcomes
    drain(engine)  # the next try finds the documents in Xero
    assert_settled(engine, sandbox, sends, ids)


def test_a_worker_killed_after_xero_committed_loses_nothing_and_sends_nothing_twice(
    engine, connected, sandbox, sends, short_lease, monkeypatch
):
    ids = new_shipments(engine, 5)
    enqueue(engine, ids)
    real_save = DocumentKind.save

    def save_then_die(self, *args, **kwargs):
        real_save(self, *args, **kwargs)
        raise SystemExit("killed")  # as kill -9: no release, no heartbeat, no answer applied

    with monkeypatch.context() as dying:
        dying.setattr(DocumentKind, "save", save_then_die)
        dying.setattr(claims, "release", lambda **_: None)
        dying.setattr(claims.Heartbeat, "__enter__", lambda self: self)
        with pytest.raises(SystemExit):
            run_once(engine=engine, worker_id="dead")
    assert set(states(engine).values()) == {SyncState.SENDING}
    time.sleep(1.2)  # the dead worker's lease runs out
    drain(engine)
    assert_settled(engine, sandbox, sends, ids)
    with session_scope(engine) as session:
        notes = session.exec(
            select(IntegrationLog.note).where(IntegrationLog.outcome == "Processed")
        )
        assert all("Found in Xero" in (n or "") for n in notes)


def test_a_lease_taken_then_abandoned_is_taken_over_within_its_lease(
    engine, connected, sandbox, sends, short_lease
):
    ids = new_shipments(engine, 5)
    enqueue(engine, ids)
    assert len(queue_leases.lease_batch(engine=engine, worker_id="dead")) == 5
    assert run_once(engine=engine, worker_id="w2") == 0  # still held by the dead worker
    time.sleep(1.2)
    drain(engine)
    assert_settled(engine, sandbox, sends, ids)


def test_an_answer_lost_after_commit_is_looked_up_not_sent_again(
    engine, connected, sandbox, sends, short_lease
):
    ids = new_shipments(engine, 4)
    sandbox.inject_faults("drop-after", path_contains="/Invoices")
    result = sync.send_shipments(shipment_ids=ids, trigger="bulk", user="ops")
    assert result.count(Outcome.PROCESSED) == 4, result.outcomes
    assert_settled(engine, sandbox, sends, ids)


def test_an_answer_and_its_lookup_both_lost_are_looked_up_next_time_not_sent_again(
    engine, connected, sandbox, sends, short_lease
):
    ids = new_shipments(engine, 4)
    enqueue(engine, ids)
    # Xero commits the batch and its answer is lost; the lookup by number loses its answer too.
    sandbox.inject_faults("drop-after", 2, path_contains="/Invoices")
    run_once(engine=engine, worker_id="w1")
    # Unknown whether Xero holds them: queued to look first, not sent again in this attempt.
    assert set(states(engine).values()) == {SyncState.QUEUED}
    assert dict(committed_sends(sandbox, sends)) == {n: 1 for n in numbers(engine, ids)}
    drain(engine)  # the next attempt looks them up and finds them
    assert_settled(engine, sandbox, sends, ids)
    with session_scope(engine) as session:
        notes = session.exec(
            select(IntegrationLog.note).where(IntegrationLog.outcome == "Processed")
        ).all()
    assert len(notes) == 4
    assert all("Found in Xero" in (n or "") for n in notes), notes


@pytest.mark.parametrize("kind", ["429-minute", "429-day"])
def test_a_429_waits_and_sends_once(engine, connected, sandbox, sends, short_lease, kind):
    ids = new_shipments(engine, 4)
    enqueue(engine, ids)
    retry_after = 3 if kind == "429-minute" else 3600
    sandbox.inject_faults(kind, path_contains="/Invoices", retry_after=retry_after)
    run_once(engine=engine, worker_id="w1")
    if kind == "429-minute":
        make_due(engine)
        # Held until Xero's Retry-After: the organisation is skipped, no worker waits for it.
        assert run_once(engine=engine, worker_id="w1") == 0
        time.sleep(retry_after)
    if kind == "429-day":
        assert_settled(engine, sandbox, sends, ids, processed=False)
        with session_scope(engine) as session:
            jobs = session.exec(select(SyncJob)).all()
        # Xero's Retry-After is honoured: the next try is an hour away.
        assert min(j.not_before for j in jobs).timestamp() > time.time() + 3000
    drain(engine)
    assert_settled(engine, sandbox, sends, ids)


@pytest.mark.parametrize("status", ["500", "503"])
def test_a_burst_of_server_errors_backs_off_and_logs_one_failure(
    engine, connected, sandbox, sends, short_lease, status
):
    ids = new_shipments(engine, 3)
    enqueue(engine, ids)
    sandbox.inject_faults(status, 4, path_contains="/Invoices")
    run_once(engine=engine, worker_id="w1")  # three tries inline, all failing
    run_once(engine=engine, worker_id="w1")  # its backoff has not passed: nothing is tried
    assert set(states(engine).values()) == {SyncState.QUEUED}
    drain(engine)  # one more failure, then through
    assert_settled(engine, sandbox, sends, ids)
    with session_scope(engine) as session:
        failed = session.exec(
            select(IntegrationLog.shipment_id).where(IntegrationLog.outcome == Outcome.FAILED)
        ).all()
    assert sorted(i for i in failed if i is not None) == sorted(
        ids
    )  # one row per change of state, not one per try


def test_a_job_failing_too_often_needs_attention_until_retried(
    engine, connected, sandbox, sends, short_lease, monkeypatch
):
    monkeypatch.setenv("SYNC_MAX_ATTEMPTS", "2")
    settings.get_settings.cache_clear()
    ids = new_shipments(engine, 2)
    enqueue(engine, ids)
    sandbox.inject_faults("503", 100, path_contains="/Invoices")
    drain(engine)
    with session_scope(engine) as session:
        jobs = session.exec(select(SyncJob)).all()
    assert {j.status for j in jobs} == {JobStatus.NEEDS_ATTENTION}
    sandbox.clear_faults()
    assert_settled(engine, sandbox, sends, ids, processed=False)
    with session_scope(engine) as session:  # the pages' Retry
        assert sorted(queue.needing_attention(session=session)) == sorted(ids)
        assert queue.retry_needing_attention(session=session, user="ops") == len(ids)
    drain(engine)
    assert_settled(engine, sandbox, sends, ids)


def test_a_page_closed_mid_send_is_picked_up_by_the_worker_and_not_sent_again(
    engine, connected, sandbox, sends, short_lease, monkeypatch
):
    ids = new_shipments(engine, 3)
    real_save = DocumentKind.save

    def save_then_die(self, *args, **kwargs):
        real_save(self, *args, **kwargs)
        raise SystemExit("closed")  # the page's process went away with the answer

    with monkeypatch.context() as dying:
        dying.setattr(DocumentKind, "save", save_then_die)
        dying.setattr(claims, "release", lambda **_: None)
        dying.setattr(claims.Heartbeat, "__enter__", lambda self: self)
        with pytest.raises(SystemExit):
            sync.send_shipments(shipment_ids=ids, trigger="bulk", user="ops")
    with session_scope(engine) as session:
        assert session.exec(select(SyncJob)).all() == []  # a page send queues nothing
    time.sleep(1.2)  # its claim runs out
    drain(engine)
    assert_settled(engine, sandbox, sends, ids)
