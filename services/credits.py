"""Credit notes raised for shipments: building one from the invoice Xero holds, recording it
(with its allocation to the invoice), and reading them back for the shipment, Connect and
Finance."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Shipment, XeroCreditNote, XeroPayment, utcnow
from services import money
from services.sync import idempotency_key
from services.xero import credit_notes as xero_credit
from services.xero.adapter import XeroAdapter
from services.xero.convert import ElementResult
from services.xero.errors import XeroRateLimited, XeroUnavailable

# The invoice fields a credit note's line copies, as Xero names them.
LINE_FIELDS = ("Description", "Quantity", "UnitAmount", "ItemCode", "AccountCode", "TaxType")


def shown(value: Decimal | None, currency: str | None) -> str:
    """An amount as messages show it: two places and the currency, e.g. 130.00 AUD."""
    return f"{money.round_amount(value or Decimal(0)):,.2f} {currency or ''}".strip()


def _dec(value: object) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def line_choices(invoice_raw: dict) -> list[tuple[int, str, Decimal]]:
    """The invoice's lines as (number from 1, description, line amount), to choose from."""
    return [
        (
            n,
            str(line.get("Description") or line.get("ItemCode") or f"Line {n}"),
            _dec(line.get("LineAmount")),
        )
        for n, line in enumerate(invoice_raw.get("LineItems") or [], start=1)
    ]


def credit_note_number(*, session: Session, shipment: Shipment, invoice_number: str) -> str:
    """The next credit note number for the shipment: its invoice's number with -CN1, -CN2…"""
    count = session.exec(
        select(func.count()).where(col(XeroCreditNote.shipment_id) == shipment.id)
    ).one()
    return f"{invoice_number}-CN{count + 1}"


def build_credit_note(
    *, session: Session, shipment: Shipment, invoice: ElementResult, lines: tuple[int, ...]
) -> tuple[dict, str | None]:
    """A sales credit note for the whole invoice or the chosen lines (numbers from 1), in
    Xero's JSON; or a problem (why none can be built) to show."""
    raw_lines = invoice.raw.get("LineItems") or []
    chosen = [raw_lines[n - 1] for n in lines if 0 < n <= len(raw_lines)] if lines else raw_lines
    if not chosen:
        return {}, (
            f"No line of invoice {invoice.number} was chosen to credit: nothing was sent. "
            "Choose the lines, or the whole invoice."
        )
    contact = invoice.raw.get("Contact") or {}
    document: dict = {
        "Type": "ACCRECCREDIT",
        "CreditNoteNumber": credit_note_number(
            session=session, shipment=shipment, invoice_number=invoice.number or ""
        ),
        "Contact": {"ContactID": contact.get("ContactID") or invoice.contact_id},
        "Date": utcnow().date().isoformat(),
        "CurrencyCode": invoice.raw.get("CurrencyCode"),
        "LineAmountTypes": invoice.raw.get("LineAmountTypes") or "Exclusive",
        "Reference": f"Credit for {invoice.number} · {shipment.shipment_number}",
        # AUTHORISED: Xero allocates only approved credit notes to approved invoices.
        "Status": "AUTHORISED",
        "LineItems": [
            {k: str(line[k]) for k in LINE_FIELDS if line.get(k) not in (None, "")}
            | {"LineAmount": str(money.round_amount(_dec(line.get("LineAmount"))))}
            for line in chosen
        ],
    }
    if invoice.currency_rate:
        document["CurrencyRate"] = str(invoice.currency_rate)
    return document, None


