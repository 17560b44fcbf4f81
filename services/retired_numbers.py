"""Numbers Xero will not give back: a voided or deleted invoice keeps its number in Xero, and
a POST with that number reaches the voided document (refused: "Invoice not of valid status
for modification", xero-facts.md §8/§9). A shipment sent again after a void goes as a new
document with a new number: its own number with "-2", "-3", … added."""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from models import RetiredNumber, Shipment
from services.document_kinds import DocumentKind


def _key(number: str) -> str:
    return number.strip().casefold()


def retire(
    *,
    session: Session,
    shipment: Shipment,
    tenant_id: str,
    number: str,
    status: str,
    document_id: str | None,
) -> None:
    """Remember that `number` is spent in this organisation (idempotent)."""
    assert shipment.id is not None
    if not number or _key(number) in retired_keys(session=session, tenant_id=tenant_id):
        return
    session.add(
        RetiredNumber(
            shipment_id=shipment.id,
            tenant_id=tenant_id,
            number=number,
            number_key=_key(number),
            xero_status=status,
            document_id=document_id,
        )
    )
    session.flush()


def retired_keys(*, session: Session, tenant_id: str) -> set[str]:
    rows = session.exec(
        select(RetiredNumber.number_key).where(col(RetiredNumber.tenant_id) == tenant_id)
    )
    return set(rows)


def retired_for(*, session: Session, shipment_id: int) -> list[RetiredNumber]:
    """The numbers this shipment's voided or deleted documents keep in Xero."""
    return list(
        session.exec(
            select(RetiredNumber)
            .where(col(RetiredNumber.shipment_id) == shipment_id)
            .order_by(col(RetiredNumber.retired_at))
        )
    )


def fresh_number(number: str, taken: set[str]) -> str:
    """`number` if Xero can still use it, else the first of number-2, number-3, … it can."""
    if _key(number) not in taken:
        return number
    n = 2
    while _key(f"{number}-{n}") in taken:
        n += 1
    return f"{number}-{n}"


def renumber(
    *,
    session: Session,
    tenant_id: str | None,
    shipment: Shipment,
    document: dict,
    kind: DocumentKind,
) -> dict:
    """The document to send: unchanged, unless its number is spent on a voided or deleted
    document in Xero; then a new document (no ID) under a fresh number."""
    number = document.get(kind.number_field)
    if not tenant_id or not number:
        return document
    taken = retired_keys(session=session, tenant_id=tenant_id)
    return _renumbered(shipment, document, kind, taken)


def _renumbered(shipment: Shipment, document: dict, kind: DocumentKind, taken: set[str]) -> dict:
    number = document.get(kind.number_field)
    if not number:
        return document
    fresh = fresh_number(number, taken)
    if fresh == number and _key(shipment.xero_document_number or "") not in taken:
        return document
    renumbered = dict(document)
    renumbered[kind.number_field] = fresh
    if _key(shipment.xero_document_number or "") in taken:
        renumbered.pop(kind.id_field, None)  # the voided document stays as it is in Xero
    return renumbered


def taken_among(*, session: Session, tenant_id: str | None, numbers: list[str]) -> set[str]:
    """Of a batch's numbers (each shipment's number and the one its last document went to
    Xero with): the keys spent in this organisation, in ONE statement. Empty in the usual case,
    when none is; then no document of the batch is renumbered."""
    keys = {_key(n) for n in numbers if n}
    if not tenant_id or not keys:
        return set()
    found = session.connection().execute(
        _spent_among(), {"tenant": tenant_id, "keys": sorted(keys)}
    )
    return set(found.scalars())


@cache
def _spent_among():
    """`taken_among`'s query, built once (the organisation and keys bound at each call), run
    as Core: it reads keys only."""
    retired = RetiredNumber.__table__.c  # type: ignore[attr-defined]
    return select(retired.number_key).where(
        retired.tenant_id == bindparam("tenant", type_=retired.tenant_id.type),
        retired.number_key.in_(bindparam("keys", expanding=True)),
    )


def renumber_batch(
    *,
    session: Session,
    tenant_id: str | None,
    batch: list[tuple[Shipment, dict]],
    kind: DocumentKind,
) -> list[dict]:
    """`renumber` for a whole batch: one statement finds whether any of its numbers is spent
    (usually none is); only a batch with a spent number reads the organisation's spent
    numbers (once) to find the fresh ones."""
    numbers = [n for s, d in batch for n in (d.get(kind.number_field), s.xero_document_number)]
    if not taken_among(session=session, tenant_id=tenant_id, numbers=[n for n in numbers if n]):
        return [document for _, document in batch]
    assert tenant_id is not None  # taken_among finds nothing without one
    taken = retired_keys(session=session, tenant_id=tenant_id)
    return [_renumbered(shipment, document, kind, taken) for shipment, document in batch]


def resend_note(*, session: Session, shipment: Shipment) -> str | None:
    """What the page says about a shipment whose number Xero keeps on a voided or deleted
    document: the number a send will use instead. None when nothing is retired."""
    if shipment.id is None or not shipment.tenant_id:
        return None
    retired = retired_for(session=session, shipment_id=shipment.id)
    if not retired:
        return None
    last = retired[-1]
    if _key(shipment.xero_document_number or "") != last.number_key:
        return None  # already sent again under a new number
    # The send renumbers the shipment's own number (the first it went to Xero with).
    taken = retired_keys(session=session, tenant_id=shipment.tenant_id)
    fresh = fresh_number(retired[0].number, taken)
    status = last.xero_status.lower()
    return (
        f"Xero keeps {last.number} on the {status} invoice and never uses a number twice: "
        f"sent again, {shipment.shipment_number} goes to Xero as a new invoice, {fresh}."
    )
