"""The Connect page: start the OAuth flow only when asked; list, disconnect organisations."""

from __future__ import annotations

from models import OAuthState, XeroConnection
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
from tests.utils.factories import stored
from ui import state


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


def status_of(row_id: int) -> str:
    with session_scope() as session:
        return stored(session, XeroConnection, row_id).status


def test_lists_and_disconnects_an_organisation(app_as):
    row_id = add_connection("Demo Exports Ltd")
    at = app_as("admin", "connect")
    assert_clean(at)
    table = at.dataframe[0].value
    assert list(table["Organisation"]) == ["Demo Exports Ltd"]
    assert list(table["Status"]) == ["Connected"]
    # Disconnect asks first, saying what it means; Cancel keeps the connection.
    at.button(key=f"{state.DISCONNECT_PREFIX}{row_id}").click().run()
    assert_clean(at)
    [warning] = [w.value for w in at.warning]
    assert warning.startswith("Disconnect Demo Exports Ltd? ")
    assert "shipments that belong to Demo Exports Ltd wait in the queue" in warning
    assert "until you reconnect it" in warning
    assert "no other is connected: shipments with no organisation of their own are refused" in (
        warning
    )
    assert warning.endswith("Invoices and quotes already in Xero stay there, unchanged.")
    assert status_of(row_id) == "Connected"
    at.button(key=state.DISCONNECT_KEEP).click().run()
    assert_clean(at)
    assert not at.warning
    assert status_of(row_id) == "Connected"
    at.button(key=f"{state.DISCONNECT_PREFIX}{row_id}").click().run()
    at.button(key=state.DISCONNECT_CONFIRM).click().run()
    assert_clean(at)
    assert any("Disconnected Demo Exports Ltd" in s.value for s in at.success)
    [said] = [w.value for w in at.warning]  # the page's one word on it (ui.xero_status)
    assert said.startswith("No Xero organisation is connected (Demo Exports Ltd was disconnected)")
    assert status_of(row_id) == "Disconnected"
    at.button(key=f"{state.RECONNECT_PREFIX}{row_id}").click().run()
    assert any("Continue to Xero" in m.value for m in at.markdown)


def test_counts_per_organisation(app_as):
    from datetime import UTC, date, datetime

    default_id = add_connection("Demo Exports Ltd", tenant_id="t1")
    add_connection("Other Org", tenant_id="t2", is_default=False)
    with session_scope() as session:
        row = stored(session, XeroConnection, default_id)
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


def test_disconnecting_the_default_says_where_its_shipments_go_instead(app_as):
    exports = add_connection("Demo Exports Ltd", tenant_id="t1")
    add_connection("Demo UK Ltd", tenant_id="t2", is_default=False)
    at = app_as("admin", "connect")
    at.button(key=f"{state.DISCONNECT_PREFIX}{exports}").click().run()
    [warning] = [w.value for w in at.warning]
    assert (
        "It is the default organisation: shipments with no organisation of their own go to "
        "Demo UK Ltd instead." in warning
    )


def test_the_connect_result_shows_once_not_for_the_whole_session(app_as):
    add_connection("Shipbridge Demo Exports Ltd", tenant_id="t1")
    uk = add_connection("Shipbridge Demo UK Ltd", tenant_id="t2", is_default=False)
    connected = "Connected to Shipbridge Demo Exports Ltd, Shipbridge Demo UK Ltd"
    at = app_as("admin", "connect")
    # As app.py leaves it when Xero has just sent the browser back.
    at.session_state[state.OAUTH_RESULT] = ("success", connected)
    at.run()
    assert_clean(at)
    assert [s.value for s in at.success] == [connected]
    # The next thing the admin does replaces it.
    at.button(key=f"{state.DISCONNECT_PREFIX}{uk}").click().run()
    assert connected not in texts(at)
    at.button(key=state.DISCONNECT_CONFIRM).click().run()
    assert_clean(at)
    assert [s.value for s in at.success] == ["Disconnected Shipbridge Demo UK Ltd."]
    at.run()
    assert not at.success

    # Once the landing is over, the result stays while the admin is on Connect...
    at.session_state[state.OAUTH_RESULT] = ("success", connected)
    at.run()
    at.run()
    assert [s.value for s in at.success] == [connected]
    # ...and is gone once another page runs, not coming back with Connect.
    at.switch_page("pages/logs.py").run()
    assert connected not in texts(at)
    assert state.OAUTH_RESULT not in at.session_state
    at.switch_page("pages/connect.py").run()
    assert connected not in texts(at)


