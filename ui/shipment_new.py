"""The New shipment form. What is typed is kept on the server as the user's draft on every
run, so a reload, a lost connection or another tab finds it again; creating the shipment or
"Clear the form" ends the draft."""

from __future__ import annotations

from typing import Any

import streamlit as st

from services import drafts, shipment_edits
from services.mapping import get_sync_settings
from ui import common, shipment_form, shipment_save, state


def _start(user: common.CurrentUser) -> dict[str, Any]:
    """The form's starting values this session: the user's draft, read once (the lines
    editor's own state refers to these rows, so they must not change under it)."""
    ss = st.session_state
    kept = ss.get(state.NEW_DRAFT_START)
    if kept is None or kept[0] != user.username:  # never another user's (same browser)
        with common.session() as db_session:
            draft = drafts.load(session=db_session, username=user.username)
        start = shipment_form.snapshot(None)
        start.update({k: v for k, v in (draft or {}).items() if k in start})
        ss[state.NEW_DRAFT_START] = kept = (user.username, start)
        _next_round(keep_start=True)  # fresh widgets for these values
    return kept[1]


def _clear(username: str) -> None:
    with common.flashed_errors(), common.session() as db_session:
        drafts.drop(session=db_session, username=username)
    _next_round()


def _next_round(*, keep_start: bool = False) -> None:
    ss = st.session_state
    ss[state.NEW_FORM_ROUND] = ss.get(state.NEW_FORM_ROUND, 0) + 1
    if not keep_start:
        ss[state.NEW_DRAFT_START] = None


def _keep_draft(user: common.CurrentUser, given: shipment_form.FormInput) -> None:
    if not shipment_form.typed(given.raw):
        return
    with common.session() as db_session:
        drafts.save(session=db_session, username=user.username, data=given.raw)
    st.caption(
        "Your draft is kept: a reload, or this page in another tab, starts from it.",
        help="Create the shipment or clear the form to end the draft.",
    )
    st.button("Clear the form", key=state.NEW_DRAFT_CLEAR, on_click=_clear, args=(user.username,))


def new_shipment(*, user: common.CurrentUser) -> None:
    start = _start(user)  # may start a new round
    round_no = st.session_state.get(state.NEW_FORM_ROUND, 0)
    with common.session() as db_session:
        trigger = get_sync_settings(session=db_session, tenant_id=None).trigger_status
    given, fields, clicked = shipment_form.submitted_form(
        f"new{round_no}",
        start,
        trigger_status=trigger,
        where=state.NEW_FORM,
        button=("Create shipment", state.CREATE_SHIPMENT),
        always_check=False,
    )
    if not clicked or fields is None:
        _keep_draft(user, given)
        return
    created_id = None
    with common.shown_errors(), common.session() as db_session:
        created = shipment_edits.create_shipment(
            session=db_session,
            fields=fields,
            lines=given.lines,
            user=user.username,
            workflow_status=given.status,
        )
        created_id = created.id
        drafts.drop(session=db_session, username=user.username)
    if created_id is None:
        _keep_draft(user, given)
        return
    _next_round()
    shipment_save.after_save(created_id, fields.shipment_number, given, user, "Created")
