"""The Shipments search, indexed on both databases: which shipments a search term matches.

A term matches a shipment whose number, customer (buyer) code, consignee code or any line's
product code contains it, ignoring case: the same as before, now answered from an index.

- PostgreSQL: `ILIKE '%term%'` on each field, answered by the pg_trgm GIN indexes of
  migration f2b8d4a01c23 (any length; terms under 3 characters scan the index).
- SQLite: the FTS5 trigram tables of that migration, `MATCH '"term"'`: a case-insensitive
  substring match, for terms of 3 characters or more. `%` and `_` are ordinary characters
  there. A shorter term (1 or 2 characters) falls back to `LIKE '%term%'`, a full scan.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, literal_column, select, text, union
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import col

from models import Shipment, ShipmentLine

HELP = (
    "Finds shipments whose number, customer or consignee code or a line's product code "
    "contains what you type, in any case (e.g. 'wind' finds NORTHWIND). Searches of 3 or "
    "more characters are answered from an index, at once even among a million shipments; "
    "1 or 2 characters read every shipment and take longer. Past 10,000 matches the count "
    "shows 10,000+."
)
# Objects of migration f2b8d4a01c23 the models cannot declare on both databases (FTS5
# tables and their shadow tables, trigram and expression indexes): the models-equal-
# migrations check leaves out names that start with it.
UNMODELLED_PREFIX = "scale_"
SHIPMENT_FTS = "scale_shipment_fts"
LINE_FTS = "scale_shipment_line_fts"
FTS_MIN = 3  # the trigram tokenizer indexes 3-character runs: shorter terms cannot use it


class Matches(ColumnElement[bool]):
    """`shipment.id IN (the shipments the term matches)`, written for the database it runs
    on (the query is built before the dialect is known)."""

    type = Boolean()
    inherit_cache = False

    def __init__(self, term: str) -> None:
        self.term = term


def matches(term: str) -> Matches:
    """The condition "the shipment matches this search term", for a `where`."""
    return Matches(term)


@compiles(Matches)
def _compile_matches(element: Matches, compiler: Any, **kw: Any) -> str:
    ids = matching_ids(element.term, compiler.dialect.name)
    return compiler.process(col(Shipment.id).in_(ids), **kw)


def matching_ids(term: str, dialect: str) -> Select:
    """The ids of the shipments `term` matches (a subquery for `Shipment.id IN (...)`)."""
    term = term.strip()
    if dialect == "sqlite" and len(term) >= FTS_MIN:
        return _fts_ids(term)
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


def _fts_ids(term: str) -> Select:
    phrase = fts_phrase(term)
    rowid: ColumnElement[int] = literal_column("rowid")
    by_shipment: Select = (
        select(rowid.label("id"))
        .select_from(text(SHIPMENT_FTS))
        .where(text(f"{SHIPMENT_FTS} MATCH :q_shipment").bindparams(q_shipment=phrase))
    )
    by_line: Select = select(col(ShipmentLine.shipment_id)).where(
        col(ShipmentLine.id).in_(
            select(rowid)
            .select_from(text(LINE_FTS))
            .where(text(f"{LINE_FTS} MATCH :q_line").bindparams(q_line=phrase))
        )
    )
    return select(union(by_shipment, by_line).subquery())
