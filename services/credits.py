"""Credit notes raised for shipments: building one from the invoice Xero holds, recording it
(with its allocation to the invoice), and reading them back for the shipment, Connect and
Finance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import Shipment, XeroCreditNote, utcnow
from services import money
from services.sync import idempotency_key
from services.xero import credit_notes as xero_credit
from services.xero.adapter import XeroAdapter
from services.xero.convert import ElementResult
from services.xero.errors import (
    XeroAuthError,
    XeroRateLimited,
    XeroRequestRejected,
    XeroUnavailable,
)

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
    """The next credit note number for the shipment: its invoice's number with -CN1, -CN2…
    Deterministic: a row is recorded only once Xero's answer (or a look-up) shows the credit
    note, so a retry after a lost answer asks for the same number and can look it up."""
    count = session.exec(
        select(func.count()).where(col(XeroCreditNote.shipment_id) == shipment.id)
    ).one()
    return f"{invoice_number}-CN{count + 1}"


def build_credit_note(
    *,
    session: Session,
    shipment: Shipment,
    invoice: ElementResult,
    lines: tuple[int, ...],
    on: date | None = None,
) -> tuple[dict, str | None]:
    """A sales credit note for the whole invoice or the chosen lines (numbers from 1), dated
    `on` (the day the cancellation was asked for, so a retry sends the very same document
    under the same Idempotency-Key), in Xero's JSON; or a problem (why none can be built)."""
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
        "Date": (on or utcnow().date()).isoformat(),
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


def record_credit_note(
    *,
    session: Session,
    tenant_id: str,
    shipment: Shipment,
    invoice: ElementResult,
    answer: ElementResult,
    lines: tuple[int, ...],
    user: str | None,
) -> XeroCreditNote:
    """Record the credit note Xero made (or was found holding), nothing allocated yet."""
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
    return row


@dataclass
class Allocation:
    """What became of allocating a credit note to its invoice, and what to tell the user."""

    message: str
    # Settled: allocated, or nothing to allocate. Not settled: `retry` (a passing failure,
    # the worker tries again) or `refused` (Xero's words: refused for good).
    done: bool = True
    retry: bool = False
    retry_after: float = 0.0
    refused: list[str] = field(default_factory=list)


def _allocated_in_xero(in_xero: ElementResult | None, invoice_id: str | None) -> Decimal:
    """How much of the credit note Xero already holds allocated to the invoice (an earlier
    allocation whose answer was lost, or one made by hand in Xero)."""
    if in_xero is None:
        return Decimal(0)
    allocations = in_xero.raw.get("Allocations")
    if allocations is None:  # no list in the answer: what is gone from the credit
        return (in_xero.total or Decimal(0)) - (in_xero.amount_due or Decimal(0))
    return sum(
        (
            _dec(a.get("Amount"))
            for a in allocations
            if (a.get("Invoice") or {}).get("InvoiceID") == invoice_id and not a.get("IsDeleted")
        ),
        start=Decimal(0),
    )


def _apply(row: XeroCreditNote, shipment: Shipment, amount: Decimal, due: Decimal) -> None:
    """The allocation Xero holds, on Shipbridge's copies of the credit note and invoice."""
    total = row.total or Decimal(0)
    row.allocated = amount
    row.remaining = total - amount
    row.status = "PAID" if row.remaining <= 0 else row.status
    shipment.xero_amount_due = max(due - amount, Decimal(0))
    if shipment.xero_amount_due <= 0:
        shipment.xero_status = "PAID"  # Xero marks an invoice with nothing owing PAID


PENDING = (
    "It is not allocated to {invoice} yet ({error}): the worker tries the allocation again "
    "automatically and never raises a second credit note; until then the credit sits "
    "unallocated in Xero."
)


