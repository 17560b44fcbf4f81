"""codes in use summary (issue 16, goal 3: Check all from indexed aggregates)

Check all (services.aliases.check_all) reads two tables kept by triggers instead of walking
every shipment's codes and joining every line of an unmapped product to the shipments
(models/codes_in_use.py):

- `waiting_code_use`: a row per code a waiting shipment uses. Triggers on `shipment` and
  `shipment_line` delete a shipment's (or a line's) rows and write them again as they are now
  whenever what they depend on changes: its codes, number, organisation, or whether its sync
  state is a waiting one. Each row belongs to one shipment or line: no two writers share one.
- `code_in_use_delta`: append-only +n / -n per key for the rows of `waiting_code_use` that
  come or go, summed per (kind, code, organisation) by reads and folded by
  services.codes_in_use.compact, as finance_summary_delta is (migration b8e2fad4c6a9). On
  PostgreSQL the statement that writes or deletes the rows writes their counts too (a
  data-modifying WITH: one delta row per key, no trigger call per row); SQLite has no such
  statement, so triggers on `waiting_code_use` write a delta row per row there.

The upgrade fills both from the existing rows (the deltas compacted, one row per key); the
downgrade drops the triggers and the tables. A later SQLite migration that recreates
`shipment` or `shipment_line` (batch mode with recreate) drops these triggers: it must
create them again (`_triggers(up=True)`).

Revision ID: c3d9e1f7a2b4
Revises: b8e2fad4c6a9
Create Date: 2026-11-30 15:00:00.000000

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "c3d9e1f7a2b4"
down_revision: Union[str, Sequence[str], None] = "b8e2fad4c6a9"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

USES = "waiting_code_use"
DELTA = "code_in_use_delta"
USE_COLUMNS = "kind, code, tenant_id, shipment_id, shipment_number, line_id"
# services.aliases.WAITING, as stored (models.enums.SyncState), frozen here.
WAITING = "('Not sent', 'Rejected', 'Changed since sent', 'Queued')"
CUSTOMER_KINDS = ("buyer_code", "consignee_code")
# What a shipment's rows depend on: an UPDATE changing none of these leaves them.
WATCHED = ("tenant_id", "shipment_number", *CUSTOMER_KINDS)

TRIGGERS = [
    ("scale_codes_shipment_ins", "shipment"),
    ("scale_codes_shipment_upd", "shipment"),
    ("scale_codes_shipment_del", "shipment"),
    ("scale_codes_line_ins", "shipment_line"),
    ("scale_codes_line_upd", "shipment_line"),
    ("scale_codes_line_del", "shipment_line"),
    ("scale_codes_use_ins", USES),  # SQLite only
    ("scale_codes_use_del", USES),
]


def _shipment_rows(row: str) -> list[str]:
    """The SELECTs of the rows of shipment `row` (NEW), in USE_COLUMNS' order, when it is
    waiting: its buyer code, its consignee code, its lines' product codes."""
    customer = [
        f"SELECT '{kind}', {row}.{kind}, {row}.tenant_id, {row}.id, {row}.shipment_number, "
        f"CAST(NULL AS INTEGER) WHERE {row}.{kind} IS NOT NULL AND {row}.sync_state IN {WAITING}"
        for kind in CUSTOMER_KINDS
    ]
    products = (
        f"SELECT 'product_code', l.product_code, {row}.tenant_id, {row}.id, "
        f"{row}.shipment_number, l.id FROM shipment_line l WHERE l.shipment_id = {row}.id "
        f"AND l.product_code IS NOT NULL AND {row}.sync_state IN {WAITING}"
    )
    return [*customer, products]


def _line_rows(row: str) -> list[str]:
    """The SELECT of the row of line `row` (NEW), when its shipment is waiting."""
    return [
        f"SELECT 'product_code', {row}.product_code, s.tenant_id, s.id, s.shipment_number, "
        f"{row}.id FROM shipment s WHERE s.id = {row}.shipment_id "
        f"AND {row}.product_code IS NOT NULL AND s.sync_state IN {WAITING}"
    ]


def _inserts(selects: list[str]) -> list[str]:
    """SQLite: one INSERT per SELECT (the counts follow from triggers on the table)."""
    return [f"INSERT INTO {USES} ({USE_COLUMNS}) {select};" for select in selects]


