"""finance summaries maintained on write

The Dashboard's "totals by currency" and "paid / unpaid by currency" read a small summary
instead of every shipment (issue 16, goal 3). `finance_summary_delta` (models/finance_summary.py)
is append-only: triggers on `shipment` and `shipment_line` add, in the same transaction as the
change, the old contribution negated and the new one, so every writer (ORM, bulk UPDATE, COPY,
raw SQL) keeps it right and concurrent writers never wait on one row. The upgrade fills it
from the existing rows (compacted); the downgrade drops the triggers and the table.

Also the Overdue view's index: approved invoices with a balance, by due date, so its first
page walks overdue documents only (services.finance.documents); and on PostgreSQL the waiting
shipments' index Check all joins through (services.aliases.check_all).

A later SQLite migration that recreates `shipment` or `shipment_line` (batch mode with
recreate) drops these triggers: it must call `_triggers(up=True)` again.

Revision ID: b8e2fad4c6a9
Revises: a7d1e9c3b5f8
Create Date: 2026-11-30 13:00:00.000000

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "b8e2fad4c6a9"
down_revision: Union[str, Sequence[str], None] = "a7d1e9c3b5f8"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLE = "finance_summary_delta"
COLUMNS = (
    "tenant_id, currency, sync_state, overdue_from, shipments, total_cents, invoices, "
    "paid_cents, unpaid_cents, not_approved_cents, compacted"
)
# What a shipment's figures depend on: an UPDATE touching none of these writes no row.
WATCHED = (
    "tenant_id",
    "currency",
    "sync_state",
    "due_date",
    "freight_amount",
    "xero_document_id",
    "xero_document_type",
    "xero_status",
    "xero_amount_paid",
    "xero_amount_due",
)
# The Overdue view's rows (services.finance._overdue with the sent-invoice filter), written
# with literals exactly as the query writes them, so SQLite can match the partial index.
OVERDUE_INDEX = (
    "CREATE INDEX scale_shipment_overdue ON shipment (due_date, id) "
    "WHERE xero_document_id IS NOT NULL AND xero_document_type = 'invoice' "
    "AND xero_status IN ('AUTHORISED', 'PAID') AND xero_amount_due > 0"
)


# Check all on PostgreSQL (services.aliases): the waiting shipments, with what the join from
# an unmapped code's lines needs, so the join reads this small index only, not the heap.
# (SQLite cannot match a partial index to the query's bound IN list: not made there.)
WAITING_INDEX = (
    "CREATE INDEX scale_shipment_waiting ON shipment (id) INCLUDE (tenant_id, shipment_number) "
    "WHERE sync_state IN ('Not sent', 'Rejected', 'Changed', 'Queued')"
)


def _cents(dialect: str, value: str) -> str:
    if dialect == "postgresql":
        return f"round(coalesce({value}, 0) * 100)::bigint"
    return f"CAST(round(coalesce({value}, 0) * 100) AS INTEGER)"


def _contribution(dialect: str, row: str, sign: str, lines: str) -> list[str]:
    """The SELECT list of one shipment's contribution (`row`: NEW, OLD or a table alias),
    times `sign`, in COLUMNS' order; `lines` is the SQL of its lines' total in cents."""
    invoice = (
        f"({row}.xero_document_id IS NOT NULL AND {row}.xero_document_type = 'invoice' "
        f"AND {row}.xero_status IS NOT NULL AND {row}.xero_status NOT IN ('VOIDED', 'DELETED'))"
    )
    approved = f"{row}.xero_status IN ('AUTHORISED', 'PAID')"
    due = _cents(dialect, f"{row}.xero_amount_due")

    def only(condition: str, amount: str) -> str:
        return f"{sign} * (CASE WHEN {condition} THEN {amount} ELSE 0 END)"

    return [
        f"{row}.tenant_id",
        f"{row}.currency",
        f"{row}.sync_state",
        f"CASE WHEN {invoice} AND {approved} AND {row}.xero_amount_due > 0 THEN {row}.due_date END",
        f"{sign}",
        f"{sign} * ({_cents(dialect, f'{row}.freight_amount')} + {lines})",
        only(invoice, "1"),
        only(invoice, _cents(dialect, f"{row}.xero_amount_paid")),
        only(f"{invoice} AND {approved}", due),
        only(f"{invoice} AND NOT ({approved})", due),
        _false(dialect),
    ]


def _false(dialect: str) -> str:
    return "false" if dialect == "postgresql" else "0"


def _lines_of(dialect: str, row: str) -> str:
    cents = _cents(dialect, "item_value")
    return f"(SELECT coalesce(sum({cents}), 0) FROM shipment_line WHERE shipment_id = {row}.id)"


def _shipment_row(dialect: str, row: str, sign: str) -> str:
    values = ", ".join(_contribution(dialect, row, sign, _lines_of(dialect, row)))
    return f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {values};"


def _line_row(dialect: str, row: str, sign: str) -> str:
    """A line's value counted under its shipment's key (none when the shipment is gone: its
    own delete already took its lines off)."""
    cents = _cents(dialect, f"{row}.item_value")
    return (
        f"INSERT INTO {TABLE} (tenant_id, currency, sync_state, total_cents) "
        f"SELECT s.tenant_id, s.currency, s.sync_state, {sign} * {cents} "
        f"FROM shipment s WHERE s.id = {row}.shipment_id;"
    )


def _changed(columns: Sequence[str]) -> str:
    return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)


def _sqlite_triggers() -> list[str]:
    def trigger(name: str, when: str, body: list[str], condition: str = "") -> str:
        where = f" WHEN {condition}" if condition else ""
        return f"CREATE TRIGGER {name} {when}{where} BEGIN {' '.join(body)} END"

    changed = _changed(WATCHED).replace("IS DISTINCT FROM", "IS NOT")
    line_changed = _changed(("item_value", "shipment_id")).replace("IS DISTINCT FROM", "IS NOT")
    return [
        trigger(
            "scale_finance_shipment_ins",
            "AFTER INSERT ON shipment",
            [_shipment_row("sqlite", "NEW", "1")],
        ),
        trigger(
            "scale_finance_shipment_upd",
            f"AFTER UPDATE OF {', '.join(WATCHED)} ON shipment",
            [_shipment_row("sqlite", "OLD", "-1"), _shipment_row("sqlite", "NEW", "1")],
            changed,
        ),
        # Before: its lines are still there (a cascade deletes them after).
        trigger(
            "scale_finance_shipment_del",
            "BEFORE DELETE ON shipment",
            [_shipment_row("sqlite", "OLD", "-1")],
        ),
        trigger(
            "scale_finance_line_ins",
            "AFTER INSERT ON shipment_line",
            [_line_row("sqlite", "NEW", "1")],
        ),
        trigger(
            "scale_finance_line_upd",
            "AFTER UPDATE OF item_value, shipment_id ON shipment_line",
            [_line_row("sqlite", "OLD", "-1"), _line_row("sqlite", "NEW", "1")],
            line_changed,
        ),
        trigger(
            "scale_finance_line_del",
            "AFTER DELETE ON shipment_line",
            [_line_row("sqlite", "OLD", "-1")],
        ),
    ]


def _pg_function(name: str, old: str, new: str) -> str:
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {old} END IF; "
        f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {new} END IF; "
        "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$"
    )


def _pg_triggers() -> list[str]:
    shipment = "scale_finance_shipment"
    line = "scale_finance_line"
    run = "FOR EACH ROW EXECUTE FUNCTION"
    return [
        _pg_function(
            shipment,
            _shipment_row("postgresql", "OLD", "-1"),
            _shipment_row("postgresql", "NEW", "1"),
        ),
        _pg_function(
            line, _line_row("postgresql", "OLD", "-1"), _line_row("postgresql", "NEW", "1")
        ),
        f"CREATE TRIGGER scale_finance_shipment_ins AFTER INSERT ON shipment {run} {shipment}()",
        f"CREATE TRIGGER scale_finance_shipment_upd AFTER UPDATE ON shipment "
        f"FOR EACH ROW WHEN ({_changed(WATCHED)}) EXECUTE FUNCTION {shipment}()",
        f"CREATE TRIGGER scale_finance_shipment_del BEFORE DELETE ON shipment {run} {shipment}()",
        f"CREATE TRIGGER scale_finance_line_ins AFTER INSERT OR DELETE ON shipment_line "
        f"{run} {line}()",
        f"CREATE TRIGGER scale_finance_line_upd AFTER UPDATE ON shipment_line FOR EACH ROW "
        f"WHEN ({_changed(('item_value', 'shipment_id'))}) EXECUTE FUNCTION {line}()",
    ]


def _backfill(dialect: str) -> str:
    """Every existing shipment's contribution, one compacted row per key."""
    cents = _cents(dialect, "item_value")
    names = COLUMNS.split(", ")
    values = _contribution(dialect, "s", "1", "coalesce(l.cents, 0)")[:-1]
    keys, amounts = names[:4], names[4:-1]
    aliased = ", ".join(f"{value} AS {name}" for value, name in zip(values, names, strict=False))
    true = "true" if dialect == "postgresql" else "1"
    return (
        f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {', '.join(keys)}, "
        f"{', '.join(f'sum({name})' for name in amounts)}, {true} "
        f"FROM (SELECT {aliased} FROM shipment s LEFT JOIN (SELECT shipment_id, "
        f"sum({cents}) AS cents FROM shipment_line GROUP BY shipment_id) l "
        f"ON l.shipment_id = s.id) k GROUP BY {', '.join(keys)}"
    )


