"""The queue's progress, as the Send page's bar shows it."""

from __future__ import annotations

from services import queue
from services.db import session_scope
from tests.utils.factories import make_shipment


def test_progress_counts_the_current_run_only(engine):
    with session_scope(engine) as session:
        earlier = [make_shipment(session).id for _ in range(3)]
        ids = [make_shipment(session).id for _ in range(5)]
    with session_scope(engine) as session:
        queue.enqueue(session=session, shipment_ids=earlier, trigger="bulk", user="ops")
    with session_scope(engine) as session:
        queue.complete(session=session, shipment_ids=earlier)  # an earlier, finished run
        assert queue.progress(session=session) == queue.Progress()
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
