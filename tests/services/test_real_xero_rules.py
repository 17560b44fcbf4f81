"""Shipbridge against the sandbox's real-Xero rules, over real HTTP through the SDK: granular
scopes, a call outside them, unit prices to 4 places, and line totals Xero checks.

Sources: ../shared/xero-facts.md §7 (developer.xero.com/documentation/guides/how-to-guides/
rounding-in-xero; XeroAPI/Xero-NetStandard#147), §12 (Xero-NetStandard#298; community
discussion 119166525) and §14 (developer.xero.com/faq/granular-scopes)."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from models import Shipment
from services import connections, settings
from services.db import session_scope
from services.explain import explain
from services.sync import send_shipments
from services.xero.errors import XeroScopeMissing
from tests.services.conftest import connect
from tests.utils.factories import id_of, line, make_shipment, stored


@pytest.fixture(autouse=True)
def _fresh_settings_after():
    """Tests here change settings through the environment: later tests must not see them."""
    yield
    settings.get_settings.cache_clear()


def adapter_and_tenant(engine):
    with session_scope(engine) as session:
        connection = connections.default_connection(session=session)
        assert connection is not None
        return connections.adapter_for(connection, session=session), connection.tenant_id


def test_connect_asks_for_granular_scopes_only_and_succeeds(engine, sandbox):
    """§14: an app created on or after 2 March 2026 may ask only for granular scopes."""
    with session_scope(engine) as session:
        url = connections.start_connect(session=session, user="admin")
    asked = parse_qs(urlsplit(url).query)["scope"][0].split()
    assert "accounting.transactions" not in asked
    assert {"accounting.invoices", "accounting.payments.read", "accounting.contacts.read"} <= set(
        asked
    )
    [connection] = [c for c in connect(engine) if c.tenant_name == "Shipbridge Demo Exports Ltd"]
    assert connection.scope is not None
    assert connection.scope.split() == settings.XERO_SCOPES.split()


def test_the_setting_for_older_apps_asks_for_the_broad_scope_which_a_new_app_is_refused(
    engine, sandbox, monkeypatch
):
    """§12/§14: a new app asking for accounting.transactions gets Xero's error page
    (help.apideck.com/en/articles/8647746: invalid_scope)."""
    monkeypatch.setenv("XERO_APP_CREATED_BEFORE_MARCH_2026", "true")
    settings.get_settings.cache_clear()
    with session_scope(engine) as session:
        url = connections.start_connect(session=session, user="admin")
    assert "accounting.transactions" in parse_qs(urlsplit(url).query)["scope"][0].split()
    page = httpx.get(url)
    assert page.status_code == 400
    assert "Error: invalid_scope : Invalid scope for client" in page.text
    assert "granular scopes" in explain("Error: invalid_scope : Invalid scope for client")


def test_a_call_outside_the_granted_scopes_says_which_permission_is_missing(
    engine, sandbox, monkeypatch
):
    """§12: 401 "AuthorizationUnsuccessful" with insufficient_scope is a missing permission,
    not an expired token: no refresh, a message naming the scope."""
    monkeypatch.setenv(
        "XERO_SCOPES", "openid offline_access accounting.settings.read accounting.contacts.read"
    )
    settings.get_settings.cache_clear()
    connect(engine)
    adapter, tenant_id = adapter_and_tenant(engine)
    assert adapter.items(tenant_id)  # inside the scopes
    calls_before = len(sandbox.calls())
    with pytest.raises(XeroScopeMissing) as refused:
        adapter.payments(tenant_id)
    assert str(refused.value).startswith(
        "The Xero connection lacks permission accounting.payments.read (read payments"
    )
    assert "reconnect the organisation on the Connect page" in str(refused.value)
    after = sandbox.calls()[calls_before:]
    assert [c["path"] for c in after] == ["/api.xro/2.0/Payments"]  # no refresh, no retry
    assert after[0]["status"] == 401


def test_a_four_place_unit_price_arrives_in_xero_exact(engine, connected, sandbox):
    """§7: without unitdp=4 Xero rounds 1.0025 to 1.00 and the invoice totals 1,000.00."""
    with session_scope(engine) as session:
        shipment_id = id_of(
            make_shipment(
                session, lines=[line(quantity="1000", unit_price="1.0025", item_value="1002.50")]
            )
        )
    [outcome] = send_shipments(shipment_ids=[shipment_id], trigger="bulk", user="ops").outcomes
    assert outcome.outcome == "Processed", outcome.messages
    sends = [
        c
        for c in sandbox.calls()
        if c["method"] in ("PUT", "POST") and c["path"].startswith("/api.xro/")
    ]
    assert sends and all("unitdp=4" in c["query"] for c in sends)
    adapter, tenant_id = adapter_and_tenant(engine)
    with session_scope(engine) as session:
        document_id = stored(session, Shipment, shipment_id).xero_document_id
    [invoice] = adapter.invoices_by_id(tenant_id, [document_id])
    [sent_line] = invoice.raw["LineItems"]
    assert Decimal(str(sent_line["UnitAmount"])) == Decimal("1.0025")
    assert Decimal(str(sent_line["LineAmount"])) == Decimal("1002.50")
    assert invoice.total == Decimal("1002.50") + Decimal(str(invoice.raw["TotalTax"]))
    assert Decimal(str(invoice.raw["SubTotal"])) == Decimal("1002.50")


def test_a_line_amount_that_disagrees_is_refused_in_xeros_words(engine, connected):
    """§7: "The line total 40.00 does not match the expected line total 37.50" for 3 × 12.50
    sent with LineAmount 40 (XeroAPI/Xero-NetStandard#147)."""
    adapter, tenant_id = adapter_and_tenant(engine)
    document = {
        "Type": "ACCREC",
        "Contact": {"Name": "Acme Imports Inc"},
        "Date": "2026-04-01",
        "DueDate": "2026-04-30",
        "Status": "AUTHORISED",
        "LineItems": [
            {
                "Description": "Widget",
                "Quantity": "3",
                "UnitAmount": "12.50",
                "LineAmount": "40",
                "AccountCode": "200",
                "TaxType": "OUTPUT2",
            }
        ],
    }
    [answer] = adapter.save_invoices(tenant_id, [document], idempotency_key="line-total-test")
    assert not answer.ok
    assert answer.errors == ["The line total 40.00 does not match the expected line total 37.50"]
    assert explain(answer.errors[0]).startswith("A line's item value (40.00) is not quantity")