def _delta(row: str, sign: str) -> str:
    return (
        f"INSERT INTO {DELTA} (kind, code, tenant_id, uses) "
        f"VALUES ({row}.kind, {row}.code, {row}.tenant_id, {sign});"
    )


def _counted(change: str, sign: str) -> str:
    """PostgreSQL: `change` (an INSERT or DELETE on the rows, RETURNING their keys) and its
    counts in one statement, one delta row per key rather than a trigger call per row."""
    return (
        f"WITH changed AS ({change} RETURNING kind, code, tenant_id) "
        f"INSERT INTO {DELTA} (kind, code, tenant_id, uses) "
        f"SELECT kind, code, tenant_id, {sign}count(*) FROM changed "
        "GROUP BY kind, code, tenant_id;"
    )


def _pg_added(selects: list[str]) -> str:
    return _counted(f"INSERT INTO {USES} ({USE_COLUMNS}) {' UNION ALL '.join(selects)}", "")


def _shipment_changed(distinct: str) -> str:
    """Whether an UPDATE changes a shipment's rows (`distinct`: the dialect's IS DISTINCT
    FROM); a move between two waiting states (Not sent to Queued) does not."""
    waiting = f"(OLD.sync_state IN {WAITING}) {distinct} (NEW.sync_state IN {WAITING})"
    return " OR ".join([*(f"OLD.{c} {distinct} NEW.{c}" for c in WATCHED), waiting])


LINE_CHANGED = ("product_code", "shipment_id")


def _sqlite_triggers() -> list[str]:
    def trigger(name: str, when: str, body: list[str], condition: str = "") -> str:
        where = f" WHEN {condition}" if condition else ""
        return f"CREATE TRIGGER {name} {when}{where} BEGIN {' '.join(body)} END"

    forget_shipment = f"DELETE FROM {USES} WHERE shipment_id = OLD.id;"
    forget_line = f"DELETE FROM {USES} WHERE line_id = OLD.id;"
    line_changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in LINE_CHANGED)
    return [
        trigger(
            "scale_codes_shipment_ins",
            "AFTER INSERT ON shipment",
            _inserts(_shipment_rows("NEW")),
            f"NEW.sync_state IN {WAITING}",  # only waiting shipments have rows
        ),
        trigger(
            "scale_codes_shipment_upd",
            f"AFTER UPDATE OF {', '.join((*WATCHED, 'sync_state'))} ON shipment",
            [forget_shipment, *_inserts(_shipment_rows("NEW"))],
            _shipment_changed("IS NOT"),
        ),
        trigger(
            "scale_codes_shipment_del",
            "AFTER DELETE ON shipment",
            [forget_shipment],
            f"OLD.sync_state IN {WAITING}",
        ),
        trigger(
            "scale_codes_line_ins", "AFTER INSERT ON shipment_line", _inserts(_line_rows("NEW"))
        ),
        trigger(
            "scale_codes_line_upd",
            f"AFTER UPDATE OF {', '.join(LINE_CHANGED)} ON shipment_line",
            [forget_line, *_inserts(_line_rows("NEW"))],
            line_changed,
        ),
        trigger("scale_codes_line_del", "AFTER DELETE ON shipment_line", [forget_line]),
        trigger("scale_codes_use_ins", f"AFTER INSERT ON {USES}", [_delta("NEW", "1")]),
        trigger("scale_codes_use_del", f"AFTER DELETE ON {USES}", [_delta("OLD", "-1")]),
    ]


def _pg_function(name: str, old: list[str], new: list[str], row_waiting: bool = False) -> str:
    """`row_waiting`: the rows are the trigger's row's own (a shipment's): only a waiting one
    has any, so the statements run for those only (most shipments are sent: no lookup)."""
    old_if = f" AND OLD.sync_state IN {WAITING}" if row_waiting else ""
    new_if = f" AND NEW.sync_state IN {WAITING}" if row_waiting else ""
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP IN ('UPDATE', 'DELETE'){old_if} THEN {' '.join(old)} END IF; "
        f"IF TG_OP IN ('INSERT', 'UPDATE'){new_if} THEN {' '.join(new)} END IF; "
        "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$"
    )


