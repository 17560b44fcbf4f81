"""Demo data: users and about thirty shipments over a few customers and products.

Codes match the sandbox's demo organisation. A few shipments are deliberately wrong
(a missing field, an unknown customer code, bad arithmetic) so rejections can be seen.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session, col, func, select

from models import Shipment, ShipmentFields, ShipmentLineFields, WorkflowStatus
from services.errors import UserError
from services.settings import Settings, get_settings
from services.shipment_edits import create_shipment
from services.users import ensure_demo_users

CUSTOMERS = [
    ("ACME", "USD"),
    ("ALOK-01", "USD"),
    ("BOLT", "EUR"),
    ("CASC", "AUD"),
    ("DELTA", "GBP"),
    ("EVER", "NZD"),
]
PRODUCTS = [
    ("WIDGET-A", "12.50"),
    ("WIDGET-B", "20.00"),
    ("GEAR-100", "7.25"),
    ("CRATE", "45.00"),
    ("PALLET", "18.00"),
    ("MANUKA-250", "9.90"),
]
RATES = {"USD": "0.5900", "EUR": "0.5450", "AUD": "0.9100", "GBP": "0.4650"}
INCOTERMS = ["FOB", "CIF", "EXW", "DAP", "FCA"]
STATUSES = [
    WorkflowStatus.DRAFT,
    WorkflowStatus.BOOKED,
    WorkflowStatus.PACKED,
    WorkflowStatus.SHIPPED,
]


def demo_shipments(count: int = 30, *, start: int = 1001, today: date | None = None):
    """(fields, lines, workflow status) for `count` demo shipments. Deterministic."""
    today = today or date.today()
    for n in range(count):
        code, currency = CUSTOMERS[n % len(CUSTOMERS)]
        issued = today - timedelta(days=(count - n) % 20)
        fields = ShipmentFields(
            shipment_number=f"SHP-{start + n}",
            exporter_reference=f"EXP-{7000 + n}",
            buyer_code=code,
            consignee_code=code,
            currency=currency,
            exchange_rate=Decimal(RATES[currency]) if currency in RATES and n % 4 else None,
            invoice_date=issued,
            date_of_issue=issued,
            due_date=issued + timedelta(days=30),
            incoterms=INCOTERMS[n % len(INCOTERMS)],
            freight_amount=Decimal("85.00") if n % 5 == 0 else None,
        )
        lines = []
        for k in range(1 + n % 3):
            product, price = PRODUCTS[(n + k) % len(PRODUCTS)]
            quantity = Decimal(10 * (k + 1) + n % 7)
            lines.append(
                ShipmentLineFields(
                    product_code=product,
                    description=None,
                    quantity=quantity,
                    unit_price=Decimal(price),
                    item_value=quantity * Decimal(price),
                )
            )
        # A few the user has to fix before Xero will take them.
        if n == 4:
            fields.buyer_code = fields.consignee_code = "ALOK"  # not a Xero account number
        if n == 9:
            fields.due_date = None
        if n == 14:
            fields.incoterms = None
        if n == 19:
            assert lines[0].item_value is not None  # every demo line has a value
            lines[0].item_value = lines[0].item_value + 1
        if n == 24:
            lines[0].product_code = "WIDGET-Z"
        yield fields, lines, STATUSES[n % len(STATUSES)]


class NotDemoMode(UserError):
    """Demo data asked for while Shipbridge talks to a real Xero app."""


def seed_demo(
    *, session: Session, count: int = 30, settings: Settings | None = None
) -> tuple[int, int]:
    """Add demo users and shipments unless shipments exist already. Returns (users, shipments).

    Only in demo mode (against the sandbox): the demo users' passwords are their names."""
    if not (settings or get_settings()).uses_sandbox:
        raise NotDemoMode(
            "Demo users and shipments exist only in demo mode (no XERO_CLIENT_ID / "
            "XERO_CLIENT_SECRET set): with a real Xero app, create users with create-user."
        )
    users = ensure_demo_users(session=session)
    if session.exec(select(func.count(col(Shipment.id)))).one():
        return users, 0
    added = 0
    for fields, lines, status in demo_shipments(count):
        create_shipment(
            session=session, fields=fields, lines=lines, user="demo", workflow_status=status
        )
        added += 1
    return users, added
