"""How a sent shipment and its document in Xero differ, in words finance reads: "total 120.00
here, 130.00 in Xero — edited in Xero on 3 Dec". Pure: the drift check (services/drift.py)
reads Xero and keeps what this finds."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from models import Shipment, WorkflowStatus
from services.document_kinds import kind_of
from services.money import format_amount, round_amount
from services.shipments import shipment_total
from services.xero.convert import DocumentState

# What a difference is about, in the words the "Differs from Xero" view shows.
TOTAL, CONTACT, CURRENCY, LINES = "total", "contact", "currency", "lines"
STATUS, VOIDED, DELETED, PAID, CANCELLED = "status", "voided", "deleted", "paid", "cancelled"
# Kinds found by comparing with Xero's answer; "cancelled" is Shipbridge's side alone.
READ_KINDS = (TOTAL, CONTACT, CURRENCY, LINES, STATUS, VOIDED, DELETED, PAID)
GONE = ("VOIDED", "DELETED")


@dataclass
class Difference:
    """One way a shipment differs: what Shipbridge says, what Xero holds, and a sentence."""

    kind: str
    here: str | None
    in_xero: str | None
    detail: str


def compare(
    shipment: Shipment, state: DocumentState, *, contact_names: dict[str, str] | None = None
) -> list[Difference]:
    """How a sent shipment and its document in Xero differ (empty when they agree). Pure."""
    names = contact_names or {}
    answer = state.answer
    when = _on(state.updated_at)
    kind = kind_of(shipment.xero_document_type)
    status = answer.status or ""
    if status in GONE:
        word = "voided" if status == "VOIDED" else "deleted"
        return [
            Difference(
                VOIDED if status == "VOIDED" else DELETED,
                shipment.sync_state,
                status,
                f"{kind.label} {word} in Xero{when}; Processed here",
            )
        ]
    found: list[Difference] = []
    total = shipment_total(shipment)
    here_total = round_amount(total) if total is not None else Decimal(0)
    if here_total != round_amount(state.line_sum):
        here, there = format_amount(here_total), format_amount(state.line_sum)
        found.append(
            Difference(
                TOTAL, here, there, f"total {here} here, {there} in Xero — edited in Xero{when}"
            )
        )
    if (
        shipment.xero_contact_id
        and state.contact_id
        and shipment.xero_contact_id != state.contact_id
    ):
        here = names.get(shipment.xero_contact_id, shipment.xero_contact_id)
        there = answer.contact_name or names.get(state.contact_id, state.contact_id)
        found.append(
            Difference(
                CONTACT,
                here,
                there,
                f"contact {here} here, {there} in Xero — changed in Xero{when}",
            )
        )
    here_currency = (shipment.currency or "").upper()
    if state.currency and here_currency != state.currency.upper():
        found.append(
            Difference(
                CURRENCY,
                here_currency,
                state.currency,
                f"currency {here_currency} here, {state.currency} in Xero — changed in Xero{when}",
            )
        )
    here_lines = len(shipment.lines) + (1 if shipment.freight_amount else 0)
    if here_lines != state.line_count:
        found.append(
            Difference(
                LINES,
                str(here_lines),
                str(state.line_count),
                f"{_lines(here_lines)} here, {_lines(state.line_count)} in Xero"
                f" — edited in Xero{when}",
            )
        )
    paid_before = shipment.xero_amount_paid or Decimal(0)
    if kind.takes_payments and (answer.amount_paid or 0) != paid_before:
        paid, due = answer.amount_paid or Decimal(0), answer.amount_due or Decimal(0)
        how = "paid in full" if status == "PAID" or due == 0 else "part-paid"
        found.append(
            Difference(
                PAID,
                format_amount(paid_before),
                format_amount(paid),
                f"{how} in Xero{_on(answer.fully_paid_on) if how == 'paid in full' else when}: "
                f"{format_amount(paid)} paid, {format_amount(due)} due; "
                f"Shipbridge had {format_amount(paid_before)} paid",
            )
        )
    recorded = shipment.xero_status or ""
    if status and recorded and status != recorded and not (found and found[-1].kind == PAID):
        found.append(
            Difference(
                STATUS,
                recorded,
                status,
                f"status {recorded} here, {status} in Xero — changed in Xero{when}",
            )
        )
    return found


def cancelled_but_owed(shipment: Shipment) -> Difference | None:
    """A shipment cancelled (or returned) here whose invoice Xero still holds as owed (or as
    a draft)."""
    if shipment.workflow_status not in (WorkflowStatus.CANCELLED, WorkflowStatus.RETURNED):
        return None
    here = "returned" if shipment.workflow_status == WorkflowStatus.RETURNED else "cancelled"
    kind = kind_of(shipment.xero_document_type)
    status = shipment.xero_status or ""
    if not kind.takes_payments or status in (*GONE, "PAID"):
        return None
    if status == "DRAFT":
        in_xero = f"draft {kind.label}"
        detail = f"{here} here, still a draft {kind.label} in Xero: delete it from the shipment"
    else:
        due = shipment.xero_amount_due
        due = due if due is not None else (shipment.xero_total or Decimal(0))
        in_xero = f"{format_amount(due)} due"
        detail = (
            f"{here} here, still owed in Xero: {format_amount(due)} due ({status}); "
            "void it or credit it from the shipment"
        )
    return Difference(CANCELLED, shipment.workflow_status, in_xero, detail)


def _on(moment) -> str:
    """ " on 3 Dec" for a date or time (UTC), or nothing when Xero gave none."""
    if moment is None:
        return ""
    return f" on {moment.day} {moment:%b}"


def _lines(count: int) -> str:
    return f"{count} line" if count == 1 else f"{count} lines"
