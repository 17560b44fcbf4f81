"""The Mapping page: admins edit, operations read."""

from __future__ import annotations

from collections import Counter

from models import CustomerMapping, ProductMapping, utcnow
from services import connections, reference_data
from services.aliases import save_product_mapping
from services.db import session_scope
from services.mapping import get_sync_settings, update_sync_settings
from services.reference_data import RefreshSummary
from tests.pages.helpers import (
    add_connection,
    add_reference_data,
    assert_clean,
    open_tab,
    table_in,
    texts,
)
from ui import state


def on_tab(at, label: str):
    """The Mapping page with its `label` tab open (only the open tab is drawn)."""
    return open_tab(at, state.MAPPING_TABS, label)


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
    assert texts(at).count("No Xero organisation is connected") == 1  # said once (ui.xero_status)


def test_admin_saves_a_change(app_as):
    at = app_as("admin", "mapping")
    assert_clean(at)
    widget(at, "Trigger status").set_value("Packed")
    widget(at, "Send as").set_value("quote")
    widget(at, "Sales account code").input("200")
    at.button(key=state.MAPPING_SAVE).click().run()
    assert_clean(at)
    # Named as the form names them, not by their field names.
    assert [s.value for s in at.success] == [
        "Mapping saved (Send as, Trigger status, Sales account code)."
    ]
    assert "Trigger status: **Packed**" in texts(at)
    with session_scope() as session:
        saved = get_sync_settings(session=session)
        assert (saved.trigger_status, saved.document_type, saved.sales_account_code) == (
            "Packed",
            "quote",
            "200",
        )
        assert saved.updated_by == "admin"


