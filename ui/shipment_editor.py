"""One shipment on the Shipments page: its form (new or edit, with its lines), Sync now,
and its integration history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from models import Shipment, ShipmentFields, ShipmentLineFields, Trigger, WorkflowStatus
from services import connections, integration_log, money, preview, shipments, validation
from services.integration_log import LogFilter
from services.mapping import get_sync_settings
from services.numbers import parse_decimal
from ui import common, panels, state, xero_document
from ui.text import md_text

LINE_COLUMNS = {
    "product_code": "Product code",
    "description": "Description",
    "quantity": "Quantity",
    "unit_price": "Unit price",
    "item_value": "Item value",
}
FIELD_LABELS = {
    "shipment_number": "Shipment number",
    "exporter_reference": "Exporter reference",
    "invoice_number": "Invoice number",
    "buyer_code": "Buyer code",
    "consignee_code": "Consignee code",
    "currency": "Currency",
    "exchange_rate": "Exchange rate",
    "incoterms": "Incoterms",
    "freight_amount": "Freight amount",
    **LINE_COLUMNS,
}


def _plain(error: ValidationError, where: str = "") -> list[str]:
    """Pydantic's complaints as sentences: "Line 2 product code: at most 60 characters"."""
    sentences = []
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else ""
        label = FIELD_LABELS.get(name, name.replace("_", " "))
        if problem["type"] in ("missing", "string_type") and problem.get("input") is None:
            message = "required"
        else:
            message = problem["msg"].replace("String should have", "use")
        sentences.append(f"{where}{label if not where else label.lower()}: {message}.")
    return sentences


@dataclass
class FormInput:
    fields: dict = field(default_factory=dict)
    status: str = WorkflowStatus.DRAFT
    lines: list[ShipmentLineFields] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    sync_now: bool = False


def _decimal(text: str | None, label: str, problems: list[str]) -> Decimal | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return parse_decimal(text)
    except InvalidOperation:
        problems.append(f"{label}: {text!r} is not a number; use digits with a dot, e.g. 12.50.")
        return None


def _amount(text: str | None, name: str, label: str, problems: list[str]) -> Decimal | None:
    """A number that may also be refused for its sign (a negative amount, a rate of 0 or
    less): the same rule the import and the send apply, caught before saving."""
    number = _decimal(text, label, problems)
    refused = validation.sign_problem(name, number)
    if refused:
        problems.append(f"{label} {refused}.")
    return number


def _lines_frame(shipment: Shipment | None) -> pd.DataFrame:
    rows = [
        {
            "product_code": line.product_code or "",
            "description": line.description or "",
            **{
                name: "" if getattr(line, name) is None else format(getattr(line, name), "f")
                for name in ("quantity", "unit_price", "item_value")
            },
        }
        for line in (shipment.lines if shipment else [])
    ]
    return pd.DataFrame(rows, columns=list(LINE_COLUMNS), dtype="string")


def _read_lines(frame: pd.DataFrame, problems: list[str]) -> list[ShipmentLineFields]:
    lines = []
    for number, row in enumerate(frame.to_dict("records"), start=1):
        cells = {k: ("" if pd.isna(v) else str(v).strip()) for k, v in row.items()}
        if not any(cells.values()):
            continue
        quantity = _amount(cells["quantity"], "quantity", f"Line {number} quantity", problems)
        price = _amount(cells["unit_price"], "unit_price", f"Line {number} unit price", problems)
        value = _amount(cells["item_value"], "item_value", f"Line {number} item value", problems)
        if value is None and quantity is not None and price is not None:
            value = money.line_amount(quantity=quantity, unit_price=price)
        try:
            lines.append(
                ShipmentLineFields(
                    product_code=cells["product_code"] or None,
                    description=cells["description"] or None,
                    quantity=quantity,
                    unit_price=price,
                    item_value=value,
                )
            )
        except ValidationError as error:
            problems.extend(_plain(error, f"Line {number} "))
    return lines


