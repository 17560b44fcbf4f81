"""The codes waiting shipments use, from the summary kept on write (models/codes_in_use.py):
which codes are in use, and which waiting shipments use a given code, without reading the
shipments. Check all (services.aliases) asks both.

Database triggers (migration c3d9e1f7a2b4) write the rows in the same transaction as each
change, so they always say what a scan of the shipments would; `compact` folds the counts
into one row per key (run it with finance_summary.compact: after a bulk load, and now and
then by the worker)."""

from __future__ import annotations

from sqlalchemy import func, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import CodeInUseDelta as Delta
from models import WaitingCodeUse as Use
from services import deltas

TABLE = Delta.__tablename__
KEYS = "kind, code, tenant_id"


def _organisation(column, tenant_id: str):
    """The organisation's rows and those of shipments with no organisation (they go to the
    default one), as Check all has always counted them."""
    return or_(column == tenant_id, column.is_(None))


def codes(*, session: Session, kind: str, tenant_id: str) -> list[str]:
    """Every code of `kind` (a shipment column: buyer_code, consignee_code, product_code)
    that a waiting shipment of the organisation uses, as spelt, in code order (sorted here:
    the database's collation would sort thousands of codes slower, and differently)."""
    used = (
        select(Delta.code)
        .where(col(Delta.kind) == kind, _organisation(col(Delta.tenant_id), tenant_id))
        .group_by(col(Delta.code))
        .having(func.sum(Delta.uses) > 0)
    )
    # Plain rows, not ORM results: a third of the time for thousands of codes.
    return sorted(session.connection().execute(used).scalars().all())


def users(
    *, session: Session, kind: str, tenant_id: str, spellings: list[str]
) -> list[tuple[int, str, str]]:
    """(shipment id, number, code) of each waiting shipment of the organisation using one of
    these codes of `kind`, once per shipment and code (two lines of one product are one)."""
    uses = (
        select(Use.shipment_id, Use.shipment_number, Use.code)
        .where(
            col(Use.kind) == kind,
            col(Use.code).in_(spellings),
            _organisation(col(Use.tenant_id), tenant_id),
        )
        .distinct()
    )
    return [(sid, number, code) for sid, number, code in session.connection().execute(uses).all()]


def pending(*, session: Session) -> int:
    """How many count rows were written since the last compaction."""
    return int(session.exec(select(func.count()).where(col(Delta.compacted).is_(False))).one())


def compact(*, engine: Engine) -> None:
    """Fold the count rows into one per key (services.deltas.compact)."""
    deltas.compact(engine=engine, table=TABLE, keys=KEYS, amounts=("uses",))
