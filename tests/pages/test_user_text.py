"""User text is text on every page: a shipment number, customer code, description or Xero
error holding Markdown link or image syntax is shown escaped, never as a link or image; and
the whole corpus (tests/pages/user_text_corpus.py) in every field goes through every page."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from models import Shipment, SyncState
from services import shipment_edits
from services.csv_import import parse_csv
from services.db import session_scope
from services.shipments import ShipmentError
from tests.pages import user_text_corpus as corpus
from tests.pages.conftest import APP_URL, logged_in_as, new_app
from tests.pages.helpers import (
    add_connection,
    add_reference_data,
    assert_clean,
    log_rejection,
    open_tab,
    shipment_by_number,
    texts,
)
from tests.utils.factories import id_of, line, make_shipment, shipment_fields
from ui import state
from ui.text import md_code, md_text

IMAGE = "![t](http://127.0.0.1:9/track.png)"
LINK = "[click](http://evil.example)"
NUMBER = f"X-{LINK}"
# `](` with no backslash before the `]`: a link's text closing and its address opening.
LINK_SYNTAX = re.compile(r"(?<!\\)\]\(")


def hostile_shipment() -> int:
    """A rejected shipment whose number, customer code, description and last error, and
    whose logged Xero error, are Markdown links and images."""
    tenant_id = "tenant-Demo Exports Ltd"
    add_connection(tenant_id=tenant_id)
    add_reference_data(tenant_id)
    with session_scope() as session:
        shipment = make_shipment(
            session, shipment_number=NUMBER, buyer_code=IMAGE, lines=[line(description=LINK)]
        )
        shipment.sync_state = SyncState.REJECTED
        shipment.last_error = f"Contact {IMAGE} is not in Xero; see {LINK}"
    return log_rejection(
        NUMBER,
        errors_xero=[f"The contact {IMAGE} was not found. {LINK}"],
        errors_plain=[f"Customer code {IMAGE} is not a Xero contact: map it. {LINK}"],
    )


def rendered_markdown(at: AppTest) -> str:
    """Every text the page renders as Markdown: alerts, captions and markdown, and the
    labels of expanders, tabs and buttons."""
    labels = [e.label for e in at.expander] + [t.label for t in at.tabs]
    labels += [b.label for b in at.button]
    return "\n".join([texts(at), *labels, *(str(t.value) for t in at.toast)])


def assert_only_text(shown: str) -> None:
    assert LINK_SYNTAX.search(shown) is None, shown
    assert "![" not in shown, shown


def test_the_shipments_page_and_the_shipments_panel_show_user_text_as_text(app_as):
    entry = hostile_shipment()
    at = app_as("operations", "shipments")
    at.selectbox(key=state.OPEN_SHIPMENT).set_value(shipment_by_number(NUMBER).id).run()
    assert_clean(at)
    shown = rendered_markdown(at)
    assert_only_text(shown)
    assert f"said: Contact {md_text(IMAGE)} is not in Xero; see {md_text(LINK)}" in shown

    at.button(key=f"{state.VIEW_ERROR_PREFIX}{entry}").click().run()
    assert_clean(at)
    shown = rendered_markdown(at)
    assert_only_text(shown)
    assert md_text(NUMBER) in shown  # the rejection's line in the Integration tab
    assert f"- The contact {md_text(IMAGE)} was not found. {md_text(LINK)}" in shown


def test_accounting_logs_view_error_shows_xeros_words_and_the_fix_as_text(app_as):
    entry = hostile_shipment()
    at = app_as("operations", "logs")
    at.button(key=f"{state.VIEW_ERROR_PREFIX}{entry}").click().run()
    assert_clean(at)
    shown = rendered_markdown(at)
    assert_only_text(shown)
    assert md_text(NUMBER) in shown
    assert f"- The contact {md_text(IMAGE)} was not found. {md_text(LINK)}" in shown
    assert f"- Customer code {md_text(IMAGE)} is not a Xero contact: map it. {md_text(LINK)}" in (
        shown
    )


def test_a_shipments_number_is_kept_as_typed_where_it_is_not_markdown(app_as):
    """Tables are plain text: they show the value itself, with no escaping backslashes."""
    hostile_shipment()
    at = app_as("operations", "shipments")
    table = at.dataframe[0].value
    assert NUMBER in list(table["Shipment"])
    assert IMAGE in list(table["Customer code"])


# --- the corpus through every page ----------------------------------------------------------


def admin_on(page: str, **session_state) -> AppTest:
    """The app as the admin, whose own name is Markdown too, on `page`, run once."""
    at = new_app()
    logged_in_as(at, "admin", name=corpus.USER_NAME)
    for key, value in session_state.items():
        at.session_state[key] = value
    at.switch_page(f"pages/{page}.py")
    at.context["url"] = f"{APP_URL}/{page}"
    return at.run()


def assert_text_only(at: AppTest, *, shows: str) -> None:
    """No Markdown the run drew reads the corpus as Markdown, and `shows` (escaped) is there:
    the page did draw the user's data."""
    assert_clean(at, allow_errors=True)
    assert corpus.unescaped(at) == []
    assert md_text(shows) in "\n".join(corpus.markdown_shown(at))