def _form(prefix: str, shipment: Shipment | None, *, trigger_status: str) -> FormInput:
    """Draw the fields and lines; return what they hold. Keys start with `prefix`."""
    given = FormInput()
    s = shipment

    def text(label: str, name: str, column, help: str | None = None) -> None:
        value = getattr(s, name) if s else None
        entered = column.text_input(label, value=value or "", key=f"{prefix}_{name}", help=help)
        given.fields[name] = entered.strip() or None

    def day(label: str, name: str, column) -> None:
        value: date | None = getattr(s, name) if s else None
        given.fields[name] = column.date_input(label, value=value, key=f"{prefix}_{name}")

    def amount(label: str, name: str, column) -> None:
        value = getattr(s, name) if s else None
        entered = column.text_input(
            label, value="" if value is None else format(value, "f"), key=f"{prefix}_{name}"
        )
        given.fields[name] = _amount(entered, name, label, given.problems)

    a, b, c, d = st.columns(4)
    text("Shipment number", "shipment_number", a)
    text("Exporter reference", "exporter_reference", b)
    text("Invoice number", "invoice_number", c)
    statuses = [w.value for w in WorkflowStatus]
    current = s.workflow_status if s else WorkflowStatus.DRAFT
    given.status = d.selectbox(
        "Status", statuses, index=statuses.index(current), key=f"{prefix}_status"
    )
    text("Buyer code", "buyer_code", a)
    text("Consignee code", "consignee_code", b)
    text("Currency", "currency", c, help="Three letters, e.g. USD")
    amount("Exchange rate", "exchange_rate", d)
    day("Invoice date", "invoice_date", a)
    day("Date of issue", "date_of_issue", b)
    day("Due date", "due_date", c)
    text("Incoterms", "incoterms", d)
    amount("Freight amount", "freight_amount", a)
    with common.session() as db_session:
        organisations = {
            c.tenant_id: c.tenant_name for c in connections.list_connections(session=db_session)
        }
    tenants = [None, *organisations]
    tenant = s.tenant_id if s else None
    if tenant not in tenants:
        tenants.append(tenant)
    given.fields["tenant_id"] = b.selectbox(
        "Xero organisation",
        tenants,
        index=tenants.index(tenant),
        format_func=lambda t: "The default organisation" if t is None else organisations.get(t, t),
        key=f"{prefix}_tenant",
    )
    if given.fields.get("currency"):
        given.fields["currency"] = given.fields["currency"].upper()

    st.markdown("**Lines**")
    edited = st.data_editor(
        _lines_frame(s),
        key=f"{prefix}_lines",
        num_rows="dynamic",
        hide_index=True,
        column_config={
            name: st.column_config.TextColumn(label) for name, label in LINE_COLUMNS.items()
        },
    )
    st.caption("An empty item value is filled with quantity × unit price.")
    given.lines = _read_lines(edited, given.problems)
    if given.status == trigger_status:
        given.sync_now = st.checkbox(
            "Sync now",
            key=f"{prefix}_sync_now",
            help=f"{trigger_status} is the trigger status: save, then send this shipment now.",
        )
    return given


def _fields(given: FormInput) -> ShipmentFields | None:
    try:
        return ShipmentFields(**given.fields)
    except ValidationError as error:
        given.problems.extend(_plain(error))
        return None


def _touched(given: FormInput) -> bool:
    """Has anything been typed into the form (a new form says nothing until then)?"""
    typed = any(v not in (None, "") for k, v in given.fields.items() if k != "tenant_id")
    return typed or bool(given.lines) or bool(given.problems)


def _submitted_form(
    prefix: str,
    shipment: Shipment | None,
    *,
    trigger_status: str,
    where: str,
    button: tuple[str, str],
) -> tuple[FormInput, ShipmentFields] | None:
    """The shipment form with its live checks and its button (label, key), in the container
    keyed `where`. Once clicked with no problem: what was entered; else None (the problems
    shown). A new, untouched form shows no checks: nothing is wrong with it yet."""
    label, key = button
    with st.container(key=where):
        given = _form(prefix, shipment, trigger_status=trigger_status)
        checked = shipment is not None or _touched(given)  # before _fields adds its problems
        fields = _fields(given)
        checks = st.empty()
        if not st.button(label, key=key, type="primary"):
            if checked:
                _live_checks(checks, given, fields)
            return None
    if given.problems or fields is None:
        st.error("\n".join(f"- {md_text(p)}" for p in given.problems))
        return None
    return given, fields


