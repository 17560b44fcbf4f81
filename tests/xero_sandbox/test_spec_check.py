"""The spec recorder itself: it must catch a non-conforming exchange, not just pass."""

from __future__ import annotations

import json
from pathlib import Path

from tests.xero_sandbox.spec_check import SPEC_QUIRKS, problems
from xero_sandbox.middleware import Exchange


def exchange(body: dict, status: int = 200) -> Exchange:
    return Exchange(
        method="GET",
        path="/api.xro/2.0/Invoices",
        query="page=1",
        headers={"xero-tenant-id": "t", "authorization": "Bearer x"},
        body=b"",
        status=status,
        response_headers={"content-type": "application/json"},
        response_body=json.dumps(body).encode(),
    )


def test_a_conforming_exchange_passes():
    assert problems(exchange({"Invoices": [{"Type": "ACCREC", "Total": 1.5}]})) == []


def test_wrong_types_and_enums_are_caught():
    found = problems(exchange({"Invoices": [{"Type": "INVOICE", "Total": "lots"}]}))
    assert found and "Invoices/0" in found[0]


def test_missing_tenant_header_is_caught():
    bad = exchange({"Invoices": []})
    bad.headers = {"authorization": "Bearer x"}
    assert any("xero-tenant-id" in p for p in problems(bad))


def test_quirks_are_documented():
    text = (Path(__file__).resolve().parents[2] / "xero_sandbox" / "SPEC_QUIRKS.md").read_text()
    assert all(name in text for name in SPEC_QUIRKS)
