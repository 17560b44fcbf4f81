"""On the Dashboard: money back from Xero. Pull payments, each customer's balances per
currency (never added across currencies), and documents in saved views (all, paid, unpaid,
open, overdue, pinned) with search, dates, and pin/unpin."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from models import ConnectionStatus, Shipment, XeroConnection
from services import connections, finance, payments
from services.finance import CustomerBalance, View
from services.paging import COUNT_CAP, Page, count_text
from ui import common, state, xero_document
from ui.text import md_text

PAGE_SIZE = 25
VIEWS = [v.value for v in View]
VIEW_HELP = (
    "All: every invoice in Xero · Paid: nothing left to pay · Unpaid: a balance left "
    "(Open + Overdue) · Open: a balance, not yet due · Overdue: past its due date with a "
    "balance · Not yet approved: a draft or awaiting approval in Xero, not owed yet · "
    "Pinned: the ones you pinned. Paid, Unpaid, Open and Overdue count approved invoices only."
)
# One vocabulary for the Dashboard's amounts, the saved views' words: Unpaid = Open + Overdue,
# and Total = Paid + Unpaid + Not yet approved.
LABELS = {
    View.PAID: "Paid",
    View.UNPAID: "Unpaid (open + overdue)",
    View.OPEN: "Open (not yet due)",
    View.OVERDUE: "Overdue",
    View.NOT_APPROVED: "Not yet approved",
}
AMOUNTS_NOTE = (
    "Unpaid = Open (not yet due) + Overdue, approved invoices only. Not yet approved: drafts "
    "and invoices awaiting approval in Xero, not owed until approved. Paid + Unpaid + Not yet "
    "approved = Total."
)
DOCUMENT_COLUMNS = [
    "Number",
    "Shipment",
    "Customer",
    "Invoice date",
    "Due date",
    "Type",
    "Total",
    "Paid",
    "Balance",
    "Status",
    "Pinned",
]


# --- pull payments -----------------------------------------------------------------------


def pull_payments() -> None:
    """The Pull payments button, then each organisation's summary or the error in plain words."""
    button, full_box, last = st.columns([1.6, 2.2, 3], vertical_alignment="center")
    clicked = button.button("Pull payments from Xero", key=state.PULL_PAYMENTS, type="primary")
    full = full_box.checkbox(
        "Every invoice's status too",
        key=state.PULL_FULL,
        help="Also re-read the status of every sent invoice (approved, voided in Xero), "
        "not only those with new payments.",
    )
    summaries, failure = _pull(full) if clicked else (None, None)
    # Read after the pull, so the time shown is the pull just made.
    last.caption(last_pulled())
    if failure is not None:
        common.show_error(failure)
        return
    if summaries is None:
        return
    if not summaries:
        st.info("No Xero organisation is connected: there is nothing to pull.")
        return
    for name, s in summaries.items():
        if s.error:
            st.error(f"{md_text(name)}: {md_text(s.error)}")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Organisation": name,
                    "New payments": s.payments_new,
                    "Updated payments": s.payments_updated,
                    "Documents updated": s.documents_updated,
                    "API calls": s.api_calls,
                    "Problem": s.error or "",
                }
                for name, s in summaries.items()
            ]
        ),
        hide_index=True,
    )


def _pull(full: bool) -> tuple[dict[str, payments.PullSummary] | None, Exception | None]:
    """Pull every connected organisation, under a status box; (summaries, None) or (None,
    what went wrong)."""
    with st.status("Pulling payments and statuses from Xero…") as box:
        try:
            with common.session() as db_session:
                summaries = payments.pull_all(session=db_session, full=full)
        except Exception as error:  # noqa: BLE001 - shown in plain words by the caller
            box.update(label="Pulling payments failed.", state="error")
            return None, error
        calls = sum(s.api_calls for s in summaries.values())
        failed = [name for name, s in summaries.items() if s.error]
        if not summaries:
            box.update(
                label="Nothing was pulled: no Xero organisation is connected.", state="error"
            )
        elif failed:
            box.update(
                label=f"Pulled from Xero with problems ({len(failed)} organisation(s) failed), "
                f"{calls} API call(s).",
                state="error",
            )
        else:
            box.update(label=f"Pulled from Xero, {calls} API call(s).", state="complete")
    return summaries, None


