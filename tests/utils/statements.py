"""Counting what a piece of work costs the database: its commits and its statements, seen on
the engine through SQLAlchemy's events. The batch tests hold the send path to a budget with
it and the bench reports the same figures per batch, so both count the same way."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def counted(engine: Engine) -> Iterator[dict[str, int]]:
    """Every commit and every statement on `engine` while the block runs, whoever makes them
    (the limiter, the lease and the send alike): {"commits": n, "statements": n}."""
    seen = {"commits": 0, "statements": 0}

    def commit(_connection) -> None:
        seen["commits"] += 1

    def statement(*_args) -> None:
        seen["statements"] += 1

    event.listen(engine, "commit", commit)
    event.listen(engine, "before_cursor_execute", statement)
    try:
        yield seen
    finally:
        event.remove(engine, "commit", commit)
        event.remove(engine, "before_cursor_execute", statement)
