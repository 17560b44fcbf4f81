"""The Shipments search, indexed on both databases: which shipments a search term matches.

A term matches a shipment whose number, customer (buyer) code, consignee code or any line's
product code contains it, ignoring case: the same as before, now answered from an index.

- PostgreSQL: `ILIKE '%term%'` on each field, answered by the pg_trgm GIN indexes of
  migration f2b8d4a01c23 (any length; terms under 3 characters scan the index).
- SQLite (migration a6e3f1c8d2b7): codes repeat (a few thousand over a million shipments),
  so the term is matched against each distinct code once, in `scale_search_code`, and the
  shipments using the codes it matches are looked up by the B-tree indexes on buyer_code,
  consignee_code and the lines' product_code; shipment numbers, unique, have an FTS5 trigram
  table of their own. A trigram table of every shipment's codes listed nearly every row under
  the trigrams all codes share ("CUS", "-00"). Terms of 3 characters or more are FTS5 phrase
  queries, `MATCH '"term"'`: a case-insensitive substring match, where `%` and `_` are
  ordinary characters. A shorter term (1 or 2 characters) falls back to `LIKE '%term%'`
  over the codes (a few thousand) and the shipment numbers (every shipment's). A term whose
  codes most shipments use ("CUST") is instead tested on each shipment in the page's order
  until the capped page is full (`walk_wanted`, `walking_condition`): the same matches.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
    union,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, CompoundSelect, Select
from sqlmodel import col

from models import Shipment, ShipmentLine
from services import planner

HELP = (
    "Finds shipments whose number, customer or consignee code or a line's product code "
    "contains what you type, in any case (e.g. 'wind' finds NORTHWIND). Searches of 3 or "
    "more characters are answered from an index, at once even among a million shipments; "
    "1 or 2 characters read every shipment and take longer. Past 10,000 matches the count "
    "shows 10,000+."
)
# Objects of migrations f2b8d4a01c23 and a6e3f1c8d2b7 the models cannot declare on both
# databases (FTS5 tables and their shadow tables, the codes table kept by triggers, trigram,
# expression and partial indexes): the models-equal-migrations check leaves out names that
# start with it.
UNMODELLED_PREFIX = "scale_"
NUMBER_FTS = "scale_shipment_number_fts"
CODE_FTS = "scale_search_code_fts"
CODES = table("scale_search_code", column("id"), column("code"))
FTS_MIN = 3  # the trigram tokenizer indexes 3-character runs: shorter terms cannot use it
# Past one shipment in this many using a matched code, a search walks the shipments in order
# (walk_wanted): at 1,000,000 shipments a walk then reads about 100,000 for a full capped
# page, about what collecting and sorting 100,000 matches costs.
WALK_SHARE = 10


class Matches(ColumnElement[bool]):
    """`shipment.id IN (the shipments the term matches)`, written for the database it runs
    on (the query is built before the dialect is known). With `walk` (SQLite), the same
    condition tested on each shipment instead (`walking_condition`)."""

    type = Boolean()
    inherit_cache = False
    # A condition as it is: SQLite had it compared with 1 (`id IN (...) = 1`), which no
    # index answers, and read every shipment's id.
    _is_implicitly_boolean = True

    def __init__(self, term: str, walk: bool) -> None:
        self.term = term
        self.walk = walk


def matches(term: str, *, walk: bool = False) -> Matches:
    """The condition "the shipment matches this search term", for a `where`; `walk` for a
    term most shipments match (`walk_wanted`)."""
    return Matches(term, walk)


@compiles(Matches)
def _compile_matches(element: Matches, compiler: Any, **kw: Any) -> str:
    dialect = compiler.dialect.name
    if element.walk and dialect == "sqlite":
        return compiler.process(walking_condition(element.term), **kw)
    ids = matching_ids(element.term, dialect)
    return compiler.process(col(Shipment.id).in_(ids), **kw)


def matching_ids(term: str, dialect: str) -> Select:
    """The ids of the shipments `term` matches (a subquery for `Shipment.id IN (...)`)."""
    term = term.strip()
    if dialect == "sqlite":
        return _sqlite_ids(term)
    pattern = f"%{term}%"
    fields = [Shipment.shipment_number, Shipment.buyer_code, Shipment.consignee_code]
    # One lookup per field, united: an OR of the fields is costed (and run) as a read of
    # every shipment.
    by_field = [select(col(Shipment.id)).where(col(f).ilike(pattern)) for f in fields]
    product = col(ShipmentLine.product_code)
    by_line = select(col(ShipmentLine.shipment_id)).where(product.ilike(pattern))
    return select(union(*by_field, by_line).subquery())


def fts_phrase(term: str) -> str:
    """The FTS5 query for `term` as one quoted phrase: every character literal."""
    return '"' + term.replace('"', '""') + '"'


def _sqlite_ids(term: str) -> Select:
    """The shipments using a code the term matches, and those whose number it matches."""
    codes = _codes(term)
    by_code = [
        select(col(Shipment.id)).where(col(Shipment.buyer_code).in_(codes)),
        select(col(Shipment.id)).where(col(Shipment.consignee_code).in_(codes)),
        select(col(ShipmentLine.shipment_id)).where(col(ShipmentLine.product_code).in_(codes)),
    ]
    return select(union(*by_code, _by_number(term)).subquery())


def walking_condition(term: str) -> ColumnElement[bool]:
    """SQLite: the term's condition tested on each shipment as the query walks them in the
    page's order, stopping once the page (and the capped count) is full. For a term most
    shipments match ("CUST"), that reads ten thousand shipments where the lookups of
    `_sqlite_ids` would collect, and sort, a million. likely() steers the planner to the
    walk; a line is looked up by its shipment, not by every matching code."""
    codes = _codes(term)
    on_a_line = (
        select(literal_column("1"))
        .where(col(ShipmentLine.shipment_id) == col(Shipment.id))
        .where(planner.unindexed(col(ShipmentLine.product_code)).in_(codes))
        .exists()
    )
    return planner.likely(
        or_(
            col(Shipment.buyer_code).in_(codes),
            col(Shipment.consignee_code).in_(codes),
            on_a_line,
            col(Shipment.id).in_(_by_number(term)),
        )
    )


def walk_wanted(session: Any, term: str) -> bool:
    """SQLite: do so many shipments use a code the term matches (one in WALK_SHARE or more)
    that walking the shipments in order finds a page sooner than collecting every match?
    Counted no further than that share (an index read), so a rare term costs its matches.
    Numbers are left out: consecutive numbers are made together, so a shipment number
    prefix's matches sit together in the order and the walk could read most shipments to
    reach them."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    term = term.strip()
    codes = _codes(term)
    shipments = session.execute(select(func.max(col(Shipment.id)))).scalar() or 0
    enough = max(shipments // WALK_SHARE, 1)
    uses: CompoundSelect = union_all(
        select(literal_column("1")).where(col(Shipment.buyer_code).in_(codes)),
        select(literal_column("1")).where(col(Shipment.consignee_code).in_(codes)),
        select(literal_column("1")).where(col(ShipmentLine.product_code).in_(codes)),
    ).limit(enough)
    found = session.execute(select(func.count()).select_from(uses.subquery())).scalar_one()
    return int(found) >= enough


def _codes(term: str) -> Select:
    """The distinct codes the term matches (a few thousand at most)."""
    if len(term) >= FTS_MIN:
        return select(CODES.c.code).where(
            CODES.c.id.in_(_fts_rowids(CODE_FTS, "q_code", fts_phrase(term)))
        )
    return select(CODES.c.code).where(CODES.c.code.ilike(f"%{term}%"))


def _by_number(term: str) -> Select:
    """The shipments whose number the term matches."""
    if len(term) >= FTS_MIN:
        return _fts_rowids(NUMBER_FTS, "q_number", fts_phrase(term))
    return select(col(Shipment.id)).where(col(Shipment.shipment_number).ilike(f"%{term}%"))


def _fts_rowids(fts: str, name: str, phrase: str) -> Select:
    rowid: ColumnElement[int] = literal_column("rowid")
    return (
        select(rowid)
        .select_from(text(fts))
        .where(text(f"{fts} MATCH :{name}").bindparams(**{name: phrase}))
    )
