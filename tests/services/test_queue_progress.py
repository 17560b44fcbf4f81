"""The queue's progress, as the Send page's bar shows it: sent and rejected told apart."""

from __future__ import annotations

from sqlmodel import select

from models import IntegrationLog, Outcome
from services import integration_log, queue, worker
from services.db import session_scope
from services.sync import send_shipments
from tests.utils.factories import id_of, line, make_shipment


def test_progress_counts_the_current_run_only(engine):
    with session_scope(engine) as session:
        earlier = [id_of(make_shipment(session)) for _ in range(3)]
        ids = [id_of(make_shipment(session)) for _ in range(5)]
    with session_scope(engine) as session:
        assert queue.progress(session=session) == queue.Progress()  # nothing ever queued
        queue.enqueue(session=session, shipment_ids=earlier, trigger="bulk", user="ops")
    with session_scope(engine) as session:
        queue.complete(session=session, shipment_ids=earlier)  # an earlier, finished run
    with session_scope(engine) as session:
        run = queue.progress(session=session)  # nothing open: how the last run ended
        assert (run.sent, run.rejected, run.waiting, run.held, run.finished) == (3, 0, 0, 0, True)
    with session_scope(engine) as session:
        queue.enqueue(session=session, shipment_ids=ids, trigger="push remaining", user="ops")
    with session_scope(engine) as session:
        run = queue.progress(session=session)
        assert (run.done, run.waiting, run.held, run.share) == (0, 5, 0, 0.0)
        queue.complete(session=session, shipment_ids=ids[:2])
        queue.enqueue(session=session, shipment_ids=ids[4:], trigger="bulk", user=None, held=True)
    with session_scope(engine) as session:
        run = queue.progress(session=session)
        assert (run.done, run.waiting, run.held, run.total) == (2, 2, 1, 5)
        assert run.share == 0.4
        assert not run.finished


def test_a_finished_run_tells_sent_from_rejected_and_names_the_rejected(engine):
    with session_scope(engine) as session:
        shipments = [make_shipment(session) for _ in range(4)]
        ids = [id_of(s) for s in shipments]
        numbers = [s.shipment_number for s in shipments]
    with session_scope(engine) as session:
        queue.enqueue(session=session, shipment_ids=ids, trigger="push remaining", user="ops")
    with session_scope(engine) as session:
        queue.complete(session=session, shipment_ids=ids[1:2], rejected="No due date.")
    with session_scope(engine) as session:
        run = queue.progress(session=session)
        assert (run.sent, run.rejected, run.waiting) == (0, 1, 3)
        assert run.rejected_numbers == [numbers[1]]
        queue.complete(session=session, shipment_ids=ids[3:], rejected="Unknown product.")
        queue.complete(session=session, shipment_ids=ids)  # the others were sent
    with session_scope(engine) as session:
        run = queue.progress(session=session)
    assert (run.sent, run.rejected, run.waiting, run.finished) == (2, 2, 0, True)
    assert run.rejected_numbers == sorted([numbers[1], numbers[3]])


def test_the_worker_counts_shipments_it_could_not_send_as_rejected(engine, connected):
    with session_scope(engine) as session:
        good = [id_of(make_shipment(session)) for _ in range(2)]
        bad = make_shipment(session, lines=[line("WIDGET-Z")])
        bad_id, bad_number = id_of(bad), bad.shipment_number
    with session_scope(engine) as session:
        queue.enqueue(
            session=session, shipment_ids=[*good, bad_id], trigger="push remaining", user="ops"
        )
    assert worker.run_once(engine=engine, worker_id="w1") == 3
    with session_scope(engine) as session:
        run = queue.progress(session=session)
    assert (run.sent, run.rejected, run.waiting, run.finished) == (2, 1, 0, True)
    assert run.rejected_numbers == [bad_number]


def test_a_batch_that_only_read_xeros_codes_says_so(engine, connected):
    """Every shipment refused by the checks: nothing went to Xero, and the batch's API calls
    (reading a new connection's codes) are explained as such, in the result and the log."""
    with session_scope(engine) as session:
        ids = [id_of(make_shipment(session, lines=[line("WIDGET-Z")])) for _ in range(2)]
    result = send_shipments(shipment_ids=ids, trigger="bulk", user="ops")
    assert result.count(Outcome.REJECTED) == 2
    assert result.api_calls > 0  # the codes, read once for the new connection
    assert (result.sent_to_xero, result.only_checked) == (0, True)
    with session_scope(engine) as session:
        entries = session.exec(select(IntegrationLog)).all()
        assert {e.api_calls for e in entries} == {result.api_calls}
        assert {integration_log.note_of(e) for e in entries} == {
            "Rejected by Shipbridge before sending: not sent to Xero."
        }
        assert integration_log.documents_sent(session=session, entry=entries[0]) == 0

    with session_scope(engine) as session:
        ok = id_of(make_shipment(session))
    mixed = send_shipments(shipment_ids=[ok, ids[0]], trigger="bulk", user="ops")
    assert mixed.count(Outcome.PROCESSED) == 1
    assert (mixed.sent_to_xero, mixed.only_checked) == (1, False)
