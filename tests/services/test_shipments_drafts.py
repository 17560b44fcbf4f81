"""Issue 15 item 5: a new shipment's draft is kept on the server per user (SQLite, and
PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

from services import drafts
from services.db import session_scope


def test_a_draft_is_kept_per_user_replaced_and_dropped(engine):
    with session_scope(engine) as session:
        drafts.save(session=session, username="ops", data={"shipment_number": "D-1"})
        drafts.save(session=session, username="ada", data={"shipment_number": "A-1"})
    with session_scope(engine) as session:
        drafts.save(session=session, username="ops", data={"shipment_number": "D-2", "lines": []})
    with session_scope(engine) as session:
        assert drafts.load(session=session, username="ops") == {
            "shipment_number": "D-2",
            "lines": [],
        }
        assert drafts.load(session=session, username="ada") == {"shipment_number": "A-1"}
        drafts.drop(session=session, username="ops")
    with session_scope(engine) as session:
        assert drafts.load(session=session, username="ops") is None
        assert drafts.load(session=session, username="ada") is not None
