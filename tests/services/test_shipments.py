"""Shipments: paging and filtering in SQL, edits, status changes, CSV import."""

from decimal import Decimal

import pytest
from sqlmodel import select

from models import IntegrationLog, Shipment, SyncJob, SyncState
from services.csv_import import ImportError_, export_csv, import_shipments, parse_csv
from services.mapping import update_sync_settings
from services.shipment_edits import change_status, update_shipment
from services.shipments import (
    ShipmentError,
    ShipmentFilter,
    changed_since_attempt,
    count_matching,
    last_attempts,
    list_shipments,
    shipment_total,
    totals_by_currency,
)
from tests.utils.factories import (
    id_of,
    line,
    make_shipment,
    seed_reference,
    shipment_fields,
)


def test_list_pages_and_filters_in_sql(session):
    for n in range(25):
        make_shipment(
            session,
            buyer_code="ACME" if n % 2 else "BOLT",
            lines=[line(product_code="CRATE" if n == 3 else "WIDGET-A")],
        )
    page = list_shipments(session=session, page=3, page_size=10, sort="number", descending=False)
    assert page.total == 25 and page.pages == 3 and len(page.rows) == 5
    assert [r.shipment_number for r in page.rows] == sorted(r.shipment_number for r in page.rows)
    assert list_shipments(session=session, flt=ShipmentFilter(search="bolt")).total == 13
    found = list_shipments(session=session, flt=ShipmentFilter(search="CRATE")).rows
    assert len(found) == 1 and found[0].lines[0].product_code == "CRATE"


def test_editing_a_processed_shipment_marks_it_changed(session):
    shipment = make_shipment(session)
    shipment.sync_state = SyncState.PROCESSED
    session.flush()
    update_shipment(
        session=session,
        shipment_id=id_of(shipment),
        fields=shipment_fields(shipment_number=shipment.shipment_number),
        lines=[line(quantity="5")],
        user="ops",
    )
    assert shipment.sync_state == SyncState.CHANGED
    assert [x.quantity for x in shipment.lines] == [Decimal("5")]


def test_duplicate_numbers_are_refused(session):
    make_shipment(session, shipment_number="DUP-1")
    with pytest.raises(ShipmentError, match="DUP-1 is already used"):
        make_shipment(session, shipment_number="DUP-1")


def test_status_change_of_eleven_is_refused_and_changes_nothing(session):
    ids = [id_of(make_shipment(session)) for _ in range(11)]
    with pytest.raises(ShipmentError, match="at most 10"):
        change_status(session=session, shipment_ids=ids, status="Shipped", user="ops")
    assert not session.exec(select(Shipment).where(Shipment.workflow_status == "Shipped")).all()


def test_reaching_the_trigger_status_queues_when_set(session):
    update_sync_settings(session=session, user="admin", changes={"queue_on_trigger": True})
    shipments = [make_shipment(session) for _ in range(3)]
    change_status(
        session=session, shipment_ids=[id_of(s) for s in shipments[:2]], status="Packed", user="ops"
    )
    assert session.exec(select(SyncJob)).all() == []
    change_status(
        session=session,
        shipment_ids=[id_of(s) for s in shipments[:2]],
        status="Shipped",
        user="ops",
    )
    jobs = session.exec(select(SyncJob)).all()
    assert sorted(j.shipment_id for j in jobs) == sorted(id_of(s) for s in shipments[:2])
    assert {s.sync_state for s in shipments[:2]} == {SyncState.QUEUED}


CSV = """\
shipment_number,buyer_code,currency,exchange_rate,invoice_date,due_date,incoterms,\
product_code,quantity,unit_price,item_value
C-1,ACME,USD,0.59,2026-11-01,2026-12-01,FOB,WIDGET-A,4,12.50,50.00
C-1,ACME,USD,0.59,2026-11-01,2026-12-01,FOB,CRATE,1,45,45
C-2,BOLT,EURO,,2026-11-02,2026-12-02,CIF,WIDGET-B,2,20,40
C-3,CASC,AUD,,31/11/2026,2026-12-03,EXW,PALLET,x,18,18
"""


