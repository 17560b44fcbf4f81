"""On the Mapping page: per-customer and per-product mappings (a shipment's code → a Xero
contact's AccountNumber or item's Code, per organisation) and "check all", which lists the
codes of waiting shipments that do not map, with one-click fixes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from models import CustomerMapping, ProductMapping, XeroConnection
from services import aliases
from services.paging import Page
from services.reference_data import ReferenceData
from ui import common, state
from ui.text import md_code, md_text

REVENUE_TYPES = {"REVENUE", "SALES", "OTHERINCOME"}
SHOWN_NUMBERS = 10  # shipment numbers listed per unmapped code
PAGE_SIZE = 25  # mappings per page
CODES_PAGE = 20  # unmapped codes per page in Check all
NO_CACHE = (
    "No Xero reference data is cached for {name} yet: click Refresh from Xero on the "
    "Reference data tab (or send a shipment, which reads it)."
)


# --- customers ---------------------------------------------------------------------------


def customers(
    connection: XeroConnection, ref: ReferenceData, *, user: common.CurrentUser, can_edit: bool
) -> None:
    st.caption(
        "Map a shipment's customer code that is not a Xero contact's account number to one. "
        "A sales account here replaces the mapping's sales account for that Xero customer."
    )
    rows = _mapping_table(
        CustomerMapping,
        connection,
        lambda m: {
            "Shipment code": m.shipment_code,
            "Xero customer": _contact_label(ref, m.account_number)
            if m.account_number
            else f"{m.shipment_code} (the same code)",
            "Sales account": account_label(ref, m.sales_account_code)
            if m.sales_account_code
            else "the mapping's",
        },
        keys=(state.CUSTOMER_MAP_SEARCH, state.CUSTOMER_MAP_PAGE, state.CUSTOMER_MAP_TABLE),
    )
    if not can_edit:
        return
    if ref.is_empty:
        st.info(NO_CACHE.format(name=md_text(connection.tenant_name)))
        return

    current, suffix = _picked("customer", rows, key=state.CUSTOMER_MAP_PICK)
    # Every cached customer has an account number (it is the cache's key).
    contacts = sorted(c.account_number for c in ref.customers.values() if c.account_number)
    _start_empty_if_saved(state.CUSTOMER_MAP_FORM, ("code", "contact", "account"))
    # Not cleared on submit: a refused submit (Enter with half the form) keeps what was typed.
    with st.form(state.CUSTOMER_MAP_FORM):
        code = _code_input(
            kind="customer",
            current=current,
            example="ALOK",
            key=f"{state.CUSTOMER_MAP_FORM}_code_{suffix}",
        )
        # No choice: the shipment code is the account number / the mapping's sales account.
        account_number = _xero_choice(
            "Xero customer (account number)",
            contacts,
            current.account_number if current else None,
            describe=lambda a: _contact_label(ref, a),
            placeholder="Same as the shipment code",
            key=f"{state.CUSTOMER_MAP_FORM}_contact_{suffix}",
        )
        sales_account = _xero_choice(
            "Sales account",
            sales_accounts(ref),
            current.sales_account_code if current else None,
            describe=lambda a: account_label(ref, a),
            placeholder="The mapping's sales account",
            key=f"{state.CUSTOMER_MAP_FORM}_account_{suffix}",
        )
        saved = st.form_submit_button(
            "Save customer mapping", key=state.CUSTOMER_MAP_SAVE, type="primary"
        )
    if current is not None:
        _delete_button(
            current, key=state.CUSTOMER_MAP_DELETE, pick_key=state.CUSTOMER_MAP_PICK, user=user
        )
    if not saved:
        return
    chosen = account_number or sales_account
    if _missing(("customer", code), ("Choose a Xero customer, a sales account, or both.", chosen)):
        return
    extra = f", sales account {sales_account}" if sales_account else ""
    _save_then_empty(
        state.CUSTOMER_MAP_FORM,
        lambda db_session: aliases.save_customer_mapping(
            session=db_session,
            tenant_id=connection.tenant_id,
            shipment_code=code,
            account_number=account_number,
            sales_account_code=sales_account,
            user=user.username,
        ),
        f"Customer code {md_text(code)} now maps to Xero customer "
        f"{md_text(account_number or code)}{md_text(extra)}.",
    )


def _picked(
    kind: str, rows: list[aliases.AnyMapping], *, key: str
) -> tuple[aliases.AnyMapping | None, str]:
    """The mapping chosen above the form (None: a new one) and the suffix that gives the
    form's widgets their own keys per mapping."""
    by_code = {m.shipment_code: m for m in rows}
    pick = _picker(kind, list(by_code), key=key)
    return (by_code.get(pick) if pick is not None else None), pick or "new"


