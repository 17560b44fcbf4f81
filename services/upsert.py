"""INSERT … ON CONFLICT for the rows two processes may write at once (two workers refreshing
the same organisation's reference data): the second writer updates the row the first one
inserted instead of failing on the unique key."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel


def insert_or_update(
    *,
    session: Session,
    table: type[SQLModel],
    key: dict[str, Any],
    values: dict[str, Any],
    update: bool = True,
) -> None:
    """Insert the row `key` + `values`, or, when a row with that unique `key` exists already
    (written meanwhile by another process), set its `values` (`update`) or leave it as it is.
    Runs in the caller's transaction; PostgreSQL and SQLite."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(table)
    elif dialect == "sqlite":
        statement = sqlite.insert(table)
    else:
        raise NotImplementedError(f"no INSERT … ON CONFLICT for {dialect}")
    statement = statement.values(**key, **values)
    if update and values:
        statement = statement.on_conflict_do_update(index_elements=list(key), set_=values)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(key))
    session.exec(statement)
