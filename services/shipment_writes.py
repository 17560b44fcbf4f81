"""A send's changes to its shipments written as one UPDATE per shape, not one per row.

The unit of work writes each changed shipment with its own UPDATE whenever the version is
raised (`models.shipment.bump_version` sets it to the SQL expression `version + 1`, which the
ORM cannot batch), so applying ten answers cost ten statements and the ORM's per-row work
(issue 16, goal 2). A session marked with `batch_shipment_updates` writes its changed
shipments itself just before each flush: rows changing the same columns (and raising the
version or not) go in one executemany, the version raised in SQL exactly as the hook would
raise it, and the unit of work then finds them clean. Anything the plain UPDATE cannot say
(a changed collection of lines, a value that is a SQL expression, a changed key) is left to
the unit of work as before.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import bindparam, event, inspect, update
from sqlalchemy.orm import InstanceState
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE, History
from sqlalchemy.sql import ClauseElement
from sqlmodel import Session

from models import Shipment
from models.shipment import VERSIONED

_BATCHED = "shipbridge.batch_shipment_updates"
_TABLE = Shipment.__table__  # type: ignore[attr-defined]
_MAPPER = inspect(Shipment)
_COLUMNS = {attr.key: attr.columns[0] for attr in _MAPPER.column_attrs}
_RELATIONSHIPS = tuple(rel.key for rel in _MAPPER.relationships)
_PK: str = _MAPPER.primary_key[0].key or "id"


def batch_shipment_updates(session: Session) -> None:
    """From now on this session writes its changed shipments in batches (see above)."""
    session.info[_BATCHED] = True


def _changes(state: InstanceState) -> tuple[dict, bool] | None:
    """(changed column values, whether the version must rise) of one shipment; None when
    the unit of work must write it itself."""
    # Only attributes set since the row was read keep their old value in committed_state:
    # the others cannot have changed. Their history is asked of the state itself (what
    # `state.attrs[key].history` answers, without building an attribute view per key).
    touched = list(state.committed_state)
    if any(_history(state, key).has_changes() for key in touched if key in _RELATIONSHIPS):
        return None
    values = {}
    for key in touched:
        if key not in _COLUMNS:
            continue
        history = _history(state, key)
        if not history.has_changes():
            continue
        if not history.added or isinstance(history.added[0], ClauseElement) or key == _PK:
            return None
        values[key] = history.added[0]
    # The same rule as models.shipment.bump_version: a change to a versioned field raises the
    # version, unless the change sets the version itself.
    bump = "version" not in values and any(name in values for name in VERSIONED)
    return values, bump


def _history(state: InstanceState, key: str) -> History:
    return state.get_history(key, PASSIVE_NO_INITIALIZE)


@event.listens_for(Session, "before_flush")
def _write_shipments_batched(session: Session, _flush_context, _instances) -> None:
    if not session.info.get(_BATCHED):
        return
    shapes: dict[tuple[tuple[str, ...], bool], list[tuple[InstanceState, int, dict]]] = {}
    for instance in session.dirty:
        if not isinstance(instance, Shipment):
            continue
        state = inspect(instance)
        if state.key is None or state.deleted:
            continue
        found = _changes(state)
        if found is None or not found[0]:
            continue
        values, bump = found
        pk = state.key[1][0]
        shapes.setdefault((tuple(sorted(values)), bump), []).append((state, pk, values))
    if not shapes:
        return
    connection = session.connection()
    for (keys, bump), rows in shapes.items():
        connection.execute(
            _statement(keys, bump),
            [{"_pk": pk, **{f"v_{k}": v[k] for k in keys}} for _state, pk, v in rows],
        )
        for state, _pk, _values in rows:
            # Written: the unit of work finds nothing left to write for it. A raised version
            # is read again when asked for, as after the unit of work's own expression.
            state._commit_all(state.dict, session.identity_map)  # noqa: SLF001
            if bump:
                session.expire(state.obj(), ["version"])


@lru_cache(maxsize=64)
def _statement(keys: tuple[str, ...], bump: bool):
    """UPDATE shipment SET <keys> [, version = version + 1] WHERE id = :_pk."""
    values: dict = {_COLUMNS[k]: bindparam(f"v_{k}", type_=_COLUMNS[k].type) for k in keys}
    if bump:
        values[_TABLE.c.version] = _TABLE.c.version + 1
    return update(_TABLE).where(_COLUMNS[_PK] == bindparam("_pk")).values(values)
