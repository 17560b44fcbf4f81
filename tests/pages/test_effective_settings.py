"""Issue 15 item 2 on the Mapping page: the settings as the send will use them, with where
each comes from; a shipment with no organisation shows the default organisation's settings.
Then the page's word is checked against what a status change does."""

from __future__ import annotations

from sqlmodel import select

from models import SyncJob
from services.db import session_scope
from services.mapping import update_sync_settings
from services.shipment_edits import change_status
from tests.pages.helpers import add_connection, assert_clean, table_in, texts
from tests.utils.factories import id_of, make_shipment
from ui import state
from ui.effective_settings import EFFECTIVE_TABLE, USE_DEFAULTS

NO_ORGANISATION = "No organisation (sent to Default Ltd)"


def _rows(at) -> dict[str, dict]:
    """{organisation column: {setting: value}} (the table has a row per setting)."""
    return table_in(at, EFFECTIVE_TABLE).set_index("Setting").to_dict()


def _setup() -> None:
    add_connection("Default Ltd", tenant_id="t-default", is_default=True)
    add_connection("Other Ltd", tenant_id="t-other", is_default=False)
    with session_scope() as session:
        # The case: the switch on, and AUTHORISED, in the default organisation's own
        # settings; Every organisation keeps DRAFT and no queueing.
        update_sync_settings(
            session=session,
            user="admin",
            tenant_id="t-default",
            changes={"queue_on_trigger": True, "invoice_status": "AUTHORISED"},
        )


def test_the_page_shows_each_organisations_settings_and_their_source(app_as):
    _setup()
    at = app_as("admin", "mapping")
    assert_clean(at)
    rows = _rows(at)
    assert set(rows) == {"Default Ltd", "Other Ltd", NO_ORGANISATION}
    no_org = rows[NO_ORGANISATION]
    assert (no_org["Status"], no_org["Queue at the trigger status"]) == ("AUTHORISED", "Yes")
    assert no_org["Comes from"] == "Default Ltd's own settings"
    other = rows["Other Ltd"]
    assert (other["Status"], other["Queue at the trigger status"]) == (
        "DRAFT",
        "No (Sync now is offered)",
    )
    assert other["Comes from"] == "Every organisation (default)"
    # Editing Every organisation says whom it does not reach.
    assert "These settings do not apply to Default Ltd" in texts(at)
    assert "These settings apply to: Other Ltd." in texts(at)


def test_what_the_page_says_is_what_a_move_to_the_trigger_status_does(app_as):
    _setup()
    at = app_as("operations", "mapping")
    rows = _rows(at)
    with session_scope() as session:
        none_id = id_of(make_shipment(session, status="Packed", shipment_number="EFF-1"))
        other_id = id_of(
            make_shipment(session, status="Packed", shipment_number="EFF-2", tenant_id="t-other")
        )
        change_status(
            session=session,
            shipment_ids=[none_id],
            status=rows[NO_ORGANISATION]["Trigger status"],
            user="ops",
        )
        change_status(
            session=session,
            shipment_ids=[other_id],
            status=rows["Other Ltd"]["Trigger status"],
            user="ops",
        )
        queued = {job.shipment_id for job in session.exec(select(SyncJob)).all()}
    assert (none_id in queued) is (rows[NO_ORGANISATION]["Queue at the trigger status"] == "Yes")
    assert (other_id in queued) is (rows["Other Ltd"]["Queue at the trigger status"] == "Yes")
    assert none_id in queued and other_id not in queued


def test_the_xero_number_and_reference_are_named_and_previewed(app_as):
    with session_scope() as session:
        update_sync_settings(
            session=session,
            user="admin",
            changes={
                "reference_source": "exporter_reference",
                "xero_reference_source": "shipment_number",
            },
        )
        make_shipment(session, shipment_number="PRV-1", exporter_reference="EXP-PRV")
    at = app_as("admin", "mapping")
    assert_clean(at)
    labels = [w.label for w in at.selectbox]
    assert "Xero number comes from" in labels and "Xero Reference comes from" in labels
    assert "Reference comes from" not in labels
    assert "Preview with PRV-1: Xero number **EXP-PRV**, Xero Reference **PRV-1**." in texts(at)


def test_an_admin_puts_an_organisation_back_on_every_organisations_settings(app_as):
    _setup()
    at = app_as("admin", "mapping")
    at.selectbox(key=state.MAPPING_TENANT).set_value("t-default").run()
    assert_clean(at)
    at.button(key=USE_DEFAULTS).click().run()
    assert_clean(at)
    assert [s.value for s in at.success] == ["Default Ltd now uses Every organisation's settings."]
    no_org = _rows(at)[NO_ORGANISATION]
    assert (no_org["Status"], no_org["Comes from"]) == ("DRAFT", "Every organisation (default)")
