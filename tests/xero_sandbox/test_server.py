"""Running the sandbox: CLI arguments, persistence, control switch, web pages, the clock."""

from __future__ import annotations

import datetime as dt

import httpx
from xero_python.accounting import Contact, Invoice, Invoices, LineItem, Quote, Quotes

from tests.xero_sandbox.conftest import TENANT, make_sdk
from xero_sandbox.app import create_app
from xero_sandbox.seed import DEMO_TENANT_ID, seed_id
from xero_sandbox.server import parse_args
from xero_sandbox.testing import running_sandbox


def test_arguments_and_environment(monkeypatch):
    args = parse_args([])
    assert (args.host, args.port, args.db, args.control) == (
        "127.0.0.1",
        8765,
        "data/xero_sandbox.sqlite3",
        True,
    )
    monkeypatch.setenv("XERO_SANDBOX_PORT", "9001")
    monkeypatch.setenv("XERO_SANDBOX_DB", "/tmp/x.sqlite3")
    monkeypatch.setenv("XERO_SANDBOX_CONTROL", "0")
    args = parse_args([])
    assert (args.port, args.db, args.control) == (9001, "/tmp/x.sqlite3", False)
    args = parse_args(["--port", "9002", "--no-control", "--db", "y.db"])
    assert (args.port, args.db, args.control) == (9002, "y.db", False)


def test_state_and_clock_survive_a_restart(tmp_path):
    db = str(tmp_path / "sandbox.sqlite3")
    with running_sandbox(db_path=db) as first:
        first.advance_clock(3 * 86400)
        token = first.authorize_tokens()
        headers = {"Authorization": f"Bearer {token['access_token']}", "xero-tenant-id": TENANT}
        body = {"Invoices": [{"Type": "ACCREC", "Contact": {"Name": "Acme Imports Inc"}}]}
        created = httpx.put(first.url + "/api.xro/2.0/Invoices", json=body, headers=headers)
        assert created.status_code == 200
    with running_sandbox(db_path=db) as second:
        clock = httpx.get(second.url + "/_sandbox/clock").json()
        assert clock["offset_seconds"] > 3 * 86400 - 60
        listed = httpx.get(second.url + "/api.xro/2.0/Invoices", headers=headers)
        assert [i["InvoiceNumber"] for i in listed.json()["Invoices"]] == ["INV-0001"]


def test_control_endpoints_can_be_switched_off():
    with running_sandbox(control=False) as quiet:
        assert httpx.post(quiet.url + "/_sandbox/reset").status_code == 404
        assert httpx.get(quiet.url + "/_sandbox/calls").status_code == 404
        assert httpx.get(quiet.url + "/Connections").status_code == 401
        assert quiet.authorize_tokens()["access_token"]


def test_create_app_seeds_a_new_database(tmp_path):
    app = create_app(str(tmp_path / "new.sqlite3"))
    names = [o["Name"] for o in app.state.sandbox.store.organisations()]
    assert names == [
        "Shipbridge Demo Exports Ltd",
        "Shipbridge Demo UK Ltd",
        "Shipbridge Demo AU Pty",
    ]


def test_unknown_paths_are_404_text(sandbox, sdk):
    answer = httpx.get(
        sandbox.url + "/api.xro/2.0/Unicorns",
        headers={"Authorization": f"Bearer {sdk.token['access_token']}", "xero-tenant-id": TENANT},
    )
    assert answer.status_code == 404
    assert answer.text == "The resource you're looking for cannot be found"


def test_web_pages(sandbox, api):
    invoice = api.create_invoices(
        TENANT,
        Invoices(
            invoices=[
                Invoice(
                    type="ACCREC",
                    contact=Contact(name="Delta Retail Ltd"),
                    reference="SHIP-9",
                    line_items=[LineItem(item_code="PALLET", quantity=2)],
                )
            ]
        ),
    ).invoices[0]
    quote = api.create_quotes(
        TENANT,
        Quotes(
            quotes=[
                Quote(
                    contact=Contact(name="Delta Retail Ltd"),
                    date=dt.date(2026, 7, 1),
                    line_items=[LineItem(item_code="CRATE", quantity=1)],
                )
            ]
        ),
    ).quotes[0]
    page = httpx.get(
        sandbox.url + "/AccountsReceivable/View.aspx", params={"InvoiceID": invoice.invoice_id}
    )
    assert page.status_code == 200
    for text in ("INV-0001", "Delta Retail Ltd", "DRAFT", "Pallet", "36.00", "Amount due"):
        assert text in page.text
    quote_page = httpx.get(f"{sandbox.url}/app/quotes/view/{quote.quote_id}")
    assert "QU-0001" in quote_page.text and "Export crate" in quote_page.text
    contact_page = httpx.get(
        f"{sandbox.url}/Contacts/View/{seed_id(DEMO_TENANT_ID, 'contact', 'DELTA')}"
    )
    assert "Delta Retail Ltd" in contact_page.text and "DELTA" in contact_page.text
    assert httpx.get(sandbox.url + "/Contacts/View/nope").status_code == 404
    hop = httpx.get(
        sandbox.url + "/organisationlogin/default.aspx",
        params={"shortcode": "!sbNZ1", "redirecturl": "/Contacts/View/x"},
    )
    assert (hop.status_code, hop.headers["location"]) == (302, "/Contacts/View/x")


def test_the_clock_sets_document_dates_and_stamps(sandbox):
    sandbox.set_clock("2026-12-24T10:00:00Z")
    api = make_sdk(sandbox, sandbox.authorize_tokens()).accounting  # older tokens expired
    saved = api.create_invoices(
        TENANT,
        Invoices(
            invoices=[
                Invoice(
                    type="ACCREC",
                    contact=Contact(name="Acme Imports Inc"),
                    line_items=[LineItem(item_code="CRATE", quantity=1)],
                )
            ]
        ),
    ).invoices[0]
    assert saved.date == dt.date(2026, 12, 24)
    assert saved.updated_date_utc.date() == dt.date(2026, 12, 24)
    sandbox.advance_clock(86400)
    assert sandbox.state()["clock"]["now"].startswith("2026-12-25T10:00")


def test_call_log_filters(sandbox, api):
    api.get_organisations(TENANT)
    calls = sandbox.calls(tenant_id=TENANT)
    assert calls[-1]["path"] == "/api.xro/2.0/Organisation"
    assert calls[-1]["status"] == 200
    assert sandbox.calls(since_id=calls[-1]["id"]) == []
