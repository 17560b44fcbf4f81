"""The Dashboard: tiles, charts, amounts per currency (never summed across currencies)."""

from __future__ import annotations

from tests.pages.helpers import assert_clean, log_rejection


def test_finance_dashboard(app_as):
    log_rejection("SHP-1005")
    at = app_as("finance", "dashboard")
    assert_clean(at)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Shipments"] == "30"
    assert tiles["Not sent"] == "30"
    assert tiles["Rejections, last 7 days"] == "1"
    assert len(at.get("plotly_chart")) == 2
    amounts = at.dataframe[0].value
    assert sorted(set(amounts["Currency"])) == ["AUD", "EUR", "GBP", "NZD", "USD"]
    # Each amount carries its own currency code; nothing is added across currencies.
    assert all(value.endswith(currency) for value, currency in
               zip(amounts["Line value"], amounts["Currency"], strict=True))  # fmt: skip