def last_pulled() -> str:
    """When payments were last pulled from a connected organisation, in the user's time."""
    with common.session() as db_session:
        pulled = [
            c.payments_pulled_at
            for c in connections.list_connections(session=db_session)
            if c.status == ConnectionStatus.ACTIVE and c.payments_pulled_at
        ]
    if not pulled:
        return "Payments have not been pulled yet; the worker pulls them on a schedule."
    return f"Last pulled {common.local_time(max(pulled))}."


# --- customers ---------------------------------------------------------------------------


def show(user: common.CurrentUser, today: date) -> None:
    """The customer table, then the documents of the customer chosen."""
    st.subheader("Customers")
    customers = customer_table(today)
    st.subheader("Documents")
    documents(customers, user=user, today=today)


def customer_table(today: date) -> list[str]:
    """Per customer and currency: documents, total, paid, unpaid (open + overdue), not yet
    approved, a page at a time by keyset (Previous / Next).
    Returns every customer, for the documents' customer picker."""
    starts = _customer_starts()
    with common.session() as db_session:
        balances = finance.customer_balances(
            session=db_session, today=today, after=starts[-1], limit=PAGE_SIZE + 1
        )
        everyone = finance.customers(session=db_session)
        organisations = {c.tenant_id: c for c in connections.list_connections(session=db_session)}
        default = connections.default_connection(session=db_session)
    if not balances and len(starts) > 1:  # the rows shrank below this page: back to the first
        st.session_state[state.FIN_CUSTOMERS_PAGE] = [None]
        st.rerun()
    more, balances = len(balances) > PAGE_SIZE, balances[:PAGE_SIZE]
    if not balances:
        st.info(
            "No invoices are in Xero yet: send shipments, then pull payments to see what "
            "each customer has paid and owes."
        )
        return []
    with st.container(key=state.FIN_CUSTOMERS_TABLE):
        # Many amount columns: the customer stays in view while the table scrolls sideways.
        st.dataframe(
            customer_frame(balances, organisations, default),
            hide_index=True,
            column_config=customer_columns(),
        )
    info, prev, nxt = st.columns([4, 1, 1], vertical_alignment="bottom")
    per = (
        "customer, organisation and currency" if len(organisations) > 1 else "customer and currency"
    )
    page, first = len(starts), (len(starts) - 1) * PAGE_SIZE + 1
    last = first + len(balances) - 1
    where = (
        f"rows {first}–{last} · page {page}, more on the next"
        if more
        else f"{last} customer row(s) · page {page} of {page}."
    )
    info.caption(
        f"{where} "
        f"One row per {per}: amounts are never added across currencies. {AMOUNTS_NOTE} "
        "Unpaid in base currency is in the organisation's base currency, at Xero's rate on "
        "each invoice. Overdue: past the due date with a balance, as of today in "
        f"{common.local_zone().key}."
    )
    prev.button("Previous", key=f"{state.FIN_CUSTOMERS_PAGE}_prev", on_click=_customer_step,
                args=(None,), disabled=page <= 1)  # fmt: skip
    nxt.button("Next", key=f"{state.FIN_CUSTOMERS_PAGE}_next", on_click=_customer_step,
               args=(finance.key_of(balances[-1]),), disabled=not more)  # fmt: skip
    return everyone


def _customer_starts() -> list[finance.CustomerKey | None]:
    """Where each customer page visited so far starts (None: the first): the last is shown."""
    starts = st.session_state.get(state.FIN_CUSTOMERS_PAGE)
    if not isinstance(starts, list) or not starts:
        starts = [None]
        st.session_state[state.FIN_CUSTOMERS_PAGE] = starts
    return starts


def _customer_step(after: finance.CustomerKey | None) -> None:
    """Next (after the page's last row) or, with None, Previous."""
    starts = list(_customer_starts())
    if after is None:
        starts = starts[:-1] or [None]
    else:
        starts.append(after)
    st.session_state[state.FIN_CUSTOMERS_PAGE] = starts


