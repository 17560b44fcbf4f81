"""The Mapping page: admins edit, operations read."""

from __future__ import annotations

from pages import state
from services.db import session_scope
from services.mapping import get_sync_settings
from tests.pages.helpers import add_connection, assert_clean, texts


def widget(at, label: str):
    return next(w for w in [*at.selectbox, *at.text_input] if w.label == label)


def test_operations_reads_the_mapping_and_cannot_save(app_as):
    at = app_as("operations", "mapping")
    assert_clean(at)
    assert "Trigger status: **Shipped**" in texts(at)
    assert widget(at, "Trigger status").value == "Shipped"
    assert widget(at, "Trigger status").disabled
    assert widget(at, "Sales account code").disabled
    assert "Save mapping" not in [b.label for b in at.button]
    assert "No Xero organisation is connected yet" in texts(at)


def test_admin_saves_a_change(app_as):
    at = app_as("admin", "mapping")
    assert_clean(at)
    widget(at, "Trigger status").set_value("Packed")
    widget(at, "Send as").set_value("quote")
    widget(at, "Sales account code").input("200")
    at.button(key=state.MAPPING_SAVE).click().run()
    assert_clean(at)
    assert any("Mapping saved" in s.value for s in at.success)
    assert "Trigger status: **Packed**" in texts(at)
    with session_scope() as session:
        saved = get_sync_settings(session=session)
        assert (saved.trigger_status, saved.document_type, saved.sales_account_code) == (
            "Packed",
            "quote",
            "200",
        )
        assert saved.updated_by == "admin"


def test_reference_data_counts_per_organisation(app_as):
    add_connection("Demo Exports Ltd")
    at = app_as("admin", "mapping")
    assert_clean(at)
    counts = at.dataframe[-1].value
    assert list(counts["Organisation"]) == ["Demo Exports Ltd"]
    assert list(counts["Customers"]) == [0]