def _triggers(up: bool) -> None:
    dialect = op.get_bind().dialect.name
    if up:
        for statement in _pg_triggers() if dialect == "postgresql" else _sqlite_triggers():
            op.execute(statement)
        return
    for name, table in [
        ("scale_finance_shipment_ins", "shipment"),
        ("scale_finance_shipment_upd", "shipment"),
        ("scale_finance_shipment_del", "shipment"),
        ("scale_finance_line_ins", "shipment_line"),
        ("scale_finance_line_upd", "shipment_line"),
        ("scale_finance_line_del", "shipment_line"),
    ]:
        on = f" ON {table}" if dialect == "postgresql" else ""
        op.execute(f"DROP TRIGGER IF EXISTS {name}{on}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS scale_finance_shipment()")
        op.execute("DROP FUNCTION IF EXISTS scale_finance_line()")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("sync_state", sa.String(length=30), nullable=True),
        sa.Column("overdue_from", sa.Date(), nullable=True),
        sa.Column("shipments", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("invoices", sa.Integer(), server_default="0", nullable=False),
        sa.Column("paid_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("unpaid_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("not_approved_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("compacted", sa.Boolean(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    dialect = op.get_bind().dialect.name
    op.execute(_backfill(dialect))
    _triggers(up=True)
    op.execute(OVERDUE_INDEX)
    if dialect == "postgresql":
        op.execute(WAITING_INDEX)


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS scale_shipment_waiting")
    op.execute("DROP INDEX IF EXISTS scale_shipment_overdue")
    _triggers(up=False)
    op.drop_table(TABLE)