def test_csv_errors_name_row_and_column_and_save_nothing(session):
    preview = parse_csv(CSV, session=session)
    assert [str(e) for e in preview.errors] == [
        "Row 4, currency: 'EURO' is not a currency code: use three letters, e.g. USD",
        "Row 5, invoice_date: '31/11/2026' is not a date: use YYYY-MM-DD, e.g. 2026-11-30",
        "Row 5, quantity: 'x' is not a number: use digits with a dot for decimals, e.g. 12.50",
    ]
    with pytest.raises(ImportError_, match="3 problem"):
        import_shipments(session=session, preview=preview, user="ops")
    assert session.exec(select(Shipment)).all() == []


def test_csv_a_decimal_comma_is_refused_not_read_as_a_bigger_number(session):
    text = (
        CSV.splitlines()[0]
        + "\n"
        + "\n".join(
            [
                'D-1,ACME,USD,"0,59",2026-11-01,2026-12-01,FOB,WIDGET-A,4,12.50,50.00',
                'D-2,ACME,USD,0.59,2026-11-01,2026-12-01,FOB,WIDGET-A,100,12.50,"1,250.00"',
            ]
        )
    )
    preview = parse_csv(text, session=session)
    assert [str(e) for e in preview.errors] == [
        "Row 2, exchange_rate: '0,59' is not a number: use digits with a dot for decimals, "
        "e.g. 12.50"
    ]
    [good] = [p for p in preview.shipments if p.fields.shipment_number == "D-2"]
    assert good.lines[0].item_value == Decimal("1250.00")


def test_csv_imports_only_good_rows_when_asked_and_round_trips(session):
    preview = parse_csv(CSV, session=session)
    result = import_shipments(session=session, preview=preview, user="ops", only_good_rows=True)
    assert result.imported == 1 and result.skipped_rows == [4, 5]
    shipment = session.exec(select(Shipment)).one()
    assert shipment.shipment_number == "C-1" and len(shipment.lines) == 2
    exported = export_csv([shipment])
    assert exported.count("C-1") == 2
    again = parse_csv(exported, session=session)
    assert [str(e) for e in again.errors] == [
        "Row 2, shipment_number: shipment C-1 already exists: remove the row or change the number"
    ]


def test_a_shipments_total_is_its_lines_plus_freight_as_its_document(session):
    two_lines = [line(quantity="4", unit_price="12.50"), line("GEAR-100", "1", "75")]
    with_freight = make_shipment(
        session, currency="USD", freight_amount=Decimal("85"), lines=two_lines
    )
    make_shipment(session, currency="USD", lines=[line(quantity="2", unit_price="10")])
    make_shipment(session, currency="EUR", freight_amount=Decimal("5"), lines=[])
    session.flush()
    assert shipment_total(with_freight) == Decimal("210.00")  # 50 + 75 + 85 freight
    assert sorted(totals_by_currency(session=session)) == [
        ("EUR", "Not sent", Decimal("5.00"), 1),
        ("USD", "Not sent", Decimal("230.00"), 2),
    ]


HEADER = CSV.splitlines()[0]


def test_csv_negative_amounts_are_row_and_column_errors(session):
    text = "\n".join(
        [
            HEADER,
            "N-1,ACME,USD,-0.59,2026-11-01,2026-12-01,FOB,WIDGET-A,-4,12.50,-50.00",
            "N-2,ACME,USD,0.59,2026-11-01,2026-12-01,FOB,WIDGET-A,4,-12.50,50.00",
        ]
    )
    preview = parse_csv(text, session=session)
    assert [str(e) for e in preview.errors] == [
        "Row 2, exchange_rate: -0.59 is not valid: enter a rate above 0, or leave it empty to "
        "let Xero apply its daily rate",
        "Row 2, item_value: -50 cannot be negative: enter 0 or more",
        "Row 2, quantity: -4 cannot be negative: enter 0 or more",
        "Row 3, unit_price: -12.50 cannot be negative: enter 0 or more",
    ]
    assert preview.good_shipments == []
    with pytest.raises(ImportError_, match="Every shipment in the file has a problem"):
        import_shipments(session=session, preview=preview, user="ops", only_good_rows=True)
    assert session.exec(select(Shipment)).all() == []


