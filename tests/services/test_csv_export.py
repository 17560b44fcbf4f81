"""The Shipments export, as the page writes it, holds no cell a spreadsheet would run."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from services.csv_import import DECIMALS, export_csv, read_csv
from services.csv_safety import FORMULA_STARTS
from services.shipments import list_shipments
from tests.utils.factories import line, make_shipment

FORMULAS = [
    '=HYPERLINK("http://x")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3",
    "\t=1",
    "\r=1",
    "＝1",
]


def saved_with_formulas(session) -> None:
    for n, formula in enumerate(FORMULAS, start=1):
        make_shipment(
            session,
            shipment_number=f"F-{n}",
            exporter_reference=formula,
            buyer_code=formula,
            invoice_number=formula,
            lines=[line(description=formula, unit_price="-12.50", item_value="-50.00")],
        )
    session.flush()


def test_exported_shipments_hold_no_cell_a_spreadsheet_runs(session):
    saved_with_formulas(session)
    shipments = list_shipments(session=session, page_size=len(FORMULAS)).rows
    exported = export_csv(shipments)

    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == len(FORMULAS)
    text_cells = [cell for row in rows for column, cell in row.items() if column not in DECIMALS]
    assert [cell for cell in text_cells if cell.startswith(FORMULA_STARTS)] == []
    for row in rows:
        for column in ("exporter_reference", "buyer_code", "invoice_number", "description"):
            assert row[column].startswith("'") and row[column][1:] in FORMULAS
        # A negative amount is a number, not text: written as one, not neutralised.
        assert Decimal(row["unit_price"]) < 0 and Decimal(row["item_value"]) < 0


def test_the_import_reads_an_export_with_formulas_back_as_it_was(session):
    # In the description, the one text column that may hold any character (line breaks too).
    for n, formula in enumerate(FORMULAS, start=1):
        make_shipment(session, shipment_number=f"F-{n}", lines=[line(description=formula)])
    session.flush()
    shipments = list_shipments(session=session, page_size=len(FORMULAS)).rows

    again = read_csv(export_csv(shipments))

    assert again.errors == []
    assert sorted(p.lines[0].description or "" for p in again.shipments) == sorted(FORMULAS)
