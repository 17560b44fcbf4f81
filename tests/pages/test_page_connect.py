"""The Connect page: start the OAuth flow only when asked; list, disconnect organisations."""

from __future__ import annotations

from models import OAuthState, XeroConnection
from pages import state
from services.db import session_scope
from tests.pages.helpers import add_connection, assert_clean, count_rows, texts


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