def test_csv_preview_runs_the_sends_checks(session):
    text = "\n".join(
        [
            HEADER,
            "R-1,ACME,USD,0.59,2026-11-01,2026-12-01,FOB,WIDGET-A,4,12.50,50.00",
            "R-2,ACME,USD,0.59,2026-11-01,2026-12-01,FOB,WIDGET-A,4,12.50,60.00",
            "R-3,ACME,USD,0.59,2026-11-01,,FOB,WIDGET-A,4,12.50,50.00",
            "R-4,ALOK,USD,0.59,2026-11-01,2026-12-01,FOB,WIDGET-A,4,12.50,50.00",
        ]
    )
    fields_only = parse_csv(text, session=session)  # nothing connected: fields only
    assert fields_only.checked_against is None
    ready = {p.fields.shipment_number: fields_only.ready_to_send(p) for p in fields_only.shipments}
    assert ready == {"R-1": "not checked", "R-2": "no", "R-3": "no", "R-4": "not checked"}

    seed_reference(session)
    preview = parse_csv(text, session=session)
    assert preview.checked_against == "Test Org"
    by_number = {p.fields.shipment_number: p for p in preview.shipments}
    assert {n: preview.ready_to_send(p) for n, p in by_number.items()} == {
        "R-1": "yes",
        "R-2": "no",
        "R-3": "no",
        "R-4": "no",
    }
    assert by_number["R-2"].send_problems == [
        "Line 1: item value 60.00 is not quantity × unit price (4 × 12.50 = 50.00): "
        "correct the quantity, the unit price or the item value."
    ]
    assert by_number["R-3"].send_problems == ["Due date is missing: enter the date payment is due."]
    assert by_number["R-4"].send_problems[0].startswith("Customer code ALOK is not a Xero")


@pytest.mark.parametrize("text", ["", "\ufeff\n", HEADER + "\n"])
def test_an_empty_csv_has_no_shipments_and_imports_nothing(session, text):
    preview = parse_csv(text, session=session)
    assert preview.is_empty and preview.errors == []
    with pytest.raises(ImportError_, match="The file has no shipments"):
        import_shipments(session=session, preview=preview, user="ops")


def test_changed_since_the_last_attempt_is_an_edit_after_it(session):
    edited, untouched, never = (make_shipment(session) for _ in range(3))
    for shipment in (edited, untouched):  # sent after they were made
        session.add(
            IntegrationLog(
                shipment_id=shipment.id,
                shipment_number=shipment.shipment_number,
                trigger="bulk",
                outcome="Rejected",
            )
        )
    session.flush()
    update_shipment(  # then one is fixed
        session=session,
        shipment_id=id_of(edited),
        fields=shipment_fields(shipment_number=edited.shipment_number, incoterms="CIF"),
        lines=[line()],
        user="ops",
    )
    session.flush()
    attempts = last_attempts(
        session=session, shipment_ids=[id_of(edited), id_of(untouched), id_of(never)]
    )
    assert set(attempts) == {id_of(edited), id_of(untouched)}
    assert changed_since_attempt(edited, attempts[id_of(edited)])
    assert not changed_since_attempt(untouched, attempts[id_of(untouched)])
    assert not changed_since_attempt(never, attempts.get(id_of(never)))


def test_a_save_with_nothing_changed_changes_nothing(session):
    shipment = make_shipment(session, shipment_number="SAME-1")
    shipment.sync_state = SyncState.PROCESSED
    session.flush()
    before = shipment.updated_at
    same = {
        name: getattr(shipment, name) for name in shipment_fields().model_dump() if name != "id"
    }
    update_shipment(
        session=session,
        shipment_id=id_of(shipment),
        fields=shipment_fields(**same),
        lines=[line()],
        user="ops",
    )
    assert (shipment.updated_at, shipment.sync_state) == (before, SyncState.PROCESSED)
    update_shipment(
        session=session,
        shipment_id=id_of(shipment),
        fields=shipment_fields(**{**same, "incoterms": "CIF"}),
        lines=[line()],
        user="ops",
    )
    assert shipment.sync_state == SyncState.CHANGED and shipment.updated_at > before


def test_count_matching_says_how_many_of_these_numbers_the_filter_shows(session):
    for number, code in (("M-1", "ACME"), ("M-2", "BOLT"), ("M-3", "ACME")):
        make_shipment(session, shipment_number=number, buyer_code=code, consignee_code=code)
    shows = count_matching(
        session=session, flt=ShipmentFilter(search="acme"), numbers=["M-1", "M-2", "M-3"]
    )
    assert shows == 2
    assert count_matching(session=session, flt=ShipmentFilter(), numbers=[]) == 0
