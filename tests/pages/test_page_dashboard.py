"""The Dashboard: tiles, charts, amounts per currency (never summed across currencies), the
attempts and rejection reasons counted from the log, pulling payments, and the per-customer
finance view with its saved views and pins. Documents "in Xero" are shipments whose xero_*
fields are set directly: no Xero call is made."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import streamlit
from sqlmodel import select

from models import PinnedDocument
from services.db import session_scope
from tests.pages.helpers import (
    add_connection,
    assert_clean,
    log_rejection,
    mark_sent,
    open_tab,
    table_in,
    texts,
)
from ui import plotly_prefetch, state

TODAY = datetime.now(ZoneInfo("Pacific/Auckland")).date()  # the tests' browser time zone


def test_finance_dashboard(app_as):
    log_rejection("SHP-1005")
    log_rejection("SHP-1010", errors_plain=["SHP-1010 has no due date: add one."])
    log_rejection("SHP-1005")
    log_rejection("SHP-1001", outcome="Processed", errors_xero=None, errors_plain=None)
    at = app_as("finance", "dashboard")
    assert_clean(at)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Shipments"] == "30"
    assert tiles["Not sent"] == "30"
    assert tiles["Rejections, last 7 days"] == "3"
    assert [t.label for t in at.tabs] == [
        "Overview",
        "Charts",
        "Customers and documents",
        "Differs from Xero",
    ]
    # The Overview is figures only: Plotly starts in the browser when Charts is opened.
    assert at.get("plotly_chart") == []
    amounts = at.dataframe[0].value
    assert sorted(set(amounts["Currency"])) == ["AUD", "EUR", "GBP", "NZD", "USD"]
    # Each amount carries its own currency code; nothing is added across currencies.
    assert all(value.endswith(currency) for value, currency in
               zip(amounts["Total"], amounts["Currency"], strict=True))  # fmt: skip
    assert "Attempts in the Accounting Logs: 1 sent (Processed), 3 rejected, 0 waiting" in texts(at)
    reasons = table_in(at, state.REJECTION_REASONS)
    assert reasons.to_dict("records") == [
        {"Reason": "Account code 999 cannot be used in Xero: choose an active revenue account.",
         "Rejections": 2},
        {"Reason": "SHP-1010 has no due date: add one.", "Rejections": 1},
    ]  # fmt: skip
    assert "No invoices are in Xero yet" in texts(at)

    # The Overview has the browser start Plotly when idle: the module Streamlit's charts
    # import, which this Streamlit serves.
    (prefetch,) = [h.proto for h in at.get("html")]
    path = plotly_prefetch.chunk_path()
    assert path is not None
    assert prefetch.unsafe_allow_javascript
    assert f"import({json.dumps(path)})" in prefetch.body
    served = Path(streamlit.__file__).parent / "static" / path.lstrip("/")
    assert served.is_file()

    at = open_tab(at, state.DASH_TABS, "Charts")
    assert_clean(at)
    assert at.get("html") == []  # the charts themselves import it there
    # Sync states, totals, attempts per day; no invoices in Xero yet, so no paid chart.
    assert [c.proto.id.rpartition("-")[2] for c in at.get("plotly_chart")] == [
        state.CHART_SYNC_STATE,
        state.CHART_CURRENCY,
        state.CHART_ATTEMPTS,
    ]
    assert "Attempts in the Accounting Logs: 1 sent (Processed), 3 rejected, 0 waiting" in texts(at)
    assert "No invoices are in Xero yet" in texts(at)
    assert len(at.dataframe) == 0  # the tables stay on the Overview


def seed_documents() -> dict[str, int]:
    """ACME (USD): one paid, one overdue part-paid, one open; BOLT (EUR): one open."""
    past, future = TODAY - timedelta(days=5), TODAY + timedelta(days=20)
    return {
        "paid": mark_sent("SHP-1001", "INV-0001", total="100.00", paid="100.00",
                          status="PAID", due_date=past, invoice_date=TODAY - timedelta(days=40)),
        "overdue": mark_sent("SHP-1007", "INV-0002", total="250.00", paid="50.00",
                             due_date=past, invoice_date=TODAY - timedelta(days=35)),
        "open": mark_sent("SHP-1013", "INV-0003", total="80.00", due_date=future,
                          invoice_date=TODAY - timedelta(days=2)),
        "euro": mark_sent("SHP-1003", "INV-0004", total="60.00", due_date=future,
                          invoice_date=TODAY - timedelta(days=1)),
    }  # fmt: skip


def documents(at) -> list[str]:
    return list(at.dataframe(key=state.FIN_DOCUMENTS_TABLE).value["Shipment"])


def test_customer_balances_and_saved_views(app_as):
    # The default organisation: its base currency is NZD, its Xero short code !abc12.
    add_connection("Demo Exports Ltd", tenant_id="t1", short_code="!abc12")
    seed_documents()
    at = app_as("finance", "dashboard")
    assert_clean(at)
    # The Overview's table per currency has the customer table's columns, in its words.
    paid_status = table_in(at, state.PAID_STATUS_TABLE)
    assert paid_status.to_dict("records") == [
        {"Currency": "EUR", "Paid": "0.00 EUR", "Unpaid (open + overdue)": "60.00 EUR",
         "Open (not yet due)": "60.00 EUR", "Overdue": "0.00 EUR",
         "Not yet approved": "0.00 EUR"},
        {"Currency": "USD", "Paid": "150.00 USD", "Unpaid (open + overdue)": "280.00 USD",
         "Open (not yet due)": "80.00 USD", "Overdue": "200.00 USD",
         "Not yet approved": "0.00 USD"},
    ]  # fmt: skip
    at = open_tab(at, state.DASH_TABS, "Charts")
    assert len(at.get("plotly_chart")) == 3  # no attempts logged: no attempts chart
    at = open_tab(at, state.DASH_TABS, "Customers and documents")
    assert_clean(at)
    balances = table_in(at, state.FIN_CUSTOMERS_TABLE)
    # The customer column stays in view while the amounts scroll sideways.
    config = at.get_by_key(state.FIN_CUSTOMERS_TABLE).dataframe[0].proto.columns
    assert json.loads(config)["Customer"]["pinned"] is True
    # Unpaid = Open + Overdue; Total = Paid + Unpaid + Not yet approved.
    assert balances.to_dict("records") == [
        {"Customer": "ACME", "Currency": "USD", "Documents": 3, "Total": "430.00 USD",
         "Paid": "150.00 USD", "Unpaid (open + overdue)": "280.00 USD",
         "Open (not yet due)": "80.00 USD", "Overdue": "200.00 USD",
         "Not yet approved": "0.00 USD", "Unpaid in base currency": "280.00 NZD"},
        {"Customer": "BOLT", "Currency": "EUR", "Documents": 1, "Total": "60.00 EUR",
         "Paid": "0.00 EUR", "Unpaid (open + overdue)": "60.00 EUR",
         "Open (not yet due)": "60.00 EUR", "Overdue": "0.00 EUR",
         "Not yet approved": "0.00 EUR", "Unpaid in base currency": "60.00 NZD"},
    ]  # fmt: skip
    assert "2 customer row(s) · page 1 of 1." in texts(at)

    # Everyone's documents, newest first, the number linking to the invoice in Xero.
    table = at.dataframe(key=state.FIN_DOCUMENTS_TABLE).value
    assert list(table["Shipment"]) == ["SHP-1003", "SHP-1013", "SHP-1007", "SHP-1001"]
    # Through Xero's organisation login hop, so it opens in the right organisation.
    link = (
        "/organisationlogin/default.aspx?shortcode=%21abc12&redirecturl="
        "%2FAccountsReceivable%2FView.aspx%3FInvoiceID%3Ddoc-SHP-1003#INV-0004"
    )
    assert table["Number"][0].endswith(link)
    assert list(table["Balance"]) == ["60.00 EUR", "80.00 USD", "200.00 USD", "0.00 USD"]
    assert table["Status"][2] == "AUTHORISED · overdue"

    at.selectbox(key=state.FIN_CUSTOMER).set_value("ACME").run()
    assert documents(at) == ["SHP-1013", "SHP-1007", "SHP-1001"]
    views = at.segmented_control(key=state.FIN_VIEW)
    assert views.options == [
        "All", "Paid", "Unpaid", "Open", "Overdue", "Not yet approved", "Pinned"
    ]  # fmt: skip
    views.set_value("Overdue").run()
    assert_clean(at)
    assert documents(at) == ["SHP-1007"]  # past due with a balance; the paid one is not
    at.segmented_control(key=state.FIN_VIEW).set_value("Paid").run()
    assert documents(at) == ["SHP-1001"]
    at.segmented_control(key=state.FIN_VIEW).set_value("Open").run()
    assert documents(at) == ["SHP-1013"]
    at.segmented_control(key=state.FIN_VIEW).set_value("Unpaid").run()
    assert documents(at) == ["SHP-1013", "SHP-1007"]
    at.text_input(key=state.FIN_NUMBER).input("0002").run()
    assert documents(at) == ["SHP-1007"]
    at.text_input(key=state.FIN_NUMBER).input("").run()
    at.date_input(key=state.FIN_DATE_FROM).set_value(TODAY - timedelta(days=10)).run()
    assert documents(at) == ["SHP-1013"]


def tick(at, rows: list[int]):
    at.session_state[state.FIN_DOCUMENTS_TABLE] = {"selection": {"rows": rows, "columns": []}}
    return at.run()


def test_pin_and_the_pinned_view(app_as):
    ids = seed_documents()
    at = open_tab(app_as("admin", "dashboard"), state.DASH_TABS, "Customers and documents")
    at.segmented_control(key=state.FIN_VIEW).set_value("Pinned").run()
    assert "No documents in this view." in texts(at)
    at.segmented_control(key=state.FIN_VIEW).set_value("All").run()
    at = tick(at, [1, 2])  # SHP-1013, SHP-1007
    at.button(key=state.FIN_PIN).click().run()
    assert_clean(at)
    assert any("Pinned 2 document(s)" in s.value for s in at.success)
    with session_scope() as session:
        pins = session.exec(select(PinnedDocument.username, PinnedDocument.shipment_id)).all()
    assert sorted(pins) == sorted([("admin", ids["open"]), ("admin", ids["overdue"])])
    assert list(at.dataframe(key=state.FIN_DOCUMENTS_TABLE).value["Pinned"]) == [
        "", "yes", "yes", ""
    ]  # fmt: skip
    at.segmented_control(key=state.FIN_VIEW).set_value("Pinned").run()
    assert documents(at) == ["SHP-1013", "SHP-1007"]
    at = tick(at, [0])
    at.button(key=state.FIN_UNPIN).click().run()
    assert documents(at) == ["SHP-1007"]
    # Pins are per user: finance has none.
    at = open_tab(app_as("finance", "dashboard"), state.DASH_TABS, "Customers and documents")
    at.segmented_control(key=state.FIN_VIEW).set_value("Pinned").run()
    assert "No documents in this view." in texts(at)


def test_pull_payments_says_what_went_wrong_in_plain_words(app_as):
    at = app_as("finance", "dashboard")
    assert_clean(at)
    # Nothing connected: said once, with no Pull button to click (issue 15 item 8).
    assert state.PULL_PAYMENTS not in [b.key for b in at.button]
    assert texts(at).count("No Xero organisation is connected") == 1
    add_connection("Demo Exports Ltd", tenant_id="t1")  # a row without tokens
    at.run()
    at.button(key=state.PULL_PAYMENTS).click().run()
    assert_clean(at, allow_errors=True)
    assert any("Demo Exports Ltd needs reconnecting" in e.value for e in at.error), texts(at)


def test_pull_payments_summary(app_as, monkeypatch):
    from services import payments
    from services.payments import PullSummary

    seen = []

    def pull_all(*, session, full=False):
        seen.append(full)
        return {"Demo Exports Ltd": PullSummary(3, 1, 2, 2)}

    monkeypatch.setattr(payments, "pull_all", pull_all)
    add_connection("Demo Exports Ltd", tenant_id="t1")
    at = app_as("admin", "dashboard")
    at.checkbox(key=state.PULL_FULL).check()
    at.button(key=state.PULL_PAYMENTS).click().run()
    assert_clean(at)
    assert seen == [True]
    assert at.dataframe[0].value.to_dict("records") == [
        {"Organisation": "Demo Exports Ltd", "New payments": 3, "Updated payments": 1,
         "Documents updated": 2, "API calls": 2, "Problem": ""},
    ]  # fmt: skip


def test_customer_rows_keep_each_organisations_base_currency(app_as):
    """One customer invoiced from two organisations in the same currency: a row each, the
    unpaid amount in each organisation's own base currency at the invoice's rate."""
    from decimal import Decimal

    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_connection("Demo AU Pty", tenant_id="t2", base_currency="AUD", is_default=False)
    common = {"xero_contact_name": "Acme Corp", "currency": "USD"}
    # Sent before the organisation was kept: it went to the default one (t1, NZD).
    mark_sent("SHP-1001", "INV-0001", total="100", **common)
    mark_sent("SHP-1003", "INV-0001", total="100", tenant_id="t2", **common)
    mark_sent("SHP-1007", "INV-0002", total="50", paid="50", tenant_id="t2", **common)
    with session_scope() as session:
        from models import Shipment

        for shipment in session.exec(select(Shipment).where(Shipment.tenant_id == "t2")):
            shipment.xero_currency_rate = Decimal("0.5")  # 1 AUD = 0.5 USD
    at = open_tab(app_as("finance", "dashboard"), state.DASH_TABS, "Customers and documents")
    assert_clean(at)
    rows = table_in(at, state.FIN_CUSTOMERS_TABLE).to_dict("records")
    assert [
        (
            r["Customer"],
            r["Organisation"],
            r["Documents"],
            r["Unpaid (open + overdue)"],
            r["Unpaid in base currency"],
        )
        for r in rows
    ] == [
        ("Acme Corp", "Demo Exports Ltd", 1, "100.00 USD", "100.00 NZD"),
        ("Acme Corp", "Demo AU Pty", 2, "100.00 USD", "200.00 AUD"),
    ]
    assert "One row per customer, organisation and currency" in texts(at)


def test_pull_payments_shows_the_new_pull_time_at_once(app_as, monkeypatch):
    """The caption next to the button is the pull just made, not the one before it."""
    from datetime import UTC

    from services import connections, payments
    from services.payments import PullSummary

    before, after = (
        datetime(2026, 11, 29, 9, 52, tzinfo=UTC),
        datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
    )
    add_connection("Demo Exports Ltd", tenant_id="t1", payments_pulled_at=before)

    def pull_all(*, session, full=False):  # what a pull writes, without calling Xero
        for connection in connections.list_connections(session=session):
            connection.payments_pulled_at = after
            session.add(connection)
        return {"Demo Exports Ltd": PullSummary(api_calls=2)}

    monkeypatch.setattr(payments, "pull_all", pull_all)
    at = app_as("finance", "dashboard")
    assert "Last pulled 2026-11-29 22:52." in texts(at)  # Pacific/Auckland, UTC+13
    at.button(key=state.PULL_PAYMENTS).click().run()
    assert_clean(at)
    assert "Last pulled 2026-12-01 14:00." in texts(at)
    assert "22:52" not in texts(at)


def test_a_draft_is_not_yet_owed(app_as):
    """A DRAFT (or SUBMITTED) invoice is not owed in Xero: it is left out of paid, unpaid,
    open and overdue, and shown as not yet approved, so the total still adds up."""
    add_connection("Demo Exports Ltd", tenant_id="t1")
    seed_documents()
    past = TODAY - timedelta(days=5)
    mark_sent("SHP-1019", "INV-0005", total="1118.60", status="DRAFT", buyer_code="ACME",
              due_date=past, invoice_date=TODAY - timedelta(days=1))  # fmt: skip
    at = app_as("finance", "dashboard")
    assert_clean(at)
    usd = table_in(at, state.PAID_STATUS_TABLE).to_dict("records")[1]
    assert (usd["Unpaid (open + overdue)"], usd["Overdue"], usd["Not yet approved"]) == (
        "280.00 USD",
        "200.00 USD",
        "1,118.60 USD",
    )
    at = open_tab(at, state.DASH_TABS, "Customers and documents")
    assert_clean(at)
    acme = table_in(at, state.FIN_CUSTOMERS_TABLE).to_dict("records")[0]
    assert acme == {
        "Customer": "ACME", "Currency": "USD", "Documents": 4, "Total": "1,548.60 USD",
        "Paid": "150.00 USD", "Unpaid (open + overdue)": "280.00 USD",
        "Open (not yet due)": "80.00 USD", "Overdue": "200.00 USD",
        "Not yet approved": "1,118.60 USD", "Unpaid in base currency": "280.00 NZD",
    }  # fmt: skip
    assert "Not yet approved: drafts and invoices awaiting approval in Xero" in texts(at)

    at.selectbox(key=state.FIN_CUSTOMER).set_value("ACME").run()
    table = at.dataframe(key=state.FIN_DOCUMENTS_TABLE).value
    assert table["Status"][0] == "DRAFT"  # past its due date, but not overdue: not owed yet
    for view, shown in (
        ("Overdue", ["SHP-1007"]),
        ("Unpaid", ["SHP-1013", "SHP-1007"]),
        ("Open", ["SHP-1013"]),
        ("Paid", ["SHP-1001"]),
        ("Not yet approved", ["SHP-1019"]),
    ):
        at.segmented_control(key=state.FIN_VIEW).set_value(view).run()
        assert documents(at) == shown, view


def chart_colours(at) -> dict[str, dict[str, str]]:
    """Per chart key, each legend entry's colour."""
    import json

    charts = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        charts[chart.proto.id] = {t["name"]: t["marker"]["color"] for t in spec["data"]}
    return charts