def test_the_corpus_is_text_on_the_dashboard(app_as):
    corpus.hostile_world()
    at = admin_on("dashboard")
    # Every page: the reconnect banner names the organisation, the sidebar the user.
    assert_text_only(at, shows=corpus.GONE)
    assert any(md_text(corpus.USER_NAME) in text for text in corpus.markdown_shown(at))
    at.button(key=state.DRIFT_CHECK).click().run()
    assert_text_only(at, shows=corpus.ORGANISATION)
    at.button(key=state.PULL_PAYMENTS).click().run()
    assert_text_only(at, shows=corpus.ORGANISATION)


def test_the_corpus_is_text_on_shipments(app_as):
    ids = corpus.hostile_world()
    # Both selected: the bulk actions say which cannot be sent, and why.
    at = admin_on("shipments", **{state.SELECTED_IDS: [ids["rejected"], ids["sent"]]})
    assert_text_only(at, shows=corpus.GONE)
    at.selectbox(key=state.OPEN_SHIPMENT).set_value(ids["sent"]).run()
    assert_text_only(at, shows=f"Contact {corpus.ERROR}")  # how it differs from Xero
    # Its amounts carry its (legacy, not three-letter) currency as text, metrics included.
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Total"] == f"50.00 {md_text(corpus.LEGACY_CURRENCY)}"
    at.selectbox(key=state.OPEN_SHIPMENT).set_value(ids["rejected"]).run()
    assert_text_only(at, shows=corpus.ERROR)  # what the last attempt said
    at.button(key=f"{state.VIEW_ERROR_PREFIX}{ids['entry']}").click().run()
    assert_text_only(at, shows=corpus.NUMBER)


def test_the_corpus_is_text_on_send_to_accounting(app_as):
    ids = corpus.hostile_world()
    at = admin_on("send", **{state.SELECTED_IDS: [ids["rejected"], ids["sent"]]})
    assert_text_only(at, shows=corpus.NUMBER)
    # The one that can be sent is previewed as its document, to its Xero contact.
    print([w.value for w in at.warning], [e.label for e in at.expander])
    assert any(md_text(corpus.CONTACT) in e.label for e in at.expander)
    # The queue's last run names its rejected shipment; Needs attention counts the other.
    assert any("Rejected, not sent: " + md_text(corpus.NUMBER) in w.value for w in at.warning)


def test_the_corpus_is_text_on_accounting_logs(app_as):
    ids = corpus.hostile_world()
    at = admin_on("logs")
    assert_text_only(at, shows=corpus.NUMBER)
    at.button(key=f"{state.VIEW_ERROR_PREFIX}{ids['entry']}").click().run()
    assert_text_only(at, shows=corpus.ERROR)


