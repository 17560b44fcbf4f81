"""CSV exports a spreadsheet cannot execute (OWASP's CSV-injection rule)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from services.csv_safety import FORMULA_STARTS, csv_text, inert_cell, restored_cell

# What an attacker puts in a text field to have a spreadsheet run it.
FORMULAS = [
    '=HYPERLINK("http://x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3",
    "\t=1",
    "\r=1",
    "=1+1",
    "＝1",
    "＋1",
    "－1",
    "＠SUM(1)",
]
# Text that starts like nothing a spreadsheet runs, written as it is.
PLAIN = ['"=1+1"', "ACME", "Box, wooden", " =1", "'quoted", "SHP-1005", ""]


def read_back(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def is_inert(cell: str) -> bool:
    return not cell.startswith(FORMULA_STARTS)


@pytest.mark.parametrize("formula", FORMULAS)
def test_text_starting_like_a_formula_gets_a_leading_quote(formula):
    assert inert_cell(formula) == "'" + formula


@pytest.mark.parametrize("text", PLAIN)
def test_other_text_is_left_as_it_is(text):
    assert inert_cell(text) == text


@pytest.mark.parametrize("formula", FORMULAS + PLAIN)
def test_the_import_reads_back_what_the_export_neutralised(formula):
    assert restored_cell(str(inert_cell(formula))) == formula


@pytest.mark.parametrize("formula", FORMULAS)
def test_every_formula_in_an_export_reads_back_inert(formula):
    text = csv_text(columns=["description"], rows=[{"description": formula}])
    [row] = read_back(text)
    assert row["description"] == "'" + formula
    assert is_inert(row["description"])


def test_a_negative_number_stays_a_number_and_negative_text_is_neutralised():
    text = csv_text(
        columns=["amount", "count", "description"],
        rows=[{"amount": Decimal("-12.50"), "count": -3, "description": "-2+3"}],
    )
    assert text.splitlines()[1] == "-12.5,-3,'-2+3"


def test_a_decimal_is_written_in_plain_digits_and_none_as_an_empty_cell():
    text = csv_text(
        columns=["amount", "rate", "note"],
        rows=[{"amount": Decimal("1E+2"), "rate": Decimal("0.5900"), "note": None}],
    )
    assert read_back(text) == [{"amount": "100", "rate": "0.59", "note": ""}]


def test_embedded_quotes_commas_and_line_breaks_are_escaped_not_split():
    awkward = '=A1&"," \n"x"'
    text = csv_text(columns=["a", "b"], rows=[{"a": awkward, "b": 'say "hi"'}])
    assert '"\'=A1&"","" \n""x"""' in text  # quotes doubled inside a quoted cell
    assert read_back(text) == [{"a": "'" + awkward, "b": 'say "hi"'}]
