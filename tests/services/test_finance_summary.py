"""The finance summary kept on write (issue 16, goal 3) equals a full scan to the cent: after
many random creates, edits, sends, payments, bulk state changes, line edits, deletes, rolled
back changes and compactions, on SQLite and PostgreSQL. The expected figures are computed in
Python from the rows themselves (exact Decimals), and checked against the per-customer full
scan in SQL too."""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from models import FinanceSummaryDelta, Shipment
from services import finance, finance_summary, money, shipment_edits, shipments
from services.db import session_scope
from tests.utils.factories import id_of, line, make_shipment, shipment_fields

TODAY = date(2026, 12, 15)
CURRENCIES = ["USD", "EUR", "NZD", None]
TENANTS = ["org-a", "org-b", None]
STATES = ["Not sent", "Queued", "Processed", "Rejected", "Changed"]
STATUSES = ["AUTHORISED", "PAID", "DRAFT", "SUBMITTED", "VOIDED", "DELETED", None]


def _cents(rng: random.Random, high: int = 5_000_000) -> Decimal:
    return Decimal(rng.randint(0, high)) / 100


def _lines(rng: random.Random) -> list:
    return [
        line(quantity="1", unit_price=str(value), item_value=value)
        for value in (_cents(rng, 900_000) for _ in range(rng.randint(0, 3)))
    ]


def expected_totals(session: Session) -> dict[tuple[str, str], tuple[Decimal, int]]:
    """What services.shipments.totals_by_currency must say, from every row in Python."""
    sums: dict[tuple[str, str], list] = defaultdict(lambda: [Decimal(0), 0])
    for shipment in session.exec(select(Shipment).execution_options(populate_existing=True)):
        values = [x.item_value or 0 for x in shipment.lines] + [shipment.freight_amount or 0]
        group = sums[(shipment.currency or "—", shipment.sync_state)]
        group[0] += sum(values, Decimal(0))
        group[1] += 1
    return {key: (total, n) for key, (total, n) in sums.items()}


def expected_amounts(session: Session) -> list[tuple[str, finance.View, Decimal]]:
    """What finance.amounts_by_currency_and_status must say, from every row in Python."""
    View = finance.View
    sums: dict[str, dict] = defaultdict(lambda: defaultdict(Decimal))
    for s in session.exec(select(Shipment).execution_options(populate_existing=True)):
        if not s.xero_document_id or s.xero_document_type != "invoice":
            continue
        if s.xero_status is None or s.xero_status in ("VOIDED", "DELETED"):
            continue
        due = s.xero_amount_due or Decimal(0)
        amounts = sums[s.currency or "—"]
        amounts[View.PAID] += s.xero_amount_paid or 0
        if s.xero_status in finance.APPROVED:
            overdue = s.due_date is not None and s.due_date < TODAY and due > 0
            amounts[View.OVERDUE if overdue else View.OPEN] += due
        else:
            amounts[View.NOT_APPROVED] += due
    return [
        (currency, status, sums[currency][status])
        for currency in sorted(sums)
        for status in finance.STATUSES
    ]


def assert_summary_equals_full_scan(session: Session) -> None:
    totals = {(c, s): (t, n) for c, s, t, n in shipments.totals_by_currency(session=session)}
    assert totals == expected_totals(session)
    amounts = finance.amounts_by_currency_and_status(session=session, today=TODAY)
    # Currency order as the database sorts (NULL's "—" first or last): compare as sets.
    assert sorted(amounts, key=str) == sorted(expected_amounts(session), key=str)
    # The per-customer full scan in SQL, added up per currency, agrees to the cent.
    scanned: dict[tuple[str, finance.View], Decimal] = defaultdict(Decimal)
    for row in finance.customer_balances(session=session, today=TODAY):
        scanned[(row.currency, finance.View.PAID)] += row.paid
        scanned[(row.currency, finance.View.OPEN)] += row.open
        scanned[(row.currency, finance.View.OVERDUE)] += row.overdue
        scanned[(row.currency, finance.View.NOT_APPROVED)] += row.not_approved
    for currency, status, amount in amounts:
        assert money.round_amount(scanned[(currency, status)]) == amount, (currency, status)


def _create(session: Session, rng: random.Random) -> None:
    make_shipment(
        session,
        lines=_lines(rng),
        currency=rng.choice(CURRENCIES),
        tenant_id=rng.choice(TENANTS),
        freight_amount=rng.choice([None, _cents(rng, 100_000)]),
    )


def _edit(session: Session, rng: random.Random, shipment: Shipment) -> None:
    shipment_edits.update_shipment(
        session=session,
        shipment_id=id_of(shipment),
        fields=shipment_fields(
            shipment_number=shipment.shipment_number,
            currency=rng.choice(CURRENCIES),
            tenant_id=rng.choice(TENANTS),
            freight_amount=rng.choice([None, _cents(rng, 100_000)]),
            due_date=TODAY + timedelta(days=rng.randint(-40, 40)),
        ),
        lines=_lines(rng),
        user="test",
    )


def _send(session: Session, rng: random.Random, shipment: Shipment) -> None:
    """As a send applies Xero's answer: through the ORM."""
    total = _cents(rng)
    paid = rng.choice([Decimal(0), total, total / 2]).quantize(Decimal("0.01"))
    shipment.sync_state = "Processed"
    shipment.xero_document_id = f"doc-{shipment.id}"
    shipment.xero_document_type = rng.choice(["invoice", "invoice", "invoice", "quote"])
    shipment.xero_status = rng.choice(STATUSES)
    shipment.xero_total, shipment.xero_amount_paid = total, paid
    shipment.xero_amount_due = total - paid
    shipment.due_date = rng.choice([None, TODAY + timedelta(days=rng.randint(-60, 60))])
    session.add(shipment)
    session.flush()