def test_the_corpus_is_text_on_mapping(app_as):
    corpus.hostile_world()
    at = admin_on("mapping")
    assert_text_only(at, shows=corpus.TAX_TYPE)  # the settings' summary
    assert any(md_text(corpus.USER_NAME) in c.value for c in at.caption)  # last changed by
    at = open_tab(at, state.MAPPING_TABS, "Check all")
    at.button(key=state.CHECK_ALL).click().run()
    assert_text_only(at, shows=corpus.NUMBER)  # an unmapped product code and its shipment
    assert any(md_code(corpus.UNMAPPED) in m.value for m in at.markdown)
    at = open_tab(at, state.MAPPING_TABS, "Customers")
    at.selectbox(key=state.CUSTOMER_MAP_PICK).set_value(corpus.CODE).run()
    assert_text_only(at, shows=corpus.CODE)  # "Delete the mapping of …"
    at = open_tab(at, state.MAPPING_TABS, "Products")
    at.text_input(key=state.PRODUCT_MAP_SEARCH).set_value(f"Q {corpus.IMAGE}").run()
    assert_text_only(at, shows=f"Q {corpus.IMAGE}")  # "No product mapping matches …"
    # The organisation's own settings: named in the summary, the notes and the buttons.
    at = open_tab(at, state.MAPPING_TABS, "Settings")
    at.selectbox(key=state.MAPPING_TENANT).set_value(corpus.TENANT).run()
    assert_text_only(at, shows=corpus.ORGANISATION)
    # The tabs drawn only when opened (their names are in tables; the sidebar names the user).
    for tab in ("Reference data", "History"):
        at = open_tab(at, state.MAPPING_TABS, tab)
        assert_text_only(at, shows=corpus.USER_NAME)


def test_the_corpus_is_text_on_connect(app_as):
    corpus.hostile_world()
    at = admin_on("connect")
    assert_text_only(at, shows=corpus.ORGANISATION)
    hostile = next(b for b in at.button if b.key and b.key.startswith(state.DISCONNECT_PREFIX))
    hostile.click().run()
    assert_text_only(at, shows=corpus.ORGANISATION)  # "Disconnect …?"
    assert any(md_text(corpus.ORGANISATION) in w.value for w in at.warning)


# --- A currency is three letters: Markdown's `$x$` (3 characters, maths) cannot be stored ---
NOT_A_CURRENCY = ("$x$", "**B", "`T`", "<i>", "![t", "1.5")


@pytest.mark.parametrize("currency", NOT_A_CURRENCY)
def test_the_service_refuses_a_currency_that_is_not_three_letters(database, currency):
    with session_scope() as session, pytest.raises(ShipmentError, match="Currency is not a"):
        make_shipment(session, shipment_number="CUR-1", currency=currency)
    with session_scope() as session:
        saved = make_shipment(session, shipment_number="CUR-2", currency="USD")
        shipment_id, version = id_of(saved), saved.version
    with session_scope() as session, pytest.raises(ShipmentError, match="Nothing was saved"):
        shipment_edits.update_shipment(
            session=session,
            shipment_id=shipment_id,
            fields=shipment_fields(shipment_number="CUR-2", currency=currency),
            lines=[line()],
            user="ops",
            expected_version=version,
        )
    assert shipment_by_number("CUR-2").currency == "USD"
    assert not stored("CUR-1")


@pytest.mark.parametrize("currency", NOT_A_CURRENCY)
def test_the_csv_import_refuses_a_currency_naming_row_and_column(database, currency):
    text = (
        "shipment_number,buyer_code,currency,product_code,quantity,unit_price,item_value\n"
        f'CUR-3,ACME,"{currency}",WIDGET-A,1,2.00,2.00\n'
    )
    with session_scope() as session:
        preview = parse_csv(text, session=session)
    assert [(e.row, e.column) for e in preview.errors] == [(2, "currency")]
    assert "is not a currency code: use three letters, e.g. USD" in preview.errors[0].message


def test_the_new_shipment_form_refuses_a_maths_currency(app_as):
    at = app_as("operations", "shipments")
    for label, value in (("Shipment number", "CUR-4"), ("Buyer code", "ACME")):
        field = next(t for t in at.text_input if t.label == label and t.key.startswith("new"))
        field.input(value).run()
    currency = next(t for t in at.text_input if t.label == "Currency" and t.key.startswith("new"))
    currency.input("$x$").run()
    at.button(key=state.CREATE_SHIPMENT).click().run()
    assert_clean(at, allow_errors=True)
    refused = [e.value for e in at.error if "Currency is not a currency code" in e.value]
    assert len(refused) == 1
    assert not stored("CUR-4")


def stored(number: str) -> bool:
    with session_scope() as session:
        found = session.exec(select(Shipment).where(Shipment.shipment_number == number))
        return found.first() is not None
