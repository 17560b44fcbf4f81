"""A shipment's document in Xero: the link to it, its status and money, and its payments."""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from models import Shipment, SyncState
from services import connections, credits, payments
from services.document_kinds import kind_of
from services.settings import get_settings
from ui import common, credits_view, drift_view, state
from ui.text import md_text

# A table cell links to the document and shows its number: the number rides in the URL's
# fragment (which the browser never sends to Xero) and LinkColumn's display_text takes it out.
NUMBER_IN_LINK = r"#(.+)$"


def document_url(
    shipment: Shipment, short_codes: dict[str | None, str] | None = None
) -> str | None:
    """The document's page in Xero (the sandbox serves the same paths).

    With the organisation's short code the link goes through Xero's organisation login hop,
    so it opens in the right organisation even when the user last looked at another one."""
    document_id = shipment.xero_document_id
    if not document_id:
        return None
    web = get_settings().web_url.rstrip("/")
    path = kind_of(shipment.xero_document_type).link_path(document_id)
    if short_codes is None:
        short_codes = organisation_short_codes()
    short_code = short_codes.get(shipment.tenant_id)
    if not short_code:
        return f"{web}{path}"
    query = urlencode({"shortcode": short_code, "redirecturl": path})
    return f"{web}/organisationlogin/default.aspx?{query}"


def organisation_short_codes() -> dict[str | None, str]:
    """Each connected organisation's Xero short code by tenant id; None is the default
    organisation's (a shipment with no organisation of its own goes there)."""
    with common.session() as db_session:
        found = connections.list_connections(session=db_session)
    codes: dict[str | None, str] = {c.tenant_id: c.short_code for c in found if c.short_code}
    default = next((c for c in found if c.is_default), None)
    if default is not None and default.short_code:
        codes[None] = default.short_code
    return codes


def number_link(shipment: Shipment, short_codes: dict[str | None, str]) -> str | None:
    """The document's URL with its number as the fragment, for `number_column`."""
    url = document_url(shipment, short_codes)
    if url is None:
        return None
    return f"{url}#{shipment.xero_document_number or shipment.xero_document_id}"


def number_column(label: str = "Number"):
    return st.column_config.LinkColumn(
        label, display_text=NUMBER_IN_LINK, help="Opens the document in Xero"
    )


def changed_since_sent(shipment: Shipment) -> None:
    if shipment.sync_state != SyncState.CHANGED:
        return
    number = md_text(shipment.xero_document_number) or "its document"
    st.warning(
        f"**Changed since sent**: {md_text(shipment.shipment_number)} was edited after it went "
        f"to Xero as {number}. Xero still has the old version: send it again to update {number} "
        "(it is updated, never duplicated)."
    )


def panel(shipment: Shipment) -> None:
    """Status, total, paid and balance of the shipment's Xero document, and its payments."""
    with st.container(key=state.XERO_DOCUMENT):
        st.markdown("**Document in Xero**")
        changed_since_sent(shipment)
        if not shipment.xero_document_id:
            st.caption(f"{md_text(shipment.shipment_number)} is not in Xero yet.")
            return
        if shipment.id is not None:
            drift_view.shipment_differences(shipment.id)
        kind = kind_of(shipment.xero_document_type)
        number = md_text(shipment.xero_document_number or shipment.xero_document_id)
        # The link is Xero's own page, built from IDs; only its words come from the data.
        st.markdown(f"Xero {kind.label} [{number}]({document_url(shipment)})")
        currency = shipment.currency
        status, total, paid, balance = st.columns(4)
        status.metric("Status", md_text(shipment.xero_status or "—"))
        total.metric("Total", common.money_md(shipment.xero_total, currency) or "—")
        if not kind.takes_payments:
            st.caption(f"{kind.plural.capitalize()} take no payments.")
            return
        paid.metric("Paid", common.money_md(shipment.xero_amount_paid or 0, currency))
        balance.metric("Balance", common.money_md(shipment.xero_amount_due, currency) or "—")
        if shipment.xero_fully_paid_on:
            st.caption(f"Fully paid on {common.local_date(shipment.xero_fully_paid_on)}.")
        _payments(shipment)
        credit_notes(shipment)


def credit_notes(shipment: Shipment) -> None:
    """The credit notes raised in Xero for the shipment: number, amount, allocated, status."""
    assert shipment.id is not None  # read from the database
    with common.session() as db_session:
        notes = credits.credit_notes_of(session=db_session, shipment_id=shipment.id)
    if not notes:
        return
    currency = shipment.currency
    with st.container(key=state.CREDIT_NOTES):
        st.markdown("**Credit notes**")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Number": n.credit_note_number,
                        "Amount": common.money(n.total, currency),
                        "Allocated to the invoice": common.money(n.allocated or 0, currency),
                        "Credit left": common.money(n.remaining or 0, currency),
                        "Status": n.status or "",
                        "Lines": n.line_numbers or "all",
                        "Raised": common.local_time(n.created_at),
                    }
                    for n in notes
                ]
            ),
            hide_index=True,
        )
        total = sum((n.total or 0 for n in notes), start=0)
        credited = common.money_md(total, currency)
        st.caption(f"{len(notes)} credit note(s), {credited} credited in all.")
        credits_view.unallocated(shipment)  # a credit note in Xero whose allocation waits


def _payments(shipment: Shipment) -> None:
    assert shipment.id is not None  # read from the database
    with common.session() as db_session:
        rows = payments.payments_of(session=db_session, shipment_id=shipment.id)
    if not rows:
        st.caption(
            "No payments pulled from Xero yet (Pull payments from Xero on the Dashboard; "
            "Xero takes payments only on approved invoices)."
        )
        return
    st.markdown("**Payments**")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Date": common.local_date(p.date),
                    "Amount": common.money(p.amount, shipment.currency),
                    "Reference": p.reference or "",
                    "Status": p.status,
                }
                for p in rows
            ]
        ),
        hide_index=True,
    )
