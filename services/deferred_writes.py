"""Writes that may wait for the send's own transaction: inside `deferred()` (one send of one
batch), the counters a Xero call updates (its response counted in `xero_usage`, its rate-limit
slot given back) are not committed one by one but written by `write(session)` in the
transaction that applies the answers: fewer commits per batch (issue 16, goal 2). Whatever is
still waiting when the block ends (the send stopped before applying) is written then, in a
transaction of its own, so nothing is lost."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import Executable
from sqlmodel import Session

log = logging.getLogger("shipbridge.deferred_writes")

_pending: contextvars.ContextVar[list[Executable] | None] = contextvars.ContextVar(
    "deferred_writes", default=None
)


@contextmanager
def deferred(engine: Engine) -> Iterator[None]:
    """Inside: `add` keeps statements for `write` (this thread and context only)."""
    pending: list[Executable] = []
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
        if pending:
            try:
                with engine.begin() as connection:
                    _run(connection, pending)
            except Exception:  # noqa: BLE001 - a lost counter must not hide the send's own error
                log.exception("%s deferred write(s) lost", len(pending))


def add(statement: Executable, *, once: str | None = None) -> bool:
    """Keep `statement` for the send's transaction; False outside `deferred()`, or when one
    of the same `once` kind is already waiting (the caller then runs it in a transaction of
    its own): a limiter's slot, for one, is held back for at most one call per send."""
    pending = _pending.get()
    if pending is None:
        return False
    if once is not None:
        if once in _kinds(pending):
            return False
        statement = statement.execution_options(deferred_kind=once)
    pending.append(statement)
    return True


def _kinds(pending: list[Executable]) -> set[str]:
    return {s.get_execution_options().get("deferred_kind", "") for s in pending}


def write(session: Session) -> None:
    """Run what is waiting in the session's transaction (committed with it)."""
    pending = _pending.get()
    if pending:
        _run(session.connection(), pending)


def _run(connection: Connection, pending: list[Executable]) -> None:
    while pending:
        connection.execute(pending.pop(0))
