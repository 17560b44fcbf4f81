"""No lost update: an edit carries the shipment's version it started from, and a save over a
newer version is refused, saying who changed what and when (from the audit trail).

What a version counts is declared in models/shipment.py (`VERSIONED`): the fields a person
edits, the workflow status and the lines, by any path (the form, a status change, a CSV
update). Sends and pulls change only the sync state and Xero's columns, so they never make an
open form stale: saving over a sent shipment marks it "changed since sent", as it should."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import update
from sqlmodel import Session, col, select

from models import AuditEvent, Shipment, as_utc
from services.errors import UserError

# Audit keys shown by their label; the rest (bookkeeping) are left out of "what changed".
LABELS = {
    "shipment_number": "shipment number",
    "exporter_reference": "exporter reference",
    "invoice_number": "invoice number",
    "buyer_code": "buyer code",
    "consignee_code": "consignee code",
    "currency": "currency",
    "exchange_rate": "exchange rate",
    "invoice_date": "invoice date",
    "date_of_issue": "date of issue",
    "due_date": "due date",
    "incoterms": "incoterms",
    "freight_amount": "freight amount",
    "tenant_id": "Xero organisation",
    "status": "status",
    "workflow_status": "status",
}


@dataclass(frozen=True)
class Change:
    """One save since the edit began: who, when, and what it changed."""

    actor: str
    at: datetime
    what: list[str]

    def sentence(self, when: str | None = None) -> str:
        """E.g. "alice at 2026-11-30 12:03 UTC changed freight amount 10.00 → 25.00";
        `when` is the moment as the reader's clock shows it (UTC when not given)."""
        changed = "; ".join(self.what) if self.what else "its lines"
        return f"{self.actor} at {when or f'{self.at:%Y-%m-%d %H:%M} UTC'} changed {changed}"


class StaleShipment(UserError):
    """A save refused because the shipment was saved by someone else after the edit began."""

    def __init__(self, number: str, version: int, changes: list[Change]):
        self.number, self.version, self.changes = number, version, changes
        super().__init__(refusal(number, [c.sentence() for c in changes]))


def refusal(number: str, sentences: list[str]) -> str:
    """What a refused save says: who changed what and when, and what to do next."""
    said = ". ".join(sentences) or "it was changed meanwhile"
    return (
        f"Not saved: {number} was changed after you opened it — {said}. Your input is kept: "
        "look at the changes, then re-apply yours to the latest version and save."
    )


def hold(*, session: Session, shipment_id: int, expected: int) -> None:
    """Lock the shipment's row for this transaction if its version is still `expected`;
    else raise StaleShipment. Two saves started from one version: exactly one gets the row
    (PostgreSQL makes the second wait, then finds the version moved; SQLite lets one writer
    at a time)."""
    held = session.exec(
        update(Shipment)
        .where(col(Shipment.id) == shipment_id, col(Shipment.version) == expected)
        .values(version=Shipment.version)
        .execution_options(synchronize_session=False)
    )
    if held.rowcount == 1:
        return
    current = session.get(Shipment, shipment_id, populate_existing=True)
    if current is None:
        raise UserError(f"Shipment {shipment_id} no longer exists: nothing was saved.")
    raise StaleShipment(
        current.shipment_number,
        current.version,
        changes_since(session=session, shipment_id=shipment_id, version=expected),
    )


def changes_since(*, session: Session, shipment_id: int, version: int) -> list[Change]:
    """The saves recorded after `version`, oldest first: who, when and which fields."""
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity == "shipment", AuditEvent.entity_id == str(shipment_id))
        .order_by(col(AuditEvent.id))
    ).all()
    found = []
    for event in events:
        after = json.loads(event.after or "{}")
        if not isinstance(after.get("version"), int) or after["version"] <= version:
            continue
        before = json.loads(event.before or "{}")
        found.append(Change(event.actor or "someone", as_utc(event.at), _what(before, after)))
    return found


def _what(before: dict, after: dict) -> list[str]:
    what = []
    for key, label in LABELS.items():
        if key in after and key in before and not _equal(before[key], after[key]):
            old, new = _shown(before[key]), _shown(after[key])
            what.append(f"{label} {old} → {new}")
    return what


def _equal(a, b) -> bool:
    """Equal as the audit stored them: 0.590000 and 0.59 are one exchange rate."""
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except (InvalidOperation, ValueError):
        return a == b


def _shown(value) -> str:
    return "(empty)" if value in (None, "") else str(value)
