"""The codes-in-use summary kept on write (issue 16, goal 3: Check all from indexed aggregates)
says what a scan of the shipments says: after many random creates, edits, code and state
changes (ORM and bulk UPDATEs), line moves, deletes, rolled back changes and compactions, on
SQLite and PostgreSQL; and filled by the upgrade from rows written before it.

Two references, both straight from the shipments: the summary's rows and counts against a
direct SQL aggregate, and Check all's whole answer against the same answer worked out in
Python from every shipment (as Check all worked before the summary)."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import Session, select

from models import CodeInUseDelta, Shipment, WaitingCodeUse, XeroConnection
from models.codes_in_use import KINDS
from services import aliases, codes_in_use, reference_data, shipment_edits
from services.db import migrate, session_scope
from services.mapping import settings_row
from services.suggestions import Suggestions
from tests.services.test_migrations import _config
from tests.utils.factories import (
    TENANT,
    id_of,
    line,
    make_shipment,
    seed_reference,
    shipment_fields,
)

TENANTS = [TENANT, "org-b", None]
# Known to Xero (reference_rows), unknown, spelt with spaces or another case, empty, none.
CUSTOMERS = ["ACME", "ALOK-01", "ALOK", " ALOK", "acme", "NOPE", "ZZZ", "", "  ", None]
PRODUCTS = ["WIDGET-A", "CRATE", "GADGET", " GADGET", "widget-z", "WIDGET-Z", "", None]
STATES = ["Not sent", "Queued", "Sending", "Processed", "Rejected", "Changed since sent"]
WAITING = [str(s) for s in aliases.WAITING]


def direct_rows(session: Session) -> Counter:
    """(kind, code, organisation, shipment id, number, line id) of every code a waiting
    shipment uses, counted, from the shipments and lines themselves."""
    marks = ", ".join(f":w{n}" for n in range(len(WAITING)))
    waiting = {f"w{n}": state for n, state in enumerate(WAITING)}
    found: Counter = Counter()
    for kind in ("buyer_code", "consignee_code"):
        found.update(
            (kind, *row, None)
            for row in session.exec(  # type: ignore[call-overload]
                text(
                    f"SELECT {kind}, tenant_id, id, shipment_number FROM shipment "
                    f"WHERE {kind} IS NOT NULL AND sync_state IN ({marks})"
                ).bindparams(**waiting)
            )
        )
    found.update(
        ("product_code", *row)
        for row in session.exec(  # type: ignore[call-overload]
            text(
                "SELECT l.product_code, s.tenant_id, s.id, s.shipment_number, l.id "
                "FROM shipment_line l JOIN shipment s ON s.id = l.shipment_id "
                f"WHERE l.product_code IS NOT NULL AND s.sync_state IN ({marks})"
            ).bindparams(**waiting)
        )
    )
    return found


def summary_rows(session: Session) -> Counter:
    return Counter(
        (r.kind, r.code, r.tenant_id, r.shipment_id, r.shipment_number, r.line_id)
        for r in session.exec(select(WaitingCodeUse))
    )


def summary_counts(session: Session) -> Counter:
    counts: Counter = Counter()
    for r in session.exec(select(CodeInUseDelta)):
        counts[(r.kind, r.code, r.tenant_id)] += r.uses
    return +counts  # keys counting nothing left out


def expected_check(session: Session, tenant: str) -> tuple[list, int]:
    """Check all's answer for organisation `tenant`, from every shipment in Python."""
    ref = reference_data.load(session=session, connection=_connection(session, tenant))
    source = settings_row(session=session, tenant_id=None).customer_code_source
    waiting = [
        s
        for s in session.exec(select(Shipment).execution_options(populate_existing=True))
        if s.sync_state in WAITING and s.tenant_id in (tenant, None)
    ]
    found: dict[tuple[str, str], list] = {}
    touched: set[int] = set()
    for kind, aliases_, known in (
        ("customer", ref.customer_aliases, ref.customers),
        ("product", ref.product_aliases, ref.items),
    ):
        for s in waiting:
            raws = {getattr(s, source)} if kind == "customer" else {x.product_code for x in s.lines}
            for raw in raws:
                code = (raw or "").strip()
                if code and aliases_.get(code.upper(), code).upper() not in known:
                    entry = found.setdefault((kind, code), [set(), Suggestions(known)(code)])
                    entry[0].add((s.shipment_number, raw))
                    touched.add(id_of(s))
    codes = [
        (kind, code, sorted({n for n, _ in uses})[: aliases.EXAMPLES], suggested, len(uses))
        for (kind, code), (uses, suggested) in found.items()
    ]
    return sorted(codes, key=lambda c: (-c[4], c[0], c[1])), len(touched)


def _connection(session: Session, tenant: str) -> XeroConnection:
    return session.exec(select(XeroConnection).where(XeroConnection.tenant_id == tenant)).one()


