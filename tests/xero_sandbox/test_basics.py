"""The basics every Shipbridge test relies on: start-up, consent, token, reference data."""

from __future__ import annotations

import datetime as dt

import httpx
from xero_python.accounting import Contact, CurrencyCode, Invoice, Invoices, LineItem, Quote, Quotes

from tests.xero_sandbox.conftest import TENANT
from xero_sandbox.seed import DEMO_ORG_NAME, DEMO_TENANT_ID, UK_TENANT_ID
from xero_sandbox.testing import DEFAULT_REDIRECT_URI


def test_consent_page_lists_scopes_and_organisations(sandbox):
    page = httpx.get(
        sandbox.url + "/identity/connect/authorize",
        params={
            "response_type": "code",
            "client_id": sandbox.client_id,
            "redirect_uri": DEFAULT_REDIRECT_URI,
            "state": "s1",
            "scope": "openid offline_access accounting.invoices",
        },
    )
    assert page.status_code == 200
    text = page.text.replace("&#x27;", "'")
    assert "Shipbridge would like access to your organisation's data" in text
    assert "View and manage your invoices, quotes and credit notes" in text
    assert ">Allow access</button>" in text
    assert text.count("type=checkbox name=tenant") == 3
    assert f'value="{DEMO_TENANT_ID}" checked' in text


def test_token_and_connections(sdk):
    token = sdk.token
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 1800
    assert token["refresh_token"] and token["id_token"]
    connections = sdk.identity.get_connections()
    assert {c.tenant_id for c in connections} == {DEMO_TENANT_ID, UK_TENANT_ID}
    assert {c.tenant_type for c in connections} == {"ORGANISATION"}


def test_reference_data(api):
    organisation = api.get_organisations(TENANT).organisations[0]
    assert organisation.name == DEMO_ORG_NAME
    assert organisation.base_currency == CurrencyCode.NZD
    contacts = {c.account_number: c for c in api.get_contacts(TENANT).contacts}
    assert "OLDCO" not in contacts  # archived contacts need includeArchived
    assert contacts["ACME"].default_currency == CurrencyCode.USD
    assert contacts["PACPACK"].is_supplier and not contacts["PACPACK"].is_customer
    items = {i.code: i for i in api.get_items(TENANT).items}
    assert str(items["MANUKA-250"].sales_details.unit_price) == "9.90"  # scale kept, as Xero
    accounts = {a.code: a for a in api.get_accounts(TENANT).accounts}
    assert accounts["299"].status == "ARCHIVED"
    taxes = {t.tax_type: t.effective_rate for t in api.get_tax_rates(TENANT).tax_rates}
    assert taxes == {"OUTPUT2": 15, "ZERORATED": 0, "NONE": 0, "INPUT2": 15}
    codes = [c.code.value for c in api.get_currencies(TENANT).currencies]
    assert codes == ["NZD", "USD", "EUR", "AUD", "GBP"]


def test_invoice_and_quote_round_trip(sandbox, api):
    invoice = Invoice(
        type="ACCREC",
        contact=Contact(name="Acme Imports Inc"),
        date=dt.date(2026, 3, 1),
        due_date=dt.date(2026, 3, 31),
        status="AUTHORISED",
        currency_code=CurrencyCode.USD,
        line_items=[
            LineItem(item_code="WIDGET-A", quantity=10),
            LineItem(description="Freight", quantity=1, unit_amount=50, account_code="265"),
        ],
    )
    saved = api.create_invoices(TENANT, Invoices(invoices=[invoice])).invoices[0]
    assert saved.invoice_number == "INV-0001"
    assert (saved.sub_total, saved.total_tax, saved.total) == (175, 7.5, 182.5)
    quote = Quote(
        contact=Contact(name="Bolt Trading GmbH"),
        date=dt.date(2026, 3, 1),
        line_items=[LineItem(item_code="CRATE", quantity=2)],
    )
    saved_quote = api.create_quotes(TENANT, Quotes(quotes=[quote])).quotes[0]
    assert saved_quote.quote_number == "QU-0001"
    assert saved_quote.total == 90
    sandbox.record_payment(saved.invoice_id, "182.50", date="2026-03-10")
    paid = api.get_invoice(TENANT, saved.invoice_id).invoices[0]
    assert paid.status == "PAID"
    assert paid.amount_due == 0
    assert paid.fully_paid_on_date == dt.date(2026, 3, 10)