def allocate_to_invoice(
    *,
    session: Session,
    adapter: XeroAdapter,
    tenant_id: str,
    shipment: Shipment,
    invoice: ElementResult,
    row: XeroCreditNote,
    on: date,
    in_xero: ElementResult | None = None,
) -> Allocation:
    """Allocate the recorded credit note to the invoice when Xero allows (the invoice
    approved and still owing, xero-facts.md §11). `in_xero`: the credit note as Xero holds it
    now, read before trying again, so an allocation that reached Xero is never made twice.
    A failure leaves the credit note recorded and unallocated, and says so ("it": the note)."""
    currency = invoice.raw.get("CurrencyCode")
    already = _allocated_in_xero(in_xero, invoice.document_id)
    due = invoice.amount_due or Decimal(0)
    if already > 0:
        _apply(row, shipment, already, due + already)
        session.add_all([row, shipment])
        return Allocation(
            f"Xero already holds {shown(already, currency)} of it allocated to "
            f"{invoice.number}: nothing more to do."
        )
    if invoice.status != "AUTHORISED" or due <= 0:
        return Allocation(
            f"{invoice.number} is {invoice.status} with nothing owing, so the credit stays on "
            "the customer's account in Xero: refund it or use it there."
        )
    left = in_xero.amount_due if in_xero and in_xero.amount_due is not None else row.remaining
    amount = min(left or Decimal(0), due)
    key = idempotency_key(
        tenant_id,
        [{"allocate": row.credit_note_id, "to": invoice.document_id, "amount": amount, "on": on}],
    )
    session.commit()  # the credit note is recorded before the next call
    try:
        refused = xero_credit.allocate(
            adapter,
            tenant_id,
            credit_note_id=row.credit_note_id or "",
            invoice_id=invoice.document_id or "",
            amount=amount,
            on=on,
            idempotency_key=key,
        )
    except XeroRateLimited as error:
        message = PENDING.format(invoice=invoice.number, error=error)
        return Allocation(message, done=False, retry=True, retry_after=error.retry_after)
    except (XeroUnavailable, XeroAuthError) as error:
        return Allocation(PENDING.format(invoice=invoice.number, error=error), False, True)
    except XeroRequestRejected as error:
        refused = [str(error)]
    if refused:
        return Allocation(
            f"Xero refused to allocate it to {invoice.number}: {' '.join(refused)} {REFUSED_FIX}",
            done=False,
            refused=refused,
        )
    _apply(row, shipment, amount, due)
    session.add_all([row, shipment])
    return Allocation(f"Allocated {shown(amount, currency)} of it to {invoice.number}.")


# What to do when Xero refuses an allocation for good.
REFUSED_FIX = (
    "The credit stays unallocated on the customer's account in Xero: allocate it there to "
    "what they owe, or refund it."
)


def raised_since(
    *, session: Session, shipment_id: int, since: datetime | None
) -> XeroCreditNote | None:
    """The credit note already raised for the shipment's cancellation queued at `since` (a
    shipment has one open job at a time, so those recorded since are that job's); None
    when there is none, or no job to tie it to."""
    if since is None:
        return None
    return session.exec(
        select(XeroCreditNote)
        .where(
            col(XeroCreditNote.shipment_id) == shipment_id,
            col(XeroCreditNote.created_at) >= since,
        )
        .order_by(col(XeroCreditNote.id).desc())
    ).first()


def unallocated_note(*, session: Session, shipment: Shipment) -> str | None:
    """What to tell the user when a credit note of the shipment is not allocated to its
    invoice while the invoice (as last read from Xero) still owes money; else None."""
    if shipment.id is None or shipment.xero_status != "AUTHORISED":
        return None
    if not shipment.xero_amount_due or shipment.xero_amount_due <= 0:
        return None
    rows = [
        n
        for n in credit_notes_of(session=session, shipment_id=shipment.id)
        if n.invoice_id == shipment.xero_document_id and not n.allocated and n.remaining
    ]
    if not rows:
        return None
    numbers = ", ".join(n.credit_note_number for n in rows)
    invoice = shipment.xero_document_number or shipment.xero_document_id
    return (
        f"Credit note {numbers} is not allocated to {invoice}, which still owes "
        f"{shown(shipment.xero_amount_due, shipment.currency)}: the credit sits on the "
        "customer's account in Xero. The cancellation's result in Accounting Logs says why; "
        "allocate it in Xero or refund it."
    )


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
