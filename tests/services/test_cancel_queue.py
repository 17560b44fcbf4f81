"""Cancellations on the queue (issue 15 item 1: "Credit notes go through the same engine as
invoices (… batches of up to 10, one call per batch, idempotency, logs, View error, retry,
Push remaining includes them)"). The panel queues a void, delete or credit note; the worker
does it, retries a failure with the send's backoff, parks it in Needs attention after the
most tries, and Retry brings it back. Against the sandbox over HTTP through the SDK.

Xero's rules: voiding is POSTing Status VOIDED to /Invoices (xero-facts.md §9); a 503 is a
failure Xero did not apply (xero_sandbox/faults.py answers before touching any document)."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bench.chaos_scenarios import drain, make_due
from models import IntegrationLog, JobKind, JobStatus, Outcome, Shipment, SyncJob, SyncState
from services import cancel_jobs, claims, queue, queue_leases, settings
from services.cancellation import Action, CancelError, CancelRequest
from services.db import session_scope
from services.mapping import update_sync_settings
from services.shipment_edits import change_status
from services.sync import send_shipments
from services.worker import run_once
from tests.services.test_cancellation import calls_to, invoice_in_xero, sent
from tests.utils.factories import id_of, stored


def queue_cancel(engine, shipment: Shipment, action: Action = Action.VOID, lines=()) -> str:
    with session_scope(engine) as session:
        return cancel_jobs.enqueue_cancel(
            session=session, request=CancelRequest(id_of(shipment), action, lines), user="ops"
        )


def applied_voids(sandbox, since: list[dict]) -> list[dict]:
    """POSTs to /Invoices Xero answered 200 after `since` was read: the status changes it
    applied (a faulted call is answered 503 and applies nothing)."""
    seen = {c["id"] for c in since}
    return [
        c
        for c in calls_to(sandbox, "POST", "/Invoices")
        if c["id"] not in seen and c["status"] == 200
    ]


def cancel_logs(engine, shipment_id: int) -> list[IntegrationLog]:
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(IntegrationLog)
                .where(
                    col(IntegrationLog.shipment_id) == shipment_id,
                    col(IntegrationLog.trigger) == "cancel",
                )
                .order_by(col(IntegrationLog.id))
            )
        )


def jobs_of(engine, shipment_id: int) -> list[SyncJob]:
    with session_scope(engine) as session:
        return list(session.exec(select(SyncJob).where(SyncJob.shipment_id == shipment_id)))


def test_a_queued_void_is_done_by_the_worker(engine, connected, sandbox):
    shipment = sent(engine)
    said = queue_cancel(engine, shipment)
    assert said.startswith(f"Queued: void {shipment.xero_document_number} in Xero")
    # Nothing happened in Xero yet: the panel only queued it.
    assert invoice_in_xero(engine, shipment.xero_document_id)["Status"] == "AUTHORISED"
    with session_scope(engine) as session:
        assert queue.progress(session=session).waiting == 1  # counted with the sends
        note = cancel_jobs.waiting_note(session=session, shipment_id=id_of(shipment))
    assert note is not None and note.startswith("Queued: void")
    before = sandbox.calls()
    assert run_once(engine=engine, worker_id="w1") == 1
    assert invoice_in_xero(engine, shipment.xero_document_id)["Status"] == "VOIDED"
    assert len(applied_voids(sandbox, before)) == 1
    [job] = jobs_of(engine, id_of(shipment))
    assert (job.kind, job.status, job.last_error) == (JobKind.CANCEL, JobStatus.DONE, None)
    [entry] = cancel_logs(engine, id_of(shipment))
    assert (entry.action, entry.outcome) == ("void", Outcome.PROCESSED)
    with session_scope(engine) as session:
        again = stored(session, Shipment, id_of(shipment))
        assert again.xero_status == "VOIDED"
        assert again.sync_state == SyncState.PROCESSED  # a cancel job never marks it Queued
        assert claims.held_count(session=session) == 0
        assert cancel_jobs.waiting_note(session=session, shipment_id=id_of(shipment)) is None
        assert queue.progress(session=session).sent == 1


def test_a_503_is_retried_later_and_voids_once(engine, connected, sandbox):
    shipment = sent(engine)
    queue_cancel(engine, shipment)
    before = sandbox.calls()
    sandbox.inject_faults("503", 1, path_contains="/Invoices")
    run_once(engine=engine, worker_id="w1")
    [job] = jobs_of(engine, id_of(shipment))
    assert job.status == JobStatus.QUEUED and job.last_error
    assert run_once(engine=engine, worker_id="w1") == 0  # its backoff has not passed
    assert invoice_in_xero(engine, shipment.xero_document_id)["Status"] == "AUTHORISED"
    drain(engine)
    assert invoice_in_xero(engine, shipment.xero_document_id)["Status"] == "VOIDED"
    assert len(applied_voids(sandbox, before)) == 1  # never doubled
    [job] = jobs_of(engine, id_of(shipment))
    assert job.status == JobStatus.DONE
    outcomes = [e.outcome for e in cancel_logs(engine, id_of(shipment))]
    assert outcomes == [Outcome.FAILED, Outcome.PROCESSED]


def test_after_the_most_tries_it_needs_attention_and_retry_brings_it_back(
    engine, connected, sandbox, monkeypatch
):
    monkeypatch.setenv("SYNC_MAX_ATTEMPTS", "2")
    settings.get_settings.cache_clear()
    shipment = sent(engine)
    queue_cancel(engine, shipment)
    sandbox.inject_faults("503", 100, path_contains="/Invoices")
    drain(engine)
    [job] = jobs_of(engine, id_of(shipment))
    assert job.status == JobStatus.NEEDS_ATTENTION
    with session_scope(engine) as session:
        assert queue.needing_attention(session=session) == [id_of(shipment)]
        note = cancel_jobs.waiting_note(session=session, shipment_id=id_of(shipment))
        assert note is not None and "Retry" in note
        assert stored(session, Shipment, id_of(shipment)).sync_state == SyncState.PROCESSED
    outcomes = [e.outcome for e in cancel_logs(engine, id_of(shipment))]
    assert outcomes == [Outcome.FAILED, Outcome.FAILED]  # failing, then needing attention
    sandbox.clear_faults()
    before = sandbox.calls()
    with session_scope(engine) as session:  # the pages' Retry
        assert queue.retry_needing_attention(session=session, user="ops") == 1
    drain(engine)
    assert invoice_in_xero(engine, shipment.xero_document_id)["Status"] == "VOIDED"
    assert len(applied_voids(sandbox, before)) == 1
    [job] = jobs_of(engine, id_of(shipment))
    assert (job.status, job.kind) == (JobStatus.DONE, JobKind.CANCEL)


def test_a_batch_is_one_kind_and_cancels_go_in_one_call(engine, connected, sandbox):
    first, second = sent(engine), sent(engine)
    for shipment in (first, second):
        queue_cancel(engine, shipment)
    with session_scope(engine) as session:  # a send waiting too, for the same organisation
        third = sent(engine)
        queue.enqueue(session=session, shipment_ids=[id_of(third)], trigger="retry", user="ops")
    make_due(engine)
    lease = queue_leases.lease_batch(engine=engine, worker_id="w1")
    assert {j.kind for j in lease.jobs} == {JobKind.CANCEL}
    assert sorted(j.shipment_id for j in lease.jobs) == sorted([id_of(first), id_of(second)])
    before = sandbox.calls()
    from services.worker import send_lease

    send_lease(engine=engine, lease=lease)
    assert len(applied_voids(sandbox, before)) == 1  # one call for the batch
    for shipment in (first, second):
        assert invoice_in_xero(engine, shipment.xero_document_id)["Status"] == "VOIDED"
    drain(engine)
    [job] = jobs_of(engine, id_of(third))
    assert (job.kind, job.status) == (JobKind.SEND, JobStatus.DONE)


def test_a_refused_cancel_is_closed_with_xeros_reason(engine, connected, sandbox):
    shipment = sent(engine)
    queue_cancel(engine, shipment)
    sandbox.record_payment(shipment.xero_document_id, "1.00")  # paid meanwhile: no void
    run_once(engine=engine, worker_id="w1")
    [job] = jobs_of(engine, id_of(shipment))
    assert job.status == JobStatus.DONE and "cannot void" in (job.last_error or "")
    assert invoice_in_xero(engine, shipment.xero_document_id)["Status"] == "AUTHORISED"
    with session_scope(engine) as session:
        assert queue.progress(session=session).rejected == 1


def test_a_credit_note_goes_through_the_queue(engine, connected, sandbox):
    shipment = sent(engine)
    sandbox.record_payment(shipment.xero_document_id, "1.00")
    said = queue_cancel(engine, shipment, Action.CREDIT, (1,))
    assert said.startswith("Queued: raise a credit note for")
    run_once(engine=engine, worker_id="w1")
    [entry] = cancel_logs(engine, id_of(shipment))
    assert (entry.action, entry.outcome, entry.document_type) == (
        "credit",
        Outcome.PROCESSED,
        "creditnote",
    )
    [job] = jobs_of(engine, id_of(shipment))
    assert job.status == JobStatus.DONE


def test_a_second_request_while_one_waits_is_refused(engine, connected, sandbox):
    shipment = sent(engine)
    queue_cancel(engine, shipment)
    with pytest.raises(CancelError, match="already has a cancellation waiting"):
        queue_cancel(engine, shipment, Action.CREDIT)
    assert len(jobs_of(engine, id_of(shipment))) == 1


def test_a_send_while_a_cancellation_waits_is_refused_and_said(engine, connected, sandbox):
    """The cancellation stays what it was (it used to be rewritten into a send, silently):
    Push remaining, Retry all and a status change name the shipment as not queued, and a
    page's send leaves it out with the reason, calling Xero for nothing."""
    shipment, other = sent(engine), sent(engine)
    queue_cancel(engine, shipment)
    with session_scope(engine) as session:
        for s in (shipment, other):  # both edited since they were sent
            session.exec(
                update(Shipment)
                .where(col(Shipment.id) == id_of(s))
                .values(sync_state=SyncState.CHANGED)
            )
    with session_scope(engine) as session:
        answer = queue.enqueue(
            session=session,
            shipment_ids=[id_of(shipment), id_of(other)],
            trigger="bulk",
            user="ops",
        )
    assert (answer.added, answer.cancelling) == (1, (id_of(shipment),))
    [job] = jobs_of(engine, id_of(shipment))
    assert (job.kind, job.cancel_action, job.trigger) == (JobKind.CANCEL, "void", "cancel")
    [send_job] = jobs_of(engine, id_of(other))
    assert send_job.kind == JobKind.SEND
    with session_scope(engine) as session:
        assert stored(session, Shipment, id_of(shipment)).sync_state == SyncState.CHANGED
        assert stored(session, Shipment, id_of(other)).sync_state == SyncState.QUEUED

    before = sandbox.calls()
    result = send_shipments(shipment_ids=[id_of(shipment)], trigger="bulk", user="ops")
    [outcome] = result.outcomes
    assert outcome.outcome == "Skipped"
    assert outcome.messages == [f"Not sent. {queue.CANCELLATION_WAITS}"]
    assert sandbox.calls() == before  # nothing went to Xero
    with session_scope(engine) as session:
        assert stored(session, Shipment, id_of(shipment)).claim_token is None  # released

    drain(engine)  # the void is done as asked, and the other shipment sent
    assert invoice_in_xero(engine, shipment.xero_document_id)["Status"] == "VOIDED"
    with session_scope(engine) as session:
        answer = queue.enqueue(
            session=session, shipment_ids=[id_of(shipment)], trigger="bulk", user="ops"
        )
    assert (answer.added, answer.cancelling) == (1, ())  # once done, it can be sent again


def test_a_status_change_to_the_trigger_names_a_shipment_it_could_not_queue(
    engine, connected, sandbox
):
    shipment = sent(engine)
    queue_cancel(engine, shipment)
    with session_scope(engine) as session:
        update_sync_settings(
            session=session,
            user="admin",
            changes={"queue_on_trigger": True, "trigger_status": "Delivered"},
        )
        session.exec(
            update(Shipment)
            .where(col(Shipment.id) == id_of(shipment))
            .values(sync_state=SyncState.CHANGED, workflow_status="Shipped")
        )
    with session_scope(engine) as session:
        moved = change_status(
            session=session, shipment_ids=[id_of(shipment)], status="Delivered", user="ops"
        )
    assert moved.at_trigger == [id_of(shipment)]
    assert moved.cancelling_numbers() == [shipment.shipment_number]
    assert moved.queued_numbers() == []
    [job] = jobs_of(engine, id_of(shipment))
    assert (job.kind, job.status) == (JobKind.CANCEL, JobStatus.QUEUED)