def test_admin_makes_another_organisation_the_default(app_as):
    from sqlmodel import select

    from models import AuditEvent

    exports = add_connection("Demo Exports Ltd", tenant_id="t1")
    uk = add_connection("Demo UK Ltd", tenant_id="t2", is_default=False)
    add_connection("Old Org", tenant_id="t3", is_default=False, status="Disconnected")
    at = app_as("admin", "connect")
    assert_clean(at)
    keys = [b.key for b in at.button]
    assert f"{state.MAKE_DEFAULT_PREFIX}{uk}" in keys
    assert not [
        k
        for k in keys
        if k.startswith(state.MAKE_DEFAULT_PREFIX) and k != (f"{state.MAKE_DEFAULT_PREFIX}{uk}")
    ]  # not the default itself, not a disconnected one
    assert list(at.dataframe[0].value["Default"]) == ["yes", "", ""]
    at.button(key=f"{state.MAKE_DEFAULT_PREFIX}{uk}").click().run()
    assert_clean(at)
    assert [s.value for s in at.success] == [
        "Demo UK Ltd is now the default organisation: shipments with no organisation of their "
        "own go to it."
    ]
    assert list(at.dataframe[0].value["Default"]) == ["", "yes", ""]
    assert [b.key for b in at.button if b.key.startswith(state.MAKE_DEFAULT_PREFIX)] == [
        f"{state.MAKE_DEFAULT_PREFIX}{exports}"
    ]
    with session_scope() as session:
        assert stored(session, XeroConnection, uk).is_default
        assert not stored(session, XeroConnection, exports).is_default
        [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "make default"))
        assert (event.actor, event.entity_id) == ("admin", "t2")


def test_connect_says_which_scopes_are_asked_for_and_why(app_as):
    at = app_as("admin", "connect")
    assert_clean(at)
    [scopes] = [m.value for m in at.markdown if "accounting.invoices" in m.value]
    assert "- `accounting.invoices`: create and update the invoices" in scopes
    assert "- `accounting.payments.read`: read payments" in scopes
    assert "accounting.transactions" not in scopes


def test_shows_calls_and_bytes_from_xero_today_and_this_month(app_as):
    from datetime import timedelta

    from models import XeroUsage, utcnow
    from services import budget
    from services.db import get_engine
    from services.usage import UsageRecorder, readable_bytes

    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_connection("Other Org", tenant_id="t2", is_default=False)
    record = UsageRecorder(get_engine())
    today = [("invoices.save", 5_400), ("invoices.save", 5_100), ("payments.read", 800)]
    for kind, size in today:
        record(tenant_id="t1", kind=kind, size=size, day_remaining=997)
    last_month = utcnow().date().replace(day=1) - timedelta(days=1)
    with session_scope() as session:
        session.add(
            XeroUsage(
                tenant_id="t1", day=last_month, kind="invoices.read", calls=40, bytes=9_000_000
            )
        )
    at = app_as("admin", "connect")
    assert_clean(at)
    used = next(d.value for d in at.dataframe if "Downloaded this month" in d.value.columns)
    used = used.set_index("Organisation")
    assert used.loc["Demo Exports Ltd", "Calls today"] == len(today)
    assert used.loc["Demo Exports Ltd", "Calls this month"] == len(today)
    assert used.loc["Demo Exports Ltd", "Downloaded this month"] == readable_bytes(
        sum(size for _, size in today)
    )
    # Xero's word on what is left, out of the pricing tier's day (Starter by default).
    assert used.loc["Demo Exports Ltd", "Left today"] == f"997 of {budget.day_limit():,}"
    assert used.loc["Other Org", "Calls today"] == 0
    assert used.loc["Other Org", "Downloaded this month"] == "0 B"
    by_kind = next(d.value for d in at.dataframe if "Call" in d.value.columns)
    assert by_kind.to_dict("records") == [
        {
            "Organisation": "Demo Exports Ltd",
            "Call": "invoices.save",
            "Calls": 2,
            "Downloaded": readable_bytes(5_400 + 5_100),
        },
        {
            "Organisation": "Demo Exports Ltd",
            "Call": "payments.read",
            "Calls": 1,
            "Downloaded": readable_bytes(800),
        },
    ]
