"""A fresh page is one script run: the login cookie's component is drawn only while a cookie
is being written or deleted (streamlit-authenticator's cookie manager draws a "getAll"
component on every run otherwise; its first answer in a new browser tab started a second
script run, doubling a fresh load)."""

from __future__ import annotations

from ui import state


def _cookie_components(at) -> list:
    """The cookie manager's component instances drawn by the last run."""
    found = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None and "cookie_manager" in str(proto)[:2000]:
            found.append(node)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def test_a_logged_in_run_draws_no_cookie_component(app_as):
    at = app_as("admin", "dashboard")
    assert at.session_state[state.AUTH_STATUS] is True
    assert _cookie_components(at) == []


def test_a_login_still_writes_its_cookie(app_as):
    at = app_as(None)
    at.text_input[0].input("admin")
    at.text_input[1].input("admin")
    at.button[0].click().run()
    # The run after the login draws the component that writes the cookie (method "set").
    drawn = _cookie_components(at)
    assert drawn, "no cookie component after a login"
    methods = [_method(node) for node in drawn]
    assert "set" in methods


def _method(node) -> str | None:
    import json

    args = json.loads(node.proto.json_args or "{}")
    return args.get("method")
