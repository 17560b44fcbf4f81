"""Append-only delta tables kept by triggers (the finance summary, the codes in use): folding
their rows into one per key, the same way for each."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

from services.db import session_scope


def compact(*, engine: Engine, table: str, keys: str, amounts: tuple[str, ...]) -> None:
    """Fold every row of `table` into one per `keys` (keys whose `amounts` all sum to zero
    go), in one transaction of its own. Rows committed meanwhile by other writers stay as
    they are."""
    columns = ", ".join(amounts)
    sums = ", ".join(f"sum({name})" for name in amounts)
    nonzero = " OR ".join(f"sum({name}) <> 0" for name in amounts)
    with session_scope(engine) as session:
        if engine.dialect.name == "postgresql":
            # One statement: exactly the rows deleted are the rows summed.
            session.exec(  # type: ignore[call-overload]
                text(
                    f"WITH gone AS (DELETE FROM {table} RETURNING *) "
                    f"INSERT INTO {table} ({keys}, {columns}, compacted) "
                    f"SELECT {keys}, {sums}, true FROM gone GROUP BY {keys} HAVING {nonzero}"
                )
            )
            return
        # SQLite: the INSERT takes the write lock first; until the commit nobody else writes,
        # so the rows up to `last` are exactly the ones summed.
        last = session.exec(text(f"SELECT coalesce(max(id), 0) FROM {table}")).one()[0]  # type: ignore[call-overload]
        session.exec(  # type: ignore[call-overload]
            text(
                f"INSERT INTO {table} ({keys}, {columns}, compacted) "
                f"SELECT {keys}, {sums}, 1 FROM {table} WHERE id <= :last "
                f"GROUP BY {keys} HAVING {nonzero}"
            ).bindparams(last=last)
        )
        session.exec(text(f"DELETE FROM {table} WHERE id <= :last").bindparams(last=last))  # type: ignore[call-overload]