def assert_summary_equals_a_scan(session: Session) -> int:
    """Asserts the summary equals the scans; returns how many unmapped codes Check all found
    (so a test can tell it compared something)."""
    rows = direct_rows(session)
    assert summary_rows(session) == rows
    counts: Counter = Counter()
    for (kind, code, tenant, *_), n in rows.items():
        counts[(kind, code, tenant)] += n
    assert summary_counts(session) == counts
    for kind in KINDS:
        for tenant in (TENANT, "org-b"):
            used = {c for (k, c, t) in counts if k == kind and t in (tenant, None)}
            assert codes_in_use.codes(session=session, kind=kind, tenant_id=tenant) == sorted(used)
    found = 0
    for tenant in (TENANT, "org-b"):
        result = aliases.check_all(session=session, connection=_connection(session, tenant))
        answer = [
            (c.kind, c.code, c.shipment_numbers, c.suggestions, c.shipment_count)
            for c in result.codes
        ]
        assert (answer, result.shipments) == expected_check(session, tenant)
        found += len(answer)
    return found


def _lines(rng: random.Random) -> list:
    return [line(rng.choice(PRODUCTS)) for _ in range(rng.randint(0, 3))]


def _create(session: Session, rng: random.Random) -> None:
    shipment = make_shipment(
        session,
        lines=_lines(rng),
        buyer_code=rng.choice(CUSTOMERS),
        consignee_code=rng.choice(CUSTOMERS),
        tenant_id=rng.choice(TENANTS),
    )
    shipment.sync_state = rng.choice(STATES)
    session.add(shipment)
    session.flush()


def _edit(session: Session, rng: random.Random, shipment: Shipment) -> None:
    """Through the service the form uses: codes, organisation and lines replaced."""
    shipment_edits.update_shipment(
        session=session,
        shipment_id=id_of(shipment),
        fields=shipment_fields(
            shipment_number=rng.choice([shipment.shipment_number, f"R-{rng.randrange(10**6)}"]),
            buyer_code=rng.choice(CUSTOMERS),
            consignee_code=rng.choice(CUSTOMERS),
            tenant_id=rng.choice(TENANTS),
        ),
        lines=_lines(rng),
        user="test",
    )


def _send(session: Session, rng: random.Random, shipment: Shipment) -> None:
    shipment.sync_state = rng.choice(STATES)
    session.add(shipment)
    session.flush()


def _states(session: Session, rng: random.Random, ids: list[int]) -> None:
    """As claims and the queue do: many rows' sync state in one statement."""
    chosen = {f"i{n}": i for n, i in enumerate(rng.sample(ids, min(len(ids), 6)))}
    session.exec(  # type: ignore[call-overload]
        text(
            f"UPDATE shipment SET sync_state = :state WHERE id IN "
            f"({', '.join(':' + k for k in chosen)})"
        ).bindparams(state=rng.choice(STATES), **chosen)
    )


def _recode(session: Session, rng: random.Random, shipment: Shipment) -> None:
    """Raw UPDATEs the ORM never sees: a code, an organisation, the lines' product codes."""
    column = rng.choice(["buyer_code", "consignee_code", "tenant_id"])
    value = rng.choice(TENANTS if column == "tenant_id" else CUSTOMERS)
    session.exec(  # type: ignore[call-overload]
        text(f"UPDATE shipment SET {column} = :v WHERE id = :id").bindparams(
            v=value, id=shipment.id
        )
    )
    session.exec(  # type: ignore[call-overload]
        text("UPDATE shipment_line SET product_code = :v WHERE shipment_id = :id").bindparams(
            v=rng.choice(PRODUCTS), id=shipment.id
        )
    )


def _move_line(session: Session, rng: random.Random, shipment: Shipment) -> None:
    """A line moved to another shipment, and one deleted on its own."""
    other = rng.choice(list(session.exec(select(Shipment.id))))
    first = session.exec(  # type: ignore[call-overload]
        text("SELECT min(id) FROM shipment_line WHERE shipment_id = :id").bindparams(id=shipment.id)
    ).one()[0]
    session.exec(  # type: ignore[call-overload]
        text("UPDATE shipment_line SET shipment_id = :to WHERE id = :id").bindparams(
            to=other, id=first
        )
    )
    session.exec(  # type: ignore[call-overload]
        text(
            "DELETE FROM shipment_line WHERE id = (SELECT max(id) FROM shipment_line "
            "WHERE shipment_id = :id)"
        ).bindparams(id=other)
    )


def _delete(session: Session, rng: random.Random, shipment: Shipment) -> None:
    if rng.random() < 0.5:
        session.delete(shipment)  # the ORM deletes the lines first
        session.flush()
    else:  # the database's cascade deletes them after the shipment
        session.exec(text("DELETE FROM shipment WHERE id = :id").bindparams(id=shipment.id))  # type: ignore[call-overload]


