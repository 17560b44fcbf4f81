"""Dashboard: where shipments stand with Xero, amounts per currency (never added across
currencies), paid / unpaid / overdue per currency, attempts per day and the top rejection
reasons (counted from the Accounting Logs), and per customer what was paid and is owed.

The Overview holds the exact figures (tables, to the cent); the same figures as charts are on
the Charts tab. Only the open tab is drawn: the browser starts Plotly (about 0.7 s on every
fresh load, one chart or four) only when Charts is opened, so the Dashboard opens at once."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pandas as pd
import plotly.express as px
import streamlit as st

from models import Outcome, SyncState, utcnow
from services import finance, integration_log, shipments
from services.integration_log import LogFilter
from ui import (
    common,
    credits_view,
    data_cache,
    drift_view,
    finance_view,
    plotly_prefetch,
    state,
    xero_status,
)

RECENT = timedelta(days=7)
DAYS = 30  # the window of the attempts chart and the rejection reasons
REASONS_SHOWN = 10
REASONS_WINDOW = 2000  # the newest rejections read for the reasons
STATE_ORDER = [s.value for s in SyncState]
RANK = {state: n for n, state in enumerate(STATE_ORDER)}
# The paid-status chart's groups, in the saved views' words (Unpaid = Open + Overdue).
PAID_ORDER = [finance_view.LABELS[s] for s in finance.STATUSES]
# What an attempt's outcome means for the shipment: in Xero, rejected, or back in the queue.
ATTEMPT_GROUPS = {
    Outcome.PROCESSED: "Processed",
    Outcome.REJECTED: "Rejected",
    Outcome.FAILED: "Waiting",
    Outcome.HELD: "Waiting",
}
ATTEMPT_ORDER = ["Processed", "Rejected", "Waiting"]
TEMPLATE = "plotly_white"
FONT = '"Source Sans", "Source Sans Pro", sans-serif'  # the app's own
GREEN, RED, AMBER, BLUE, GREY, PURPLE, TEAL = (
    "#2e7d32",
    "#c62828",
    "#f9a825",
    "#1565c0",
    "#9e9e9e",
    "#6a1b9a",
    "#00838f",
)
# One colour per sync state, attempt outcome and payment status on every Dashboard chart:
# done is green, needs fixing red, waiting amber, not yet (sent, approved) grey.
COLOURS = {
    SyncState.NOT_SENT.value: GREY,
    SyncState.QUEUED.value: AMBER,
    SyncState.SENDING.value: TEAL,
    SyncState.PROCESSED.value: GREEN,
    SyncState.REJECTED.value: RED,
    SyncState.CHANGED.value: PURPLE,
    "Waiting": AMBER,  # Failed or Held: back in the queue, as Queued
    finance_view.LABELS[finance.View.PAID]: GREEN,
    finance_view.LABELS[finance.View.OPEN]: BLUE,
    finance_view.LABELS[finance.View.OVERDUE]: RED,
    finance_view.LABELS[finance.View.NOT_APPROVED]: GREY,
}


def draw(chart, key: str) -> None:
    """A chart in its own plain look (white, light grid, the app's font), not Streamlit's
    Plotly theme: that theme is merged into every chart in the browser, a quarter of a
    second of the Charts tab's opening."""
    chart.update_layout(template=TEMPLATE, font_family=FONT)
    st.plotly_chart(chart, key=key, theme=None)


def sync_state_chart(by_state: dict[str, int]) -> None:
    st.subheader("Shipments by sync state")
    counts = pd.DataFrame(
        [{"Sync state": state, "Shipments": n} for state, n in by_state.items()]
    ).sort_values("Sync state", key=lambda col: col.map(lambda s: RANK.get(s, len(RANK))))
    chart = px.bar(
        counts,
        x="Sync state",
        y="Shipments",
        color="Sync state",
        text="Shipments",
        category_orders={"Sync state": STATE_ORDER},
        color_discrete_map=COLOURS,
    )
    chart.update_layout(showlegend=False, margin=dict(t=10, b=10))
    draw(chart, state.CHART_SYNC_STATE)


def totals_chart(totals) -> None:
    st.subheader("Shipment totals by currency")
    values = pd.DataFrame(
        [
            # The chart needs numbers; the table below shows the exact amounts.
            {"Currency": c, "Sync state": s, "Total": float(v), "Shipments": n}
            for c, s, v, n in totals
        ]
    )
    chart = px.bar(
        values,
        x="Currency",
        y="Total",
        color="Sync state",
        category_orders={"Sync state": STATE_ORDER},
        color_discrete_map=COLOURS,
        hover_data=["Shipments"],
    )
    chart.update_layout(barmode="stack", margin=dict(t=10, b=10))
    chart.update_yaxes(title="Total in the bar's own currency")
    draw(chart, state.CHART_CURRENCY)
    st.caption("One bar per currency: amounts are never added across currencies.")


def paid_amounts(today: date) -> list:
    """Sent invoices' amounts per currency: paid, open (not yet due), overdue, and not yet
    approved (drafts are not owed yet)."""
    with common.session() as db_session:
        return finance.amounts_by_currency_and_status(session=db_session, today=today)


def section(title: str, rows, empty: str, show) -> None:
    """A section of the Overview or Charts: its title, then `show(rows)`, or what `empty`
    says when there are none (the same words on both tabs)."""
    st.subheader(title)
    if rows:
        show(rows)
    else:
        st.caption(empty)


PAID_TITLE = "Invoices by currency: paid, unpaid, not yet approved"
NO_INVOICES = "No invoices are in Xero yet."
NOTHING_SENT = "Nothing was sent in that time."
ATTEMPTS_TITLE = f"Sent, rejected and waiting, last {DAYS} days"


def paid_status_chart(amounts: list) -> None:
    label = finance_view.LABELS
    frame = pd.DataFrame(
        [
            {"Currency": c, "Status": label[s], "Amount": float(a), "Exact": common.money(a, c)}
            for c, s, a in amounts
        ]
    )
    chart = px.bar(
        frame,
        x="Currency",
        y="Amount",
        color="Status",
        barmode="group",
        category_orders={"Status": PAID_ORDER},
        color_discrete_map=COLOURS,
        hover_data={"Exact": True, "Amount": False},
    )
    chart.update_layout(margin=dict(t=10, b=10))
    chart.update_yaxes(title="Amount in the group's own currency")
    draw(chart, state.CHART_PAID_STATUS)
    st.caption("One group per currency, never added across currencies.")


def paid_status_table(amounts: list) -> None:
    label = finance_view.LABELS
    by = {(c, s): a for c, s, a in amounts}
    view = finance.View
    rows = []
    for c in sorted({c for c, _, _ in amounts}):
        unpaid = by[c, view.OPEN] + by[c, view.OVERDUE]
        rows.append(
            {"Currency": c}
            | {label[view.PAID]: common.money(by[c, view.PAID], c)}
            | {label[view.UNPAID]: common.money(unpaid, c)}
            | {label[s]: common.money(by[c, s], c) for s in (view.OPEN, view.OVERDUE)}
            | {label[view.NOT_APPROVED]: common.money(by[c, view.NOT_APPROVED], c)}
        )
    with st.container(key=state.PAID_STATUS_TABLE):
        st.dataframe(pd.DataFrame(rows), hide_index=True)
    st.caption(
        f"One row per currency, never added across currencies. {finance_view.AMOUNTS_NOTE} "
        "Overdue: past the due date with a balance, as of today in "
        f"{common.local_zone().key}."
    )


def attempts_per_day(today: date) -> Counter:
    """Every attempt in the Accounting Logs of the last DAYS days, per (local day, group)."""
    since = common.start_of_day(today - timedelta(days=DAYS - 1))
    groups = {str(outcome): group for outcome, group in ATTEMPT_GROUPS.items()}
    counts: Counter = Counter()
    for moment, outcome, n in data_cache.attempts_since(since):  # per quarter hour in SQL
        counts[common.to_local(moment).date(), groups.get(outcome, outcome)] += n
    return counts


def attempts_chart(today: date, counts: Counter) -> None:
    # Every day of the window has its slot, with or without attempts.
    days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    labels = [day.strftime("%d %b") for day in days]
    frame = pd.DataFrame(
        [
            {"Day": label, "Outcome": group, "Attempts": counts.get((day, group), 0)}
            for day, label in zip(days, labels, strict=True)
            for group in ATTEMPT_ORDER
        ]
    )
    chart = px.bar(
        frame,
        x="Day",
        y="Attempts",
        color="Outcome",
        category_orders={"Outcome": ATTEMPT_ORDER, "Day": labels},
        color_discrete_map=COLOURS,
    )
    chart.update_layout(barmode="stack", margin=dict(t=10, b=10))
    chart.update_xaxes(title=f"Day ({common.local_zone().key})", type="category")
    draw(chart, state.CHART_ATTEMPTS)
    attempts_caption(counts)


def attempts_caption(counts: Counter) -> None:
    totals: Counter = Counter()
    for (_, group), n in counts.items():
        totals[group] += n
    st.caption(
        f"Attempts in the Accounting Logs: {totals['Processed']} sent (Processed), "
        f"{totals['Rejected']} rejected, {totals['Waiting']} waiting (Failed or Held: back "
        "in the queue)."
    )


def rejection_reasons(today: date) -> None:
    """The commonest rejections of the last DAYS days, by the first thing each says to fix."""
    st.subheader(f"Top rejection reasons, last {DAYS} days")
    since = common.start_of_day(today - timedelta(days=DAYS - 1))
    rejections = data_cache.rejection_reasons(since, REASONS_WINDOW)
    if not rejections:
        st.caption("No rejections in that time.")
        return
    reasons = Counter(rejections)
    with st.container(key=state.REJECTION_REASONS):
        st.dataframe(
            pd.DataFrame(
                [
                    {"Reason": text, "Rejections": n}
                    for text, n in reasons.most_common(REASONS_SHOWN)
                ]
            ),
            hide_index=True,
        )
    st.caption(
        f"{len(rejections)} rejection(s), each counted once by the first thing it says to fix; "
        "View error on the Accounting Logs page shows the rest."
    )


def shipments_by_state(totals) -> dict[str, int]:
    """Shipments per sync state, added up from the per-currency totals (the same summary, so
    the tiles and the charts always agree, and no count over every shipment is made)."""
    counts: Counter = Counter()
    for _, sync_state, _, n in totals:
        counts[sync_state] += n
    return dict(counts)


user = common.require("dashboard")
st.title("Dashboard")
if xero_status.connected(user):  # one word on the connection, said once
    finance_view.pull_payments()
    drift_view.check_button(user, key=state.DRIFT_CHECK)
today = common.local_today()

with common.session() as db_session:
    totals = shipments.totals_by_currency(session=db_session)
    _, recent_rejections = integration_log.list_entries(
        session=db_session,
        flt=LogFilter(outcome=Outcome.REJECTED, since=utcnow() - RECENT),
        page_size=1,
    )
by_state = shipments_by_state(totals)

tiles = st.columns(5)
tiles[0].metric("Shipments", sum(by_state.values()))
tiles[1].metric(
    "Not sent", by_state.get(SyncState.NOT_SENT, 0) + by_state.get(SyncState.CHANGED, 0)
)
tiles[2].metric("Processed", by_state.get(SyncState.PROCESSED, 0))
tiles[3].metric("Rejected", by_state.get(SyncState.REJECTED, 0))
tiles[4].metric("Rejections, last 7 days", recent_rejections)

if not by_state:
    st.info("No shipments yet.")
    st.stop()

drift_view.count()
# Only the open tab is drawn (and read): a fresh load draws the Overview alone, and Plotly
# starts in the browser only when Charts is opened.
overview, charts, customers, differs = st.tabs(
    ["Overview", "Charts", "Customers and documents", "Differs from Xero"],
    key=state.DASH_TABS,
    on_change="rerun",
)
if overview.open:
    with overview:
        st.subheader("Amounts by currency and sync state")
        st.dataframe(
            pd.DataFrame(
                [
                    {"Currency": c, "Sync state": s, "Shipments": n, "Total": common.money(v, c)}
                    for c, s, v, n in sorted(
                        totals, key=lambda t: (t[0], RANK.get(t[1], len(RANK)))
                    )
                ]
            ),
            hide_index=True,
        )
        st.caption("Amounts are never added across currencies. The Charts tab draws them.")
        section(PAID_TITLE, paid_amounts(today), NO_INVOICES, paid_status_table)
        credits_view.net_credits()
        section(ATTEMPTS_TITLE, attempts_per_day(today), NOTHING_SENT, attempts_caption)
        rejection_reasons(today)
        plotly_prefetch.prefetch()  # the browser starts Plotly while the user reads this
if charts.open:
    with charts:
        left, right = st.columns(2)
        with left:
            sync_state_chart(by_state)
        with right:
            totals_chart(totals)
        section(PAID_TITLE, paid_amounts(today), NO_INVOICES, paid_status_chart)
        section(
            ATTEMPTS_TITLE,
            attempts_per_day(today),
            NOTHING_SENT,
            lambda counts: attempts_chart(today, counts),
        )
if customers.open:
    with customers:
        finance_view.show(user, today)
if differs.open:
    with differs:
        drift_view.show()