def customer_columns() -> dict[str, Any]:
    """The customer table's columns sized to fit a 1,400 px window with the sidebar open
    (300 px) in the wide layout (80 px padding each side): 940 px for 120 + 100 + 50 + 7 x 95
    = 935. Short labels, the full meaning on hover; the customer pinned. Currency is hidden:
    every amount carries its currency."""
    money = {  # column: (label shown, what it holds)
        "Total": ("Total", "Every document sent for the customer, in its currency."),
        LABELS[View.PAID]: ("Paid", "Paid in Xero."),
        LABELS[View.UNPAID]: ("Unpaid", "Open (not yet due) + Overdue, approved invoices only."),
        LABELS[View.OPEN]: ("Open", "Approved, unpaid and not yet due."),
        LABELS[View.OVERDUE]: ("Overdue", "Approved, unpaid and past its due date."),
        LABELS[View.NOT_APPROVED]: (
            "Not approved",
            "Drafts and invoices awaiting approval in Xero: not owed until approved.",
        ),
        "Unpaid in base currency": (
            "Unpaid (base)",
            "Unpaid in the organisation's base currency, at each invoice's rate.",
        ),
    }
    config: dict[str, Any] = {
        "Customer": st.column_config.TextColumn(pinned=True, width=120),
        "Organisation": st.column_config.TextColumn(width=100),
        "Currency": None,  # hidden: each amount is written with its currency
        "Documents": st.column_config.NumberColumn("Docs", width=50, help="Documents sent."),
    }
    for column, (label, meaning) in money.items():
        config[column] = st.column_config.TextColumn(label, width=95, help=meaning)
    return config


def customer_frame(
    balances: list[CustomerBalance],
    organisations: dict[str, XeroConnection],
    default: XeroConnection | None,
) -> pd.DataFrame:
    """The customer rows; with several organisations, which one each row's documents are in
    (a document sent before that was kept went to the default one)."""
    several = len(organisations) > 1

    def organisation(tenant_id: str | None) -> XeroConnection | None:
        return organisations.get(tenant_id) if tenant_id is not None else default

    rows = []
    for b in balances:
        where = organisation(b.tenant_id)
        row: dict[str, object] = {"Customer": b.customer}
        if several:
            row["Organisation"] = where.tenant_name if where else (b.tenant_id or "—")
        row |= {
            "Currency": b.currency,
            "Documents": b.documents,
            "Total": common.money(b.total, b.currency),
            LABELS[View.PAID]: common.money(b.paid, b.currency),
            LABELS[View.UNPAID]: common.money(b.unpaid, b.currency),
            LABELS[View.OPEN]: common.money(b.open, b.currency),
            LABELS[View.OVERDUE]: common.money(b.overdue, b.currency),
            LABELS[View.NOT_APPROVED]: common.money(b.not_approved, b.currency),
            "Unpaid in base currency": common.money(
                b.unpaid_base, where.base_currency if where else None
            ),
        }
        rows.append(row)
    return pd.DataFrame(rows)


# --- documents ---------------------------------------------------------------------------


def _first_page() -> None:
    """A filter changed: back to page one, and the old rows' ticks no longer apply."""
    st.session_state[state.FIN_PAGE] = 1
    _clear_ticks()


def _clear_ticks() -> None:
    st.session_state[state.FIN_DOCUMENTS_TABLE] = {
        "selection": {"rows": [], "columns": [], "cells": []}
    }


