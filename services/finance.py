"""Finance views: what each customer has paid and owes, per currency, from what Xero knows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import and_, case, func, literal, literal_column, or_, tuple_
from sqlmodel import Session, col, select

from models import DocumentType, PinnedDocument, Shipment
from services import finance_summary, money
from services.paging import Page, counted


class View(StrEnum):
    """The saved views. Paid, Unpaid, Open and Overdue are approved invoices only: in Xero a
    draft (or one submitted for approval) is not owed yet."""

    ALL = "All"
    PAID = "Paid"  # approved, balance 0
    UNPAID = "Unpaid"  # approved, balance > 0: Open + Overdue
    OPEN = "Open"  # approved, balance > 0, not yet due
    OVERDUE = "Overdue"  # approved, past due with a balance
    NOT_APPROVED = "Not yet approved"  # DRAFT or SUBMITTED in Xero
    PINNED = "Pinned"


# Xero's invoice statuses that make an invoice owed (AUTHORISED: awaiting payment). DRAFT
# and SUBMITTED (awaiting approval) are not owed yet; VOIDED and DELETED never are.
APPROVED = ("AUTHORISED", "PAID")
# What amounts_by_currency_and_status splits each currency's invoices into, in this order;
# they add up to the invoices' total (Paid + Open + Overdue + Not yet approved).
STATUSES = (View.PAID, View.OPEN, View.OVERDUE, View.NOT_APPROVED)


@dataclass
class CustomerBalance:
    customer: str
    tenant_id: str | None  # the organisation the documents are in (None: sent before that was kept)
    currency: str
    documents: int
    total: Decimal
    paid: Decimal
    unpaid: Decimal  # approved invoices' balances: open + overdue
    overdue: Decimal
    not_approved: Decimal  # the balance of drafts and invoices awaiting approval: not owed yet
    # The same unpaid amount in the organisation's base currency, at Xero's rate.
    unpaid_base: Decimal | None
    key_currency: str = field(default="", repr=False, compare=False)  # as the order keys it

    @property
    def open(self) -> Decimal:
        """Unpaid and not yet due."""
        return self.unpaid - self.overdue


def _customer():
    """The customer a document is for: the Xero contact it went to (so codes aliased to one
    contact are one customer), else, for documents sent before contacts were kept, the
    shipment's code. An inline literal, so PostgreSQL sees the same expression in SELECT and
    GROUP BY."""
    return func.coalesce(
        Shipment.xero_contact_name,
        Shipment.buyer_code,
        Shipment.consignee_code,
        literal_column("'—'"),
    )


def customer_of(shipment: Shipment) -> str:
    """The customer `_customer()` groups a shipment under, in Python."""
    return shipment.xero_contact_name or shipment.buyer_code or shipment.consignee_code or "—"


def _invoices():
    return select(Shipment).where(
        col(Shipment.xero_document_id).is_not(None),
        Shipment.xero_document_type == DocumentType.INVOICE,
        col(Shipment.xero_status).not_in(["VOIDED", "DELETED"]),
    )


def _overdue_invoices(today: date):
    """The Overdue view's documents, written with literals exactly as migration b8e2fad4c6a9's
    partial index `scale_shipment_overdue` (due date, id) is, so both databases walk that index
    (SQLite matches a partial index only on the same literal terms). Approved with a balance
    implies not voided or deleted."""
    return select(Shipment).where(
        col(Shipment.xero_document_id).is_not(None),
        col(Shipment.xero_document_type) == literal_column(f"'{DocumentType.INVOICE.value}'"),
        col(Shipment.xero_status).in_([literal_column(f"'{s}'") for s in APPROVED]),
        col(Shipment.xero_amount_due) > literal_column("0"),
        col(Shipment.due_date) < today,
    )


def _sent_invoices(query):
    return query.where(
        col(Shipment.xero_document_id).is_not(None),
        Shipment.xero_document_type == DocumentType.INVOICE,
        # The same documents the per-customer list shows: voided ones owe nothing.
        col(Shipment.xero_status).not_in(["VOIDED", "DELETED"]),
    )


def _approved():
    return col(Shipment.xero_status).in_(APPROVED)


def _overdue(today: date):
    """Approved, past its due date, with a balance (no due date: never overdue)."""
    return and_(_approved(), col(Shipment.due_date) < today, _due() > 0)


def _due():
    return func.coalesce(Shipment.xero_amount_due, 0)


def _sums(today: date) -> list:
    """count, total, paid, unpaid, overdue, not yet approved, unpaid in base currency, summed
    in SQL. Only approved invoices' balances are unpaid; a draft's is not yet approved."""
    due = _due()
    unpaid = case((_approved(), due), else_=0)
    overdue = case((_overdue(today), due), else_=0)
    not_approved = case((_approved(), 0), else_=due)
    base = case(
        (
            and_(_approved(), col(Shipment.xero_currency_rate) > 0),
            due / Shipment.xero_currency_rate,
        ),
        else_=unpaid,
    )
    return [
        func.count(col(Shipment.id)),
        func.coalesce(func.sum(col(Shipment.xero_total)), 0),
        func.coalesce(func.sum(col(Shipment.xero_amount_paid)), 0),
        func.coalesce(func.sum(unpaid), 0),
        func.coalesce(func.sum(overdue), 0),
        func.coalesce(func.sum(not_approved), 0),
        func.coalesce(func.sum(base), 0),
    ]


# A customer row's place in the customer order: (customer, organisation or "", currency or
# ""). The page after a row starts after its key (keyset paging: no OFFSET re-aggregating
# the rows before the page).
CustomerKey = tuple[str, str, str]


def _customer_key() -> list:
    """The customer rows' grouping and order, as migration f2b8d4a01c23 indexes it
    (scale_shipment_customer_key): each page is read in index order."""
    return [
        _customer(),
        func.coalesce(Shipment.tenant_id, literal_column("''")),
        func.coalesce(Shipment.currency, literal_column("''")),
    ]


def key_of(balance: CustomerBalance) -> CustomerKey:
    """Where `balance` is in the customer order: pass it as `after` for the next page."""
    return (balance.customer, balance.tenant_id or "", balance.key_currency)


def customer_balances(
    *,
    session: Session,
    today: date,
    after: CustomerKey | None = None,
    limit: int | None = None,
) -> list[CustomerBalance]:
    """Per customer, organisation and currency: totals, paid, unpaid and overdue, in the
    customer order; with `limit`, that many rows after the row keyed `after` (None: from
    the first). Currencies never mix, nor do organisations (each has its own base
    currency). Grouped in the order of an index, so a page reads only its own customers."""
    key = _customer_key()
    query = _sent_invoices(select(*key, *_sums(today))).group_by(*key).order_by(*key)
    if after is not None:
        # The first part alone is what SQLite seeks the expression index by; the row
        # comparison keeps the exact order.
        query = query.where(
            key[0] >= after[0], tuple_(*key) > tuple_(*(literal(part) for part in after))
        )
    if limit:
        query = query.limit(limit)
    return [
        CustomerBalance(
            c,
            tenant or None,
            cur or "—",
            int(n),
            _d(t),
            _d(p),
            _d(u),
            _d(o),
            _d(d),
            money.round_amount(_d(b)),
            key_currency=cur,
        )
        for c, tenant, cur, n, t, p, u, o, d, b in session.exec(query).all()
    ]


def customer_rows(*, session: Session) -> int:
    """How many (customer, organisation, currency) rows `customer_balances` has in all (a
    count of every group: the Dashboard pages by keyset and does not ask)."""
    groups = _sent_invoices(select(*_customer_key())).group_by(*_customer_key()).subquery()
    return session.exec(select(func.count()).select_from(groups)).one()


def customers(*, session: Session) -> list[str]:
    """Every customer with a sent invoice, A to Z (for the documents' customer picker): one
    index probe per customer (a loose index scan), not a read of every invoice."""
    customer = _customer()
    first = _sent_invoices(select(func.min(customer).label("name")))
    walk = first.cte("walk", recursive=True)
    following = _sent_invoices(select(func.min(customer))).where(customer > walk.c.name)
    walk = walk.union_all(select(following.scalar_subquery()).where(walk.c.name.is_not(None)))
    return [name for name in session.exec(select(walk.c.name).where(walk.c.name.is_not(None)))]


def documents(
    *,
    session: Session,
    today: date,
    view: View = View.ALL,
    customer: str | None = None,
    number: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    username: str | None = None,
    page: int = 1,
    page_size: int = 50,
    count_cap: int | None = None,
) -> tuple[list[Shipment], int]:
    """A customer's documents (or everyone's), newest first (Overdue: by due date), in one of
    the saved views, and how many there are; a page past the last (the filter shrank the
    result) reads as the last. With `count_cap`, counting stops past that many and the count
    is `count_cap + 1`."""
    query = _overdue_invoices(today) if view == View.OVERDUE else _invoices()
    due = _due()
    if customer:
        query = query.where(_customer() == customer)
    if number:
        query = query.where(col(Shipment.xero_document_number).ilike(f"%{number.strip()}%"))
    if date_from:
        query = query.where(col(Shipment.invoice_date) >= date_from)
    if date_to:
        query = query.where(col(Shipment.invoice_date) <= date_to)
    if view == View.PAID:
        query = query.where(_approved(), due == 0)
    elif view == View.UNPAID:
        query = query.where(_approved(), due > 0)
    elif view == View.OPEN:
        query = query.where(
            _approved(),
            due > 0,
            or_(col(Shipment.due_date).is_(None), col(Shipment.due_date) >= today),
        )
    elif view == View.NOT_APPROVED:
        query = query.where(col(Shipment.xero_status).not_in(APPROVED))
    elif view == View.PINNED:
        pinned = select(PinnedDocument.shipment_id).where(PinnedDocument.username == username)
        query = query.where(col(Shipment.id).in_(pinned))
    # Counted by id alone: SQLite then counts from the index without reading each row.
    total, capped = counted(session, query.with_only_columns(col(Shipment.id)), count_cap)
    total += capped
    shown = Page(page, page_size, int(total)).clamped()
    rows = session.exec(query.order_by(*_order(view)).offset(shown.offset).limit(page_size)).all()
    return list(rows), int(total)


def _order(view: View) -> list:
    """Newest first: by invoice date, or for Overdue by due date (the most recently due
    first), the order of its index, so page 1 reads 25 overdue documents and stops."""
    if view == View.OVERDUE:
        return [col(Shipment.due_date).desc(), col(Shipment.id).desc()]
    return [col(Shipment.invoice_date).desc(), col(Shipment.id).desc()]


def pin(*, session: Session, username: str, shipment_id: int) -> None:
    exists = session.exec(
        select(PinnedDocument).where(
            PinnedDocument.username == username, PinnedDocument.shipment_id == shipment_id
        )
    ).first()
    if not exists:
        session.add(PinnedDocument(username=username, shipment_id=shipment_id))


def pinned_ids(*, session: Session, username: str, shipment_ids: list[int]) -> set[int]:
    """Which of these shipments' documents `username` has pinned."""
    if not shipment_ids:
        return set()
    return set(
        session.exec(
            select(PinnedDocument.shipment_id).where(
                PinnedDocument.username == username,
                col(PinnedDocument.shipment_id).in_(shipment_ids),
            )
        )
    )


def unpin(*, session: Session, username: str, shipment_id: int) -> None:
    for row in session.exec(
        select(PinnedDocument).where(
            PinnedDocument.username == username, PinnedDocument.shipment_id == shipment_id
        )
    ):
        session.delete(row)


def amounts_by_currency_and_status(
    *, session: Session, today: date
) -> list[tuple[str, View, Decimal]]:
    """(currency, status, amount) across sent invoices, per currency, for each of STATUSES:
    Paid, Open (approved, not yet due), Overdue, Not yet approved. Open + Overdue is what the
    Unpaid view and the customers' Unpaid column show. Read from the summary kept on write
    (services/finance_summary.py), not from every invoice."""
    result = []
    for row in finance_summary.invoice_amounts(session=session, today=today):
        amounts = {
            View.PAID: row.paid,
            View.OPEN: row.unpaid - row.overdue,
            View.OVERDUE: row.overdue,
            View.NOT_APPROVED: row.not_approved,
        }
        result += [(row.currency or "—", status, amounts[status]) for status in STATUSES]
    return result


def _d(value) -> Decimal:
    return Decimal(str(value or 0))
