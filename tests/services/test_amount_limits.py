"""An amount the database cannot hold exactly is refused, naming the field, and nothing is
written: on SQLite a NUMERIC is a double, so 1e20 or 17 nines would come back as another
number without a word. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import col, func, select

from models import Shipment, ShipmentLine
from models.shipment import AMOUNT, QUANTITY, RATE, UNIT_PRICE
from services.csv_import import ImportError_, import_shipments, parse_csv
from services.db import session_scope
from services.shipment_edits import create_shipment, update_shipment
from services.shipments import ShipmentError
from tests.utils.factories import id_of, line, make_shipment, shipment_fields, stored

SEVENTEEN_NINES = "9" * 17


def shipments_stored(engine) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count(col(Shipment.id)))).one()


@pytest.mark.parametrize(
    ("overrides", "lines", "said"),
    [
        (
            {"freight_amount": Decimal("1e20")},
            None,
            "Freight amount 100000000000000000000 is larger than Shipbridge can hold",
        ),
        (
            {},
            [line(item_value=SEVENTEEN_NINES)],
            f"Line 1 item value {SEVENTEEN_NINES} is larger than Shipbridge can hold",
        ),
        (
            {},
            [line(), line(quantity="1", unit_price="1.00255", item_value="1.00")],
            "Line 2 unit price 1.00255 has more than 4 decimal places: use at most 4",
        ),
        (
            {"exchange_rate": Decimal("0.5912345")},
            None,
            "Exchange rate 0.5912345 has more than 6 decimal places",
        ),
    ],
)
def test_an_amount_the_database_cannot_hold_is_refused_and_nothing_is_saved(
    engine, overrides, lines, said
):
    with pytest.raises(ShipmentError, match=said) as refused, session_scope(engine) as session:
        make_shipment(session, lines=lines, **overrides)
    assert str(refused.value).endswith("Nothing was saved.")
    assert shipments_stored(engine) == 0


def test_an_edit_to_an_amount_out_of_range_leaves_the_shipment_as_it_was(engine):
    with session_scope(engine) as session:
        shipment = make_shipment(session, freight_amount=Decimal("85.00"))
        shipment_id, number = id_of(shipment), shipment.shipment_number
    edit = shipment_fields(shipment_number=number, freight_amount=Decimal("1e20"))
    with (
        pytest.raises(ShipmentError, match="Line 1 quantity") as refused,
        session_scope(engine) as session,
    ):
        update_shipment(
            session=session,
            shipment_id=shipment_id,
            fields=edit,
            lines=[line(quantity="1.23456", unit_price="1", item_value="1.23")],
            user="ops",
        )
    assert "Freight amount 100000000000000000000 is larger" in str(refused.value)
    with session_scope(engine) as session:
        saved = stored(session, Shipment, shipment_id)
        assert saved.freight_amount == Decimal("85.00")
        assert [(x.quantity, x.unit_price) for x in saved.lines] == [
            (Decimal("4"), Decimal("12.50"))
        ]


def test_the_largest_amounts_that_fit_come_back_exactly(engine):
    """The limits are honest: at the edge of each range the stored number is the one given."""
    given = line(
        quantity=str(QUANTITY.largest),
        unit_price=str(UNIT_PRICE.largest),
        item_value=str(AMOUNT.largest),
    )
    with session_scope(engine) as session:
        shipment_id = id_of(
            make_shipment(
                session, lines=[given], freight_amount=AMOUNT.largest, exchange_rate=RATE.largest
            )
        )
    with session_scope(engine) as session:
        saved = stored(session, Shipment, shipment_id)
        assert (saved.freight_amount, saved.exchange_rate) == (AMOUNT.largest, RATE.largest)
        [stored_line] = saved.lines
        assert (stored_line.quantity, stored_line.unit_price, stored_line.item_value) == (
            QUANTITY.largest,
            UNIT_PRICE.largest,
            AMOUNT.largest,
        )


def test_a_csv_amount_out_of_range_names_its_row_and_column_and_imports_nothing(engine):
    text = (
        "shipment_number,currency,freight_amount,product_code,quantity,unit_price,item_value\n"
        "BIG-1,USD,1e20,WIDGET-A,1,5,5\n"
        f"BIG-2,USD,,WIDGET-A,1,{SEVENTEEN_NINES},{SEVENTEEN_NINES}\n"
        "OK-3,USD,,WIDGET-A,1,5,5\n"
    )
    with session_scope(engine) as session:
        preview = parse_csv(text, session=session)
        assert [str(e) for e in preview.errors] == [
            "Row 2, freight_amount: 100000000000000000000 is larger than Shipbridge can hold: "
            "at most 9,999,999,999,999.99",
            f"Row 3, item_value: {SEVENTEEN_NINES} is larger than Shipbridge can hold: "
            "at most 9,999,999,999,999.99",
            f"Row 3, unit_price: {SEVENTEEN_NINES} is larger than Shipbridge can hold: "
            "at most 99,999,999,999.9999",
        ]
        with pytest.raises(ImportError_, match="nothing was imported"):
            import_shipments(session=session, preview=preview, user="ops")
    assert shipments_stored(engine) == 0


def test_a_csv_amount_is_never_stored_rounded(engine):
    """A 5-decimal unit price is refused, not stored as 4 places."""
    text = "shipment_number,currency,product_code,quantity,unit_price\nR-1,USD,WIDGET-A,3,0.12345\n"
    with session_scope(engine) as session:
        preview = parse_csv(text, session=session)
        assert [str(e) for e in preview.errors] == [
            "Row 2, unit_price: 0.12345 has more than 4 decimal places: use at most 4"
        ]
        with pytest.raises(ImportError_, match="Every shipment in the file has a problem"):
            import_shipments(session=session, preview=preview, user="ops", only_good_rows=True)
    assert shipments_stored(engine) == 0


def test_a_refused_shipment_leaves_no_line_behind(engine):
    """A refused shipment leaves no line behind either."""
    with pytest.raises(ShipmentError), session_scope(engine) as session:
        create_shipment(
            session=session,
            fields=shipment_fields(),
            lines=[line(), line(quantity=SEVENTEEN_NINES, unit_price="1", item_value="1")],
            user="ops",
        )
    with session_scope(engine) as session:
        assert session.exec(select(func.count(col(ShipmentLine.id)))).one() == 0