def documents(customers: list[str], *, user: common.CurrentUser, today: date) -> None:
    who, which = st.columns([2, 4])
    # No choice means everyone: a None option would be shown as an empty box after reruns.
    customer = who.selectbox(
        "Customer",
        customers,
        index=None,
        placeholder="All customers",
        key=state.FIN_CUSTOMER,
        on_change=_first_page,
    )
    # The default is set in session state, as the view is kept across pages (app.py).
    st.session_state.setdefault(state.FIN_VIEW, View.ALL.value)
    view = which.segmented_control(
        "View",
        VIEWS,
        required=True,
        help=VIEW_HELP,
        key=state.FIN_VIEW,
        on_change=_first_page,
    )
    number_box, from_box, to_box = st.columns([2, 1, 1])
    number = number_box.text_input(
        "Document number", placeholder="e.g. INV-0012", key=state.FIN_NUMBER, on_change=_first_page
    )
    date_from = from_box.date_input(
        "Invoice date from", value=None, key=state.FIN_DATE_FROM, on_change=_first_page
    )
    date_to = to_box.date_input(
        "Invoice date to", value=None, key=state.FIN_DATE_TO, on_change=_first_page
    )

    def fetch(db_session, page: int) -> tuple[list[Shipment], int]:
        return finance.documents(
            session=db_session,
            today=today,
            view=View(view or View.ALL),
            customer=customer,
            number=number.strip() or None,
            date_from=date_from,
            date_to=date_to,
            username=user.username,
            page=page,
            page_size=PAGE_SIZE,
            count_cap=COUNT_CAP,
        )

    page = st.session_state.get(state.FIN_PAGE, 1)
    with common.session() as db_session:
        rows, total = fetch(db_session, page)
        # A page past the last (the filter shrank the result) was read as the last.
        shown = Page(page, PAGE_SIZE, total).clamped()
        page, pages = shown.number, shown.count
        pinned = finance.pinned_ids(
            session=db_session,
            username=user.username,
            shipment_ids=[s.id for s in rows if s.id is not None],
        )
    st.session_state[state.FIN_PAGE] = page

    if rows:
        st.dataframe(
            documents_frame(rows, pinned, today, xero_document.organisation_short_codes()),
            key=state.FIN_DOCUMENTS_TABLE,
            on_select="rerun",
            selection_mode="multi-row",
            hide_index=True,
            column_config={"Number": xero_document.number_column()},
        )
    else:
        st.info("No documents in this view." if total == 0 else "Nothing on this page.")
    ids = [s.id for s in rows]
    info, page_box, pin, unpin = st.columns([3, 1, 1.1, 1.1], vertical_alignment="bottom")
    info.caption(
        f"{count_text(min(total, COUNT_CAP), total > COUNT_CAP)} document(s) · page {page} of "
        f"{pages} · newest first · tick rows to pin them"
    )
    page_box.number_input("Page", min_value=1, max_value=pages, step=1, key=state.FIN_PAGE)
    for column, label, key, pinning in (
        (pin, "Pin selected", state.FIN_PIN, True),
        (unpin, "Unpin selected", state.FIN_UNPIN, False),
    ):
        column.button(
            label, key=key, on_click=_pin, args=(ids, user.username, pinning), disabled=not rows
        )


def documents_frame(
    rows: list[Shipment], pinned: set[int], today: date, short_codes: dict[str | None, str]
) -> pd.DataFrame:
    def status(s: Shipment) -> str:
        overdue = " · overdue" if payments.is_overdue(s, today) else ""
        return f"{s.xero_status or ''}{overdue}"

    return pd.DataFrame(
        [
            {
                "Number": xero_document.number_link(s, short_codes),
                "Shipment": s.shipment_number,
                "Customer": finance.customer_of(s),
                "Invoice date": common.local_date(s.invoice_date),
                "Due date": common.local_date(s.due_date),
                "Type": (s.xero_document_type or "").capitalize(),
                "Total": common.money(s.xero_total, s.currency),
                "Paid": common.money(s.xero_amount_paid or 0, s.currency),
                "Balance": common.money(s.xero_amount_due, s.currency),
                "Status": status(s),
                "Pinned": "yes" if s.id in pinned else "",
            }
            for s in rows
        ],
        columns=DOCUMENT_COLUMNS,
    )


def _pin(ids: list[int], username: str, pin: bool) -> None:
    """Pin or unpin the ticked rows (a callback: `ids` are the rows as the user saw them)."""
    table = st.session_state.get(state.FIN_DOCUMENTS_TABLE)
    ticked = table["selection"]["rows"] if table else []
    chosen = [ids[n] for n in ticked if n < len(ids)]
    if not chosen:
        verb = "Pin" if pin else "Unpin"
        common.flash("info", f"Tick documents in the table first, then {verb} selected.")
        return
    with common.flashed_errors():
        with common.session() as db_session:
            for shipment_id in chosen:
                change = finance.pin if pin else finance.unpin
                change(session=db_session, username=username, shipment_id=shipment_id)
        common.flash("success", f"{'Pinned' if pin else 'Unpinned'} {len(chosen)} document(s).")
    _clear_ticks()
