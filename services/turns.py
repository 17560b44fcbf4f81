"""Whose turn it is: the organisations with due jobs that Xero's limits let call now, the
least recently leased first (round-robin), for the queue's lease (services/queue.py).

Every lease runs these reads and the upsert, so their statements are built once (their
values bound at each call) and run as Core: plain rows, no ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import String, Table, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import Session, SQLModel

from models import RateLimitBlock, RateLimitState, as_utc
from services import rate_limit, rate_limit_statements
from services.settings import Settings, get_settings

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def limits(settings: Settings | None = None) -> rate_limit.Limits:
    """Xero's limits as every caller's limiter counts them (services/connections.py)."""
    from services.budget import day_limit

    settings = settings or get_settings()
    return rate_limit.Limits(
        per_day=day_limit(settings), clock_scale=settings.xero_rate_clock_scale
    )


@dataclass
class Turns:
    """Organisations (a job's tenant id; None: the default organisation) that may go now, in
    turn order, and when the next of the others may (None: none is waiting)."""

    ready: list[str | None] = field(default_factory=list)
    next_opening: datetime | None = None
    # The default organisation's tenant id (a job without one goes to it), read once.
    default: str | None = None


def organisations_in_turn(*, session: Session, tenants: list[str | None], now: datetime) -> Turns:
    """`tenants`: the organisations with due jobs (None: jobs with none, the default's)."""
    if not tenants:
        return Turns()
    default = _default_tenant(session)
    key = {t: t or default or "" for t in tenants}
    names = [*key.values(), rate_limit.APP_ROW]
    found = session.connection().execute(_limits_of(), {"names": names})
    rows = {r.name: r for r in found}
    app, lim = _state(rows.get(rate_limit.APP_ROW)), limits()
    turns = Turns(default=default)
    for tenant in tenants:
        row = rows.get(key[tenant])
        at, _why = rate_limit.ready_at(lim, _state(row), _block(row), app, now)
        if at <= now:
            turns.ready.append(tenant)
        elif turns.next_opening is None or at < turns.next_opening:
            turns.next_opening = at

    def last_leased(tenant: str | None) -> tuple[datetime, str]:
        row = rows.get(key[tenant])
        return (as_utc(row.leased_at) if row and row.leased_at else EPOCH, tenant or "")

    turns.ready.sort(key=last_leased)
    return turns


def _state(row):
    """The organisation's state (its calls, its last lease) from `_limits_of`'s row; None if
    it has no state row yet."""
    return row if row is not None and row.has_state is not None else None


def _block(row):
    """The organisation's block (Xero told it to wait) from `_limits_of`'s row; None if none."""
    return row if row is not None and row.blocked_until is not None else None


@cache
def _limits_of():
    """The named organisations' state and block rows in ONE query (either may be missing:
    a full join), one row a name, built once (the names bound at each call)."""
    state, block = _table(RateLimitState.__tablename__), _table(RateLimitBlock.__tablename__)
    names: BindParameter[list[str]] = bindparam("names", expanding=True)
    joined = state.outerjoin(block, state.c.tenant_id == block.c.tenant_id, full=True)
    return (
        select(
            func.coalesce(state.c.tenant_id, block.c.tenant_id).label("name"),
            state.c.tenant_id.label("has_state"),
            state.c.recent,
            state.c.in_flight,
            state.c.last_call_at,
            state.c.day_start,
            state.c.day_calls,
            state.c.leased_at,
            block.c.blocked_until,
            block.c.reason,
        )
        .select_from(joined)
        .where(or_(state.c.tenant_id.in_(names), block.c.tenant_id.in_(names)))
    )


def leased(
    *, session: Session, tenant_id: str | None, now: datetime, turns: Turns | None = None
) -> None:
    """Note that the organisation's jobs were just handed out: it goes to the back (one
    upsert: the organisation's row may not exist yet). `turns`: the order it was picked from
    (its default organisation, so it is not read again)."""
    default = turns.default if turns is not None else _default_tenant(session)
    session.connection().execute(
        _leasing(session.get_bind().dialect.name),
        {
            "tenant": tenant_id or default or "",
            "recent": "0" * rate_limit_statements.STAMP * limits().per_minute,
            "now": now,
        },
    )


@cache
def _leasing(dialect: str):
    """`leased`'s upsert, built once per dialect (its values bound at each call)."""
    state = _table(RateLimitState.__tablename__)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(state).values(
        tenant_id=bindparam("tenant", type_=String()),
        recent=bindparam("recent", type_=state.c.recent.type),
        leased_at=bindparam("now", type_=state.c.leased_at.type),
    )
    return statement.on_conflict_do_update(
        index_elements=["tenant_id"], set_={"leased_at": statement.excluded.leased_at}
    )


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def _default_tenant(session: Session) -> str | None:
    from services.connections import default_tenant_id

    return default_tenant_id(session=session)
