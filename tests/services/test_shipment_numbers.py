"""Shipment numbers are unique ignoring case and surrounding spaces: CASE-7 and " case-7 "
cannot both exist, whichever way they arrive (the form's service call, an edit, a CSV
import, or a write that skips the services). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from models import Shipment
from services.csv_import import parse_csv
from services.db import session_scope
from services.shipment_edits import update_shipment
from services.shipments import ShipmentError
from tests.utils.factories import id_of, make_shipment, shipment_fields, stored


def numbers(engine) -> list[str]:
    with session_scope(engine) as session:
        return sorted(session.exec(select(Shipment.shipment_number)))


def test_a_number_differing_only_in_case_and_spaces_is_refused(engine):
    with session_scope(engine) as session:
        make_shipment(session, shipment_number="CASE-7")
    with (
        pytest.raises(ShipmentError, match=r"case-7 is already used as CASE-7"),
        session_scope(engine) as session,
    ):
        make_shipment(session, shipment_number=" case-7 ")
    assert numbers(engine) == ["CASE-7"]


def test_a_number_is_stored_without_surrounding_spaces(engine):
    with session_scope(engine) as session:
        shipment_id = id_of(make_shipment(session, shipment_number="  SP-1 "))
    with session_scope(engine) as session:
        saved = stored(session, Shipment, shipment_id)
        assert (saved.shipment_number, saved.number_key) == ("SP-1", "sp-1")


def test_an_edit_to_another_shipments_number_in_other_capitals_is_refused(engine):
    with session_scope(engine) as session:
        make_shipment(session, shipment_number="CASE-7")
        other_id = id_of(make_shipment(session, shipment_number="CASE-8"))
    with (
        pytest.raises(ShipmentError, match="already used as CASE-7"),
        session_scope(engine) as session,
    ):
        update_shipment(
            session=session,
            shipment_id=other_id,
            fields=shipment_fields(shipment_number="case-7"),
            lines=[],
            user="ops",
        )
    assert numbers(engine) == ["CASE-7", "CASE-8"]


def test_a_shipment_may_change_the_capitals_of_its_own_number(engine):
    with session_scope(engine) as session:
        shipment_id = id_of(make_shipment(session, shipment_number="case-9"))
    with session_scope(engine) as session:
        update_shipment(
            session=session,
            shipment_id=shipment_id,
            fields=shipment_fields(shipment_number="CASE-9"),
            lines=[],
            user="ops",
        )
    assert numbers(engine) == ["CASE-9"]


def test_a_csv_row_colliding_with_a_saved_number_is_an_error_on_its_row(engine):
    with session_scope(engine) as session:
        make_shipment(session, shipment_number="CASE-7")
        preview = parse_csv("shipment_number,currency\nOK-1,USD\ncase-7,USD\n", session=session)
    assert [str(e) for e in preview.errors] == [
        "Row 3, shipment_number: shipment case-7 already exists as CASE-7 (numbers that "
        "differ only in capitals are one number): remove the row or change the number"
    ]


def test_two_spellings_of_one_number_in_a_csv_are_refused_not_merged(engine):
    with session_scope(engine) as session:
        preview = parse_csv(
            "shipment_number,currency,product_code\nCASE-7,USD,WIDGET-A\ncase-7,USD,CRATE\n",
            session=session,
        )
    assert [str(e) for e in preview.errors] == [
        "Row 3, shipment_number: case-7 is the same number as CASE-7 in row 2 (numbers that "
        "differ only in capitals are one number): spell it the same way, or change it"
    ]
    assert [(p.fields.shipment_number, len(p.lines)) for p in preview.shipments] == [("CASE-7", 1)]


def test_the_database_itself_refuses_a_second_spelling(engine):
    """A write that bypasses the services still cannot add the number twice."""
    with session_scope(engine) as session:
        make_shipment(session, shipment_number="CASE-7")
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert(Shipment).values(shipment_number="case-7", number_key="case-7"))
    with session_scope(engine) as session:
        assert session.exec(select(func.count(col(Shipment.id)))).one() == 1
