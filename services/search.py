"""The Shipments search, indexed on both databases: which shipments a search term matches.

A term matches a shipment whose number, customer (buyer) code, consignee code or any line's
product code contains it, ignoring case: the same as before, now answered from an index.

- PostgreSQL: `ILIKE '%term%'` on each field, answered by the pg_trgm GIN indexes of
  migration f2b8d4a01c23 (any length; terms under 3 characters scan the index). A term
  most shipments match is instead tested on each shipment in the page's order, as on
  SQLite below (`walk_wanted`, `pg_walking_condition`): the trigram indexes would hand
  back a bitmap of nearly every shipment, to be read and sorted for a page of 50.
- SQLite (migration a6e3f1c8d2b7): codes repeat (a few thousand over a million shipments),
  so the term is matched against each distinct code once, in `scale_search_code`, and the
  shipments using the codes it matches are looked up by the B-tree indexes on buyer_code,
  consignee_code and the lines' product_code; shipment numbers, unique, have an FTS5 trigram
  table of their own. A trigram table of every shipment's codes listed nearly every row under
  the trigrams all codes share ("CUS", "-00"). Terms of 3 characters or more are FTS5 phrase
  queries, `MATCH '"term"'`: a case-insensitive substring match, where `%` and `_` are
  ordinary characters. A shorter term (1 or 2 characters) falls back to `LIKE '%term%'`
  over the codes (a few thousand) and the shipment numbers (every shipment's). A term that
  most shipments match is instead tested on each shipment in the page's order until the
  capped page is full (`walk_wanted`, `walking_condition`): one whose codes most shipments
  use ("CUST"), one that nearly every number contains ("SHP-"), a short one that many
  contain ("42"). The same matches, in the same order, and the count still stops at the cap.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    case,
    column,
    func,
    literal,
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
from services.paging import COUNT_CAP

HELP = (
    "Finds shipments whose number, customer or consignee code or a line's product code "
    "contains what you type, in any case (e.g. 'wind' finds NORTHWIND). Searches of 3 or "
    "more characters are answered from an index, at once even among a million shipments; "
    "1 or 2 characters are checked shipment by shipment and take a little longer. Past "
    "10,000 matches the count shows 10,000+."
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
SAMPLE = 997  # numbers walk_wanted reads to estimate how many a term matches (a prime)
# A walk collects the shipments of the lines using a matched code when at most this many
# lines do (`_on_a_line`): about as long to collect as a walk's reading a line per shipment.
LINE_SET_MAX = 100_000
# A shipment read on a PostgreSQL walk costs about this many looked up (`_pg_walk_wanted`):
# read in the page's order, not the table's, and its lines looked up one shipment at a time.
PG_WALK_COST = 5
# The fields of the shipment's own row a term is looked for in (its lines' product codes too).
_ROW_FIELDS = (Shipment.shipment_number, Shipment.buyer_code, Shipment.consignee_code)


class Matches(ColumnElement[bool]):
    """`shipment.id IN (the shipments the term matches)`, written for the database it runs
    on (the query is built before the dialect is known). With `walk`, the same condition
    tested on each shipment instead (`walking_condition`, `pg_walking_condition`)."""

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
    if element.walk and dialect == "postgresql":
        return compiler.process(pg_walking_condition(element.term), **kw)
    ids = matching_ids(element.term, dialect)
    return compiler.process(col(Shipment.id).in_(ids), **kw)


def matching_ids(term: str, dialect: str) -> Select:
    """The ids of the shipments `term` matches (a subquery for `Shipment.id IN (...)`)."""
    term = term.strip()
    if dialect == "sqlite":
        return _sqlite_ids(term)
    pattern = _pattern(term)
    # One lookup per field, united: an OR of the fields is costed (and run) as a read of
    # every shipment.
    by_field = [select(col(Shipment.id)).where(col(f).ilike(pattern)) for f in _ROW_FIELDS]
    product = col(ShipmentLine.product_code)
    by_line = select(col(ShipmentLine.shipment_id)).where(product.ilike(pattern))
    return select(union(*by_field, by_line).subquery())


def _pattern(term: str) -> str:
    """PostgreSQL's ILIKE pattern for `term`: its `%` and `_` stay wildcards, as they were."""
    return f"%{term.strip()}%"


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
    shipments match ("CUST", "SHP-"), that reads ten thousand shipments where the lookups of
    `_sqlite_ids` would collect, and sort, a million. likely() steers the planner to the
    walk; the number is tested first, on the row itself (`_number_here`), then the codes,
    then the lines (`_on_a_line`)."""
    codes = _codes(term)
    return planner.likely(
        or_(
            _number_here(term),
            col(Shipment.buyer_code).in_(codes),
            col(Shipment.consignee_code).in_(codes),
            _on_a_line(codes),
        )
    )


def pg_walking_condition(term: str) -> ColumnElement[bool]:
    """PostgreSQL: the term's condition tested on each shipment as the query walks them in
    the page's order (the created_at index, or the sort column's), stopping once the page
    and the capped count are full. The fields are tested on the row, the number first, then
    its lines one shipment at a time (planner.per_row), only for a shipment none of its own
    fields matched. No trigram index can answer an OR with a subquery in it, so none is
    read; the fields' ILIKE is left as it is so that the planner's statistics see how many
    shipments it holds for, and cost the walk as short as it is."""
    pattern = _pattern(term)
    on_a_line = planner.per_row(_its_lines(pattern)).exists()
    return or_(*(col(f).ilike(pattern) for f in _ROW_FIELDS), on_a_line)


def _its_lines(pattern: str) -> Select:
    """PostgreSQL: the lines of the shipment being read whose product code the pattern
    matches (for an EXISTS)."""
    return (
        select(literal_column("1"))
        .where(col(ShipmentLine.shipment_id) == col(Shipment.id))
        .where(col(ShipmentLine.product_code).ilike(pattern))
    )


def _on_a_line(codes: Select) -> ColumnElement[bool]:
    """A line of the walked shipment has one of the codes. Looked up by the shipment, line by
    line, when many lines use the codes ("PROD": the first line mostly has one); when at
    most LINE_SET_MAX do ("42"), their shipments are collected once and each walked shipment
    is looked for among them, not its lines read (most walked shipments have none). The
    choice is SQL's (the count runs once a query): the condition is built without a
    session."""
    by_line = (
        select(literal_column("1"))
        .where(col(ShipmentLine.shipment_id) == col(Shipment.id))
        .where(planner.unindexed(col(ShipmentLine.product_code)).in_(codes))
        .exists()
    )
    using = select(col(ShipmentLine.shipment_id)).where(col(ShipmentLine.product_code).in_(codes))
    counted = select(func.count()).select_from(using.limit(LINE_SET_MAX).subquery())
    few = counted.scalar_subquery() < LINE_SET_MAX
    # `+id`: the shipments are walked in the page's order, not looked up by these ids.
    among = planner.unindexed(col(Shipment.id)).in_(using)
    return case((few, among), else_=by_line)


def walk_wanted(session: Any, term: str) -> bool:
    """SQLite: will walking the shipments in order find a page sooner than collecting every
    match? Yes when
    - one shipment in WALK_SHARE or more uses a code the term matches: counted no further
      than that share (an index read), so a rare term costs its matches;
    - or, in a sample of the shipments spread over all of them (`_number_share`), nearly
      every number contains it (all but one in WALK_SHARE, "SHP-"): wherever the few
      others sit in the page's order, the walk reads at most that many more. A number term
      matching fewer is looked up: consecutive numbers are made together, so the matches of
      a number prefix ("SHP-01") sit together in the order and a walk could read most
      shipments to reach them, where the lookup reads only the matches;
    - or the term is short (1 or 2 characters) and one sampled number in WALK_SHARE
      contains it ("7"): its lookup reads every shipment's number anyway.
    PostgreSQL, which has no table of the distinct codes, decides from a sample and from
    how many shipments a walk would read (`_pg_walk_wanted`)."""
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        return False
    term = term.strip()
    shipments = session.execute(select(func.max(col(Shipment.id)))).scalar() or 0
    if dialect == "postgresql":
        return _pg_walk_wanted(session, term, shipments)
    if _codes_used_widely(session, term, shipments):
        return True
    share = _number_share(session, term, shipments)
    if share >= 1 - 1 / WALK_SHARE:
        return True
    return len(term) < FTS_MIN and share >= 1 / WALK_SHARE


def _codes_used_widely(session: Any, term: str, shipments: int) -> bool:
    """Do one shipment in WALK_SHARE or more use a code the term matches?"""
    codes = _codes(term)
    enough = max(shipments // WALK_SHARE, 1)
    uses: CompoundSelect = union_all(
        select(literal_column("1")).where(col(Shipment.buyer_code).in_(codes)),
        select(literal_column("1")).where(col(Shipment.consignee_code).in_(codes)),
        select(literal_column("1")).where(col(ShipmentLine.product_code).in_(codes)),
    ).limit(enough)
    found = session.execute(select(func.count()).select_from(uses.subquery())).scalar_one()
    return int(found) >= enough


def _pg_walk_wanted(session: Any, term: str, shipments: int) -> bool:
    """PostgreSQL: walk when, by the sample's shares (`_sampled`),
    - all but one in WALK_SHARE of the numbers contain the term (SQLite's rule, for the
      same reason: a run of numbers sits together in the order);
    - or the walk reads at most one row in PG_WALK_COST of those the lookup reads. A walk
      reads about COUNT_CAP / share shipments (a row read in the page's order, its lines
      tested one shipment at a time, costs several rows looked up); a term's lookup reads
      the shipments using the codes it matches (customer, consignee, a line's product: not
      numbers, which may sit together), or, for a short term, which no trigram index
      serves, every shipment and every line. So at 1,000,000 "CUST" walks and
      "CUST-0042" is looked up; "42" walks at 1,000,000 (one shipment in seven: about
      70,000 read) and is looked up at 100,000 (the walk would read most of them).
    A rare term costs the sample and is looked up."""
    pattern = _pattern(term)
    codes = or_(
        col(Shipment.buyer_code).ilike(pattern),
        col(Shipment.consignee_code).ilike(pattern),
        _its_lines(pattern).exists(),
    )
    number = col(Shipment.shipment_number).ilike(pattern)
    sampled = _sampled(session, shipments, number, codes)
    by_number = _share([n for n, _ in sampled])
    by_code = _share([c for _, c in sampled])
    either = _share([n or c for n, c in sampled])
    if by_number >= 1 - 1 / WALK_SHARE:
        return True
    share, looked_up = (
        (either, shipments) if len(term) < FTS_MIN else (by_code, by_code * shipments)
    )
    return share > 0 and COUNT_CAP / share * PG_WALK_COST <= looked_up


def _number_share(session: Any, term: str, shipments: int) -> float:
    """The share of the sample (`_sampled`) whose number the term matches (`_number_here`)."""
    return _share([found for (found,) in _sampled(session, shipments, _number_here(term))])


def _share(found: list[Any]) -> float:
    """The share of sampled shipments found (SQLite answers 1 or 0, PostgreSQL a bool)."""
    return sum(map(bool, found)) / len(found) if found else 0.0


def _sampled(session: Any, shipments: int, *conditions: ColumnElement[bool]) -> list[Any]:
    """Whether each condition holds, for each of SAMPLE shipments, ids evenly spaced from
    first to last: SAMPLE rows read by id, a few milliseconds at a million. Each condition is
    tested once a shipment (counted in SQL, a share combining two would test them again).
    Spread evenly, the sample holds its share of any run of consecutive numbers; SAMPLE is
    prime, so the spacing does not repeat the numbers' last digits."""
    step = max(shipments // SAMPLE, 1)
    first = select(literal(step // 2 + 1).label("id")).cte("sample_id", recursive=True)
    ids = first.union_all(
        select((first.c.id + step).label("id")).where(first.c.id + step <= shipments)
    )
    return list(session.execute(select(*conditions).where(col(Shipment.id).in_(select(ids.c.id)))))


def _codes(term: str) -> Select:
    """The distinct codes the term matches (a few thousand at most)."""
    if len(term) >= FTS_MIN:
        return select(CODES.c.code).where(
            CODES.c.id.in_(_fts_rowids(CODE_FTS, "q_code", fts_phrase(term)))
        )
    return select(CODES.c.code).where(_contains(CODES.c.code, term))


def _by_number(term: str) -> Select:
    """The shipments whose number the term matches."""
    if len(term) >= FTS_MIN:
        return _fts_rowids(NUMBER_FTS, "q_number", fts_phrase(term))
    return select(col(Shipment.id)).where(_contains(col(Shipment.shipment_number), term))


def _number_here(term: str) -> ColumnElement[bool]:
    """`_by_number`'s test on the shipment's own row, for a walk: a short term's LIKE as it
    is; a longer term found in the number as the trigram index folds it, here `number_key`
    (the number case folded, models.number_key) searched for the folded term. The two fold
    alike every letter that folds to one letter (all of ASCII); they differ only on the
    few that Python folds to two ("ß" to "ss")."""
    if len(term) >= FTS_MIN:
        return func.instr(col(Shipment.number_key), term.casefold()) > 0
    return _contains(col(Shipment.shipment_number), term)


def _contains(column: Any, term: str) -> ColumnElement[bool]:
    """A short term in `column`, ignoring case, on SQLite: its LIKE ignores the case of ASCII
    letters, as its lower() folds only those, so this finds what ILIKE's `lower(x) LIKE
    lower(y)` finds, without lowering every number (a third of the time at a million)."""
    return column.like(f"%{term}%")


def _fts_rowids(fts: str, name: str, phrase: str) -> Select:
    rowid: ColumnElement[int] = literal_column("rowid")
    return (
        select(rowid)
        .select_from(text(fts))
        .where(text(f"{fts} MATCH :{name}").bindparams(**{name: phrase}))
    )
