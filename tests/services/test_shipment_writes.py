"""A send's shipment changes go in one UPDATE per shape (services/shipment_writes.py): the rows
and their versions come out exactly as the unit of work's one UPDATE per row leaves them, on
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models import Shipment, ShipmentLine
from services.db import session_scope
from services.shipment_writes import batch_shipment_updates
from tests.utils.factories import id_of, make_shipment


def _made(engine: Engine, count: int) -> list[int]:
    with session_scope(engine) as session:
        return [id_of(make_shipment(session)) for _ in range(count)]


@contextmanager
def shipment_updates(engine: Engine) -> Iterator[list[str]]:
    """The UPDATE statements on shipment while the block runs (an executemany counts once)."""
    seen: list[str] = []

    def statement(_conn, _cursor, text, *_args) -> None:
        if text.lstrip().upper().startswith("UPDATE SHIPMENT"):
            seen.append(text)

    event.listen(engine, "before_cursor_execute", statement)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)


def _edit(engine: Engine, ids: list[int], change, *, batched: bool) -> None:
    with Session(engine, expire_on_commit=False) as session:
        if batched:
            batch_shipment_updates(session)
        # All read first, as a send reads its batch: a read in between would flush.
        loaded = [session.get(Shipment, shipment_id) for shipment_id in ids]
        for shipment in loaded:
            assert shipment is not None
            change(shipment)
            session.add(shipment)
        session.commit()


def _state(engine: Engine, ids: list[int]) -> list[dict]:
    """Every stored column of the shipments (what differs by row from its making aside)."""
    with session_scope(engine) as session:
        rows = [session.get(Shipment, i) for i in ids]
        skip = {"id", "shipment_number", "number_key", "exporter_reference", "invoice_number"}
        skip |= {"created_at", "updated_at"}
        return [{k: v for k, v in r.model_dump().items() if k not in skip} for r in rows if r]


def _versions(engine: Engine, ids: list[int]) -> list[int]:
    with session_scope(engine) as session:
        return [session.get(Shipment, i).version for i in ids]  # type: ignore[union-attr]


def _answer(shipment: Shipment) -> None:
    """What a first send's answer writes: a versioned field (the organisation) with Xero's."""
    shipment.tenant_id = "tenant-batched"
    shipment.sync_state = "Processed"
    shipment.xero_document_number = "INV-1"
    shipment.xero_total = Decimal("123.45")


def _mark_sending(shipment: Shipment) -> None:
    shipment.sync_state = "Sending"


def test_ten_answers_are_one_update_and_leave_the_rows_as_the_unit_of_work_does(engine):
    batched, plain = _made(engine, 10), _made(engine, 10)
    before = _versions(engine, batched)
    with shipment_updates(engine) as updates:
        _edit(engine, batched, _answer, batched=True)
    assert len(updates) == 1, updates
    with shipment_updates(engine) as updates:
        _edit(engine, plain, _answer, batched=False)
    assert len(updates) == 10
    # A versioned field changed: each version rose by one, exactly as the hook raises it.
    assert _versions(engine, batched) == [v + 1 for v in before]
    assert _state(engine, batched) == _state(engine, plain)


def test_xero_columns_alone_leave_the_version_alone(engine):
    ids = _made(engine, 3)
    before = _versions(engine, ids)
    with shipment_updates(engine) as updates:
        _edit(engine, ids, _mark_sending, batched=True)
    assert len(updates) == 1
    assert _versions(engine, ids) == before
    assert {row["sync_state"] for row in _state(engine, ids)} == {"Sending"}


def test_a_version_set_as_sql_and_a_change_of_lines_are_left_to_the_unit_of_work(engine):
    """What the batched UPDATE cannot say is written as before: the version raised once."""
    ids = _made(engine, 2)
    before = _versions(engine, ids)

    def raise_by_hand(shipment: Shipment) -> None:
        shipment.incoterms = "CIF"
        shipment.version = Shipment.version + 1

    def add_line(shipment: Shipment) -> None:
        shipment.lines.append(
            ShipmentLine(
                shipment_id=id_of(shipment),
                product_code="EXTRA",
                quantity=Decimal(1),
                unit_price=Decimal(2),
            )
        )

    _edit(engine, ids[:1], raise_by_hand, batched=True)
    _edit(engine, ids[1:], add_line, batched=True)
    assert _versions(engine, ids) == [before[0] + 1, before[1] + 1]
    with session_scope(engine) as session:
        shipment = session.get(Shipment, ids[1])
        assert shipment is not None
        assert [line.product_code for line in shipment.lines][-1] == "EXTRA"
        assert session.get(Shipment, ids[0]).incoterms == "CIF"  # type: ignore[union-attr]


def test_a_raised_version_is_read_again_when_asked(engine):
    """After the batched UPDATE the session does not keep the old number."""
    ids = _made(engine, 1)
    before = _versions(engine, ids)[0]
    with Session(engine, expire_on_commit=False) as session:
        batch_shipment_updates(session)
        shipment = session.get(Shipment, ids[0])
        assert shipment is not None
        _answer(shipment)
        session.flush()
        assert shipment.version == before + 1
        assert not session.dirty
        session.commit()
