"""Money rounds one way everywhere: Xero's, half away from zero."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from services import money, validation
from ui import shipment_form


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [
        ("0.125", "0.13"),
        ("0.135", "0.14"),
        ("2.675", "2.68"),
        ("-0.125", "-0.13"),
        ("-2.675", "-2.68"),
        ("0.124", "0.12"),
        ("-0.124", "-0.12"),
        ("10", "10.00"),
    ],
)
def test_an_amount_rounds_half_away_from_zero_to_the_cent(amount, rounded):
    assert money.round_amount(Decimal(amount)) == Decimal(rounded)
    assert str(money.round_amount(Decimal(amount))) == rounded


@pytest.mark.parametrize(
    ("price", "rounded"),
    [
        ("1.23455", "1.2346"),
        ("-1.23455", "-1.2346"),
        ("1.23454", "1.2345"),
        ("12.5", "12.5"),
        ("0.0001", "0.0001"),
    ],
)
def test_a_unit_price_keeps_at_most_four_places(price, rounded):
    assert str(money.round_unit_price(Decimal(price))) == rounded


def test_a_line_amount_is_quantity_times_unit_price_rounded_as_xero_does():
    assert money.line_amount(quantity=Decimal("1"), unit_price=Decimal("0.125")) == Decimal("0.13")
    assert money.line_amount(quantity=Decimal("3"), unit_price=Decimal("0.0415")) == Decimal("0.12")
    assert money.line_amount(quantity=Decimal("-1"), unit_price=Decimal("0.125")) == Decimal(
        "-0.13"
    )


def test_a_quantity_keeps_at_most_four_places_as_xero_does():
    assert str(money.round_quantity(Decimal("2.00005"))) == "2.0001"
    assert str(money.round_quantity(Decimal("3"))) == "3"


def test_a_line_amount_uses_the_quantity_xero_keeps():
    # 1.00004 × 1000 is 1000.04, but Xero keeps the quantity as 1.0000: 1000.00.
    assert money.line_amount(quantity=Decimal("1.00004"), unit_price=Decimal("1000")) == Decimal(
        "1000.00"
    )


def test_a_line_amount_uses_the_unit_price_xero_keeps():
    # 1000 × 0.00125 is 1.25, but Xero keeps the price as 0.0013 (4 places): 1.30.
    assert money.line_amount(quantity=Decimal("1000"), unit_price=Decimal("0.00125")) == Decimal(
        "1.30"
    )


def test_an_amount_for_people_is_rounded_the_same_way_and_grouped():
    assert money.format_amount(Decimal("1234.125")) == "1,234.13"
    assert money.format_amount(Decimal("-0.125")) == "-0.13"


@pytest.mark.parametrize(
    ("quantity", "unit_price"), [("1", "0.125"), ("3", "2.675"), ("7", "0.0035")]
)
def test_the_item_value_the_form_fills_in_is_the_one_validation_expects(quantity, unit_price):
    frame = pd.DataFrame(
        [
            {
                "product_code": "WIDGET",
                "description": "",
                "quantity": quantity,
                "unit_price": unit_price,
                "item_value": "",
            }
        ],
        dtype="string",
    )
    problems: list[str] = []

    (line,) = shipment_form._read_lines(shipment_form._rows(frame), problems)

    assert problems == []
    assert line.item_value == money.line_amount(
        quantity=Decimal(quantity), unit_price=Decimal(unit_price)
    )
    assert validation._line_problems(1, line) == []