def _step(session: Session, rng: random.Random) -> None:
    ids = [i for i in session.exec(select(Shipment.id)) if i is not None]
    if len(ids) < 6 or rng.random() < 0.25:
        _create(session, rng)
    elif rng.random() < 0.15:
        _states(session, rng, ids)
    else:
        shipment = session.get(Shipment, rng.choice(ids), populate_existing=True)
        assert shipment is not None
        action = rng.choice([_edit, _send, _send, _recode, _move_line, _delete])
        action(session, rng, shipment)
    session.expire_all()


@pytest.fixture
def organisations(engine):
    with session_scope(engine) as session:
        seed_reference(session)
        seed_reference(session, "org-b")


@pytest.mark.parametrize("seed", [1, 2])
def test_the_summary_equals_a_scan_after_random_changes(engine, organisations, seed):
    rng = random.Random(seed)
    found = []
    for round_ in range(8):
        with session_scope(engine) as session:
            for _ in range(15):
                _step(session, rng)
        with Session(engine) as session:  # a change rolled back leaves no trace
            _step(session, rng)
            session.rollback()
        if round_ % 3 == 2:
            codes_in_use.compact(engine=engine)
        if round_ == 5:  # the customer code taken from the consignee from now on
            with session_scope(engine) as session:
                settings_row(
                    session=session, tenant_id=None
                ).customer_code_source = "consignee_code"
        with Session(engine) as session:
            found.append(assert_summary_equals_a_scan(session))
    assert min(found) > 0  # every round compared unmapped codes, not two empty answers


def test_compaction_leaves_one_row_per_key_and_the_same_codes(engine, organisations):
    rng = random.Random(3)
    with session_scope(engine) as session:
        for _ in range(40):
            _step(session, rng)
    with Session(engine) as session:
        before = summary_counts(session)
        assert codes_in_use.pending(session=session) > 0
    codes_in_use.compact(engine=engine)
    with Session(engine) as session:
        assert codes_in_use.pending(session=session) == 0
        keys = [(r.kind, r.code, r.tenant_id) for r in session.exec(select(CodeInUseDelta))]
        assert len(keys) == len(set(keys))
        assert summary_counts(session) == before
        assert_summary_equals_a_scan(session)


def test_the_upgrade_fills_the_summary_from_existing_shipments(engine, organisations):
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "b8e2fad4c6a9")
    rng = random.Random(4)
    with session_scope(engine) as session:  # written with no summary and no triggers
        for _ in range(30):
            _create(session, rng)
    migrate(engine)
    with Session(engine) as session:
        assert sum(direct_rows(session).values()) > 10
        assert codes_in_use.pending(session=session) == 0  # one compacted row per key
        assert_summary_equals_a_scan(session)


def test_writers_in_parallel_on_the_same_codes_neither_wait_nor_lose_counts(engine, organisations):
    """Several writers moving shipments of the same codes in and out of the waiting states,
    a compaction between them: no shared counter to deadlock on, and the counts add up."""
    with session_scope(engine) as session:
        ids = [
            id_of(make_shipment(session, buyer_code="NOPE", lines=[line("GADGET"), line("CRATE")]))
            for _ in range(12)
        ]
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        rng = random.Random(worker)
        try:
            for n in range(12):
                with session_scope(engine) as session:
                    for i in sorted(rng.sample(ids, 3)):  # in id order, as claims lock
                        shipment = session.get(Shipment, i)
                        assert shipment is not None
                        _send(session, rng, shipment)
                if n % 4 == 3:
                    codes_in_use.compact(engine=engine)
        except BaseException as error:  # noqa: BLE001 - re-raised below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(engine) as session:
        assert_summary_equals_a_scan(session)


def test_without_its_trigger_the_summary_misses_a_change(engine, organisations):
    """The comparison can fail: with the shipment update trigger dropped, a shipment sent is
    still counted as waiting."""
    with session_scope(engine) as session:
        shipment_id = id_of(make_shipment(session, buyer_code="NOPE"))
    on = " ON shipment" if engine.dialect.name == "postgresql" else ""
    with session_scope(engine) as session:
        session.exec(text(f"DROP TRIGGER scale_codes_shipment_upd{on}"))  # type: ignore[call-overload]
        session.exec(  # type: ignore[call-overload]
            text("UPDATE shipment SET sync_state = 'Processed' WHERE id = :id").bindparams(
                id=shipment_id
            )
        )
    with Session(engine) as session, pytest.raises(AssertionError):
        assert_summary_equals_a_scan(session)


def test_the_workers_scheduled_turn_compacts_the_counts(engine, organisations):
    """Without compaction the counts grow with every write and Check all slows down."""
    from services import worker

    rng = random.Random(5)
    with session_scope(engine) as session:
        for _ in range(20):
            _step(session, rng)
    with Session(engine) as session:
        assert codes_in_use.pending(session=session) > 0
    worker.scheduled_reads(engine=engine)  # no organisation due for a read: only compactions
    with Session(engine) as session:
        assert codes_in_use.pending(session=session) == 0
        assert_summary_equals_a_scan(session)
