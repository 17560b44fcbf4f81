"""Enter never discards typed input on Mapping → Customers and Products (issue 15 item 5).

Enter in a form's text box submits the form, as its Save button does. Before, both forms
cleared themselves on every submit: a refused one (half filled) wiped what was typed. Now a
refused submit says what is missing and keeps the form as typed; only a save empties it."""

from __future__ import annotations

from sqlmodel import select

from models import CustomerMapping, ProductMapping
from services.db import session_scope
from tests.pages.helpers import add_connection, add_reference_data, assert_clean, open_tab
from ui import state

CUSTOMER, PRODUCT = state.CUSTOMER_MAP_FORM, state.PRODUCT_MAP_FORM


def mapping_page(app_as, tab: str):
    """The Mapping page on its `tab` (only the open tab is drawn)."""
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_reference_data("t1")
    return open_tab(app_as("admin", "mapping"), state.MAPPING_TABS, tab)


def saved(model) -> list[tuple[str, str | None]]:
    with session_scope() as session:
        rows = session.exec(select(model)).all()
        target = "item_code" if model is ProductMapping else "account_number"
        return [(m.shipment_code, getattr(m, target)) for m in rows]


def test_enter_in_mapping_products_keeps_the_typed_code_then_saves_and_empties(app_as):
    at = mapping_page(app_as, "Products")
    at.text_input(key=f"{PRODUCT}_code_new").input("WIDGET-Z")
    at.button(key=state.PRODUCT_MAP_SAVE).click().run()  # Enter with the code alone
    assert_clean(at, allow_errors=True)
    assert [e.value for e in at.error] == ["Choose a Xero item."]
    assert at.text_input(key=f"{PRODUCT}_code_new").value == "WIDGET-Z"
    assert saved(ProductMapping) == []

    at.selectbox(key=f"{PRODUCT}_item_new").set_value("WIDGET-A")
    at.button(key=state.PRODUCT_MAP_SAVE).click().run()
    assert_clean(at)
    assert saved(ProductMapping) == [("WIDGET-Z", "WIDGET-A")]
    # Saved: the form is ready for the next new mapping.
    assert at.text_input(key=f"{PRODUCT}_code_new").value == ""
    assert at.selectbox(key=f"{PRODUCT}_item_new").value is None


def test_a_customer_chosen_without_a_code_asks_for_the_code_and_keeps_the_choice(app_as):
    at = mapping_page(app_as, "Customers")
    at.selectbox(key=f"{CUSTOMER}_contact_new").set_value("ALOK-01")
    at.selectbox(key=f"{CUSTOMER}_account_new").set_value("200")
    at.button(key=state.CUSTOMER_MAP_SAVE).click().run()
    assert_clean(at, allow_errors=True)
    assert [e.value for e in at.error] == ["Type the shipment's customer code to map."]
    assert at.selectbox(key=f"{CUSTOMER}_contact_new").value == "ALOK-01"
    assert at.selectbox(key=f"{CUSTOMER}_account_new").value == "200"
    assert saved(CustomerMapping) == []

    at.text_input(key=f"{CUSTOMER}_code_new").input("ALOK")
    at.button(key=state.CUSTOMER_MAP_SAVE).click().run()
    assert_clean(at)
    assert saved(CustomerMapping) == [("ALOK", "ALOK-01")]
    assert at.text_input(key=f"{CUSTOMER}_code_new").value == ""
    assert at.selectbox(key=f"{CUSTOMER}_contact_new").value is None
    assert at.selectbox(key=f"{CUSTOMER}_account_new").value is None


def test_an_empty_submit_names_both_missing_parts(app_as):
    at = mapping_page(app_as, "Products")
    at.button(key=state.PRODUCT_MAP_SAVE).click().run()
    assert_clean(at, allow_errors=True)
    assert [e.value for e in at.error] == [
        "Type the shipment's product code to map.",
        "Choose a Xero item.",
    ]
    assert saved(ProductMapping) == []
