"""Reading a CSV as a stream: the same answer from text, bytes or an open file; rows
numbered as a spreadsheet shows them; problems found before the whole file is read."""

from __future__ import annotations

import io

from services.csv_import import read_csv

HEADER = "shipment_number,buyer_code,quantity,description\n"


def test_text_bytes_and_an_open_file_read_the_same():
    text = HEADER + "S-1,ACME,4,Blue\nS-2,ACME,x,Red\n"
    answers = [read_csv(source) for source in (text, text.encode(), io.BytesIO(text.encode()))]
    said = [[str(e) for e in a.errors] for a in answers]
    assert said == [said[0]] * 3
    assert said[0] == [
        "Row 3, quantity: 'x' is not a number: use digits with a dot for decimals, e.g. 12.50"
    ]
    assert [[s.fields.shipment_number for s in a.shipments] for a in answers] == [
        ["S-1", "S-2"]
    ] * 3


def test_rows_are_numbered_as_the_spreadsheet_shows_them_blank_lines_included():
    preview = read_csv(HEADER + "\nS-1,ACME,4,Blue\n\n\nS-2,ACME,-1,Red\n")
    assert [s.rows for s in preview.shipments] == [[3], [6]]
    assert [(e.row, e.column) for e in preview.errors] == [(6, "quantity")]


def test_a_line_that_is_not_utf8_stops_the_reading_where_it_is():
    def lines():
        yield HEADER.encode()
        yield "S-1,ACME,4,Caf\u00e9\n".encode("cp1252")
        raise AssertionError("read past the line that is not UTF-8")

    preview = read_csv(lines())
    assert [(e.row, e.column) for e in preview.errors] == [(2, "description")]
    assert preview.broken and preview.good_shipments == []


def test_a_description_over_several_lines_is_one_value():
    preview = read_csv(HEADER + 'S-1,ACME,4,"Blue widget\nboxed in tens, by two"\nS-2,ACME,1,x\n')
    assert preview.errors == []
    assert preview.shipments[0].lines[0].description == "Blue widget\nboxed in tens, by two"
    assert preview.shipments[1].rows == [3]
