"""Reads kept per data version (ui/data_cache.py) never show a stale page: each write made
between two runs — as another user or the worker would make it, straight to the database —
shows on the very next run, and a rerun with nothing changed shows the same figures."""

from __future__ import annotations

from decimal import Decimal

from models import XeroCreditNote
from services.db import session_scope
from tests.pages.helpers import (
    add_connection,
    add_payment,
    assert_clean,
    log_rejection,
    mark_sent,
    set_sync_state,
    table_in,
    texts,
)
from ui import state


def attempts_caption(at) -> str:
    return next(c.value for c in at.caption if str(c.value).startswith("Attempts in the"))


def test_a_new_log_entry_shows_at_once_on_the_dashboard(app_as):
    log_rejection("SHP-1005")
    at = app_as("finance", "dashboard")
    assert_clean(at)
    assert "0 sent (Processed), 1 rejected" in attempts_caption(at)
    at.run()  # nothing changed: the kept rows, the same figures
    assert "0 sent (Processed), 1 rejected" in attempts_caption(at)
    log_rejection("SHP-1010", errors_plain=["SHP-1010 has no due date: add one."])
    log_rejection("SHP-1001", outcome="Processed", errors_xero=None, errors_plain=None)
    at.run()
    assert "1 sent (Processed), 2 rejected" in attempts_caption(at)
    reasons = table_in(at, state.REJECTION_REASONS)
    assert "SHP-1010 has no due date: add one." in set(reasons["Reason"])


def test_a_credit_note_shows_the_net_table_at_once(app_as):
    first = mark_sent("SHP-1001", "INV-0001", total="100.00")
    at = app_as("finance", "dashboard")
    assert_clean(at)
    assert "Invoices net of credit notes" not in texts(at)
    with session_scope() as session:
        session.add(
            XeroCreditNote(
                shipment_id=first,
                tenant_id="t1",
                credit_note_number="CN-0001",
                status="AUTHORISED",
                total=Decimal("40.00"),
            )
        )
    at.run()
    assert_clean(at)
    net = table_in(at, state.NET_CREDITS).set_index("Currency")
    currency = net.index[0]
    assert net.loc[currency, "Credited"].startswith("40.00")
    assert net.loc[currency, "Net"].startswith("60.00")
    # A change to the invoice itself (sent again for more) shows at once too.
    mark_sent("SHP-1001", "INV-0001", total="150.00")
    at.run()
    net = table_in(at, state.NET_CREDITS).set_index("Currency")
    assert net.loc[currency, "Net"].startswith("110.00")


def test_connect_counts_follow_every_write(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    at = app_as("admin", "connect")
    assert_clean(at)

    def counts() -> dict:
        table = at.dataframe[1].value.set_index("Organisation")
        return table.loc["Demo Exports Ltd"].to_dict()

    before = counts()
    assert (before["Documents pushed"], before["Failing"], before["Payments pulled"]) == (0, 0, 0)
    first = mark_sent("SHP-1001", "INV-0001", total="10.00", tenant_id="t1")
    mark_sent("SHP-1002", "QU-0001", total="10.00", tenant_id="t1", document_type="quote")
    set_sync_state(["SHP-1005"], "Rejected")
    at.run()
    after = counts()
    assert (after["Documents pushed"], after["Invoices"], after["Quotes"]) == (2, 1, 1)
    assert after["Failing"] == 1
    from datetime import date

    add_payment(first, "10.00", date(2026, 11, 20), tenant_id="t1")
    at.run()
    assert counts()["Payments pulled"] == 1


def test_the_log_count_and_its_people_follow_new_entries(app_as):
    log_rejection("SHP-1005")
    at = app_as("admin", "logs")
    assert_clean(at)
    assert "1 attempt" in texts(at)
    log_rejection("SHP-1010", triggered_by="finance")
    at.run()
    assert "2 attempts" in texts(at)
    who = at.selectbox(key=state.LOG_USER)
    assert "finance" in who.options or "Fiona Finance (finance)" in who.options