def _pg_triggers() -> list[str]:
    run = "FOR EACH ROW EXECUTE FUNCTION"
    line_changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in LINE_CHANGED)
    return [
        _pg_function(
            "scale_codes_shipment",
            [_counted(f"DELETE FROM {USES} WHERE shipment_id = OLD.id", "-")],
            [_pg_added(_shipment_rows("NEW"))],
            row_waiting=True,
        ),
        _pg_function(
            "scale_codes_line",
            [_counted(f"DELETE FROM {USES} WHERE line_id = OLD.id", "-")],
            [_pg_added(_line_rows("NEW"))],
        ),
        f"CREATE TRIGGER scale_codes_shipment_ins AFTER INSERT ON shipment "
        f"{run} scale_codes_shipment()",
        f"CREATE TRIGGER scale_codes_shipment_upd AFTER UPDATE ON shipment FOR EACH ROW "
        f"WHEN ({_shipment_changed('IS DISTINCT FROM')}) EXECUTE FUNCTION scale_codes_shipment()",
        f"CREATE TRIGGER scale_codes_shipment_del AFTER DELETE ON shipment "
        f"{run} scale_codes_shipment()",
        f"CREATE TRIGGER scale_codes_line_ins AFTER INSERT OR DELETE ON shipment_line "
        f"{run} scale_codes_line()",
        f"CREATE TRIGGER scale_codes_line_upd AFTER UPDATE ON shipment_line FOR EACH ROW "
        f"WHEN ({line_changed}) EXECUTE FUNCTION scale_codes_line()",
    ]


def _backfill() -> list[str]:
    """Every waiting shipment's rows, then their counts as one compacted row per key (run
    before the triggers exist, so the first writes no deltas of its own)."""
    waiting = f"s.sync_state IN {WAITING}"
    customers = [
        f"INSERT INTO {USES} ({USE_COLUMNS}) SELECT '{kind}', s.{kind}, s.tenant_id, s.id, "
        f"s.shipment_number, NULL FROM shipment s WHERE s.{kind} IS NOT NULL AND {waiting}"
        for kind in CUSTOMER_KINDS
    ]
    products = (
        f"INSERT INTO {USES} ({USE_COLUMNS}) SELECT 'product_code', l.product_code, "
        f"s.tenant_id, s.id, s.shipment_number, l.id FROM shipment s JOIN shipment_line l "
        f"ON l.shipment_id = s.id WHERE l.product_code IS NOT NULL AND {waiting}"
    )
    true = "true" if op.get_bind().dialect.name == "postgresql" else "1"
    counts = (
        f"INSERT INTO {DELTA} (kind, code, tenant_id, uses, compacted) "
        f"SELECT kind, code, tenant_id, count(*), {true} FROM {USES} "
        "GROUP BY kind, code, tenant_id"
    )
    return [*customers, products, counts]


def _triggers(up: bool) -> None:
    dialect = op.get_bind().dialect.name
    if up:
        for statement in _pg_triggers() if dialect == "postgresql" else _sqlite_triggers():
            op.execute(statement)
        return
    for name, table in TRIGGERS:
        on = f" ON {table}" if dialect == "postgresql" else ""
        op.execute(f"DROP TRIGGER IF EXISTS {name}{on}")
    if dialect == "postgresql":
        for function in ("scale_codes_shipment", "scale_codes_line"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")


def upgrade() -> None:
    op.create_table(
        USES,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("shipment_number", sa.String(length=60), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        DELTA,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("uses", sa.Integer(), server_default="0", nullable=False),
        sa.Column("compacted", sa.Boolean(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for statement in _backfill():
        op.execute(statement)
    # Built after the backfill: once, not row by row.
    op.create_index(
        "ix_waiting_code_use_code",
        USES,
        ["kind", "code", "tenant_id", "shipment_id", "shipment_number"],
    )
    op.create_index("ix_waiting_code_use_shipment", USES, ["shipment_id"])
    op.create_index("ix_waiting_code_use_line", USES, ["line_id"])
    op.create_index("ix_code_in_use_delta_key", DELTA, ["kind", "tenant_id", "code", "uses"])
    if op.get_bind().dialect.name == "postgresql":  # planned from real counts straight away
        op.execute(f"ANALYZE {USES}")
        op.execute(f"ANALYZE {DELTA}")
    _triggers(up=True)


def downgrade() -> None:
    _triggers(up=False)
    op.drop_index("ix_code_in_use_delta_key", table_name=DELTA)
    op.drop_table(DELTA)
    op.drop_index("ix_waiting_code_use_line", table_name=USES)
    op.drop_index("ix_waiting_code_use_shipment", table_name=USES)
    op.drop_index("ix_waiting_code_use_code", table_name=USES)
    op.drop_table(USES)