def _xero_choice(
    label: str,
    options: Sequence[str | None],
    current: str | None,
    *,
    describe: Callable[[str], str],
    placeholder: str,
    key: str,
) -> str | None:
    """A pick among Xero's codes. The mapping's current code stays choosable even when Xero
    no longer lists it (archived), so saving the form does not silently change it."""
    options = [*options, current] if current and current not in options else list(options)
    return st.selectbox(
        label,
        options,
        index=options.index(current) if current in options else None,
        format_func=describe,
        placeholder=placeholder,
        key=key,
    )


def _contact_label(ref: ReferenceData, account_number: str) -> str:
    contact = ref.customers.get(account_number.upper())
    if contact is None:
        return f"{account_number} (not an active Xero customer)"
    return f"{contact.account_number} — {contact.name}"


def sales_accounts(ref: ReferenceData) -> list[str]:
    revenue = [code for code, a in ref.accounts.items() if a.type in REVENUE_TYPES]
    return sorted(revenue or ref.accounts)


def account_label(ref: ReferenceData, code: str) -> str:
    account = ref.accounts.get(code)
    return f"{code} — {account.name}" if account else f"{code} (not an active Xero account)"


# --- products ----------------------------------------------------------------------------


def products(
    connection: XeroConnection, ref: ReferenceData, *, user: common.CurrentUser, can_edit: bool
) -> None:
    st.caption("Map a shipment's product code that is not a Xero item's code to one.")
    rows = _mapping_table(
        ProductMapping,
        connection,
        lambda m: {"Shipment code": m.shipment_code, "Xero item": _item_label(ref, m.item_code)},
        keys=(state.PRODUCT_MAP_SEARCH, state.PRODUCT_MAP_PAGE, state.PRODUCT_MAP_TABLE),
    )
    if not can_edit:
        return
    if not ref.items:
        st.info(NO_CACHE.format(name=md_text(connection.tenant_name)))
        return

    current, suffix = _picked("product", rows, key=state.PRODUCT_MAP_PICK)
    _start_empty_if_saved(state.PRODUCT_MAP_FORM, ("code", "item"))
    # Not cleared on submit: a refused submit (Enter with half the form) keeps what was typed.
    with st.form(state.PRODUCT_MAP_FORM):
        code = _code_input(
            kind="product",
            current=current,
            example="WIDGET-Z",
            key=f"{state.PRODUCT_MAP_FORM}_code_{suffix}",
        )
        item_code = _xero_choice(
            "Xero item (code)",
            sorted(i.code for i in ref.items.values()),
            current.item_code if current else None,
            describe=lambda i: _item_label(ref, i),
            placeholder="Choose a Xero item",
            key=f"{state.PRODUCT_MAP_FORM}_item_{suffix}",
        )
        saved = st.form_submit_button(
            "Save product mapping", key=state.PRODUCT_MAP_SAVE, type="primary"
        )
    if current is not None:
        _delete_button(
            current, key=state.PRODUCT_MAP_DELETE, pick_key=state.PRODUCT_MAP_PICK, user=user
        )
    if not saved:
        return
    if _missing(("product", code), ("Choose a Xero item.", item_code)):
        return
    _save_then_empty(
        state.PRODUCT_MAP_FORM,
        lambda db_session: aliases.save_product_mapping(
            session=db_session,
            tenant_id=connection.tenant_id,
            shipment_code=code,
            item_code=item_code or "",
            user=user.username,
        ),
        f"Product code {md_text(code)} now maps to Xero item {md_text(item_code)}.",
    )


def _missing(code: tuple[str, str], choice: tuple[str, str | None]) -> bool:
    """Whether a submitted form lacks something (Enter submits a half-filled form): each
    missing part is said; what was typed stays in the form."""
    (kind, typed), (ask, chosen) = code, choice
    if not typed:
        st.error(f"Type the shipment's {kind} code to map.")
    if not chosen:
        st.error(ask)
    return not (typed and chosen)


def _save_then_empty(form: str, work: Callable, success: str) -> None:
    """common.save_then_rerun; once saved, the new-mapping form starts empty on the redraw.
    (A save that fails shows why here and keeps the form as typed.)"""
    st.session_state[f"{form}_saved"] = True
    common.save_then_rerun(work, success)  # saved: reruns, never returns
    st.session_state.pop(f"{form}_saved", None)