def _live_checks(box, given: FormInput, fields: ShipmentFields | None) -> None:
    """As the user types: what stops a save, else what would stop Xero taking it."""
    if given.problems or fields is None:
        box.warning(
            "To fix before saving:\n" + "\n".join(f"- {md_text(p)}" for p in given.problems),
            icon=":material/edit_note:",
        )
        return
    with common.session() as db_session:
        problems = preview.readiness(session=db_session, fields=fields, lines=given.lines)
    if problems is None:
        box.caption(
            "Not checked against Xero's codes: no organisation is connected, or its codes "
            "have not been read yet."
        )
    elif problems:
        box.warning(
            "It can be saved, but Xero would refuse it as it is:\n"
            + "\n".join(f"- {md_text(p)}" for p in problems),
            icon=":material/block:",
        )
    else:
        box.success("Ready for Xero: nothing to fix before sending.", icon=":material/check:")


def _trigger_status(tenant_id: str | None) -> str:
    with common.session() as db_session:
        return get_sync_settings(session=db_session, tenant_id=tenant_id).trigger_status


def _after_save(shipment_id: int, number: str, given: FormInput, user, verb: str) -> None:
    """Sync now sends the saved shipment at once; the page then redraws with the result."""
    number = md_text(number)
    if given.sync_now:
        st.success(f"{verb} {number}.")
        if panels.send([shipment_id], trigger=Trigger.SYNC_NOW, user=user) is None:
            return  # the reason it was not sent is on screen; keep it there
        common.flash("success", f"{verb} {number} and sent it (Sync now).")
    else:
        common.flash("success", f"{verb} {number}.")
    st.rerun()


def new_shipment(*, user: common.CurrentUser) -> None:
    round_no = st.session_state.get(state.NEW_FORM_ROUND, 0)
    submitted = _submitted_form(
        f"new{round_no}",
        None,
        trigger_status=_trigger_status(None),
        where=state.NEW_FORM,
        button=("Create shipment", state.CREATE_SHIPMENT),
    )
    if submitted is None:
        return
    given, fields = submitted
    created = None
    with common.shown_errors(), common.session() as db_session:
        created = shipments.create_shipment(
            session=db_session,
            fields=fields,
            lines=given.lines,
            user=user.username,
            workflow_status=given.status,
        )
        created_id = created.id
        assert created_id is not None  # create_shipment flushes, so the id is given
    if created is not None:
        st.session_state[state.NEW_FORM_ROUND] = round_no + 1
        _after_save(created_id, fields.shipment_number, given, user, "Created")


def open_shipment(rows: list[Shipment], *, user: common.CurrentUser, can_edit: bool) -> None:
    names = {s.id: s.shipment_number for s in rows}
    chosen = st.session_state.get(state.OPEN_SHIPMENT)
    options = list(names)
    if chosen is not None and chosen not in names:
        with common.shown_errors(), common.session() as db_session:
            names[chosen] = shipments.get_shipment(
                session=db_session, shipment_id=chosen
            ).shipment_number
            options.insert(0, chosen)
    shipment_id = st.selectbox(
        "Shipment",
        options,
        index=None,
        format_func=lambda i: names.get(i, str(i)),
        placeholder="Choose a shipment from the table's page",
        key=state.OPEN_SHIPMENT,
        on_change=_details_first,
    )
    if shipment_id is None:
        return
    with common.session() as db_session:
        shipment = shipments.get_shipment(session=db_session, shipment_id=shipment_id)
        trigger = get_sync_settings(session=db_session, tenant_id=shipment.tenant_id)
    # Keyed and tracking the open tab, so the Integration tab's own buttons (View error,
    # Refresh) keep it open.
    details, history = st.tabs(
        ["Details", "Integration"], key=state.SHIPMENT_TABS, on_change="rerun"
    )
    with details:
        _xero_state(shipment, can_edit=can_edit)
        if can_edit:
            _edit(shipment, user=user, trigger_status=trigger.trigger_status)
        else:
            _read_only(shipment)
    with history:
        integration(shipment)


def _details_first() -> None:
    """Another shipment opens on its Details tab."""
    st.session_state[state.SHIPMENT_TABS] = "Details"


