"""On Send to Accounting: exactly what Send will do with the selection, before it is done.
Each shipment's document as it will go to Xero (contact, dates, reference, status, currency
and rate, each line with its account and tax), or why it will be refused or held."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services import preview as previews
from services.document_kinds import kind_of
from services.preview import Preview
from services.xero.errors import XeroError
from ui import common, state
from ui.text import md_text

VERDICTS = {
    previews.SEND: "will be sent",
    previews.REFUSE: "will be refused",
    previews.HOLD: "will be held",
    previews.UNCHECKED: "not checked yet",
}


def show(ids: list[int]) -> list[Preview]:
    """Draw the preview of these shipments; returns it (empty when there is nothing to show)."""
    if not ids:
        return []
    # Once per organisation, on its first preview; then from the cache.
    with (
        st.spinner("Reading Xero's codes to check the selection…"),
        common.shown_errors(),
        common.session() as db_session,
    ):
        previews.load_missing_codes(session=db_session, shipment_ids=ids)
    in_xero = _already_in_xero(ids)
    with common.session() as db_session:
        found = previews.preview(session=db_session, shipment_ids=ids, existing_in_xero=in_xero)
    if not found:
        return []
    st.subheader("Preview")
    with st.container(key=state.SEND_PREVIEW):
        counts = {v: sum(1 for p in found if p.verdict == v) for v in VERDICTS}
        st.markdown(
            " · ".join(f"**{n}** {VERDICTS[v]}" for v, n in counts.items() if n)
            + " (checked against Xero's codes as cached"
            + _cached_at(found)
            + "; Send looks in Xero again for a code it does not know)."
        )
        # What needs the user first: the refused and held ones, then the documents.
        for p in found:
            if p.verdict != previews.SEND:
                _not_sent(p)
        for p in found:
            if p.verdict == previews.SEND:
                _document(p)
    return found


def _already_in_xero(ids: list[int]) -> dict[int, str]:
    """Invoices Xero already holds under the selection's numbers, asked once per selection
    (one call per organisation): the page reruns on every click."""
    cached = st.session_state.get(state.SEND_PREVIEW_IN_XERO)
    if cached and cached[0] == tuple(ids):
        return cached[1]
    try:
        with (
            st.spinner("Looking in Xero for invoices with these numbers…"),
            common.session() as db_session,
        ):
            found = previews.documents_not_sent_by_us(session=db_session, shipment_ids=ids)
    except XeroError as error:
        # The preview still shows; it says what it could not check. Asked again next run.
        st.caption(f"Xero was not asked whether these numbers are already taken: {md_text(error)}")
        return {}
    st.session_state[state.SEND_PREVIEW_IN_XERO] = (tuple(ids), found)
    return found


def none_can_be_sent(found: list[Preview]) -> bool:
    """The preview refuses every shipment: a send would only record rejections."""
    return bool(found) and all(p.verdict == previews.REFUSE for p in found)


def _cached_at(found: list[Preview]) -> str:
    moments = [p.codes_cached_at for p in found if p.codes_cached_at]
    return f" {common.local_time(min(moments))}" if moments else ""


def _not_sent(p: Preview) -> None:
    reasons = "\n".join(f"- {md_text(problem)}" for problem in p.problems)
    text = f"**{md_text(p.shipment_number)}** {VERDICTS[p.verdict]}:\n\n{reasons}"
    # Nothing has gone wrong yet: a warning of what Send will do, not an error.
    if p.verdict == previews.REFUSE:
        st.warning(text, icon=":material/block:")
    else:
        st.info(text, icon=":material/schedule:")


def _document(p: Preview) -> None:
    doc = p.document or {}
    document_kind = kind_of(p.document_type)
    kind = document_kind.label.capitalize()
    number = doc.get(document_kind.number_field) or ""
    currency = doc.get("CurrencyCode", "")
    lines = doc.get("LineItems", [])
    # An expander's label is Markdown: the number and the contact's name show as text.
    contact = md_text(p.contact_name) if p.contact_name else "its contact"
    title = (
        f"{md_text(p.shipment_number)} → {kind} {md_text(number)} to {contact} · "
        f"{len(lines)} line(s) · {common.money_md(p.lines_total, currency)}"
    )
    if p.existing_in_xero:
        # Before the document: the user must see it without opening anything.
        st.warning(
            f"**{md_text(p.shipment_number)}**: {md_text(p.existing_in_xero)}",
            icon=":material/warning:",
        )
    with st.expander(title):
        rate = doc.get("CurrencyRate")
        facts = {
            "Organisation": p.organisation,
            "Contact": f"{p.contact_name} (account number {p.contact_account})",
            "Date": doc.get("Date"),
            "Due date" if "DueDate" in doc else "Expiry date": doc.get("DueDate")
            or doc.get("ExpiryDate"),
            "Reference": doc.get("Reference"),
            "Status": doc.get("Status"),
            "Currency": currency,
            "Rate": f"{rate} (the shipment's)"
            if rate
            else "Xero's daily rate (none on the shipment, or the base currency)",
            "Line amounts": doc.get("LineAmountTypes"),
            "In Xero": "updates the document already there"
            if doc.get(document_kind.id_field) or p.existing_in_xero
            else "creates a new document",
        }
        st.markdown("  \n".join(f"**{k}**: {md_text(v) if v else '—'}" for k, v in facts.items()))
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Item": x.get("ItemCode") or "",
                        "Description": x.get("Description") or "",
                        "Quantity": x.get("Quantity"),
                        "Unit price": common.money(x.get("UnitAmount"), currency),
                        "Account": x.get("AccountCode"),
                        "Tax": x.get("TaxType"),
                        "Amount": common.money(x.get("LineAmount"), currency),
                    }
                    for x in lines
                ]
            ),
            hide_index=True,
        )
        st.caption("Exactly as it will be sent:")
        st.json(doc, expanded=False)
