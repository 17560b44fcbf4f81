"""A cancellation's credit note is never raised twice, and one whose allocation failed is
allocated later (issue 15 item 1: credit notes go through the same engine as invoices:
idempotency, retry, logs). Against the sandbox over HTTP through the SDK, with its faults:

- "drop-after": the sandbox applies the request, then closes the connection without an
  answer (the client sees "remote end closed connection without response"): a lost answer.
- "drop-before": it reads the request and closes without applying it; to the client it looks
  exactly like a lost answer, so only a look-up can tell.
- "503": answered before any document is touched (xero_sandbox/faults.py).

Xero's rules: allocation is its own `PUT /CreditNotes/{id}/Allocations` call (xero-facts.md
§11, Xero support in xeroizer#196); an invoice paid off refuses it with "The invoice you are
trying to allocate to has already been paid off" (§11, xeroizer#320)."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from bench.chaos_scenarios import drain
from models import DocumentType, JobStatus, Outcome, Shipment, XeroCreditNote, as_utc, utcnow
from services import cancel_jobs, credits, queue, settings
from services.cancellation import Action
from services.db import session_scope
from services.worker import run_once
from services.xero import credit_notes as xero_credit
from services.xero.convert import element_result
from services.xero.errors import XeroUnavailable
from tests.services.test_cancel_queue import cancel_logs, jobs_of, queue_cancel
from tests.services.test_cancellation import calls_to, invoice_in_xero, sent, xero
from tests.utils.factories import id_of, stored

PAID_FIRST = Decimal("10.00")


def part_paid(engine, sandbox) -> tuple[Shipment, Decimal]:
    """A sent invoice with 10.00 paid in Xero (so it can only be credited): and its total."""
    shipment = sent(engine)
    sandbox.record_payment(shipment.xero_document_id, str(PAID_FIRST))
    total = Decimal(str(invoice_in_xero(engine, shipment.xero_document_id)["Total"]))
    return shipment, total


def credit_notes_in_xero(engine, shipment: Shipment) -> list[dict]:
    """Every credit note the sandbox holds that was raised for this shipment (any number)."""
    adapter, tenant_id = xero(engine)
    answer = adapter._api(adapter.accounting.get_credit_notes, tenant_id, page=1)
    notes = [element_result(c, DocumentType.CREDIT_NOTE).raw for c in answer.credit_notes or []]
    return [n for n in notes if shipment.shipment_number in (n.get("Reference") or "")]


def raised(sandbox) -> list[dict]:
    """Every POST /CreditNotes that reached the sandbox (answered or not)."""
    return calls_to(sandbox, "POST", "/CreditNotes")


def looked_up(sandbox) -> list[dict]:
    return [c for c in calls_to(sandbox, "GET", "/CreditNotes") if "where" in c["query"]]


def recorded(engine, shipment: Shipment) -> XeroCreditNote:
    with session_scope(engine) as session:
        [row] = session.exec(
            select(XeroCreditNote).where(XeroCreditNote.shipment_id == id_of(shipment))
        ).all()
        return row


def notes_for(engine, shipment: Shipment) -> tuple[str | None, str | None]:
    """What the shipment's page says: the cancel panel's queue note and the credit notes'
    unallocated warning."""
    with session_scope(engine) as session:
        waiting = cancel_jobs.waiting_note(session=session, shipment_id=id_of(shipment))
        current = stored(session, Shipment, id_of(shipment))
        return waiting, credits.unallocated_note(session=session, shipment=current)


def assert_one_credit_allocated(engine, sandbox, shipment: Shipment, total: Decimal) -> None:
    """Xero holds exactly one credit note for the shipment, for the whole invoice, with what
    was still owing allocated to it, to the cent; Shipbridge's copy says the same."""
    [note] = credit_notes_in_xero(engine, shipment)
    assert note["CreditNoteNumber"] == f"{shipment.xero_document_number}-CN1"
    assert Decimal(str(note["Total"])) == total
    assert Decimal(str(note["RemainingCredit"])) == PAID_FIRST
    [allocation] = note["Allocations"]
    assert Decimal(str(allocation["Amount"])) == total - PAID_FIRST
    invoice = invoice_in_xero(engine, shipment.xero_document_id)
    assert Decimal(str(invoice["AmountCredited"])) == total - PAID_FIRST
    assert (Decimal(str(invoice["AmountDue"])), invoice["Status"]) == (0, "PAID")
    row = recorded(engine, shipment)
    assert (row.total, row.allocated, row.remaining) == (total, total - PAID_FIRST, PAID_FIRST)
    assert row.credit_note_id == note["CreditNoteID"]
    [job] = jobs_of(engine, id_of(shipment))
    assert (job.status, job.last_error) == (JobStatus.DONE, None)
    assert notes_for(engine, shipment) == (None, None)