def _xero_state(s: Shipment, *, can_edit: bool) -> None:
    attempted_at = None
    if s.last_error:
        assert s.id is not None  # read from the database
        with common.session() as db_session:
            attempted_at = shipments.last_attempts(session=db_session, shipment_ids=[s.id]).get(
                s.id
            )
    changed = shipments.changed_since_attempt(s, attempted_at)
    cells = [f"Sync state: **{s.sync_state}**"]
    if s.xero_document_number:
        kind = s.xero_document_type or "document"
        url = xero_document.document_url(s)
        number = md_text(s.xero_document_number)
        number = f"[{number}]({url})" if url else number  # Xero's own deep link, from IDs
        cells.append(f"Xero {kind} **{number}**")
    if s.xero_status:
        cells.append(f"Xero status {md_text(s.xero_status)}")
    if s.xero_total is not None:
        cells.append(f"total {common.money(s.xero_total, s.currency)}")
    if s.xero_amount_paid:
        cells.append(f"paid {common.money(s.xero_amount_paid, s.currency)}")
    if s.xero_amount_due is not None and s.xero_document_number:
        cells.append(f"due {common.money(s.xero_amount_due, s.currency)}")
    if s.sent_at:
        cells.append(f"sent {common.local_time(s.sent_at)}")
    if attempted_at is not None:
        cells.append(f"last attempt {common.local_time(attempted_at)}")
    if changed:
        cells.append("changed since then")
    st.markdown(" · ".join(cells))
    xero_document.changed_since_sent(s)
    if not s.last_error:
        return
    # What the last attempt said is that attempt's: once the shipment has been changed, it
    # is history (the checks under the form say what is wrong now), not a current problem.
    said = f"The last attempt{_when(attempted_at)} said: {md_text(s.last_error)}"
    if changed:
        checks = " The checks under the form say whether it is ready now." if can_edit else ""
        st.info(
            f"{said}\n\nThe shipment has been changed since, so this may be fixed: send it "
            f"again.{checks}",
            icon=":material/history:",
        )
    else:
        st.warning(said)


def _when(moment) -> str:
    return f" ({common.local_time(moment)})" if moment is not None else ""


def _edit(shipment: Shipment, *, user: common.CurrentUser, trigger_status: str) -> None:
    assert shipment.id is not None  # read from the database
    version = int(shipment.updated_at.timestamp())
    submitted = _submitted_form(
        f"edit{shipment.id}v{version}",
        shipment,
        trigger_status=trigger_status,
        where=state.EDIT_FORM,
        button=("Save", state.SAVE_SHIPMENT),
    )
    if submitted is None:
        return
    given, fields = submitted
    saved = False
    with common.shown_errors(), common.session() as db_session:
        shipments.update_shipment(
            session=db_session,
            shipment_id=shipment.id,
            fields=fields,
            lines=given.lines,
            user=user.username,
        )
        if given.status != shipment.workflow_status:
            shipments.change_status(
                session=db_session,
                shipment_ids=[shipment.id],
                status=given.status,
                user=user.username,
            )
        saved = True
    if saved:
        _after_save(shipment.id, fields.shipment_number, given, user, "Saved")


def _read_only(s: Shipment) -> None:
    facts = {
        "Status": s.workflow_status,
        "Exporter reference": s.exporter_reference,
        "Invoice number": s.invoice_number,
        "Buyer code": s.buyer_code,
        "Consignee code": s.consignee_code,
        "Currency": s.currency,
        "Exchange rate": s.exchange_rate,
        "Invoice date": common.local_date(s.invoice_date),
        "Date of issue": common.local_date(s.date_of_issue),
        "Due date": common.local_date(s.due_date),
        "Incoterms": s.incoterms,
        "Freight": common.money(s.freight_amount, s.currency),
    }
    st.dataframe(
        pd.DataFrame(
            [{"Field": k, "Value": "" if v is None else str(v)} for k, v in facts.items()]
        ),
        hide_index=True,
    )
    st.dataframe(_lines_frame(s).rename(columns=LINE_COLUMNS), hide_index=True)


def integration(shipment: Shipment) -> None:
    """The shipment's Xero document and payments; every attempt to send it, newest first,
    with each rejection's details."""
    st.button("Refresh", key=state.INTEGRATION_REFRESH)
    xero_document.panel(shipment)
    st.markdown("**Attempts**")
    with common.session() as db_session:
        entries, total = integration_log.list_entries(
            session=db_session, flt=LogFilter(shipment_id=shipment.id), page_size=50
        )
    if not entries:
        st.caption(f"{md_text(shipment.shipment_number)} has not been sent yet.")
        return
    st.caption(panels.attempts_caption(total, len(entries)))
    st.dataframe(panels.log_frame(entries), hide_index=True)
    panels.rejection_buttons(entries, open_key=state.OPEN_ERROR_SHIPMENT)
