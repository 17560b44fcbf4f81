"""Idempotency-Key: replays within six minutes, mismatches, key length, per-tenant scope."""

from __future__ import annotations

import json

import pytest
from xero_python.accounting import Contact, CurrencyCode, Invoice, Invoices, LineItem
from xero_python.exceptions import ApiException

from tests.xero_sandbox.conftest import TENANT
from xero_sandbox.seed import UK_TENANT_ID


def draft(reference: str, contact: str = "Acme Imports Inc") -> Invoices:
    return Invoices(
        invoices=[
            Invoice(
                type="ACCREC",
                contact=Contact(name=contact),
                reference=reference,
                line_items=[LineItem(item_code="CRATE", quantity=1)],
            )
        ]
    )


def test_same_key_and_request_replays_the_first_answer(sandbox, api):
    first = api.create_invoices(TENANT, draft("A"), idempotency_key="key-1")
    first_body = api.api_client.last_response.data
    again = api.create_invoices(TENANT, draft("A"), idempotency_key="key-1")
    assert api.api_client.last_response.data == first_body
    assert again.invoices[0].invoice_id == first.invoices[0].invoice_id
    assert len(api.get_invoices(TENANT).invoices) == 1
    keyed = [c for c in sandbox.calls() if c["idempotency_key"] == "key-1"]
    assert [c["status"] for c in keyed] == [200, 200]


def test_failures_are_replayed_too(api):
    bad = Invoices(
        invoices=[Invoice(type="ACCREC", contact=Contact(name="X"), currency_code=CurrencyCode.JPY)]
    )
    for _ in range(2):
        with pytest.raises(ApiException) as failure:
            api.create_invoices(TENANT, bad, idempotency_key="key-bad")
        assert failure.value.status == 400


def test_same_key_with_a_different_request_is_refused(api):
    api.create_invoices(TENANT, draft("A"), idempotency_key="key-2")
    with pytest.raises(ApiException) as refused:
        api.create_invoices(TENANT, draft("B"), idempotency_key="key-2")
    assert refused.value.status == 400
    body = json.loads(refused.value.body)
    assert body["Message"] == "Idempotency Key: key-2 is used with a different request."
    with pytest.raises(ApiException):
        api.update_or_create_invoices(TENANT, draft("A"), idempotency_key="key-2")
    assert len(api.get_invoices(TENANT).invoices) == 1


def test_keys_expire_after_six_minutes(sandbox, api):
    api.create_invoices(TENANT, draft("A"), idempotency_key="key-3")
    sandbox.advance_clock(361)
    api.create_invoices(TENANT, draft("A"), idempotency_key="key-3")
    assert len(api.get_invoices(TENANT).invoices) == 2


def test_keys_are_scoped_per_organisation(api):
    api.create_invoices(TENANT, draft("A"), idempotency_key="key-4")
    uk = api.create_invoices(UK_TENANT_ID, draft("B", "Harbour Stores"), idempotency_key="key-4")
    assert uk.invoices[0].reference == "B"


def test_keys_longer_than_128_characters_are_refused(api):
    with pytest.raises(ApiException) as refused:
        api.create_invoices(TENANT, draft("A"), idempotency_key="k" * 129)
    assert refused.value.status == 400
    api.create_invoices(TENANT, draft("A"), idempotency_key="k" * 128)


def test_replays_count_against_the_rate_limit(api):
    api.create_invoices(TENANT, draft("A"), idempotency_key="key-5")
    before = int(api.api_client.last_response.getheader("X-MinLimit-Remaining"))
    api.create_invoices(TENANT, draft("A"), idempotency_key="key-5")
    after = int(api.api_client.last_response.getheader("X-MinLimit-Remaining"))
    assert after == before - 1