# --- 1. A lost answer to raising the credit note --------------------------------------------


def test_a_lost_answer_is_looked_up_by_number_and_not_raised_again(engine, connected, sandbox):
    shipment, total = part_paid(engine, sandbox)
    queue_cancel(engine, shipment, Action.CREDIT)
    sandbox.inject_faults("drop-after", 1, path_contains="/CreditNotes")
    run_once(engine=engine, worker_id="w1")
    [post] = raised(sandbox)  # the one request, applied, its answer dropped
    assert post["fault"] == "drop-after"
    assert len(looked_up(sandbox)) == 1
    assert_one_credit_allocated(engine, sandbox, shipment, total)
    [entry] = cancel_logs(engine, id_of(shipment))
    assert entry.outcome == Outcome.PROCESSED
    assert (entry.note or "").startswith(
        f"Found credit note {shipment.xero_document_number}-CN1 for "
        f"{credits.shown(total, 'USD')} in Xero after an earlier answer was lost: not raised "
        "again."
    )
    assert f"Allocated {credits.shown(total - PAID_FIRST, 'USD')} of it" in (entry.note or "")


def test_when_xero_cannot_be_asked_the_next_try_looks_first(engine, connected, sandbox):
    shipment, total = part_paid(engine, sandbox)
    queue_cancel(engine, shipment, Action.CREDIT)
    # The answer is lost, then the look-up meets a 503: whether Xero holds it is unknown.
    sandbox.inject_faults("drop-after", 1, path_contains="/CreditNotes")
    sandbox.inject_faults("503", 1, path_contains="/CreditNotes")
    run_once(engine=engine, worker_id="w1")
    [job] = jobs_of(engine, id_of(shipment))
    assert job.status == JobStatus.QUEUED
    assert "could not be asked whether it holds it" in (job.last_error or "")
    [held] = credit_notes_in_xero(engine, shipment)  # Xero has it, unallocated
    assert held["Allocations"] == []
    waiting, _ = notes_for(engine, shipment)
    assert waiting is not None and "could not be asked" in waiting
    assert run_once(engine=engine, worker_id="w1") == 0  # its backoff has not passed

    drain(engine)
    assert len(raised(sandbox)) == 1  # looked up and found: never POSTed again
    assert len(looked_up(sandbox)) == 2
    assert_one_credit_allocated(engine, sandbox, shipment, total)
    failed, done = cancel_logs(engine, id_of(shipment))
    assert failed.outcome == Outcome.FAILED
    assert failed.errors_plain and "looked up in Xero by its number" in failed.errors_plain
    assert done.outcome == Outcome.PROCESSED and (done.note or "").startswith("Found credit note")


def test_not_found_after_a_lost_answer_it_is_raised_once_under_the_same_key(
    engine, connected, sandbox
):
    """A dropped request looks like a lost answer; the look-up finds nothing, and the next
    try sends the very same document under the very same Idempotency-Key."""
    shipment, total = part_paid(engine, sandbox)
    queue_cancel(engine, shipment, Action.CREDIT)
    sandbox.inject_faults("drop-before", 1, path_contains="/CreditNotes")
    run_once(engine=engine, worker_id="w1")
    assert credit_notes_in_xero(engine, shipment) == []
    [job] = jobs_of(engine, id_of(shipment))
    assert job.status == JobStatus.QUEUED
    assert "does not hold credit note" in (job.last_error or "")
    assert f"{shipment.xero_document_number}-CN1" in (job.last_error or "")

    drain(engine)
    first, second = raised(sandbox)
    assert (first["fault"], second["status"]) == ("drop-before", 200)
    assert first["idempotency_key"] == second["idempotency_key"]
    assert len(looked_up(sandbox)) == 2  # after the lost answer, and before the retry
    assert_one_credit_allocated(engine, sandbox, shipment, total)


