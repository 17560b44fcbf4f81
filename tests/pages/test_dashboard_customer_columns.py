"""The Dashboard's customer table fits 1,400 px (issue 15, item 10): every column has a set
width, short labels carry their meaning on hover, and the widths add up to less than the
main area leaves at 1,400 px with the sidebar open."""

from __future__ import annotations

import json

from tests.pages.helpers import add_connection, assert_clean, mark_sent, open_tab, table_in
from ui import state

# Streamlit 1.67's wide layout at a 1,400 px window: its sidebar (defaultSidebarWidth
# 18.75rem = 300 px) and the main area's side padding (wideSidePadding 5rem = 80 px each
# side), as its frontend theme declares them, leave 940 px.
MAIN_AREA_AT_1400 = 1400 - 300 - 2 * 80


def test_every_customer_column_has_a_width_and_together_they_fit_1400_px(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_connection("Demo AU Pty", tenant_id="t2", base_currency="AUD", is_default=False)
    mark_sent("SHP-1001", "INV-0001", total="100", xero_contact_name="Acme Corp")
    mark_sent("SHP-1003", "INV-0002", total="100", tenant_id="t2", xero_contact_name="Acme")
    at = open_tab(app_as("finance", "dashboard"), state.DASH_TABS, "Customers and documents")
    assert_clean(at)
    frame = list(table_in(at, state.FIN_CUSTOMERS_TABLE).columns)
    assert "Organisation" in frame  # the widest case: several organisations
    config = json.loads(at.get_by_key(state.FIN_CUSTOMERS_TABLE).dataframe[0].proto.columns)
    assert config["Currency"]["hidden"] is True  # each amount carries its currency
    shown = [name for name in frame if not config.get(name, {}).get("hidden")]
    widths = {name: config[name]["width"] for name in shown}
    assert all(isinstance(w, int) and w > 0 for w in widths.values()), widths
    assert sum(widths.values()) <= MAIN_AREA_AT_1400
    assert config["Customer"]["pinned"] is True
    # Short labels; what each holds is said on hover.
    assert config["Unpaid (open + overdue)"]["label"] == "Unpaid"
    assert "Open (not yet due) + Overdue" in config["Unpaid (open + overdue)"]["help"]
