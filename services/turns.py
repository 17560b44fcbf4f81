"""Whose turn it is: the organisations with due jobs that Xero's limits let call now, the
least recently leased first (round-robin), for the queue's lease (services/queue.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import ColumnElement
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, select

from models import RateLimitBlock, RateLimitState, SyncJob, as_utc
from services import rate_limit
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


def organisations_in_turn(*, session: Session, due: ColumnElement[bool], now: datetime) -> Turns:
    tenants = list(session.exec(select(SyncJob.tenant_id).where(due).distinct()))
    if not tenants:
        return Turns()
    default = _default_tenant(session)
    key = {t: t or default or "" for t in tenants}
    names = [*key.values(), rate_limit.APP_ROW]
    # Plain rows (no ORM objects): only read here.
    connection = session.connection()
    tables = SQLModel.metadata.tables
    state = tables[RateLimitState.__tablename__]
    block = tables[RateLimitBlock.__tablename__]
    rows = {
        r.tenant_id: r
        for r in connection.execute(core_select(state).where(state.c.tenant_id.in_(names)))
    }
    blocks = {
        b.tenant_id: b
        for b in connection.execute(core_select(block).where(block.c.tenant_id.in_(names)))
    }
    app, lim = rows.get(rate_limit.APP_ROW), limits()
    turns = Turns(default=default)
    for tenant in tenants:
        at, _why = rate_limit.ready_at(
            lim, rows.get(key[tenant]), blocks.get(key[tenant]), app, now
        )
        if at <= now:
            turns.ready.append(tenant)
        elif turns.next_opening is None or at < turns.next_opening:
            turns.next_opening = at

    def last_leased(tenant: str | None) -> tuple[datetime, str]:
        row = rows.get(key[tenant])
        return (as_utc(row.leased_at) if row and row.leased_at else EPOCH, tenant or "")

    turns.ready.sort(key=last_leased)
    return turns


def leased(
    *, session: Session, tenant_id: str | None, now: datetime, turns: Turns | None = None
) -> None:
    """Note that the organisation's jobs were just handed out: it goes to the back (one
    upsert: the organisation's row may not exist yet). `turns`: the order it was picked from
    (its default organisation, so it is not read again)."""
    default = turns.default if turns is not None else _default_tenant(session)
    name = tenant_id or default or ""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    row = {"tenant_id": name, "recent": "0" * rate_limit.STAMP * limits().per_minute}
    statement = (
        insert(RateLimitState)
        .values(**row, leased_at=now)
        .on_conflict_do_update(index_elements=["tenant_id"], set_={"leased_at": now})
    )
    session.connection().execute(statement)


def _default_tenant(session: Session) -> str | None:
    from services.connections import default_connection

    connection = default_connection(session=session)
    return connection.tenant_id if connection else None