def test_accounts_and_tax_rates_are_chosen_from_xero(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    with session_scope() as session:  # a code Xero does not have is kept, and labelled
        update_sync_settings(session=session, changes={"freight_account_code": "999"}, user="t")
    at = app_as("admin", "mapping")
    assert_clean(at)
    sales = widget(at, "Sales account code")
    assert sales.options == ["200 — Sales", "210 — Export Sales", "265 — Freight Recovered"]
    assert sales.value == "210"
    assert widget(at, "Freight account code").options[-1] == "999 (not an active Xero account)"
    assert widget(at, "Tax type").options == ["ZERORATED — Zero Rated (0%)"]
    assert "Accounts and tax rates to choose from are Demo Exports Ltd's in Xero." in texts(at)
    widget(at, "Freight account code").set_value("265")
    at.button(key=state.MAPPING_SAVE).click().run()
    assert_clean(at)
    with session_scope() as session:
        saved = get_sync_settings(session=session)
        assert (saved.sales_account_code, saved.freight_account_code) == ("210", "265")
    # Operations sees the same choices, read-only.
    at = app_as("operations", "mapping")
    assert widget(at, "Freight account code").disabled
    assert widget(at, "Freight account code").value == "265"


def test_reference_data_counts_per_organisation(app_as):
    add_connection("Demo Exports Ltd")
    at = on_tab(app_as("admin", "mapping"), "Reference data")
    assert_clean(at)
    counts = at.dataframe[-1].value
    assert list(counts["Organisation"]) == ["Demo Exports Ltd"]
    assert list(counts["Customers"]) == [0]


def buttons(at) -> list[str]:
    return [b.label for b in at.button]


def mappings(model) -> list:
    from sqlmodel import select

    with session_scope() as session:
        return list(session.exec(select(model)))


def test_no_organisation_links_admins_to_connect(app_as):
    at = app_as("admin", "mapping")
    assert_clean(at)
    assert "No Xero organisation is connected" in texts(at)
    assert [link.label for link in at.get("page_link")] == ["Connect to Xero"]
    assert "Refresh from Xero" not in buttons(at)
    at = app_as("operations", "mapping")
    assert "ask an admin to connect one on the Connect page" in texts(at)
    assert not at.get("page_link")


def test_check_all_maps_alok_to_its_suggestion(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    at = app_as("admin", "mapping")
    assert_clean(at)
    assert [t.label for t in at.tabs] == [
        "Settings", "Customers", "Products", "Check all", "Reference data", "History",
    ]  # fmt: skip
    at = on_tab(at, "Check all")
    at.button(key=state.CHECK_ALL).click().run()
    assert_clean(at)
    shown = texts(at)
    assert "**Customer code `ALOK`** — 1 shipment(s): SHP-1005" in shown
    assert "**Product code `WIDGET-Z`** — 1 shipment(s): SHP-1025" in shown
    assert "Map WIDGET-Z → WIDGET-A" in buttons(at)
    at.button(key=f"{state.MAP_SUGGESTION_PREFIX}customer_ALOK_ALOK-01").click().run()
    assert_clean(at)
    [saved] = mappings(CustomerMapping)
    assert (saved.tenant_id, saved.shipment_code, saved.account_number) == ("t1", "ALOK", "ALOK-01")
    assert any("Customer code ALOK now maps to ALOK-01" in s.value for s in at.success)
    # The list redraws without ALOK; the mapping and its audit event are on their tabs.
    assert "`ALOK`" not in texts(at)
    assert "Map ALOK → ALOK-01" not in buttons(at)
    table = table_in(on_tab(at, "Customers"), state.CUSTOMER_MAP_TABLE)
    assert list(table["Xero customer"]) == ["ALOK-01 — Alok Industries"]
    history = table_in(on_tab(at, "History"), state.MAPPING_HISTORY)
    assert list(history["Who"]) == ["admin"]
    assert list(history["What"]) == ["Customer ALOK"]
    assert "account number: ALOK-01" in history["After"][0]


def test_operations_reads_mappings_and_check_all_without_buttons(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    with session_scope() as session:
        save_product_mapping(
            session=session, tenant_id="t1", shipment_code="WIDGET-Z", item_code="WIDGET-A",
            user="admin",
        )  # fmt: skip
    at = on_tab(app_as("operations", "mapping"), "Products")
    assert_clean(at)
    assert list(table_in(at, state.PRODUCT_MAP_TABLE)["Shipment code"]) == ["WIDGET-Z"]
    at = on_tab(at, "Check all")
    at.button(key=state.CHECK_ALL).click().run()
    assert_clean(at)
    assert "Nearest Xero codes: ALOK-01. An admin can map the code." in texts(at)
    assert "WIDGET-Z" not in "".join(e.value for e in at.markdown)  # mapped already
    editing = {"Save mapping", "Save customer mapping", "Save product mapping", "Refresh from Xero"}
    for tab in ("Check all", "Settings", "Customers", "Products", "Reference data", "History"):
        at = on_tab(at, tab)
        assert_clean(at)
        assert not editing & set(buttons(at)), tab
        assert not [b for b in buttons(at) if b.startswith(("Map ", "Delete"))], tab
        assert not at.get("form"), tab


def test_admin_adds_changes_and_deletes_mappings(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    at = on_tab(app_as("admin", "mapping"), "Customers")
    form = state.CUSTOMER_MAP_FORM
    at.text_input(key=f"{form}_code_new").input("ALOK")
    at.selectbox(key=f"{form}_contact_new").set_value("ALOK-01")
    # Only revenue accounts are offered for sales.
    assert at.selectbox(key=f"{form}_account_new").options == [
        "200 — Sales", "210 — Export Sales", "265 — Freight Recovered",
    ]  # fmt: skip
    assert at.selectbox(key=f"{form}_account_new").value is None  # the mapping's account
    at.button(key=state.CUSTOMER_MAP_SAVE).click().run()
    assert_clean(at)
    assert [(m.shipment_code, m.account_number) for m in mappings(CustomerMapping)] == [
        ("ALOK", "ALOK-01")
    ]
    at.selectbox(key=state.CUSTOMER_MAP_PICK).set_value("ALOK").run()
    assert at.text_input(key=f"{form}_code_ALOK").value == "ALOK"
    assert at.selectbox(key=f"{form}_contact_ALOK").value == "ALOK-01"
    at.selectbox(key=f"{form}_account_ALOK").set_value("200")
    at.button(key=state.CUSTOMER_MAP_SAVE).click().run()
    assert [m.sales_account_code for m in mappings(CustomerMapping)] == ["200"]
    at.button(key=state.CUSTOMER_MAP_DELETE).click().run()
    assert_clean(at)
    assert mappings(CustomerMapping) == []
    assert at.selectbox(key=state.CUSTOMER_MAP_PICK).value is None

    at = on_tab(at, "Products")
    at.text_input(key=f"{state.PRODUCT_MAP_FORM}_code_new").input("WIDGET-Z")
    at.selectbox(key=f"{state.PRODUCT_MAP_FORM}_item_new").set_value("WIDGET-A")
    at.button(key=state.PRODUCT_MAP_SAVE).click().run()
    assert_clean(at)
    assert [(m.shipment_code, m.item_code) for m in mappings(ProductMapping)] == [
        ("WIDGET-Z", "WIDGET-A")
    ]
    actions = list(table_in(on_tab(at, "History"), state.MAPPING_HISTORY)["Change"])
    assert actions == ["map product", "unmap", "map customer", "map customer"]


def test_refresh_from_xero_shows_what_changed_or_why_not(app_as, monkeypatch):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    at = on_tab(app_as("admin", "mapping"), "Reference data")
    at.button(key=state.REFERENCE_REFRESH).click().run()
    assert_clean(at, allow_errors=True)
    # A connection row without tokens: the adapter says what to do, in plain words.
    assert any("needs reconnecting" in e.value for e in at.error), texts(at)

    calls = []

    def refresh(*, session, connection, adapter, full):
        calls.append(full)
        connection.reference_refreshed_at = utcnow()
        summary = RefreshSummary(api_calls=6)
        summary.counts = {"contacts": Counter(new=2, unchanged=4), "items": Counter(archived=1)}
        return summary

    monkeypatch.setattr(connections, "adapter_for", lambda connection, session: object())
    monkeypatch.setattr(reference_data, "refresh", refresh)
    at.checkbox(key=state.REFERENCE_FULL).check()
    at.button(key=state.REFERENCE_REFRESH).click().run()
    assert_clean(at)
    assert calls == [True]
    summary = next(d.value for d in at.dataframe if "Kind" in d.value.columns)
    assert summary.to_dict("records") == [
        {"Organisation": "Demo Exports Ltd", "Kind": "Contacts", "New": 2, "Updated": 0,
         "Unchanged": 4, "Archived": 0},
        {"Organisation": "Demo Exports Ltd", "Kind": "Items", "New": 0, "Updated": 0,
         "Unchanged": 0, "Archived": 1},
    ]  # fmt: skip
    assert "6 API call(s) used: Demo Exports Ltd 6." in texts(at)
    assert at.get("status")[0].proto.label.startswith("Refreshed 1 of 1 organisation(s)")


def test_mappings_are_paged_and_found_by_code(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    with session_scope() as session:
        for n in range(30):
            save_product_mapping(
                session=session, tenant_id="t1", shipment_code=f"P{n:02d}", item_code="CRATE",
                user="admin",
            )  # fmt: skip
    at = on_tab(app_as("admin", "mapping"), "Products")
    assert_clean(at)
    assert list(table_in(at, state.PRODUCT_MAP_TABLE)["Shipment code"]) == [
        f"P{n:02d}" for n in range(25)
    ]
    assert "1–25 of 30 product mapping(s)." in texts(at)
    at.number_input(key=state.PRODUCT_MAP_PAGE).set_value(2).run()
    assert_clean(at)
    assert list(table_in(at, state.PRODUCT_MAP_TABLE)["Shipment code"]) == [
        f"P{n:02d}" for n in range(25, 30)
    ]
    # The picker offers the mappings shown; a search finds one on any page.
    assert at.selectbox(key=state.PRODUCT_MAP_PICK).options == [f"P{n:02d}" for n in range(25, 30)]
    at.text_input(key=state.PRODUCT_MAP_SEARCH).input("p03").run()
    assert list(table_in(at, state.PRODUCT_MAP_TABLE)["Shipment code"]) == ["P03"]
    at.selectbox(key=state.PRODUCT_MAP_PICK).set_value("P03").run()
    assert at.selectbox(key=f"{state.PRODUCT_MAP_FORM}_item_P03").value == "CRATE"
    at.text_input(key=state.PRODUCT_MAP_SEARCH).input("nothing-like-it").run()
    assert_clean(at)
    assert "No product mapping matches “nothing-like-it”." in texts(at)
    assert at.selectbox(key=state.PRODUCT_MAP_PICK).value is None


def test_check_all_shows_its_codes_a_page_at_a_time(app_as):
    from tests.utils.factories import make_shipment

    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    with session_scope() as session:
        for n in range(22):
            for _ in range(2 if n == 21 else 1):  # UNKNOWN-21 holds back the most
                make_shipment(session, buyer_code=f"UNKNOWN-{n:02d}")
    at = on_tab(app_as("admin", "mapping"), "Check all")
    at.button(key=state.CHECK_ALL).click().run()
    assert_clean(at)
    shown = texts(at)
    # The demo's ALOK and WIDGET-Z, and the 22 above: 24 codes, 20 a page.
    assert "24 code(s) do not map to Xero" in shown
    assert "Codes 1–20 of 24." in shown
    codes = [m.value for m in at.markdown if " code `" in m.value]
    assert len(codes) == 20
    assert codes[0].startswith("**Customer code `UNKNOWN-21`** — 2 shipment(s)")
    at.number_input(key=state.CHECK_ALL_PAGE).set_value(2).run()
    assert_clean(at)
    assert "Codes 21–24 of 24." in texts(at)
    assert len([m.value for m in at.markdown if " code `" in m.value]) == 4


def uk_reference_data(tenant_id: str = "t2") -> None:
    """A second organisation's Xero: other account codes, no ZERORATED tax rate."""
    from models import XeroAccount, XeroTaxRate

    with session_scope() as session:
        for code, name in (("4000", "Sales"), ("4100", "Freight Income")):
            session.add(
                XeroAccount(
                    tenant_id=tenant_id, account_id=f"a-{code}", code=code, name=name,
                    type="REVENUE",
                )
            )  # fmt: skip
        session.add(XeroTaxRate(tenant_id=tenant_id, tax_type="ZERORATEDOUTPUT", name="Zero"))


def test_settings_warn_when_the_organisations_xero_lacks_a_code(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    add_connection("Demo UK Ltd", tenant_id="t2", is_default=False)
    uk_reference_data("t2")
    at = app_as("admin", "mapping")
    assert_clean(at)
    # The default settings suit Demo Exports Ltd, but Demo UK Ltd (no settings of its own)
    # uses them too and its Xero has none of their codes.
    [warning] = [w.value for w in at.warning]
    assert warning == (
        "Demo UK Ltd's Xero has no sales account 210, no freight account 265, no tax type "
        "ZERORATED: sends to Demo UK Ltd are refused until these settings name codes it has. "
        "To fix it, choose Demo UK Ltd under “Settings for” above and give it accounts and a "
        "tax type of its own, or add the codes in Demo UK Ltd's Xero and click Refresh from "
        "Xero on the Reference data tab."
    )
    at.selectbox(key=state.MAPPING_TENANT).set_value("t2").run()
    assert_clean(at)
    [warning] = [w.value for w in at.warning]
    assert warning.startswith("Demo UK Ltd's Xero has no sales account 210, no freight")
    assert "To fix it, choose codes it has below and click Save mapping, or add" in warning
    widget(at, "Sales account code").set_value("4000")
    widget(at, "Freight account code").set_value("4100")
    widget(at, "Tax type").set_value("ZERORATEDOUTPUT")
    at.button(key=state.MAPPING_SAVE).click().run()
    assert_clean(at)
    assert [s.value for s in at.success] == [
        "Mapping saved (Sales account code, Freight account code, Tax type)."
    ]
    assert not at.warning
    with session_scope() as session:
        assert get_sync_settings(session=session, tenant_id="t2").sales_account_code == "4000"
        assert get_sync_settings(session=session).sales_account_code == "210"
    # Demo UK Ltd has its own settings now: the default ones apply to Demo Exports Ltd only.
    at.selectbox(key=state.MAPPING_TENANT).set_value(None).run()
    assert_clean(at)
    assert not at.warning
    # Operations sees the warning too, and who can fix it.
    with session_scope() as session:
        update_sync_settings(session=session, changes={"tax_type": "GST"}, user="admin")
    at = app_as("operations", "mapping")
    [warning] = [w.value for w in at.warning]
    assert warning.startswith("Demo Exports Ltd's Xero has no tax type GST: ")
    assert "To fix it, an admin can choose codes it has below and click Save mapping" in warning


def test_settings_say_the_check_needs_reference_data(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    add_connection("Demo UK Ltd", tenant_id="t2", is_default=False)
    at = app_as("admin", "mapping")
    at.selectbox(key=state.MAPPING_TENANT).set_value("t2").run()
    assert_clean(at)
    assert not at.warning
    assert (
        "Whether Demo UK Ltd's Xero has these accounts and tax type is checked against its "
        "cached reference data, and none is cached yet: click Refresh from Xero on the "
        "Reference data tab."
    ) in [i.value for i in at.info]


def test_each_status_says_when_it_applies(app_as):
    for role in ("admin", "operations"):
        at = app_as(role, "mapping")
        assert_clean(at)
        shown = texts(at)
        assert "Used only when Send as is Invoice." in shown
        assert "Used only when Send as is Quote." in shown
        assert widget(at, "Invoice status").value == "DRAFT"
        assert widget(at, "Quote status").value == "DRAFT"


def test_a_purchases_only_tax_rate_is_not_offered_and_is_warned_about(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")  # ZERORATED for sales; INPUT2 for purchases only
    at = app_as("admin", "mapping")
    assert widget(at, "Tax type").options == ["ZERORATED — Zero Rated (0%)"]
    with session_scope() as session:
        update_sync_settings(session=session, changes={"tax_type": "INPUT2"}, user="t")
    at = app_as("admin", "mapping")
    assert_clean(at)
    assert widget(at, "Tax type").options == [
        "ZERORATED — Zero Rated (0%)",
        "INPUT2 — GST on Expenses (15%) — for purchases, not sales",
    ]
    [warning] = [w.value for w in at.warning if "for purchases only" in w.value]
    assert warning.startswith("Demo Exports Ltd's Xero has tax type INPUT2 for purchases only:")
