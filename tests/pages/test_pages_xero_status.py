"""Issue 15 item 8 on Send to Accounting, Accounting Logs, Mapping and Connect: while no Xero
organisation can be reached, the page says so once (ui.xero_status), names the organisation
and the action for the user's role, and nothing on it contradicts that (no green success, no
second word on the connection, no Send or check that could only fail)."""

from __future__ import annotations

import pytest

from models import ConnectionStatus
from tests.pages.helpers import add_connection, assert_clean, shipment_by_number, texts
from ui import state, xero_status

SAID = "No Xero organisation is connected"
# What would contradict the one message, or say the connection state a second time.
CONTRADICTIONS = (
    "Pulled from Xero",
    "will be sent",
    "is not connected",
    "connected yet",
    "Connect a Xero organisation first",
    "have not been pulled yet",
)
ACTIONS = {
    "admin": "To fix it, reconnect it on the Connect page (link below).",
    "operations": "To fix it, ask an admin to reconnect it on the Connect page.",
    "finance": "To fix it, ask an admin to reconnect it on the Connect page.",
}
PAGES = [
    ("admin", "send"),
    ("operations", "send"),
    ("admin", "logs"),
    ("operations", "logs"),
    ("finance", "logs"),
    ("admin", "mapping"),
    ("operations", "mapping"),
]


def _the_one_message(at, *, besides: tuple[str, ...] = ()) -> str:
    """The status box's one warning; nothing else says it or contradicts it (`besides`:
    phrases allowed on this page, e.g. each refused shipment's own reason)."""
    assert_clean(at)
    [warning] = at.get_by_key(xero_status.XERO_STATUS).warning
    shown = texts(at)
    assert shown.count(SAID) == 1
    assert [c for c in CONTRADICTIONS if c in shown and c not in besides] == []
    assert [s.value for s in at.success] == []
    return warning.value


@pytest.mark.parametrize(("role", "page"), PAGES)
def test_a_disconnected_organisation_is_said_once_with_the_roles_action(app_as, role, page):
    add_connection("Demo Exports Ltd", status=ConnectionStatus.DISCONNECTED)
    said = _the_one_message(app_as(role, page))
    assert said.startswith(f"{SAID} (Demo Exports Ltd was disconnected): ")
    assert ACTIONS[role] in said
    links = [link.label for link in app_as(role, page).get("page_link")]
    assert ("Open Connect" in links) == (role == "admin")


def test_send_with_a_selection_offers_no_send_and_previews_refusals_only(app_as):
    add_connection("Demo Exports Ltd", status=ConnectionStatus.DISCONNECTED)
    at = app_as("operations", "send")
    at.session_state[state.SELECTED_IDS] = [
        shipment_by_number(n).id for n in ("SHP-1003", "SHP-1004")
    ]
    at.run()
    # Each shipment's preview gives its own reason for being refused; none promises a send.
    said = _the_one_message(at, besides=("is not connected",))
    assert "nothing can be sent to Xero until one is" in said
    assert at.button(key=state.SEND_BUTTON).disabled
    refusals = [w.value for w in at.warning if w.value != said]
    assert [r.split(" will be refused")[0] for r in refusals] == ["**SHP-1003**", "**SHP-1004**"]


def test_connect_says_it_once_with_its_reconnect_button_and_no_check(app_as):
    add_connection("Demo Exports Ltd", status=ConnectionStatus.DISCONNECTED)
    at = app_as("admin", "connect")
    said = _the_one_message(at)
    assert said.startswith(f"{SAID} (Demo Exports Ltd was disconnected): ")
    assert "To fix it, reconnect it with its Reconnect button below." in said
    assert "Reconnect" in [b.label for b in at.button]
    assert state.DRIFT_CHECK_CONNECT not in [b.key for b in at.button]


@pytest.mark.parametrize("page", ["send", "logs", "mapping", "connect"])
def test_an_organisation_needing_reconnecting_is_said_once_by_the_banner(app_as, page):
    add_connection("Demo Exports Ltd", status=ConnectionStatus.NEEDS_RECONNECT)
    at = app_as("admin", page)
    assert_clean(at, allow_errors=True)
    banners = [e.value for e in at.error if "needs reconnecting" in e.value]
    assert banners == [
        "Xero needs reconnecting: Demo Exports Ltd. Sends for it wait in the queue until then."
    ]
    assert SAID not in texts(at)
    with pytest.raises(KeyError):  # no status box drawn
        at.get_by_key(xero_status.XERO_STATUS)
    assert [s.value for s in at.success] == []


def test_with_none_ever_connected_mapping_says_it_once(app_as):
    said = _the_one_message(app_as("admin", "mapping"))
    assert said.startswith(f"{SAID}: customer and product mappings")
    assert "To fix it, connect one on the Connect page (link below)." in said


@pytest.mark.parametrize("page", ["send", "logs", "mapping", "connect"])
def test_a_connected_organisation_shows_no_connection_message(app_as, page):
    add_connection("Demo Exports Ltd")
    at = app_as("admin", page)
    assert_clean(at)
    assert SAID not in texts(at)
    with pytest.raises(KeyError):  # no status box drawn
        at.get_by_key(xero_status.XERO_STATUS)