def _start_empty_if_saved(form: str, fields: tuple[str, ...]) -> None:
    """Empty the new-mapping form after a save. Set before its widgets are drawn, so the
    browser's widgets empty too (a widget's key merely deleted keeps its value there)."""
    if st.session_state.pop(f"{form}_saved", False):
        for name in fields:
            st.session_state[f"{form}_{name}_new"] = "" if name == "code" else None


def _item_label(ref: ReferenceData, code: str) -> str:
    item = ref.items.get(code.upper())
    if item is None:
        return f"{code} (not a Xero item)"
    return f"{item.code} — {item.name}" if item.name else item.code


def _code_input(
    *, kind: str, current: CustomerMapping | ProductMapping | None, example: str, key: str
) -> str:
    """The shipment's code: typed for a new mapping, fixed for an existing one."""
    return st.text_input(
        f"Shipment {kind} code",
        value=current.shipment_code if current else "",
        placeholder=f"e.g. {example}",
        disabled=current is not None,
        key=key,
    ).strip()


def _mapping_table(
    model: type[aliases.AnyMapping],
    connection: XeroConnection,
    row: Callable[[aliases.AnyMapping], dict],
    *,
    keys: tuple[str, str, str],
) -> list[aliases.AnyMapping]:
    """Search box, one page of the organisation's mappings (paged in SQL) and the pager;
    returns the mappings shown."""
    search_key, page_key, table_key = keys
    kind = "customer" if model is CustomerMapping else "product"
    search = st.text_input(
        f"Find a {kind} mapping",
        placeholder="Shipment or Xero code",
        key=search_key,
        on_change=lambda: st.session_state.update({page_key: 1}),
    )
    with common.session() as db_session:
        listing = aliases.mappings(
            model,
            session=db_session,
            tenant_id=connection.tenant_id,
            search=search,
            page=st.session_state.get(page_key, 1),
            page_size=PAGE_SIZE,
        )
    if not listing.rows:
        st.caption(
            f"No {kind} mapping matches “{md_text(search.strip())}”."
            if search.strip()
            else f"No {kind} mappings yet."
        )
        return []
    with st.container(key=table_key):
        st.dataframe(pd.DataFrame([row(m) for m in listing.rows]), hide_index=True)
    st.session_state[page_key] = listing.page
    caption, number = st.columns([3, 1], vertical_alignment="center")
    first = Page(listing.page, PAGE_SIZE, listing.total).first
    caption.caption(
        f"{first}–{first + len(listing.rows) - 1} of {listing.total} {kind} mapping(s)."
    )
    if listing.pages > 1:
        number.number_input(
            f"{kind.capitalize()} mappings page",
            min_value=1,
            max_value=listing.pages,
            step=1,
            key=page_key,
        )
    return listing.rows


def _picker(kind: str, codes: list[str], *, key: str) -> str | None:
    """The shipment code whose mapping the form below shows (one of those listed above);
    none: a new mapping."""
    if st.session_state.get(key) not in codes:
        st.session_state[key] = None
    return st.selectbox(
        f"Add or change a {kind} mapping", codes, index=None, placeholder="New mapping", key=key
    )


def _delete_button(
    row: CustomerMapping | ProductMapping, *, key: str, pick_key: str, user: common.CurrentUser
) -> None:
    st.button(
        f"Delete the mapping of {md_text(row.shipment_code)}",
        key=key,
        on_click=_delete,
        args=(type(row), row.id, pick_key, user.username),
    )


def _delete(model, row_id: int, pick_key: str, username: str) -> None:
    """A Delete click (a callback, so the picker can go back to "New mapping")."""
    with common.flashed_errors():
        with common.session() as db_session:
            row = aliases.get_mapping(session=db_session, model=model, mapping_id=row_id)
            code = row.shipment_code if row is not None else None
            if row is not None:
                aliases.delete_mapping(session=db_session, row=row, user=username)
        if code is not None:
            common.flash("success", f"The mapping of {md_text(code)} is deleted.")
    st.session_state[pick_key] = None


# --- check all ---------------------------------------------------------------------------


