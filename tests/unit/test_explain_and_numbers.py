"""Xero's messages in plain words, and numbers as people type them. Pure."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pytest

from services.explain import explain
from services.numbers import parse_decimal


@pytest.mark.parametrize(
    ("xero_said", "plain"),
    [
        (
            "Account code '999' is not a valid code for this document.",
            "Account code 999 cannot be used in Xero: choose an active revenue account",
        ),
        (
            "Organisation is not subscribed to currency JPY",
            "Currency JPY is not enabled in the Xero organisation",
        ),
        (
            "Invoice not of valid status for modification. This document cannot be edited as "
            "it has a payment or credit note allocated to it.",
            "The document is paid or credited in Xero",
        ),
        ("Invoice # must be unique.", "A document with this number already exists in Xero"),
        ("Quote # must be unique.", "A document with this number already exists in Xero"),
        ("TaxType code 'OUTPUT9' does not exist", "Tax type OUTPUT9 cannot be used in Xero"),
        ("Item code 'WIDGET-Z' is not valid", "A product code is not a Xero item code"),
        ("The contact could not be found", "The Xero contact for this customer code"),
        ("The account 210 is archived", "Something on the document is archived in Xero"),
        ("DueDate must be specified", "The due date is missing or not valid"),
    ],
)
def test_each_known_xero_message_becomes_its_fix(xero_said, plain):
    assert explain(xero_said).startswith(plain), explain(xero_said)


def test_an_unknown_message_is_quoted_with_what_to_do():
    assert explain("Something new happened.") == (
        "Xero said: Something new happened. Fix the shipment or the mapping and send again."
    )


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("12.50", "12.50"),
        (" 7 ", "7"),
        ("1,234.50", "1234.50"),
        ("-1,000", "-1000"),
        ("1,234,567", "1234567"),
        ("0", "0"),
    ],
)
def test_a_number_is_read_as_people_type_it(typed, number):
    assert parse_decimal(typed) == Decimal(number)


@pytest.mark.parametrize("typed", ["0,59", "12,5", "1,23,456", "abc", "", "NaN", "Infinity", "1e"])
def test_what_is_not_a_number_is_refused(typed):
    with pytest.raises(InvalidOperation):
        parse_decimal(typed)