def _pay(session: Session, rng: random.Random, shipment: Shipment) -> None:
    """As a payment pull might: a bulk UPDATE the ORM never sees."""
    session.exec(  # type: ignore[call-overload]
        text(
            "UPDATE shipment SET xero_amount_paid = coalesce(xero_total, 0), "
            "xero_amount_due = 0, xero_status = :status WHERE id = :id"
        ).bindparams(status=rng.choice(["PAID", "AUTHORISED"]), id=shipment.id)
    )


def _states(session: Session, rng: random.Random, ids: list[int]) -> None:
    """As claims and the queue do: many rows' sync state in one statement."""
    chosen = rng.sample(ids, min(len(ids), 5))
    params = {f"i{n}": i for n, i in enumerate(chosen)}
    session.exec(  # type: ignore[call-overload]
        text(
            f"UPDATE shipment SET sync_state = :state WHERE id IN "
            f"({', '.join(':' + k for k in params)})"
        ).bindparams(state=rng.choice(STATES), **params)
    )


def _edit_line(session: Session, rng: random.Random, shipment: Shipment) -> None:
    session.exec(  # type: ignore[call-overload]
        text("UPDATE shipment_line SET item_value = :value WHERE shipment_id = :id").bindparams(
            value=_cents(rng, 900_000), id=shipment.id
        )
    )


def _delete(session: Session, rng: random.Random, shipment: Shipment) -> None:
    if rng.random() < 0.5:
        session.delete(shipment)  # the ORM deletes the lines first
        session.flush()
    else:  # the database's cascade deletes them after the shipment
        session.exec(text("DELETE FROM shipment WHERE id = :id").bindparams(id=shipment.id))  # type: ignore[call-overload]


def _step(session: Session, rng: random.Random) -> None:
    ids = list(session.exec(select(Shipment.id)))
    if len(ids) < 5 or rng.random() < 0.25:
        _create(session, rng)
        return
    shipment = session.get(Shipment, rng.choice(ids), populate_existing=True)
    assert shipment is not None
    action = rng.choice([_edit, _send, _send, _pay, _edit_line, _delete])
    if action is _states or rng.random() < 0.15:
        _states(session, rng, [i for i in ids if i is not None])
    else:
        action(session, rng, shipment)
    session.expire_all()


@pytest.mark.parametrize("seed", [1, 2])
def test_the_summary_equals_a_full_scan_after_random_changes(engine, seed):
    rng = random.Random(seed)
    for round_ in range(8):
        with session_scope(engine) as session:
            for _ in range(20):
                _step(session, rng)
        with Session(engine) as session:  # a change rolled back leaves no trace
            _step(session, rng)
            session.rollback()
        if round_ % 3 == 2:
            finance_summary.compact(engine=engine)
        with Session(engine) as session:
            assert_summary_equals_full_scan(session)


def test_compaction_leaves_one_row_per_key_and_the_same_figures(engine):
    rng = random.Random(3)
    with session_scope(engine) as session:
        for _ in range(40):
            _step(session, rng)
    with Session(engine) as session:
        before = shipments.totals_by_currency(session=session)
        assert finance_summary.pending(session=session) > 0
    finance_summary.compact(engine=engine)
    with Session(engine) as session:
        assert finance_summary.pending(session=session) == 0
        rows = session.exec(select(FinanceSummaryDelta)).all()
        keys = [(r.tenant_id, r.currency, r.sync_state, r.overdue_from) for r in rows]
        assert len(keys) == len(set(keys))
        assert sorted(shipments.totals_by_currency(session=session), key=str) == sorted(
            before, key=str
        )
        assert_summary_equals_full_scan(session)


def test_concurrent_writers_and_compactions_lose_nothing(engine):
    """Writers in parallel on the same currency and organisation, a compaction running
    between them: no hot row to wait on, and the figures still add up."""
    with session_scope(engine) as session:
        ids = [make_shipment(session, currency="USD", tenant_id="org-a").id for _ in range(12)]
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        rng = random.Random(worker)
        try:
            for n in range(15):
                with session_scope(engine) as session:
                    shipment = session.get(Shipment, ids[(worker * 3 + n) % len(ids)])
                    assert shipment is not None
                    _send(session, rng, shipment)
                if n % 5 == 4:
                    finance_summary.compact(engine=engine)
        except BaseException as error:  # noqa: BLE001 - re-raised below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(engine) as session:
        assert_summary_equals_full_scan(session)


def test_without_its_trigger_the_summary_misses_a_change(engine):
    """The comparison can fail: with the shipment update trigger dropped, a send is not
    counted and the summary no longer equals the full scan."""
    with session_scope(engine) as session:
        shipment = make_shipment(session, currency="USD")
    on = " ON shipment" if engine.dialect.name == "postgresql" else ""
    with session_scope(engine) as session:
        session.exec(text(f"DROP TRIGGER scale_finance_shipment_upd{on}"))  # type: ignore[call-overload]
        _send(session, random.Random(5), shipment)
    with Session(engine) as session:
        assert shipments.totals_by_currency(session=session) != sorted(
            (c, s, t, n) for (c, s), (t, n) in expected_totals(session).items()
        )
        with pytest.raises(AssertionError):
            assert_summary_equals_full_scan(session)