def save_credit_note(
    *,
    session: Session,
    adapter: XeroAdapter,
    tenant_id: str,
    shipment: Shipment,
    invoice: ElementResult,
    answer: ElementResult,
    lines: tuple[int, ...],
    user: str | None,
) -> str:
    """Record the credit note Xero made and allocate it to the invoice when Xero allows
    (the invoice approved and still owing, xero-facts.md §11). Says what happened."""
    assert shipment.id is not None
    total = answer.total or Decimal(0)
    row = XeroCreditNote(
        shipment_id=shipment.id,
        tenant_id=tenant_id,
        invoice_id=invoice.document_id,
        credit_note_id=answer.document_id,
        credit_note_number=answer.number or "",
        status=answer.status,
        total=total,
        allocated=Decimal(0),
        remaining=answer.amount_due if answer.amount_due is not None else total,
        line_numbers=",".join(str(n) for n in lines) or None,
        created_by=user,
    )
    session.add(row)
    currency = invoice.raw.get("CurrencyCode")
    what = f"Raised credit note {row.credit_note_number} for {shown(total, currency)} in Xero"
    due = invoice.amount_due or Decimal(0)
    if invoice.status != "AUTHORISED" or due <= 0:
        return (
            f"{what}. {invoice.number} is {invoice.status} with nothing owing, so the credit "
            "stays on the customer's account in Xero: refund it or use it there."
        )
    amount = min(total, due)
    key = idempotency_key(tenant_id, [{"allocate": row.credit_note_id, "amount": str(amount)}])
    session.commit()  # the credit note is recorded before the next call
    try:
        refused = xero_credit.allocate(
            adapter,
            tenant_id,
            credit_note_id=row.credit_note_id or "",
            invoice_id=invoice.document_id or "",
            amount=amount,
            on=utcnow().date(),
            idempotency_key=key,
        )
    except (XeroUnavailable, XeroRateLimited) as error:
        refused = [str(error)]
    if refused:
        return (
            f"{what}, but Xero did not allocate it to {invoice.number}: {' '.join(refused)} "
            "Allocate it in Xero."
        )
    row.allocated = amount
    row.remaining = total - amount
    row.status = "PAID" if row.remaining <= 0 else row.status
    shipment.xero_amount_due = due - amount
    if shipment.xero_amount_due <= 0:
        shipment.xero_status = "PAID"  # Xero marks an invoice with nothing owing PAID
    session.add(shipment)
    return f"{what} and allocated {shown(amount, currency)} of it to {invoice.number}."


def credit_notes_of(*, session: Session, shipment_id: int) -> list[XeroCreditNote]:
    return list(
        session.exec(
            select(XeroCreditNote)
            .where(col(XeroCreditNote.shipment_id) == shipment_id)
            .order_by(col(XeroCreditNote.created_at))
        )
    )


@dataclass(frozen=True)
class NetCredits:
    currency: str
    invoiced: Decimal  # total of the invoices in Xero (voided and deleted ones aside)
    credited: Decimal  # total of the credit notes raised
    net: Decimal


def net_credits(*, session: Session) -> list[NetCredits]:
    """Per currency: invoiced, credited and what is left once credit notes are taken off."""
    live = col(Shipment.xero_status).not_in(["VOIDED", "DELETED"])
    invoiced = dict(
        session.exec(
            select(Shipment.currency, func.sum(Shipment.xero_total))
            .where(
                col(Shipment.xero_document_type).in_([None, "invoice"]),
                col(Shipment.xero_document_id).is_not(None),
                live,
            )
            .group_by(Shipment.currency)
        ).all()
    )
    credited = dict(
        session.exec(
            select(Shipment.currency, func.sum(XeroCreditNote.total))
            .join(Shipment, col(Shipment.id) == col(XeroCreditNote.shipment_id))
            .group_by(Shipment.currency)
        ).all()
    )
    rows = []
    for currency in sorted({*invoiced, *credited}, key=lambda c: c or ""):
        i, c = _dec(invoiced.get(currency)), _dec(credited.get(currency))
        rows.append(NetCredits(currency or "", i, c, i - c))
    return rows


@dataclass(frozen=True)
class Pushed:
    invoices: int
    quotes: int
    credit_notes: int
    payments_pulled: int


def pushed_counts(*, session: Session, tenant_id: str, is_default: bool) -> Pushed:
    """What went to one organisation by kind, and the payments pulled from it. A shipment
    with no organisation of its own belongs to the default one."""
    tenants = col(Shipment.tenant_id) == tenant_id
    if is_default:
        tenants = tenants | col(Shipment.tenant_id).is_(None)
    by_kind = dict(
        session.exec(
            select(Shipment.xero_document_type, func.count())
            .where(tenants, col(Shipment.xero_document_id).is_not(None))
            .group_by(Shipment.xero_document_type)
        ).all()
    )
    notes = session.exec(
        select(func.count()).where(col(XeroCreditNote.tenant_id) == tenant_id)
    ).one()
    pulled = session.exec(select(func.count()).where(col(XeroPayment.tenant_id) == tenant_id)).one()
    return Pushed(
        invoices=by_kind.get("invoice", 0) + by_kind.get(None, 0),
        quotes=by_kind.get("quote", 0),
        credit_notes=int(notes),
        payments_pulled=int(pulled),
    )
