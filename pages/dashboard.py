"""Dashboard: where shipments stand with Xero, amounts per currency (never added across
currencies), and recent rejections."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import plotly.express as px
import streamlit as st

from models import Outcome, SyncState, utcnow
from pages import common
from services import integration_log, shipments
from services.integration_log import LogFilter

RECENT = timedelta(days=7)
STATE_ORDER = [s.value for s in SyncState]
RANK = {state: n for n, state in enumerate(STATE_ORDER)}

common.require("dashboard")
st.title("Dashboard")

with common.session() as db_session:
    by_state = shipments.counts_by_sync_state(session=db_session)
    totals = shipments.totals_by_currency(session=db_session)
    _, recent_rejections = integration_log.list_entries(
        session=db_session,
        flt=LogFilter(outcome=Outcome.REJECTED, since=utcnow() - RECENT),
        page_size=1,
    )

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

left, right = st.columns(2)
with left:
    st.subheader("Shipments by sync state")
    counts = pd.DataFrame(
        [{"Sync state": state, "Shipments": n} for state, n in by_state.items()]
    ).sort_values("Sync state", key=lambda col: col.map(lambda s: RANK.get(s, len(RANK))))
    chart = px.bar(counts, x="Sync state", y="Shipments", color="Sync state", text="Shipments")
    chart.update_layout(showlegend=False, margin=dict(t=10, b=10))
    st.plotly_chart(chart, key="chart_sync_state")

with right:
    st.subheader("Line value by currency")
    values = pd.DataFrame(
        [
            # The chart needs numbers; the table below shows the exact amounts.
            {"Currency": c, "Sync state": s, "Value": float(v), "Shipments": n}
            for c, s, v, n in totals
        ]
    )
    chart = px.bar(
        values,
        x="Currency",
        y="Value",
        color="Sync state",
        category_orders={"Sync state": STATE_ORDER},
        hover_data=["Shipments"],
    )
    chart.update_layout(barmode="stack", margin=dict(t=10, b=10))
    chart.update_yaxes(title="Value in the bar's own currency")
    st.plotly_chart(chart, key="chart_currency")
    st.caption("One bar per currency: amounts are never added across currencies.")

st.subheader("Amounts by currency and sync state")
st.dataframe(
    pd.DataFrame(
        [
            {"Currency": c, "Sync state": s, "Shipments": n, "Line value": common.money(v, c)}
            for c, s, v, n in sorted(totals, key=lambda t: (t[0], RANK.get(t[1], len(RANK))))
        ]
    ),
    hide_index=True,
)
