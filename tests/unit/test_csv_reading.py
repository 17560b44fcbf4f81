"""Reading a shipments CSV: every problem the file shows by itself, with its row and column.
Pure: read_csv needs no database (parse_csv adds what the database knows)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from models import WorkflowStatus
from services.csv_import import COLUMNS, export_csv, read_csv
from tests.utils.factories import line, shipment_in_memory

HEADER = (
    "shipment_number,buyer_code,currency,exchange_rate,invoice_date,due_date,incoterms,"
    "product_code,quantity,unit_price,item_value"
)


def csv_of(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def problems(text: str) -> list[str]:
    return [str(e) for e in read_csv(text).errors]


def test_rows_sharing_a_number_are_one_shipment_with_their_lines():
    preview = read_csv(
        csv_of(
            "C-1,ACME,usd,0.59,2026-11-01,2026-12-01,FOB,WIDGET-A,4,12.50,50.00",
            "C-1,ACME,USD,0.59,2026-11-01,2026-12-01,FOB,CRATE,1,45,45",
        )
    )
    assert preview.errors == []
    [shipment] = preview.shipments
    assert shipment.rows == [2, 3]
    assert shipment.fields.currency == "USD"
    assert shipment.fields.invoice_date == date(2026, 11, 1)
    assert shipment.workflow_status == "Draft"
    assert [(x.product_code, x.quantity, x.item_value) for x in shipment.lines] == [
        ("WIDGET-A", Decimal("4"), Decimal("50.00")),
        ("CRATE", Decimal("1"), Decimal("45")),
    ]


def test_each_bad_cell_is_named_by_row_and_column():
    assert problems(
        csv_of(
            "C-2,BOLT,EURO,,2026-11-02,2026-12-02,CIF,WIDGET-B,2,20,40",
            "C-3,CASC,AUD,,31/11/2026,2026-12-03,EXW,PALLET,x,18,18",
        )
    ) == [
        "Row 2, currency: 'EURO' is not a currency code: use three letters, e.g. USD",
        "Row 3, invoice_date: '31/11/2026' is not a date: use YYYY-MM-DD, e.g. 2026-11-30",
        "Row 3, quantity: 'x' is not a number: use digits with a dot for decimals, e.g. 12.50",
    ]


def test_a_decimal_comma_is_refused_not_read_as_a_bigger_number():
    preview = read_csv(
        csv_of(
            'D-1,ACME,USD,"0,59",2026-11-01,2026-12-01,FOB,WIDGET-A,4,12.50,50.00',
            'D-2,ACME,USD,0.59,2026-11-01,2026-12-01,FOB,WIDGET-A,100,12.50,"1,250.00"',
        )
    )
    assert [str(e) for e in preview.errors] == [
        "Row 2, exchange_rate: '0,59' is not a number: use digits with a dot for decimals, "
        "e.g. 12.50"
    ]
    assert [s.fields.shipment_number for s in preview.good_shipments] == ["D-2"]
    assert preview.good_shipments[0].lines[0].item_value == Decimal("1250.00")


def test_negative_amounts_are_row_and_column_errors():
    preview = read_csv(
        csv_of(
            "N-1,ACME,USD,-0.59,2026-11-01,2026-12-01,FOB,WIDGET-A,-4,12.50,-50.00",
            "N-2,ACME,USD,0.59,2026-11-01,2026-12-01,FOB,WIDGET-A,4,-12.50,50.00",
        )
    )
    assert [str(e) for e in preview.errors] == [
        "Row 2, exchange_rate: -0.59 is not valid: enter a rate above 0, or leave it empty to "
        "let Xero apply its daily rate",
        "Row 2, item_value: -50 cannot be negative: enter 0 or more",
        "Row 2, quantity: -4 cannot be negative: enter 0 or more",
        "Row 3, unit_price: -12.50 cannot be negative: enter 0 or more",
    ]
    assert preview.good_shipments == []


def test_rows_of_one_shipment_that_disagree_say_where_and_how():
    assert problems(
        csv_of(
            "E-1,ACME,USD,0.59,2026-11-01,2026-12-01,FOB,WIDGET-A,4,12.50,50.00",
            "E-1,ACME,EUR,0.59,2026-11-01,2026-12-01,FOB,CRATE,1,45,45",
        )
    ) == [
        "Row 3, currency: differs from row 2 of shipment E-1 (USD there, EUR here): give every "
        "row of a shipment the same value, or leave it empty after the first"
    ]


def test_a_file_without_a_shipment_number_column_says_which_columns_it_expects():
    assert problems("buyer_code,currency\nACME,USD\n") == [
        "Row 1, shipment_number: the header has no shipment_number column; expected columns: "
        + ", ".join(COLUMNS)
    ]


def test_an_unknown_column_is_named():
    said = problems(
        csv_of("U-1,ACME,USD,0.59,2026-11-01,2026-12-01,FOB,W,1,1,1,x", header=HEADER + ",colour")
    )
    assert said == [f"Row 1, colour: unknown column; expected: {', '.join(COLUMNS)}"]


@pytest.mark.parametrize("text", ["", "\ufeff\n", HEADER + "\n", csv_of(",,,,,,,,,,")])
def test_an_empty_file_has_no_shipments_and_no_problems(text):
    assert read_csv(text).is_empty


def test_a_status_is_read_in_any_case_and_an_unknown_one_is_named():
    header = HEADER + ",workflow_status"
    row = "S-{n},ACME,USD,0.59,2026-11-01,2026-12-01,FOB,WIDGET-A,4,12.50,50.00,{status}"
    preview = read_csv(
        csv_of(row.format(n=1, status="shipped"), row.format(n=2, status="Lost"), header=header)
    )
    assert preview.shipments[0].workflow_status == "Shipped"
    assert [str(e) for e in preview.errors] == [
        "Row 3, workflow_status: 'Lost' is not a status: use one of "
        + ", ".join(s.value for s in WorkflowStatus)
    ]


def test_what_the_export_writes_the_import_reads_back_unchanged():
    shipment = shipment_in_memory(
        freight_amount=Decimal("85.50"),
        lines=[
            line(quantity="4", unit_price="12.50"),
            line("CRATE", "1", "45", description="Box, wooden"),
        ],
    )
    [again] = read_csv(export_csv([shipment])).shipments
    assert again.fields.model_dump() == {
        k: v for k, v in shipment.model_dump().items() if k in again.fields.model_dump()
    }
    assert [x.model_dump() for x in again.lines] == [
        {k: getattr(x, k) for k in again.lines[0].model_dump()} for x in shipment.lines
    ]