def test_a_timeout_waits_out_the_request_in_flight_then_finds_it(
    engine, connected, sandbox, monkeypatch
):
    """A read timeout: the sandbox is still working on the request when the look-up runs (it
    finds nothing), so the next try waits until the longest a call can be in flight has
    passed, looks again, and finds the credit note that landed late."""
    monkeypatch.setenv("XERO_TIMEOUT", "1")
    settings.get_settings.cache_clear()
    shipment, total = part_paid(engine, sandbox)
    queue_cancel(engine, shipment, Action.CREDIT)
    sandbox.inject_faults("timeout", 1, path_contains="/CreditNotes", seconds=4)
    started = utcnow()
    run_once(engine=engine, worker_id="w1")
    [job] = jobs_of(engine, id_of(shipment))
    assert job.status == JobStatus.QUEUED and "answer was lost" in (job.last_error or "")
    # Not before the call in flight is over: 5 s to connect + 1 s to read + 2 s.
    assert as_utc(job.not_before) >= started + timedelta(seconds=8)
    # Asked once a second: each look is a call on the organisation's limit, which the drain
    # below needs (60 a minute; polling faster would hold the worker back for a minute).
    for _ in range(12):
        if credit_notes_in_xero(engine, shipment):
            break
        time.sleep(1)
    assert len(credit_notes_in_xero(engine, shipment)) == 1
    drain(engine)
    assert len(raised(sandbox)) == 1
    assert_one_credit_allocated(engine, sandbox, shipment, total)


# --- 2. The allocation failed ---------------------------------------------------------------


def test_a_failed_allocation_is_retried_and_said_until_allocated(engine, connected, sandbox):
    shipment, total = part_paid(engine, sandbox)
    queue_cancel(engine, shipment, Action.CREDIT)
    sandbox.inject_faults("503", 1, path_contains="/Allocations")
    run_once(engine=engine, worker_id="w1")
    number = f"{shipment.xero_document_number}-CN1"
    [held] = credit_notes_in_xero(engine, shipment)
    assert (held["Allocations"], Decimal(str(held["RemainingCredit"]))) == ([], total)
    [job] = jobs_of(engine, id_of(shipment))
    assert job.status == JobStatus.QUEUED
    row = recorded(engine, shipment)
    assert (row.allocated, row.remaining) == (0, total)
    waiting, unallocated = notes_for(engine, shipment)
    assert waiting is not None
    assert waiting.startswith(f"Credit note {number} is in Xero; allocating it to the invoice")
    assert "no second credit note" in waiting
    assert unallocated is not None
    assert unallocated.startswith(f"Credit note {number} is not allocated to ")
    assert credits.shown(total - PAID_FIRST, "USD") in unallocated
    raise_entry, failed = cancel_logs(engine, id_of(shipment))
    assert raise_entry.outcome == Outcome.PROCESSED
    assert "It is not allocated to" in (raise_entry.note or "")
    assert "HTTP 503" in (raise_entry.note or "")
    assert failed.outcome == Outcome.FAILED
    assert failed.note == (
        "The credit note is in Xero, not yet allocated to the invoice (no second one is "
        "raised). It is tried again automatically."
    )

    drain(engine)
    assert len(raised(sandbox)) == 1  # never a second credit note
    applied = [c for c in calls_to(sandbox, "PUT", "/Allocations") if c["status"] == 200]
    assert len(applied) == 1
    assert_one_credit_allocated(engine, sandbox, shipment, total)
    last = cancel_logs(engine, id_of(shipment))[-1]
    assert (last.action, last.outcome) == ("allocate", Outcome.PROCESSED)
    assert (last.note or "").startswith(
        f"Credit note {number} for {credits.shown(total, 'USD')} was"
    )