def test_each_state_outcome_and_status_has_one_colour_on_every_chart(app_as):
    from tests.pages.helpers import set_sync_state

    seed_documents()
    set_sync_state(["SHP-1002", "SHP-1008"], "Rejected")
    set_sync_state(["SHP-1004"], "Queued")
    log_rejection("SHP-1002")
    log_rejection("SHP-1001", outcome="Processed", errors_xero=None, errors_plain=None)
    log_rejection("SHP-1004", outcome="Failed", errors_xero=None, errors_plain=None)
    at = open_tab(app_as("finance", "dashboard"), state.DASH_TABS, "Charts")
    assert_clean(at)
    charts = list(chart_colours(at).values())
    assert len(charts) == 4  # sync states, totals by currency, paid status, attempts
    sync, totals, paid, attempts = charts
    green, red, amber = "#2e7d32", "#c62828", "#f9a825"
    assert {sync["Processed"], totals["Processed"], attempts["Processed"]} == {green}
    assert {sync["Rejected"], totals["Rejected"], attempts["Rejected"]} == {red}
    assert {sync["Queued"], totals["Queued"], attempts["Waiting"]} == {amber}
    assert sync["Not sent"] == totals["Not sent"]
    assert paid == {
        "Paid": green,
        "Open (not yet due)": "#1565c0",
        "Overdue": red,
        "Not yet approved": "#9e9e9e",
    }
    # Every name means one colour, whichever chart it is on.
    seen: dict[str, set[str]] = {}
    for chart in charts:
        for name, colour in chart.items():
            seen.setdefault(name, set()).add(colour)
    assert all(len(colours) == 1 for colours in seen.values()), seen
