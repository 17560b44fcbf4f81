"""The one place that rounds money, the way Xero does: half away from zero, amounts to the
cent, unit prices to at most 4 decimal places (Xero keeps 4 with `unitdp=4`). The shipment
form, validation, the documents and the dashboard all round through here, so what the form
fills in is what validation expects and what Xero computes."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from models.shipment import Digits

# Decimal's ROUND_HALF_UP rounds a half away from zero (-0.125 → -0.13), which is Xero's rule;
# Python's default, half-even, would give 0.12 for 0.125 and disagree with Xero by a cent.
ROUNDING = ROUND_HALF_UP
CENT = Decimal("0.01")
FOUR_PLACES = Decimal("0.0001")


def round_amount(amount: Decimal) -> Decimal:
    """An amount (item value, freight, a total) rounded to the cent, half away from zero."""
    return Decimal(amount).quantize(CENT, rounding=ROUNDING)


def round_unit_price(unit_price: Decimal) -> Decimal:
    """A unit price rounded to at most 4 decimal places (Xero's with `unitdp=4`), half away
    from zero; a price with fewer places keeps them (12.5 stays 12.5)."""
    return _at_most_four_places(unit_price)


def round_quantity(quantity: Decimal) -> Decimal:
    """A line's quantity as Xero keeps it: at most 4 decimal places, half away from zero."""
    return _at_most_four_places(quantity)


def line_amount(*, quantity: Decimal, unit_price: Decimal) -> Decimal:
    """A line's item value as Xero computes it: the quantity × the unit price it keeps (at
    most 4 places each), rounded to the cent."""
    return round_amount(round_quantity(quantity) * round_unit_price(unit_price))


def _at_most_four_places(number: Decimal) -> Decimal:
    number = Decimal(number)
    if number.as_tuple().exponent >= -4:  # type: ignore[operator]
        return number
    return number.quantize(FOUR_PLACES, rounding=ROUNDING)


def storage_problem(value: Decimal | None, digits: Digits) -> str | None:
    """Why `value` cannot be stored in a column holding these digits (models.shipment), as
    the end of a sentence that names the field first; None when it fits. Refused, never
    rounded or cut: a stored amount is exactly the one entered."""
    if value is None:
        return None
    value = Decimal(value)
    if not value.is_finite() or abs(value) > digits.largest:
        return (
            f"{_as_typed(value)} is larger than Shipbridge can hold: at most "
            f"{digits.largest:,.{digits.scale}f}"
        )
    if value != value.quantize(Decimal(10) ** -digits.scale):
        places = "place" if digits.scale == 1 else "places"
        return (
            f"{_as_typed(value)} has more than {digits.scale} decimal {places}: "
            f"use at most {digits.scale}"
        )
    return None


def _as_typed(value: Decimal) -> str:
    """1E+20 as 100000000000000000000; a number too long to read stays in its short form."""
    return format(value, "f") if value.is_finite() and abs(value.adjusted()) < 40 else str(value)


def format_amount(amount: Decimal) -> str:
    """An amount for people to read, rounded as Xero rounds: 1234.5 → "1,234.50"."""
    return f"{round_amount(amount):,.2f}"