def test_an_allocation_failing_too_often_needs_attention_and_retry_allocates(
    engine, connected, sandbox, monkeypatch
):
    monkeypatch.setenv("SYNC_MAX_ATTEMPTS", "2")
    settings.get_settings.cache_clear()
    shipment, total = part_paid(engine, sandbox)
    queue_cancel(engine, shipment, Action.CREDIT)
    sandbox.inject_faults("503", 100, path_contains="/Allocations")
    drain(engine)
    [job] = jobs_of(engine, id_of(shipment))
    assert job.status == JobStatus.NEEDS_ATTENTION
    waiting, unallocated = notes_for(engine, shipment)
    assert waiting is not None and "tried too often" in waiting and "Press Retry" in waiting
    assert unallocated is not None
    assert len(raised(sandbox)) == 1
    sandbox.clear_faults()
    with session_scope(engine) as session:
        assert queue.retry_needing_attention(session=session, user="ops") == 1
    drain(engine)
    assert len(raised(sandbox)) == 1
    assert_one_credit_allocated(engine, sandbox, shipment, total)


def test_a_lost_answer_to_the_allocation_is_not_allocated_twice(engine, connected, sandbox):
    shipment, total = part_paid(engine, sandbox)
    queue_cancel(engine, shipment, Action.CREDIT)
    sandbox.inject_faults("drop-after", 1, path_contains="/Allocations")
    run_once(engine=engine, worker_id="w1")
    [job] = jobs_of(engine, id_of(shipment))
    assert job.status == JobStatus.QUEUED  # Xero applied it, but Shipbridge cannot know yet
    drain(engine)
    assert len(calls_to(sandbox, "PUT", "/Allocations")) == 1  # read back, not sent again
    assert_one_credit_allocated(engine, sandbox, shipment, total)
    last = cancel_logs(engine, id_of(shipment))[-1]
    assert "Xero already holds" in (last.note or "")


def test_an_allocation_xero_refuses_is_said_in_xeros_words_with_what_to_do(
    engine, connected, sandbox, monkeypatch
):
    """The customer pays the rest in Xero between Shipbridge reading the invoice and
    allocating the credit (the wrapper makes that race happen at the same point every time;
    the allocation itself goes to the sandbox, which refuses it)."""
    shipment, total = part_paid(engine, sandbox)
    real_allocate = xero_credit.allocate

    def paid_meanwhile(*args, **kwargs):
        sandbox.record_payment(shipment.xero_document_id, str(total - PAID_FIRST))
        return real_allocate(*args, **kwargs)

    monkeypatch.setattr(xero_credit, "allocate", paid_meanwhile)
    queue_cancel(engine, shipment, Action.CREDIT)
    run_once(engine=engine, worker_id="w1")
    words = "The invoice you are trying to allocate to has already been paid off"
    [job] = jobs_of(engine, id_of(shipment))
    assert job.status == JobStatus.DONE  # refused for good: not tried again
    assert words in (job.last_error or "")
    assert "allocate it there to what they owe, or refund it" in (job.last_error or "")
    [note] = credit_notes_in_xero(engine, shipment)
    assert (note["Allocations"], Decimal(str(note["RemainingCredit"]))) == ([], total)
    raise_entry, refused = cancel_logs(engine, id_of(shipment))
    assert raise_entry.outcome == Outcome.PROCESSED
    assert (refused.action, refused.outcome) == ("allocate", Outcome.REJECTED)
    assert refused.errors_xero and words in refused.errors_xero
    assert refused.note and "refund it" in refused.note
    row = recorded(engine, shipment)
    assert (row.allocated, row.remaining) == (0, total)
    with session_scope(engine) as session:
        assert queue.progress(session=session).rejected == 1


def test_a_lookup_failure_is_an_unavailable_xero_not_a_crash(engine, connected, sandbox):
    """`find_credit_notes` answers a 503 with XeroUnavailable (what the retry relies on)."""
    adapter, tenant_id = xero(engine)
    sandbox.inject_faults("503", 1, path_contains="/CreditNotes")
    with pytest.raises(XeroUnavailable, match="503"):
        adapter.find_credit_notes(tenant_id, ["X-CN1"])
