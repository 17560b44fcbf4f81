"""Logout forgets the Shipments page's work in progress (app.PER_USER_KEYS): the open edit's
base (ui.state.EDIT_BASE), a bulk action awaiting confirmation (BULK_PENDING) and the new
shipment's starting values (NEW_DRAFT_START). The next user in the same browser meets none."""

from __future__ import annotations

from tests.pages.helpers import assert_clean, select_rows
from ui import state

WORK_IN_PROGRESS = (state.EDIT_BASE, state.BULK_PENDING, state.NEW_DRAFT_START)


def test_logout_then_another_login_keeps_none_of_the_shipments_work(app_as):
    at = app_as("operations", "shipments")
    at.text_input(key=state.SHIP_SEARCH).input("SHP-1003").run()
    at = select_rows(at, [0])
    at.selectbox(key=state.BULK_STATUS).set_value("Cancelled")
    at.button(key=state.CHANGE_STATUS).click().run()  # asks to confirm: pending
    at.session_state[state.SHIPMENTS_TABLE] = {  # a click on the row's cell opens it
        "selection": {"rows": [], "columns": [], "cells": [(0, "Shipment")]}
    }
    at.run()
    assert_clean(at)
    assert all(at.session_state[key] for key in WORK_IN_PROGRESS)  # the work exists

    at.sidebar.button(key=state.LOGOUT_BUTTON).click().run()
    assert not [key for key in WORK_IN_PROGRESS if key in at.session_state]

    at.text_input[0].input("finance")  # another person logs in, in the same browser
    at.text_input[1].input("finance")
    at.button[0].click().run()
    assert_clean(at)
    assert at.session_state[state.AUTH_STATUS] is True
    assert not [key for key in WORK_IN_PROGRESS if key in at.session_state]
