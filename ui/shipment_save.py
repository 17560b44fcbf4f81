"""Saving the open shipment without losing anyone's update: the form is drawn from the
version the edit began with, the save carries that version, and a save over a newer one is
refused with who changed what and when; the user's input stays in the form to re-apply."""

from __future__ import annotations

from typing import Any

import streamlit as st

from models import Shipment, Trigger
from services import queue, shipment_edits, versions
from ui import common, panels, shipment_form, state
from ui.text import md_text


def after_save(shipment_id: int, number: str, given, user, verb: str) -> None:
    """Sync now sends the saved shipment at once; the page then redraws with the result."""
    number = md_text(number)
    if given.sync_now:
        st.success(f"{verb} {number}.")
        if panels.send([shipment_id], trigger=Trigger.SYNC_NOW, user=user) is None:
            return  # the reason it was not sent is on screen; keep it there
        common.flash("success", f"{verb} {number} and sent it (Sync now).")
    else:
        common.flash("success", f"{verb} {number}.")
    st.rerun()


def base_of(shipment: Shipment) -> dict[str, Any]:
    """The edit as it began for this shipment in this session (taken now if none)."""
    ss = st.session_state
    base = ss.get(state.EDIT_BASE)
    if not base or base.get("id") != shipment.id:
        base = {
            "id": shipment.id,
            "version": shipment.version,
            "values": shipment_form.snapshot(shipment),
        }
        ss[state.EDIT_BASE] = base
    return base


def _reapply(latest: dict[str, Any], mine: dict[str, Any]) -> None:
    """Start the form again at the latest version, holding what the user typed."""
    st.session_state[state.EDIT_BASE] = {**latest, "values": mine}


def _discard() -> None:
    st.session_state.pop(state.EDIT_BASE, None)


def _sentence(change: versions.Change) -> str:
    return change.sentence(common.local_time(change.at))


def conflict(box, shipment: Shipment, base: dict[str, Any], given: shipment_form.FormInput) -> None:
    """When someone saved the shipment after this edit began: who changed what and when, and
    the two ways on (the user's input is never dropped without a click)."""
    if shipment.version == base["version"]:
        return
    assert shipment.id is not None  # read from the database
    with common.session() as db_session:
        changes = versions.changes_since(
            session=db_session, shipment_id=shipment.id, version=base["version"]
        )
    said = "\n".join(f"- {md_text(_sentence(c))}" for c in changes) or "- (not recorded)"
    latest = {
        "id": shipment.id,
        "version": shipment.version,
        "values": shipment_form.snapshot(shipment),
    }
    with box.container(key=state.EDIT_CONFLICT, border=True):
        st.warning(
            f"{md_text(shipment.shipment_number)} was changed after you opened it:\n{said}\n\n"
            "Saving your form as it is would be refused. Your input is kept in the form.",
            icon=":material/group:",
        )
        reapply, discard = st.columns(2)
        reapply.button(
            "Re-apply my changes to the latest version",
            key=state.EDIT_REAPPLY,
            on_click=_reapply,
            args=(latest, given.raw),
            help="The form starts from the latest version, holding what you typed: check "
            "it against the changes above, then Save.",
        )
        discard.button(
            "Discard my changes, show the latest", key=state.EDIT_DISCARD, on_click=_discard
        )


def edit(shipment: Shipment, *, user: common.CurrentUser, trigger_status: str) -> None:
    """The form at the version the edit began with; Save carries that version."""
    assert shipment.id is not None  # read from the database
    base = base_of(shipment)
    box = st.container()  # above the form: who changed the shipment since it was opened
    given, fields, clicked = shipment_form.submitted_form(
        f"edit{shipment.id}v{base['version']}",
        base["values"],
        trigger_status=trigger_status,
        where=state.EDIT_FORM,
        button=("Save", state.SAVE_SHIPMENT),
        always_check=True,
    )
    conflict(box, shipment, base, given)
    if not clicked or fields is None:
        return
    saved: str | None = None
    try:
        saved = _save(shipment, base, given, fields, user)
    except versions.StaleShipment as stale:
        sentences = [_sentence(c) for c in stale.changes]
        st.error(md_text(versions.refusal(stale.number, sentences)))
    if saved is not None:
        _discard()  # the next run starts from the saved version
        if saved:
            common.flash("info", saved)
        after_save(shipment.id, fields.shipment_number, given, user, "Saved")


def _save(shipment: Shipment, base, given, fields, user: common.CurrentUser) -> str | None:
    """Save the form over the version it began with: fields, lines and status as one save
    (one version step, one audit record), queued at the trigger status as a status change
    is. Returns what the status change queued ("" for nothing to say). A refusal for a newer
    version is raised (the caller words it); any other error is shown here, and None
    returned."""
    assert shipment.id is not None  # read from the database
    try:
        with common.session() as db_session:
            moved = shipment_edits.save_with_status(
                session=db_session,
                shipment_id=shipment.id,
                fields=fields,
                lines=given.lines,
                status=given.status,
                user=user.username,
                expected_version=base["version"],
            )
    except versions.StaleShipment:
        raise
    except Exception as error:  # noqa: BLE001 - the user sees plain words, the log the rest
        common.show_error(error)
        return None
    if moved.cancelling_numbers():
        return f"Not queued for Xero at {given.status}: {queue.CANCELLATION_WAITS}"
    if moved.queued_numbers():
        return f"Queued for Xero: {given.status} is the trigger status."
    return ""
