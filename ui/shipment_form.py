"""The shipment form (new or edit, with its lines): drawn from a dict of starting values, it
returns what was entered, parsed, and the raw values as typed (kept to re-apply after a
refused save, and as a new shipment's draft)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from models import Shipment, ShipmentFields, ShipmentLineFields, WorkflowStatus
from services import connections, money, preview, validation
from services.numbers import parse_decimal
from ui import common
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
TEXTS = (
    "shipment_number",
    "exporter_reference",
    "invoice_number",
    "buyer_code",
    "consignee_code",
    "currency",
    "incoterms",
)
AMOUNTS = ("exchange_rate", "freight_amount")
DATES = ("invoice_date", "date_of_issue", "due_date")


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
    raw: dict[str, Any] = field(default_factory=dict)  # as typed: see snapshot()


def snapshot(shipment: Shipment | None) -> dict[str, Any]:
    """A shipment as the form's starting values (strings as typed, dates, line rows)."""
    values: dict[str, Any] = {name: "" for name in (*TEXTS, *AMOUNTS)}
    values.update({name: None for name in DATES})
    values.update(status=WorkflowStatus.DRAFT.value, tenant_id=None, lines=[])
    if shipment is None:
        return values
    for name in TEXTS:
        values[name] = getattr(shipment, name) or ""
    for name in AMOUNTS:
        amount = getattr(shipment, name)
        values[name] = "" if amount is None else format(amount, "f")
    for name in DATES:
        values[name] = getattr(shipment, name)
    values["status"], values["tenant_id"] = shipment.workflow_status, shipment.tenant_id
    values["lines"] = [_line_row(line) for line in shipment.lines]
    return values


def _line_row(line) -> dict[str, str]:
    row = {"product_code": line.product_code or "", "description": line.description or ""}
    for name in ("quantity", "unit_price", "item_value"):
        value = getattr(line, name)
        row[name] = "" if value is None else format(value, "f")
    return row


def lines_frame(rows: list[dict]) -> pd.DataFrame:
    cleaned = [{k: str(row.get(k) or "") for k in LINE_COLUMNS} for row in rows]
    return pd.DataFrame(cleaned, columns=list(LINE_COLUMNS), dtype="string")


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


def _read_lines(rows: list[dict], problems: list[str]) -> list[ShipmentLineFields]:
    lines = []
    for number, cells in enumerate(rows, start=1):
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


def _rows(frame: pd.DataFrame) -> list[dict]:
    return [
        {k: ("" if pd.isna(v) else str(v).strip()) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def draw(prefix: str, start: dict[str, Any], *, trigger_status: str) -> FormInput:
    """Draw the fields and lines from `start`; return what they hold. Keys start with
    `prefix`. Enter in a field only commits it: nothing typed elsewhere is dropped."""
    given = FormInput()

    def text(label: str, name: str, column, help: str | None = None) -> None:
        entered = column.text_input(label, value=start[name], key=f"{prefix}_{name}", help=help)
        given.raw[name] = entered
        given.fields[name] = entered.strip() or None

    def day(label: str, name: str, column) -> None:
        value = start[name]
        value = date.fromisoformat(value) if isinstance(value, str) and value else value
        given.raw[name] = given.fields[name] = column.date_input(
            label, value=value or None, key=f"{prefix}_{name}"
        )

    def amount(label: str, name: str, column) -> None:
        entered = column.text_input(label, value=start[name], key=f"{prefix}_{name}")
        given.raw[name] = entered
        given.fields[name] = _amount(entered, name, label, given.problems)

    a, b, c, d = st.columns(4)
    text("Shipment number", "shipment_number", a)
    text("Exporter reference", "exporter_reference", b)
    text("Invoice number", "invoice_number", c)
    statuses = [w.value for w in WorkflowStatus]
    current = start["status"] if start["status"] in statuses else WorkflowStatus.DRAFT.value
    given.status = given.raw["status"] = d.selectbox(
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
    given.raw["tenant_id"] = given.fields["tenant_id"] = _organisation(b, prefix, start)
    if given.fields.get("currency"):
        given.fields["currency"] = given.fields["currency"].upper()

    st.markdown("**Lines**")
    edited = st.data_editor(
        lines_frame(start["lines"]),
        key=f"{prefix}_lines",
        num_rows="dynamic",
        hide_index=True,
        column_config={
            name: st.column_config.TextColumn(label) for name, label in LINE_COLUMNS.items()
        },
    )
    st.caption("An empty item value is filled with quantity × unit price.")
    given.raw["lines"] = _rows(edited)
    given.lines = _read_lines(given.raw["lines"], given.problems)
    if given.status == trigger_status:
        given.sync_now = st.checkbox(
            "Sync now",
            key=f"{prefix}_sync_now",
            help=f"{trigger_status} is the trigger status: save, then send this shipment now.",
        )
    return given


def _organisation(column, prefix: str, start: dict[str, Any]) -> str | None:
    with common.session() as db_session:
        organisations = {
            c.tenant_id: c.tenant_name for c in connections.list_connections(session=db_session)
        }
    tenants: list[str | None] = [None, *organisations]
    tenant = start["tenant_id"]
    if tenant not in tenants:
        tenants.append(tenant)
    return column.selectbox(
        "Xero organisation",
        tenants,
        index=tenants.index(tenant),
        format_func=lambda t: "The default organisation" if t is None else organisations.get(t, t),
        key=f"{prefix}_tenant",
    )


def parsed_fields(given: FormInput) -> ShipmentFields | None:
    try:
        return ShipmentFields(**given.fields)
    except ValidationError as error:
        given.problems.extend(_plain(error))
        return None


def touched(given: FormInput) -> bool:
    """Has anything been typed into the form (a new form says nothing until then)?"""
    typed = any(v not in (None, "") for k, v in given.fields.items() if k != "tenant_id")
    return typed or bool(given.lines) or bool(given.problems)


def typed(raw: dict[str, Any]) -> bool:
    """Has the user typed anything (a field, a line) into a new form?"""
    fields = any(raw.get(name) not in (None, "") for name in (*TEXTS, *AMOUNTS, *DATES))
    lines = any(any(row.values()) for row in raw.get("lines", []))
    return fields or lines


def submitted_form(
    prefix: str,
    start: dict[str, Any],
    *,
    trigger_status: str,
    where: str,
    button: tuple[str, str],
    always_check: bool,
) -> tuple[FormInput, ShipmentFields | None, bool]:
    """The form with its live checks and its button (label, key), in the container keyed
    `where`. Returns what was entered, the fields (None: problems, shown) and whether the
    button was clicked with nothing to fix. A new, untouched form shows no checks."""
    label, key = button
    with st.container(key=where):
        given = draw(prefix, start, trigger_status=trigger_status)
        checked = always_check or touched(given)  # before parsed_fields adds its problems
        fields = parsed_fields(given)
        checks = st.empty()
        clicked = st.button(label, key=key, type="primary")
        if not clicked:
            if checked:
                live_checks(checks, given, fields)
            return given, fields, False
    if given.problems or fields is None:
        st.error("\n".join(f"- {md_text(p)}" for p in given.problems))
        return given, fields, False
    return given, fields, True


def live_checks(box, given: FormInput, fields: ShipmentFields | None) -> None:
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
