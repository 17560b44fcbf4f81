"""Issue 15 item 2: one settings model. `mapping.effective_settings` is what the trigger, the
send, the preview and the pages read; a shipment with no organisation of its own uses exactly
the default organisation's settings, trigger and auto-queue included.

Every combination below moves a shipment to the trigger status the resolved settings name and
checks it is queued exactly when the settings that apply (the ones the page shows) say so."""

from __future__ import annotations

import itertools

import pytest
from sqlmodel import Session, select

from models import ConnectionStatus, SyncJob, XeroConnection
from services import mapping
from services.shipment_edits import change_status
from tests.utils.factories import id_of, make_shipment

DEFAULT, OTHER = "org-default", "org-other"
NAMES = {DEFAULT: "Default Ltd", OTHER: "Other Ltd"}
# Which rows exist besides "Every organisation": none, the default organisation's own, the
# other organisation's own, or both.
OWN_ROWS = [(), (DEFAULT,), (OTHER,), (DEFAULT, OTHER)]
SHIPMENT_ORGS = [None, DEFAULT, OTHER]
# Every organisation's switch, and the one in each organisation's own settings.
SWITCHES = [(False, True), (True, False)]


def _organisations(session: Session) -> None:
    for tenant, is_default in ((DEFAULT, True), (OTHER, False)):
        session.add(
            XeroConnection(
                tenant_id=tenant,
                tenant_name=NAMES[tenant],
                status=ConnectionStatus.ACTIVE,
                is_default=is_default,
            )
        )
    session.flush()


def _configure(session: Session, own_rows: tuple[str, ...], every: bool, own: bool) -> None:
    """Every organisation: trigger Shipped, switch `every`, DRAFT. Each own row: trigger
    Packed, switch `own`, AUTHORISED (so it differs from the defaults in every way)."""
    mapping.update_sync_settings(
        session=session,
        user="admin",
        changes={"queue_on_trigger": every, "trigger_status": "Shipped"},
    )
    for tenant in own_rows:
        mapping.update_sync_settings(
            session=session,
            user="admin",
            tenant_id=tenant,
            changes={
                "queue_on_trigger": own,
                "trigger_status": "Packed",
                "invoice_status": "AUTHORISED",
            },
        )


def _expected(shipment_org: str | None, own_rows: tuple[str, ...], every: bool, own: bool):
    """(queued?, trigger, invoice status, source) worked out from the rule, not the code: a
    shipment with no organisation is the default organisation's."""
    org = shipment_org or DEFAULT
    if org in own_rows:
        return own, "Packed", "AUTHORISED", f"{NAMES[org]}'s own settings"
    return every, "Shipped", "DRAFT", "Every organisation (default)"


@pytest.mark.parametrize(
    ("own_rows", "shipment_org", "switches"),
    list(itertools.product(OWN_ROWS, SHIPMENT_ORGS, SWITCHES)),
)
def test_the_trigger_queues_exactly_as_the_effective_settings_say(
    session, own_rows, shipment_org, switches
):
    every, own = switches
    _organisations(session)
    _configure(session, own_rows, every, own)
    queued, trigger, status, source = _expected(shipment_org, own_rows, every, own)

    shown = mapping.effective_settings(session=session, tenant_id=shipment_org)
    assert shown.tenant_id == (shipment_org or DEFAULT)
    assert shown.settings.trigger_status == trigger
    assert shown.settings.queue_on_trigger is queued
    assert shown.settings.invoice_status == status
    assert set(shown.sources().values()) == {source}

    shipment = make_shipment(session, tenant_id=shipment_org, status="Booked")
    change_status(session=session, shipment_ids=[id_of(shipment)], status=trigger, user="ops")
    jobs = session.exec(select(SyncJob).where(SyncJob.shipment_id == id_of(shipment))).all()
    assert len(jobs) == (1 if queued else 0)


def test_the_reported_bug_switch_on_in_the_default_organisations_own_settings(session):
    """The issue's case: the switch on in the default organisation's own settings and a
    shipment with no organisation moved to Shipped: it is queued, and shown AUTHORISED."""
    _organisations(session)
    mapping.update_sync_settings(
        session=session,
        user="admin",
        tenant_id=DEFAULT,
        changes={"queue_on_trigger": True, "invoice_status": "AUTHORISED"},
    )
    shown = mapping.effective_settings(session=session, tenant_id=None)
    assert (shown.own, shown.settings.invoice_status) == (True, "AUTHORISED")
    shipment = make_shipment(session, status="Packed")
    change_status(session=session, shipment_ids=[id_of(shipment)], status="Shipped", user="ops")
    assert session.exec(select(SyncJob).where(SyncJob.shipment_id == id_of(shipment))).one()


def test_with_no_organisation_connected_the_defaults_apply(session):
    mapping.update_sync_settings(session=session, user="admin", changes={"queue_on_trigger": True})
    shown = mapping.effective_settings(session=session, tenant_id=None)
    assert (shown.tenant_id, shown.own, shown.settings.queue_on_trigger) == (None, False, True)


def test_a_new_default_organisation_brings_its_own_settings(session):
    _organisations(session)
    mapping.update_sync_settings(
        session=session, user="admin", tenant_id=OTHER, changes={"trigger_status": "Delivered"}
    )
    assert mapping.effective_settings(session=session, tenant_id=None).settings.trigger_status == (
        "Shipped"
    )
    for row in session.exec(select(XeroConnection)).all():
        row.is_default = row.tenant_id == OTHER
        session.add(row)
    session.flush()
    shown = mapping.effective_settings(session=session, tenant_id=None)
    assert (shown.tenant_id, shown.settings.trigger_status) == (OTHER, "Delivered")


def test_editing_every_organisation_never_touches_an_organisations_own_row(session):
    _organisations(session)
    mapping.update_sync_settings(
        session=session, user="admin", tenant_id=DEFAULT, changes={"tax_type": "OUTPUT2"}
    )
    mapping.update_sync_settings(session=session, user="admin", changes={"tax_type": "NONE"})
    assert mapping.settings_row(session=session, tenant_id=None).tax_type == "NONE"
    assert mapping.effective_settings(session=session, tenant_id=None).settings.tax_type == (
        "OUTPUT2"
    )


def test_an_organisation_can_go_back_to_every_organisations_settings(session):
    _organisations(session)
    _configure(session, (DEFAULT,), every=False, own=True)
    assert mapping.effective_settings(session=session, tenant_id=None).own
    assert mapping.use_every_organisations(session=session, tenant_id=DEFAULT, user="admin")
    shown = mapping.effective_settings(session=session, tenant_id=None)
    assert (shown.own, shown.settings.queue_on_trigger) == (False, False)
    assert not mapping.use_every_organisations(session=session, tenant_id=DEFAULT, user="admin")
    shipment = make_shipment(session, status="Packed")
    change_status(session=session, shipment_ids=[id_of(shipment)], status="Shipped", user="ops")
    assert session.exec(select(SyncJob)).all() == []
