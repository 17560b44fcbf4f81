"""The Shipments search answered from its index (on SQLite the distinct codes' and the
shipment numbers' FTS5 trigram tables, migration a6e3f1c8d2b7; pg_trgm on PostgreSQL) matches
what it matched as a scan: any part of a shipment number, customer (buyer) or consignee code
or a line's product code, ignoring case; and it follows every change (a new shipment, an
edit, a deleted line or shipment, a write in plain SQL) without a rebuild."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlmodel import select

from models import Shipment, SyncState
from services import search
from services.db import session_scope
from services.settings import PROJECT_ROOT
from services.shipment_edits import update_shipment
from services.shipments import ShipmentFilter, count_matching, list_shipments
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


def test_codes_written_in_plain_sql_are_found(session):
    """The codes are indexed by triggers (SQLite) or the field indexes (PostgreSQL), not by
    the service: a bulk UPDATE or INSERT of any writer is searchable at once."""
    shipment = make_shipment(session, buyer_code="PLAIN-1", lines=[line(product_code="ROD-1")])
    session.flush()
    session.execute(
        text("UPDATE shipment SET consignee_code = 'QUAYSIDE-7' WHERE id = :id"),
        {"id": shipment.id},
    )
    session.execute(
        text(
            "INSERT INTO shipment_line (shipment_id, line_no, product_code) "
            "VALUES (:id, 2, 'SPROCKET-44')"
        ),
        {"id": shipment.id},
    )

    assert numbers(session, "quaysi") == [shipment.shipment_number]
    assert numbers(session, "rocket-4") == [shipment.shipment_number]
    assert numbers(session, "qu") == [shipment.shipment_number]  # short: LIKE over the codes


def test_one_code_used_by_many_shipments_finds_each_once(session):
    """A code is matched once among the distinct codes; every shipment using it, as customer,
    consignee or on a line, is found, and one using it twice is listed once."""
    both = make_shipment(session, buyer_code="SHARED-9", consignee_code="SHARED-9", lines=[line()])
    as_product = make_shipment(session, lines=[line(product_code="SHARED-9")] * 2)
    make_shipment(session, buyer_code="OTHER-1", lines=[line()])
    session.flush()

    found = list_shipments(session=session, flt=ShipmentFilter(search="ared-9"), page_size=10)
    assert sorted(s.shipment_number for s in found.rows) == sorted(
        [both.shipment_number, as_product.shipment_number]
    )
    assert found.total == 2


def test_unsent_only_shows_the_shipments_waiting_to_be_sent_newest_first(session):
    made = {}
    for state in SyncState:
        shipment = make_shipment(session, lines=[line()])
        shipment.sync_state = state.value
        made[state] = shipment.shipment_number
    session.flush()

    shown = list_shipments(session=session, flt=ShipmentFilter(unsent_only=True), page_size=10)

    unsent = [SyncState.CHANGED, SyncState.REJECTED, SyncState.NOT_SENT]  # newest first
    assert [s.shipment_number for s in shown.rows] == [made[s] for s in unsent]


def test_the_upgrade_indexes_the_codes_and_numbers_already_stored(engine):
    """Migration a6e3f1c8d2b7 fills its codes table and number index from the rows there:
    shipments stored before it are found after it, by every field."""
    with session_scope(engine) as session:
        make_shipment(
            session,
            shipment_number="OLD-4411",
            buyer_code="EARLYBIRD",
            consignee_code="HARBOUR-2",
            lines=[line(product_code="FLANGE-77")],
        )
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "c3d9e1f7a2b4")
        command.upgrade(config, "head")

    with session_scope(engine) as session:
        for term in ("rlybi", "bour-2", "ange-7", "d-441"):
            assert numbers(session, term) == ["OLD-4411"], term


def _ids(session, condition) -> list[int]:
    return sorted(session.exec(select(Shipment.id).where(condition)))


@pytest.mark.parametrize("line_set_max", [search.LINE_SET_MAX, 0], ids=["line-set", "by-line"])
def test_walking_the_shipments_finds_what_the_lookups_find(session, monkeypatch, line_set_max):
    """A term most shipments match is tested on each shipment (search.walk_wanted) rather
    than looked up: both find the same shipments, by every field, for long and short terms,
    broad number terms among them, whether a line's codes are collected or read line by
    line (LINE_SET_MAX 0: never collected)."""
    monkeypatch.setattr(search, "LINE_SET_MAX", line_set_max)
    make_shipment(session, shipment_number="EXP-7731", buyer_code="NORTHWIND", lines=[line()])
    make_shipment(
        session,
        shipment_number="EXP-7732",
        consignee_code="HARBOURSIDE",
        lines=[line(product_code="GEARBOX-12"), line(product_code="NUT-1")],
    )
    make_shipment(session, shipment_number="QX-1", buyer_code="ACME", lines=[])
    make_shipment(session, shipment_number="Exp_42", buyer_code="ACME", lines=[])
    session.flush()
    # SQLite matches "_" and "%" as characters; PostgreSQL's ILIKE as wildcards (EXP-773x).
    wildcards = {"sqlite": 0, "postgresql": 2}[session.get_bind().dialect.name]

    for term, expected in (
        ("thwi", 1),
        ("BOURs", 1),
        ("box-1", 1),
        ("p-773", 2),
        ("qx", 1),
        ("exp", 3),  # a broad number term: every number but one
        ("xP-", 2),  # "-" is not "_"
        ("p_4", 1),
        ("p_7", wildcards),
        ("p%7", wildcards),
        ("1", 3),  # short: in numbers and a product code
        ("42", 1),
        ("zz", 0),
    ):
        looked_up = _ids(session, search.matches(term))
        walked = _ids(session, search.matches(term, walk=True))
        assert (len(looked_up), walked) == (expected, looked_up), term


def _made_in_shuffled_order(session, numbers: list[str]) -> None:
    """Shipments whose creation order is not their id order (the page's order is creation)."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n, number in enumerate(numbers):
        shipment = make_shipment(session, shipment_number=number, lines=[line()])
        shipment.created_at = start + timedelta(hours=(n * 7) % len(numbers))
    session.flush()


@pytest.mark.parametrize("descending", [True, False], ids=["newest-first", "oldest-first"])
@pytest.mark.parametrize("term", ["shp-", "0", "1"])
def test_a_walked_page_is_the_looked_up_page_in_the_same_order_and_count(
    session, monkeypatch, term, descending
):
    """A broad number term ("SHP-"), or a short one, walked or looked up: the same rows in
    the same order on each page, newest or oldest first, and the count stops at the cap
    ("5+"): page 2 shows the sixth match, the one that told the count there are more."""
    _made_in_shuffled_order(session, [f"SHP-{n:04d}" for n in range(1, 24)] + ["OTHER-9"])
    flt = ShipmentFilter(search=term)
    pages = {}
    for walk in (True, False):
        monkeypatch.setattr(search, "walk_wanted", lambda _session, _term, w=walk: w)
        pages[walk] = [
            list_shipments(
                session=session,
                flt=flt,
                page=n,
                page_size=3,
                count_cap=5,
                descending=descending,
            )
            for n in (1, 2)
        ]

    def shown(page):
        return ([s.shipment_number for s in page.rows], page.total_text, page.capped)

    assert [shown(p) for p in pages[True]] == [shown(p) for p in pages[False]]
    assert [shown(p)[1:] for p in pages[True]] == [("5+", True)] * 2
    everything = list_shipments(session=session, flt=flt, page_size=100)
    in_order = sorted(everything.rows, key=lambda s: (s.created_at, s.id), reverse=descending)
    assert [s.shipment_number for p in pages[True] for s in p.rows] == [
        s.shipment_number for s in in_order[:6]
    ]


def test_a_walk_is_wanted_only_when_most_shipments_use_a_matched_code(session, monkeypatch):
    """PostgreSQL weighs a walk's length, COUNT_CAP / share shipments, against the lookup's:
    with a cap of 1, 30 shipments are a big table."""
    monkeypatch.setattr(search, "COUNT_CAP", 1)
    for n in range(29):  # one in ten of 30 shipments is the line
        make_shipment(session, buyer_code=f"COMMON-{n}", lines=[line(product_code="BOLT-9")])
    make_shipment(session, buyer_code="RARE-1", lines=[line()])
    session.flush()

    assert search.walk_wanted(session, "common") is True
    assert search.walk_wanted(session, "bolt") is True
    assert search.walk_wanted(session, "rare-1") is False


def test_a_walk_is_wanted_when_nearly_every_number_or_a_short_term_matches(
    session, engine, monkeypatch
):
    """Numbers: a term nearly every number contains ("SHP-") walks; one only some contain,
    a run of consecutive numbers ("SHP-001"), is looked up; a short term many shipments
    contain ("1") walks, one few contain is looked up. PostgreSQL also weighs the walk's
    length (COUNT_CAP / share): "3", in 4 of 30 numbers, would read 38 rows at a cap of 1
    (PG_WALK_COST 5), more than the 30 its lookup reads; SQLite walks one in WALK_SHARE."""
    monkeypatch.setattr(search, "COUNT_CAP", 1)
    for n in range(1, 31):
        make_shipment(session, shipment_number=f"SHP-{n:04d}", buyer_code="ACME", lines=[])
    session.flush()

    assert search.walk_wanted(session, "shp-") is True  # every number
    assert search.walk_wanted(session, "p-0") is True
    assert search.walk_wanted(session, "shp-001") is False  # 10 of 30: a run, looked up
    assert search.walk_wanted(session, "shp-0012") is False
    assert search.walk_wanted(session, "1") is True  # 12 of 30
    assert search.walk_wanted(session, "27") is False  # 1 of 30
    walks = {"sqlite": True, "postgresql": False}[engine.dialect.name]
    assert search.walk_wanted(session, "3") is walks  # 4 of 30 (3, 13, 23, 30)


def test_on_postgresql_a_walk_is_wanted_only_when_it_reads_fewer_rows(session, engine):
    """At the page's real cap (10,000), a term all 30 shipments match ("ACME"), or 12 of
    them, is looked up on PostgreSQL: a walk would read them all, in the order's index,
    to fill a page the lookup fills from its matches. SQLite, which weighs shares alone,
    walks."""
    for n in range(1, 31):
        make_shipment(session, shipment_number=f"SHP-{n:04d}", buyer_code="ACME", lines=[])
    session.flush()

    walks = {"sqlite": True, "postgresql": False}[engine.dialect.name]
    assert search.walk_wanted(session, "acme") is walks
    assert search.walk_wanted(session, "1") is walks
