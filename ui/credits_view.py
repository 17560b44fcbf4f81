"""Finance's view of credit notes: per currency, what was invoiced, what was credited back
for cancelled or returned shipments, and the net."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models import Shipment
from services import credits
from ui import common, data_cache, state
from ui.text import md_text


def net_credits() -> None:
    """The Dashboard's "Net of credit notes" table (nothing when no credit note exists)."""
    rows = data_cache.net_credits()  # kept per data version; none without a credit note
    if not any(r.credited for r in rows):
        return
    st.subheader("Invoices net of credit notes, by currency")
    with st.container(key=state.NET_CREDITS):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Currency": r.currency,
                        "Invoiced": common.money(r.invoiced, r.currency),
                        "Credited": common.money(r.credited, r.currency),
                        "Net": common.money(r.net, r.currency),
                    }
                    for r in rows
                ]
            ),
            hide_index=True,
        )
    st.caption(
        "Invoiced: invoices in Xero, voided and deleted ones left out. Credited: credit notes "
        "raised for cancelled or returned shipments. One row per currency, never added across."
    )


def unallocated(shipment: Shipment) -> None:
    """On the shipment: a warning while one of its credit notes is in Xero but not allocated
    to the invoice that still owes (the cancellation's allocation failed or was refused)."""
    with common.session() as db_session:
        note = credits.unallocated_note(session=db_session, shipment=shipment)
    if note:
        st.warning(md_text(note), icon=":material/receipt_long:")
