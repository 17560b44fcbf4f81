"""User text is text on every page: a shipment number, customer code, description or Xero
error holding Markdown link or image syntax is shown escaped, never as a link or image."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from models import SyncState
from services.db import session_scope
from tests.pages.helpers import (
    add_connection,
    add_reference_data,
    assert_clean,
    log_rejection,
    shipment_by_number,
    texts,
)
from tests.utils.factories import line, make_shipment
from ui import state
from ui.text import md_text

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
    assert IMAGE in list(table["Customer"])
