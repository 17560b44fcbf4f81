"""What a page shows when a service call fails: a UserError's own words, or for anything
else (a bug) an apology with a reference that finds the traceback in the log."""

from __future__ import annotations

import logging
import re

from services import payments
from services.xero.errors import XeroUnavailable
from tests.pages.helpers import add_connection
from ui import state

APOLOGY = re.compile(
    r"Something went wrong on our side \(ref (?P<ref>[0-9a-f]{8})\)\. It has been logged; "
    r"try again, or tell an admin and quote the reference\."
)


def _pull_fails_with(monkeypatch, error: Exception) -> None:
    def pull_all(*, session, full=False):
        raise error

    monkeypatch.setattr(payments, "pull_all", pull_all)
    # The Pull button is offered only while an organisation is connected (issue 15 item 8).
    add_connection("Demo Exports Ltd")


def test_a_user_error_is_shown_in_its_own_words(app_as, monkeypatch, caplog):
    said = "Xero did not answer in time: pull again in a minute."
    _pull_fails_with(monkeypatch, XeroUnavailable(said))
    at = app_as("finance", "dashboard")
    with caplog.at_level(logging.ERROR, logger="shipbridge.ui"):
        at.button(key=state.PULL_PAYMENTS).click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [said]
    assert not [r for r in caplog.records if r.name == "shipbridge.ui"]


def test_an_unexpected_value_error_is_an_apology_with_a_reference_and_logged(
    app_as, monkeypatch, caplog
):
    _pull_fails_with(monkeypatch, ValueError("invalid literal for int() with base 10: 'x'"))
    at = app_as("finance", "dashboard")
    with caplog.at_level(logging.ERROR, logger="shipbridge.ui"):
        at.button(key=state.PULL_PAYMENTS).click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    shown = APOLOGY.fullmatch(errors[0])
    assert shown, errors[0]
    assert "invalid literal" not in errors[0]
    logged = [r for r in caplog.records if r.name == "shipbridge.ui"]
    assert len(logged) == 1, logged
    assert shown["ref"] in logged[0].getMessage()
    kind, value, traceback = logged[0].exc_info
    assert kind is ValueError and str(value) == "invalid literal for int() with base 10: 'x'"
    assert traceback is not None


def test_each_unexpected_error_gets_its_own_reference(app_as, monkeypatch):
    _pull_fails_with(monkeypatch, KeyError("tenant"))
    at = app_as("finance", "dashboard")
    at.button(key=state.PULL_PAYMENTS).click().run()
    first = APOLOGY.fullmatch(at.error[0].value)
    at.button(key=state.PULL_PAYMENTS).click().run()
    second = APOLOGY.fullmatch(at.error[0].value)
    assert first and second
    assert first["ref"] != second["ref"]
