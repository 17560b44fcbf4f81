"""The Shipments search answered from its index (FTS5 trigram tables on SQLite, pg_trgm on
PostgreSQL) matches what it matched as a scan: any part of a shipment number, customer
(buyer) or consignee code or a line's product code, ignoring case; and it follows every
change (a new shipment, an edit, a deleted line or shipment) without a rebuild."""

from __future__ import annotations

from sqlmodel import select

from models import Shipment
from services.shipments import ShipmentFilter, count_matching, list_shipments, update_shipment
from tests.utils.factories import id_of, line, make_shipment, shipment_fields


def numbers(session, term: str) -> list[str]:
    found = list_shipments(session=session, flt=ShipmentFilter(search=term), page_size=100)
    return sorted(s.shipment_number for s in found.rows)


def test_any_part_of_any_field_matches_ignoring_case(session):
    make_shipment(session, shipment_number="EXP-7731", buyer_code="NORTHWIND", lines=[line()])
    make_shipment(
        session,
        shipment_number="EXP-7732",
        buyer_code="ACME",
        consignee_code="HARBOURSIDE",
        lines=[line(product_code="GEARBOX-12")],
    )
    session.flush()

    assert numbers(session, "thwi") == ["EXP-7731"]  # inside a customer code
    assert numbers(session, "bourS") == ["EXP-7732"]  # consignee, any case
    assert numbers(session, "box-1") == ["EXP-7732"]  # inside a product code
    assert numbers(session, "p-773") == ["EXP-7731", "EXP-7732"]  # inside the numbers
    assert numbers(session, "  exp-7731 ") == ["EXP-7731"]  # surrounding spaces ignored
    assert numbers(session, "zzz") == []


def test_terms_shorter_than_a_trigram_still_match_as_before(session):
    make_shipment(session, shipment_number="A-1", buyer_code="QX", lines=[line()])
    make_shipment(session, shipment_number="B-2", buyer_code="ACME", lines=[line()])
    session.flush()

    assert numbers(session, "qx") == ["A-1"]
    assert numbers(session, "2") == ["B-2"]


def test_the_index_follows_edits_and_deletes(session):
    shipment = make_shipment(session, buyer_code="OLDCO", lines=[line(product_code="BOLT-9")])
    other = make_shipment(session, buyer_code="KEEPCO", lines=[line(product_code="NUT-1")])
    session.flush()
    assert numbers(session, "oldco") == [shipment.shipment_number]

    update_shipment(
        session=session,
        shipment_id=id_of(shipment),
        fields=shipment_fields(shipment_number=shipment.shipment_number, buyer_code="NEWCO"),
        lines=[line(product_code="WASHER-3")],
        user="test",
    )
    session.flush()
    assert numbers(session, "oldco") == []
    assert numbers(session, "newco") == [shipment.shipment_number]
    assert numbers(session, "bolt-9") == []  # the old line is gone from the index
    assert numbers(session, "washer") == [shipment.shipment_number]

    session.delete(session.exec(select(Shipment).where(Shipment.id == other.id)).one())
    session.flush()
    assert numbers(session, "keepco") == []
    assert numbers(session, "nut-1") == []


def test_a_full_first_page_is_counted_and_a_short_one_is_its_own_count(session):
    for n in range(7):
        make_shipment(session, buyer_code=f"BULK-{n}", lines=[line()])
    session.flush()
    flt = ShipmentFilter(search="bulk")

    short = list_shipments(session=session, flt=flt, page_size=10)
    full = list_shipments(session=session, flt=flt, page_size=3, count_cap=5)
    second = list_shipments(session=session, flt=flt, page=2, page_size=3)

    assert (short.total, short.capped, len(short.rows)) == (7, False, 7)
    assert (full.total, full.capped, full.total_text, len(full.rows)) == (5, True, "5+", 3)
    assert (second.total, second.page, len(second.rows)) == (7, 2, 3)
    numbers_ = [s.shipment_number for s in short.rows]
    assert count_matching(session=session, flt=flt, numbers=numbers_[:4]) == 4
