"""The Connect page: start the OAuth flow only when asked; list, disconnect organisations."""

from __future__ import annotations

from models import OAuthState, XeroConnection
from pages import state
from services.db import session_scope
from tests.pages.helpers import (
    add_connection,
    add_payment,
    assert_clean,
    count_rows,
    mark_sent,
    set_sync_state,
    texts,
)


def test_connect_creates_the_state_only_when_asked_and_links_in_the_same_tab(app_as):
    at = app_as("admin", "connect")
    assert_clean(at)
    assert "local Xero sandbox" in texts(at)
    assert "No organisation is connected yet" in texts(at)
    assert count_rows(OAuthState) == 0
    at.button(key=state.CONNECT_START).click().run()
    assert_clean(at)
    assert count_rows(OAuthState) == 1
    link = next(m.value for m in at.markdown if "Continue to Xero" in m.value)
    assert 'target="_self"' in link
    assert "state=" in link and "code_challenge=" in link
    assert state.CONNECT_START not in [b.key for b in at.button]
    at.button(key=state.CONNECT_CANCEL).click().run()
    assert at.button(key=state.CONNECT_START).label == "Connect to Xero"


def test_lists_and_disconnects_an_organisation(app_as):
    row_id = add_connection("Demo Exports Ltd")
    at = app_as("admin", "connect")
    assert_clean(at)
    table = at.dataframe[0].value
    assert list(table["Organisation"]) == ["Demo Exports Ltd"]
    assert list(table["Status"]) == ["Connected"]
    at.button(key=f"{state.DISCONNECT_PREFIX}{row_id}").click().run()
    assert_clean(at)
    assert any("Disconnected Demo Exports Ltd" in s.value for s in at.success)
    with session_scope() as session:
        assert session.get(XeroConnection, row_id).status == "Disconnected"
    at.button(key=f"{state.RECONNECT_PREFIX}{row_id}").click().run()
    assert any("Continue to Xero" in m.value for m in at.markdown)


def test_counts_per_organisation(app_as):
    from datetime import UTC, date, datetime

    default_id = add_connection("Demo Exports Ltd", tenant_id="t1")
    add_connection("Other Org", tenant_id="t2", is_default=False)
    with session_scope() as session:
        row = session.get(XeroConnection, default_id)
        row.payments_pulled_at = row.reference_refreshed_at = datetime(
            2026, 11, 21, 23, 30, tzinfo=UTC
        )
    # Two documents in the default organisation (one with no organisation of its own), one
    # in the other; two shipments rejected (counted for the default), one payment pulled.
    first = mark_sent("SHP-1001", "INV-0001", total="10.00")
    mark_sent("SHP-1002", "INV-0002", total="10.00", tenant_id="t1")
    mark_sent("SHP-1003", "INV-0001", total="10.00", tenant_id="t2")
    set_sync_state(["SHP-1005", "SHP-1010"], "Rejected")
    add_payment(first, "10.00", date(2026, 11, 20), tenant_id="t1")
    at = app_as("admin", "connect")
    assert_clean(at)
    table = at.dataframe[1].value.set_index("Organisation")
    assert table.loc["Demo Exports Ltd", "Documents pushed"] == 2
    assert table.loc["Demo Exports Ltd", "Failing"] == 2
    assert table.loc["Demo Exports Ltd", "Payments pulled"] == 1
    # Shown in the browser's time zone (Pacific/Auckland: UTC+13 in November).
    assert table.loc["Demo Exports Ltd", "Payments pulled at"] == "2026-11-22 12:30"
    assert table.loc["Demo Exports Ltd", "Refreshed from Xero"] == "2026-11-22 12:30"
    assert table.loc["Other Org", "Documents pushed"] == 1
    assert table.loc["Other Org", "Failing"] == 0
    assert table.loc["Other Org", "Payments pulled"] == 0
    assert table.loc["Other Org", "Payments pulled at"] == ""
