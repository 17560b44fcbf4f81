"""The Xero adapter's own guarantees."""

from decimal import Decimal

from services.settings import Settings
from services.xero.adapter import TokenSet, XeroAdapter


def test_each_adapter_keeps_its_own_oauth_token_and_identity_url():
    # xero-python's Configuration() returns a copy of the first one ever made; an adapter
    # that trusted its arguments would refresh through another adapter's identity URL.
    first = XeroAdapter(Settings(xero_sandbox_url="http://127.0.0.1:1001"))
    second = XeroAdapter(
        Settings(xero_sandbox_url="http://127.0.0.1:1002"),
        token=TokenSet("a", "r", 0.0, "offline_access"),
    )
    one, two = first.client.configuration.oauth2_token, second.client.configuration.oauth2_token
    assert one is not two
    assert one.token_url == "http://127.0.0.1:1001/connect/token"
    assert two.token_url == "http://127.0.0.1:1002/connect/token"
    assert second.client.get_oauth2_token()["access_token"] == "a"


def test_a_credit_note_saved_in_one_call_is_found_again_by_its_number(engine, connected):
    from services import connections
    from services.db import session_scope

    with session_scope(engine) as session:
        adapter = connections.adapter_for(connected, session=session)
    tenant = connected.tenant_id
    contact = adapter.contacts(tenant)[0]
    sales = next(a for a in adapter.accounts(tenant) if a.get("Type") == "REVENUE")
    note = {
        "Type": "ACCRECCREDIT",
        "CreditNoteNumber": "CN-SHIP-1",
        "Contact": {"ContactID": contact["ContactID"]},
        "Date": "2026-03-02",
        "CurrencyCode": connected.base_currency,
        "LineAmountTypes": "NoTax",
        "LineItems": [
            {
                "Description": "Short shipment refund",
                "Quantity": "2",
                "UnitAmount": "12.50",
                "AccountCode": sales["Code"],
                "LineAmount": "25.00",
            }
        ],
        "Status": "DRAFT",
    }

    [saved] = adapter.save_credit_notes(tenant, [note], idempotency_key="credit-note-test-1")
    found = adapter.find_credit_notes(tenant, ["CN-SHIP-1", "CN-NOT-THERE"])

    assert saved.ok, saved.errors
    assert saved.number == "CN-SHIP-1" and saved.document_id
    assert [(f.document_id, f.number, f.total) for f in found] == [
        (saved.document_id, "CN-SHIP-1", saved.total)
    ]
    assert saved.total == sum(Decimal(line["LineAmount"]) for line in note["LineItems"])
