"""The bad-input corpus (tests/data/bad_csv) uploaded on the Shipments page's import: each
file's problems are listed with the row, column and sentence the service and the CLI give,
without a traceback, and nothing is written."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from models import Shipment
from services.csv_import import read_csv
from services.db import session_scope
from tests.pages.helpers import assert_clean
from tests.utils.bad_csv import BROKEN, data, where
from ui import state

# Every broken file (encoding, quotes, header), and one of each other kind of problem.
ON_THE_PAGE = BROKEN + [
    "nul_byte.csv",
    "escape_character.csv",
    "exponent_overflow.csv",
    "nan_amount.csv",
    "decimal_comma.csv",
    "long_description.csv",
    "long_number.csv",
    "conflicting_status.csv",
    "conflicting_customer.csv",
    "day_31_02.csv",
    "extra_values.csv",
    "too_many_decimals_price.csv",
]


def shipments() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(Shipment)).one()


@pytest.mark.parametrize("name", ON_THE_PAGE)
def test_a_bad_file_lists_its_problems_by_row_and_column_and_saves_nothing(app_as, name):
    at = app_as("operations", "shipments")
    before = shipments()
    at.file_uploader[0].upload(name, data(name), "text/csv")
    at.run()
    assert_clean(at, allow_errors=True)
    panel = at.get_by_key(state.IMPORT_PANEL)
    problems = panel.dataframe[-1].value
    expected = read_csv(data(name)).errors
    assert problems[["Row", "Column", "Problem"]].values.tolist() == [
        [e.row, e.column, e.message] for e in expected
    ]
    assert where(name) in [(e.row, e.column) for e in expected]
    assert any("nothing" in e.value for e in panel.error)
    assert shipments() == before


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_file_offers_no_import(app_as, name):
    at = app_as("operations", "shipments")
    at.file_uploader[0].upload(name, data(name), "text/csv")
    at.run()
    panel = at.get_by_key(state.IMPORT_PANEL)
    assert not panel.checkbox and not panel.button
    assert any("nothing can be imported" in e.value for e in panel.error)
