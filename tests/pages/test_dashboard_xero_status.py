"""Issue 15 item 8: after a disconnect the Dashboard says so once, with the action to take,
and nothing on the page contradicts it (no green "Pulled from Xero", no "not pulled yet")."""

from __future__ import annotations

from models import ConnectionStatus
from tests.pages.helpers import add_connection, assert_clean, texts
from ui import state, xero_status

CONTRADICTIONS = ("Pulled from Xero", "have not been pulled yet", "nothing to check")


def test_a_disconnected_organisation_is_said_once_with_the_action(app_as):
    add_connection("Demo Exports Ltd", status=ConnectionStatus.DISCONNECTED)
    for role, action in (
        ("admin", "reconnect it on the Connect page (link below)"),
        ("finance", "ask an admin to reconnect it on the Connect page"),
    ):
        at = app_as(role, "dashboard")
        assert_clean(at)
        [warning] = at.get_by_key(xero_status.XERO_STATUS).warning
        assert warning.value.startswith(
            "No Xero organisation is connected (Demo Exports Ltd was disconnected)"
        )
        assert action in warning.value
        shown = texts(at)
        assert shown.count("No Xero organisation is connected") == 1
        assert not [c for c in CONTRADICTIONS if c in shown]
        keys = [b.key for b in at.button]
        assert state.PULL_PAYMENTS not in keys and state.DRIFT_CHECK not in keys


def test_a_connected_organisation_shows_the_pull_and_no_warning(app_as):
    add_connection("Demo Exports Ltd")
    at = app_as("finance", "dashboard")
    assert_clean(at)
    assert "No Xero organisation is connected" not in texts(at)
    assert at.button(key=state.PULL_PAYMENTS).label == "Pull payments from Xero"