def check_all(
    connection: XeroConnection, ref: ReferenceData, *, user: common.CurrentUser, can_edit: bool
) -> None:
    st.caption(
        "Every shipment waiting to go to Xero (not sent, queued, rejected or changed since "
        "sent) whose customer or product code does not map to a Xero code, by code, with the "
        "nearest Xero codes."
    )
    if st.button("Check all", key=state.CHECK_ALL):
        st.session_state[state.CHECK_ALL_OPEN] = True
    if not st.session_state.get(state.CHECK_ALL_OPEN):
        return
    if ref.is_empty:
        st.info(NO_CACHE.format(name=md_text(connection.tenant_name)))
        return
    with common.session() as db_session:
        result = aliases.check_all(session=db_session, connection=connection)
    if not result.codes:
        st.success("Every waiting shipment's customer and product codes map to Xero.")
        return
    st.warning(
        f"{len(result.codes)} code(s) do not map to Xero, on {result.shipments} shipment(s)."
    )
    # The codes come counted from SQL, the most shipments first; shown a page at a time.
    asked = st.session_state.get(state.CHECK_ALL_PAGE, 1)
    page = Page(asked, CODES_PAGE, len(result.codes)).clamped()
    st.session_state[state.CHECK_ALL_PAGE] = page.number
    shown = page.rows_of(result.codes)
    for code in shown:
        with st.container(border=True):
            _unmapped(connection, ref, code, user=user, can_edit=can_edit)
    if page.count > 1:
        caption, number = st.columns([3, 1], vertical_alignment="center")
        caption.caption(f"Codes {page.first}–{page.first + len(shown) - 1} of {len(result.codes)}.")
        number.number_input(
            "Codes page", min_value=1, max_value=page.count, step=1, key=state.CHECK_ALL_PAGE
        )


def _unmapped(
    connection: XeroConnection,
    ref: ReferenceData,
    code: aliases.UnmappedCode,
    *,
    user: common.CurrentUser,
    can_edit: bool,
) -> None:
    shown = ", ".join(md_text(number) for number in code.shipment_numbers[:SHOWN_NUMBERS])
    more = code.shipment_count - min(len(code.shipment_numbers), SHOWN_NUMBERS)
    if more > 0:
        shown += f" and {more} more"
    st.markdown(
        f"**{code.kind.capitalize()} code {md_code(code.code)}** — "
        f"{code.shipment_count} shipment(s): {shown}"
    )
    # Suggestions are the cache's upper-cased keys: map to Xero's own spelling.
    if code.kind == "customer":
        # Every cached customer has an account number (it is the cache's key).
        targets = [
            number
            for s in code.suggestions
            if s in ref.customers and (number := ref.customers[s].account_number)
        ]
    else:
        targets = [ref.items[s].code for s in code.suggestions if s in ref.items]
    tab = "Customers" if code.kind == "customer" else "Products"
    if not targets:
        what = "contact" if code.kind == "customer" else "item"
        st.caption(
            f"No Xero code is close: fix the shipments, add the {what} in Xero, or map the "
            f"code on the {tab} tab."
        )
    elif not can_edit:
        nearest = ", ".join(md_text(target) for target in targets)
        st.caption(f"Nearest Xero codes: {nearest}. An admin can map the code.")
    else:
        for column, target in zip(st.columns(3), targets, strict=False):
            column.button(
                f"Map {md_text(code.code)} → {md_text(target)}",
                key=f"{state.MAP_SUGGESTION_PREFIX}{code.kind}_{code.code}_{target}",
                on_click=_map_suggestion,
                args=(connection.tenant_id, code, target, user.username),
            )


def _map_suggestion(tenant_id: str, code: aliases.UnmappedCode, target: str, username: str) -> None:
    """A one-click "Map X → Y" (a callback: the list redraws without the code)."""
    with common.flashed_errors():
        with common.session() as db_session:
            if code.kind == "customer":
                # A mapping that only changed the sales account keeps it.
                existing = aliases.mapping_for(
                    CustomerMapping,
                    session=db_session,
                    tenant_id=tenant_id,
                    shipment_code=code.code,
                )
                sales = existing.sales_account_code if existing else None
                aliases.save_customer_mapping(
                    session=db_session,
                    tenant_id=tenant_id,
                    shipment_code=code.code,
                    account_number=target,
                    sales_account_code=sales,
                    user=username,
                )
            else:
                aliases.save_product_mapping(
                    session=db_session,
                    tenant_id=tenant_id,
                    shipment_code=code.code,
                    item_code=target,
                    user=username,
                )
        common.flash(
            "success",
            f"{code.kind.capitalize()} code {md_text(code.code)} now maps to {md_text(target)}: "
            f"{code.shipment_count} shipment(s) can be sent again.",
        )
