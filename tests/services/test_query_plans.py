"""Plan guards (issue 16, goal 3): the Shipments, Mapping and Dashboard queries are answered
from indexes, so a later change (a dropped index, a rewritten filter) cannot silently turn
them back into reads of every row at a million shipments.

Each test runs the service function the page calls, records the SQL it sends, and asks the
database for that statement's plan with the same parameters:
- PostgreSQL: `EXPLAIN (FORMAT JSON)` with the planner's defaults (no enable_seqscan tricks)
  over enough seeded rows, ANALYZEd, for its choice to mean something: the named index is
  used and no big table (shipment, shipment_line, integration_log, xero_payment) is read
  with a Seq Scan.
- SQLite: `EXPLAIN QUERY PLAN`: the named index (or FTS5 table) is used and no big table is
  SCANned other than through an index.
Dropping the index a test names makes it fail (test_a_dropped_index_fails_the_guard)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bench import query_seed
from models import XeroConnection
from services import aliases, db, finance, integration_log, search, shipments
from services.db import session_scope
from services.paging import COUNT_CAP
from services.shipments import ShipmentFilter
from tests.conftest import DATABASES, _postgres_schema_url
from tests.utils.factories import line, make_shipment

BIG = {"shipment", "shipment_line", "integration_log", "xero_payment"}
# Enough rows that reading every one costs the planner more than an index lookup; bench
# figures (bench/queries.py) are at 100,000 and 1,000,000.
ROWS = {"postgresql": 60_000, "sqlite": 300}
TODAY = query_seed.NOW.date()
RARE_CUSTOMER, RARE_PRODUCT = "ZQ-WX77", "RAXLE-9"  # what a person searches: one customer's code


@pytest.fixture(scope="module", params=DATABASES)
def seeded(request, tmp_path_factory) -> Iterator[Engine]:
    """One database per module, migrated and seeded once (the tests only read it; the one
    that drops an index does so in a transaction it rolls back)."""
    schema = None
    if request.param == "postgres":
        url, schema = _postgres_schema_url(os.environ["TEST_DATABASE_URL"])
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('plans') / 'plans.sqlite3'}"
    engine = create_engine(db.normalise_url(url))
    if request.param == "sqlite":
        event.listen(engine, "connect", db._sqlite_pragmas)
    db.migrate(engine)
    query_seed.seed(engine, ROWS[engine.dialect.name])
    with session_scope(engine) as session:  # codes a person would search for: selective
        make_shipment(session, buyer_code=RARE_CUSTOMER, lines=[line(product_code=RARE_PRODUCT)])
    if engine.dialect.name == "postgresql":  # as autovacuum would; Shipbridge never ANALYZEs SQLite
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.execute(text("ANALYZE"))
    yield engine
    engine.dispose()
    if schema:
        admin = create_engine(db.normalise_url(os.environ["TEST_DATABASE_URL"]))
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def recorded(engine) -> Iterator[list[tuple[str, object]]]:
    """The (statement, parameters) each query inside the block sends."""
    sent: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plans(engine, run: Callable[[Session], object], dropped: str | None = None) -> list[str]:
    """The plan of every SELECT `run` sends, each as one text (lines of the plan); with
    `dropped`, as the database would plan them without that index (dropped in a transaction
    rolled back afterwards)."""
    with recorded(engine) as sent, session_scope(engine) as session:
        run(session)
    selects = [(s, p) for s, p in sent if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert selects, "the service sent no query"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if dropped:
            if engine.dialect.name == "sqlite":
                cursor.execute("BEGIN")
            cursor.execute(f"DROP INDEX {dropped}")
        found = []
        for statement, parameters in selects:
            if engine.dialect.name == "postgresql":
                cursor.execute(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
                found.append(_pg_lines(cursor.fetchone()[0][0]["Plan"]))
            else:
                # The comment makes it a statement of its own: sqlite3 keeps prepared
                # statements, and a kept EXPLAIN would show the plan from before the drop.
                cursor.execute(f"EXPLAIN QUERY PLAN /* {dropped} */ {statement}", parameters)
                found.append("\n".join(row[3] for row in cursor.fetchall()))
        return found
    finally:
        raw.rollback()
        raw.close()


def _pg_lines(node: dict) -> str:
    """One line per plan node: its type, table and index."""
    line = " ".join(
        str(node.get(k, "")) for k in ("Node Type", "Relation Name", "Index Name")
    ).strip()
    children = [_pg_lines(child) for child in node.get("Plans", [])]
    return "\n".join([line, *children])


def full_scans(plan: str) -> list[str]:
    """Lines of a plan that read a whole big table rather than look rows up in an index."""
    pg = re.compile(rf"^Seq Scan ({'|'.join(BIG)})\b")
    sqlite = re.compile(rf"^SCAN ({'|'.join(BIG)})\b(?!.*USING)")
    return [x for x in plan.splitlines() if pg.match(x.strip()) or sqlite.match(x.strip())]


def assert_indexed(
    engine, run: Callable[[Session], object], *index: str, dropped: str | None = None
) -> None:
    found = plans(engine, run, dropped)
    assert [scan for plan in found for scan in full_scans(plan)] == []
    everything = "\n".join(found)
    for name in index:
        assert name in everything, f"{name} is not used:\n{everything}"


def _search(term: str) -> Callable[[Session], object]:
    return lambda s: shipments.list_shipments(
        session=s, flt=ShipmentFilter(search=term), count_cap=COUNT_CAP
    )


# SQLite (migration a6e3f1c8d2b7): a code is matched among the distinct codes' FTS5 table,
# then its shipments are looked up by the B-tree index on the field; numbers have their own.
SEARCH_INDEX: dict[str, dict[str, tuple[str, ...]]] = {
    "customer": {
        "postgresql": ("scale_shipment_buyer_trgm",),
        "sqlite": ("scale_search_code_fts", "ix_shipment_buyer_code", "ix_shipment_consignee"),
    },
    "product": {
        "postgresql": ("scale_shipment_line_product_trgm",),
        "sqlite": ("scale_search_code_fts", "ix_shipment_line_product_shipment"),
    },
    "number": {
        "postgresql": ("scale_shipment_number_trgm",),
        "sqlite": ("scale_shipment_number_fts",),
    },
}
SEARCHED_NUMBER = "SHP-0000150"  # one of the seeded shipments


@pytest.mark.parametrize(
    ("field", "term"),
    [("customer", RARE_CUSTOMER), ("product", RARE_PRODUCT), ("number", SEARCHED_NUMBER)],
)
def test_the_shipments_search_reads_its_index(seeded, field, term):
    assert_indexed(seeded, _search(term), *SEARCH_INDEX[field][seeded.dialect.name])


def test_a_term_most_shipments_match_walks_them_in_page_order_on_sqlite(seeded):
    """Every seeded shipment's customer code contains "CUST-": SQLite tests each shipment
    along the creation index until the capped page is full (search.walk_wanted), rather
    than collect and sort them all; no table is read without an index."""
    if seeded.dialect.name != "sqlite":
        pytest.skip("a SQLite plan (PostgreSQL's walk is guarded below)")
    assert_indexed(seeded, _search("CUST-"), "ix_shipment_created_at")


@pytest.mark.parametrize("term", ["SHP-", "P-"], ids=["number-prefix", "short"])
def test_a_term_nearly_every_number_contains_walks_them_in_page_order_on_sqlite(seeded, term):
    """Every seeded shipment's number contains "SHP-" (and the short "P-"): SQLite tests each
    shipment's number on its row along the creation index until the capped page is full,
    rather than collect every number from the trigram table (or every number's LIKE) and
    sort them all: no sort of the page, the number index not read."""
    if seeded.dialect.name != "sqlite":
        pytest.skip("a SQLite plan (PostgreSQL's walk is guarded below)")
    assert_indexed(seeded, _search(term), "ix_shipment_created_at")
    found = plans(seeded, _search(term))
    walks = [plan for plan in found if "ix_shipment_created_at" in plan]
    assert len(walks) == 1, found
    assert "TEMP B-TREE" not in walks[0], walks[0]
    everything = "\n".join(found)
    assert search.NUMBER_FTS not in everything, everything
    assert "ix_shipment_shipment_number" not in everything, everything


def _search_in_order(term: str, descending: bool) -> Callable[[Session], object]:
    return lambda s: shipments.list_shipments(
        session=s, flt=ShipmentFilter(search=term), count_cap=COUNT_CAP, descending=descending
    )


@pytest.mark.parametrize("descending", [True, False], ids=["newest-first", "oldest-first"])
@pytest.mark.parametrize("term", ["SHP-", "CUST-"], ids=["number-prefix", "customer"])
def test_a_term_most_shipments_match_walks_them_in_page_order_on_postgresql(
    seeded, term, descending
):
    """Every seeded shipment's number contains "SHP-" and its customer code "CUST-": on
    PostgreSQL the page's query walks the creation index, either way, testing each
    shipment, rather than take a bitmap of nearly every shipment from the trigram indexes
    and sort it (search.walk_wanted, pg_walking_condition): no trigram index, no bitmap,
    no sort of every match, and no big table read without an index."""
    if seeded.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL plan (SQLite's walk has guards of its own above)")
    run = _search_in_order(term, descending)
    assert_indexed(seeded, run, "ix_shipment_created_at")
    found = plans(seeded, run)
    walks = [plan for plan in found if "ix_shipment_created_at" in plan]
    assert len(walks) == 1, found
    assert "Bitmap" not in walks[0], walks[0]
    assert "_trgm" not in walks[0], walks[0]
    assert not re.search(r"^Sort\b", walks[0], re.MULTILINE), walks[0]


def test_a_narrow_term_still_reads_the_trigram_index_on_postgresql(seeded):
    """One customer's code is looked up by the trigram index, not walked: the walk's
    creation index is not read for it."""
    if seeded.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL plan")
    assert_indexed(seeded, _search(RARE_CUSTOMER), "scale_shipment_buyer_trgm")
    everything = "\n".join(plans(seeded, _search(RARE_CUSTOMER)))
    assert "ix_shipment_created_at" not in everything, everything


def _unsent_page(session: Session) -> None:
    shipments.list_shipments(
        session=session, flt=ShipmentFilter(unsent_only=True), count_cap=COUNT_CAP
    )


UNSENT_INDEX = {"sqlite": ("scale_shipment_unsent",), "postgresql": ()}  # PostgreSQL: its pick


def test_unsent_only_is_answered_from_an_index(seeded):
    assert_indexed(seeded, _unsent_page, *UNSENT_INDEX[seeded.dialect.name])


def test_unsent_only_page_one_walks_its_partial_index_unsorted_on_sqlite(seeded):
    """The page walks the unsent shipments' partial index newest first (migration
    a6e3f1c8d2b7): no sort of every unsent shipment."""
    if seeded.dialect.name != "sqlite":
        pytest.skip("a SQLite index (PostgreSQL meets the goal with its own plan)")
    walks = [plan for plan in plans(seeded, _unsent_page) if "scale_shipment_unsent" in plan]
    assert len(walks) == 1, walks  # the page's rows (the count reads the sync_state index)
    assert "TEMP B-TREE" not in walks[0], walks[0]


def _customer_pages(session: Session) -> None:
    first = finance.customer_balances(session=session, today=TODAY, limit=26)
    finance.customer_balances(
        session=session, today=TODAY, after=finance.key_of(first[-1]), limit=26
    )


def test_customer_rows_are_read_in_the_order_of_their_index(seeded):
    assert_indexed(seeded, _customer_pages, "scale_shipment_customer_key")


def test_the_customer_picker_walks_the_customer_index(seeded):
    assert_indexed(seeded, lambda s: finance.customers(session=s), "scale_shipment_customer_key")


def test_attempts_per_day_are_counted_from_the_log_index(seeded):
    since = query_seed.NOW - timedelta(days=29)
    assert_indexed(
        seeded,
        lambda s: integration_log.attempts_since(session=s, since=since),
        "ix_integration_log_created_",  # either index on created_at serves
    )


def _check_all(session: Session) -> None:
    connection = session.exec(
        select(XeroConnection).where(XeroConnection.tenant_id == query_seed.TENANTS[0])
    ).one()
    aliases.check_all(session=session, connection=connection)


def test_check_all_reads_the_codes_in_use_from_their_indexes(seeded):
    """The codes in use, and the unmapped codes' waiting shipments, come from the summary kept
    on write (migration c3d9e1f7a2b4) through its indexes: no big table is read, not even
    through an index."""
    assert_indexed(seeded, _check_all, "ix_code_in_use_delta_key", "ix_waiting_code_use_code")
    read = re.compile(rf"\b({'|'.join(BIG)})\b")
    everything = "\n".join(plans(seeded, _check_all))
    assert [x for x in everything.splitlines() if read.search(x)] == [], everything


def _overdue_page(session: Session) -> None:
    finance.documents(
        session=session, today=TODAY, view=finance.View.OVERDUE, page_size=25, count_cap=COUNT_CAP
    )


def test_the_overdue_view_walks_overdue_documents_only(seeded):
    """Its partial index holds approved invoices with a balance, by due date: page 1 and the
    capped count read overdue documents and nothing else (migration b8e2fad4c6a9)."""
    assert_indexed(seeded, _overdue_page, "scale_shipment_overdue")


SUMMARY = "finance_summary_delta"


def _totals(session: Session) -> None:
    shipments.totals_by_currency(session=session)


def _paid_unpaid(session: Session) -> None:
    finance.amounts_by_currency_and_status(session=session, today=TODAY)


def assert_from_summary(engine, run: Callable[[Session], object]) -> None:
    """Every statement reads the summary kept on write and no big table, not even through
    an index: the figures cost the same at a thousand shipments as at a million."""
    everything = "\n".join(plans(engine, run))
    assert SUMMARY in everything, everything
    read = re.compile(rf"\b({'|'.join(BIG)})\b")
    assert [x for x in everything.splitlines() if read.search(x)] == []


@pytest.mark.parametrize("run", [_totals, _paid_unpaid], ids=["totals", "paid-unpaid"])
def test_dashboard_totals_read_the_summary_not_the_shipments(seeded, run):
    assert_from_summary(seeded, run)


def test_a_full_scan_fails_the_summary_guard(seeded):
    """The guard can fail: the figures summed from the shipments (as the per-customer rows
    are) read the shipment table."""
    with pytest.raises(AssertionError):
        assert_from_summary(
            seeded, lambda s: finance.customer_balances(session=s, today=TODAY, limit=26)
        )


@pytest.mark.parametrize(
    ("run", "index", "dialect"),
    [
        (_customer_pages, "scale_shipment_customer_key", None),
        (_search(RARE_CUSTOMER), "scale_shipment_buyer_trgm", "postgresql"),
        (_search(RARE_CUSTOMER), "ix_shipment_buyer_code", "sqlite"),
        (_search(RARE_PRODUCT), "ix_shipment_line_product_shipment", "sqlite"),
        (_search("SHP-"), "ix_shipment_created_at", "sqlite"),
        (_search("SHP-"), "ix_shipment_created_at", "postgresql"),
        (_overdue_page, "scale_shipment_overdue", None),
        (_check_all, "ix_waiting_code_use_code", None),
    ],
)
def test_a_dropped_index_fails_the_guard(seeded, run, index, dialect):
    """The guards can fail: without its index the query reads every row."""
    if dialect and seeded.dialect.name != dialect:
        pytest.skip(f"{index} is {dialect}'s search index")
    with pytest.raises(AssertionError):
        assert_indexed(seeded, run, index, dropped=index)
