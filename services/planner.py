"""Hints to SQLite's query planner, written so other databases get the plain SQL; and one
for PostgreSQL's (`per_row`).

Shipbridge never runs ANALYZE on SQLite, so its planner guesses: an equality on an indexed
column looks like a handful of rows, and it picks that index (and sorts) even when the
condition holds for a hundred thousand rows that another index would give in order."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, Select


class Likely(ColumnElement[bool]):
    """A condition SQLite is told holds for most rows it reads (`likely(...)`); the same
    condition, unwrapped, elsewhere."""

    type = Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True  # a condition as it is, not compared with 1 (SQLite)

    def __init__(self, condition: ColumnElement[bool]) -> None:
        self.condition = condition


def likely(condition: ColumnElement[bool]) -> Likely:
    """`condition`, marked for SQLite as true for most rows: an index walked in the query's
    ORDER BY (or a partial index made with this very condition) is preferred to a lookup by
    the condition followed by a sort. The result is the condition's: likely() only hints."""
    return Likely(condition)


@compiles(Likely)
def _plain(element: Likely, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.condition, **kw)


@compiles(Likely, "sqlite")
def _sqlite(element: Likely, compiler: Any, **kw: Any) -> str:
    return f"likely({compiler.process(element.condition, **kw)})"


class Unindexed(ColumnElement[Any]):
    """A column SQLite is told not to look rows up by (`+column`); the column elsewhere."""

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


def unindexed(column: Any) -> Unindexed:
    """`column`, which SQLite may test but not use an index of: for a condition that is to
    filter rows found another way (e.g. by a correlated key), not to find them."""
    return Unindexed(column)


@compiles(Unindexed)
def _plain_column(element: Unindexed, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(Unindexed, "sqlite")
def _sqlite_column(element: Unindexed, compiler: Any, **kw: Any) -> str:
    return f"+{compiler.process(element.column, **kw)}"


def per_row(query: Select) -> Select:
    """`query`, a subquery correlated with the row being read, fenced (`OFFSET 0`) so that
    PostgreSQL runs it for each row that reaches it: it neither makes it a join nor, as it
    may for an EXISTS in an OR, first collects every row the subquery could match into a
    hash. For a walk that stops after a page, where most rows never reach the subquery, or
    its first row answers it. SQLite runs such a subquery row by row anyway."""
    return query.offset(0)
