"""The drift check on the Dashboard: how many shipments differ from Xero, and the "Differs
from Xero" view with what differs. The differences are stored as a check leaves them: no Xero
call is made."""

from __future__ import annotations

from models import XeroDifference
from services.db import session_scope
from tests.pages.helpers import add_connection, assert_clean, mark_sent, open_tab, table_in, texts
from ui import state


def record(shipment_id: int, kind: str, detail: str) -> None:
    with session_scope() as session:
        session.add(
            XeroDifference(shipment_id=shipment_id, tenant_id="t1", kind=kind, detail=detail)
        )


def test_the_dashboard_counts_and_lists_the_shipments_that_differ(app_as):
    edited = mark_sent("SHP-1001", "INV-0001", total="120.00")
    voided = mark_sent("SHP-1002", "INV-0002", total="80.00")
    mark_sent("SHP-1003", "INV-0003", total="60.00")  # agrees with Xero
    record(edited, "total", "total 120.00 here, 130.00 in Xero — edited in Xero on 3 Dec")
    record(edited, "lines", "1 line here, 2 lines in Xero — edited in Xero on 3 Dec")
    record(voided, "voided", "invoice voided in Xero on 4 Dec; Processed here")
    add_connection("Demo Exports Ltd")  # the check button shows while one is connected
    at = open_tab(app_as("finance", "dashboard"), state.DASH_TABS, "Differs from Xero")
    assert_clean(at)
    assert "2 shipment(s) differ from Xero" in texts(at)
    rows = table_in(at, state.DRIFT_TABLE).to_dict("records")
    assert {r["Shipment"]: (r["Xero document"], r["What differs"]) for r in rows} == {
        "SHP-1001": (
            "INV-0001",
            "1 line here, 2 lines in Xero — edited in Xero on 3 Dec; "
            "total 120.00 here, 130.00 in Xero — edited in Xero on 3 Dec",
        ),
        "SHP-1002": ("INV-0002", "invoice voided in Xero on 4 Dec; Processed here"),
    }
    assert at.button(key=state.DRIFT_CHECK).label == "Check for differences from Xero"


def test_when_all_agree_the_dashboard_says_so(app_as):
    mark_sent("SHP-1001", "INV-0001", total="120.00")
    at = open_tab(app_as("finance", "dashboard"), state.DASH_TABS, "Differs from Xero")
    assert_clean(at)
    assert "Every checked shipment agrees with Xero." in texts(at)
    assert "No sent shipment differs from its document in Xero." in texts(at)


def test_the_check_button_with_no_organisation_connected_says_so(app_as):
    at = app_as("admin", "dashboard")
    assert_clean(at)
    # Said once, at the top, with the way to Connect; no button that could only fail.
    assert state.DRIFT_CHECK not in [b.key for b in at.button]
    assert texts(at).count("No Xero organisation is connected") == 1


def test_the_shipment_shows_how_it_differs_from_xero(app_as):
    shipment_id = mark_sent("SHP-1002", "INV-0042", total="300.00")
    record(shipment_id, "total", "total 300.00 here, 330.00 in Xero — edited in Xero on 3 Dec")
    at = app_as("finance", "shipments")
    at.selectbox(key=state.OPEN_SHIPMENT).set_value(shipment_id).run()
    assert_clean(at, allow_errors=True)
    panel = at.get_by_key(state.XERO_DOCUMENT)
    assert [e.value for e in panel.error] == [
        "**Differs from Xero**\n\n"
        "- Total: total 300.00 here, 330.00 in Xero — edited in Xero on 3 Dec"
    ]


def test_connect_offers_the_check_and_says_why_an_organisation_was_not_checked(app_as):
    add_connection("Demo Exports Ltd")  # no tokens: Xero cannot be asked
    at = app_as("admin", "connect")
    at.button(key=state.DRIFT_CHECK_CONNECT).click().run()
    assert_clean(at, allow_errors=True)
    [refused] = [e.value for e in at.error if "not checked" in e.value]
    assert refused.startswith("Demo Exports Ltd: not checked: ")
