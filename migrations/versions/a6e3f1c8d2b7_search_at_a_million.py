"""search at a million shipments on SQLite (issue 16, goal 3)

The SQLite search of migration f2b8d4a01c23 read FTS5 trigram doclists of a million shipments
and two million lines: the trigrams every code shares ("CUS", "PRO", "-00") list nearly every
row, and a phrase query reads each of its trigrams' doclists with positions (0.4 s a search).
Codes repeat (a few thousand customers and products over a million shipments), so they are
searched once each, and only the shipment number, unique, keeps a trigram index per shipment.
SQLite only (services/search.py says how the search uses them):

- `scale_search_code`: every distinct customer (buyer), consignee and product code stored,
  with its FTS5 trigram table `scale_search_code_fts`; triggers on `shipment` and
  `shipment_line` add a code the first time it is written. A search matches these codes, then
  finds their shipments through the B-tree indexes on buyer_code, consignee_code and
  shipment_line (product_code, shipment_id). A code no shipment uses any more stays: its
  lookup finds nothing, and the table stays a list of codes, not of shipments.
- `scale_shipment_number_fts`: FTS5 trigram over shipment_number only, kept by triggers; it
  replaces `scale_shipment_fts` (number, buyer, consignee) and `scale_shipment_line_fts`
  (product), dropped with their triggers.
- `scale_shipment_unsent`: the shipments "unsent only" shows, by (created_at, id), so its
  first page walks them newest first instead of sorting every one. SQLite uses a partial index
  only for a query with the same literal condition (services.shipments.UNSENT renders it).

PostgreSQL: `scale_shipment_waiting` (migration b8e2fad4c6a9) named the state 'Changed', but
the stored value is 'Changed since sent' (models.SyncState.CHANGED): made again with it.

The downgrade drops these and makes the tables of migration f2b8d4a01c23 again. A later SQLite
migration that recreates `shipment` or `shipment_line` (batch mode with recreate) drops these
triggers: it must run `_sqlite_search(up=True)` again.

Revision ID: a6e3f1c8d2b7
Revises: c3d9e1f7a2b4
Create Date: 2026-11-30 18:00:00.000000

"""

from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = "a6e3f1c8d2b7"
down_revision: Union[str, Sequence[str], None] = "c3d9e1f7a2b4"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CODES = "scale_search_code"
CODE_FTS = "scale_search_code_fts"
NUMBER_FTS = {"scale_shipment_number_fts": ("shipment", ["shipment_number"])}
# Migration f2b8d4a01c23's FTS5 tables: (content table, columns).
OLD_FTS = {
    "scale_shipment_fts": ("shipment", ["shipment_number", "buyer_code", "consignee_code"]),
    "scale_shipment_line_fts": ("shipment_line", ["product_code"]),
}
# Where codes are written: (trigger name, table, event, code columns).
CODE_TRIGGERS = [
    ("scale_search_code_shipment_ins", "shipment", "INSERT", ["buyer_code", "consignee_code"]),
    (
        "scale_search_code_shipment_upd",
        "shipment",
        "UPDATE OF buyer_code, consignee_code",
        ["buyer_code", "consignee_code"],
    ),
    ("scale_search_code_line_ins", "shipment_line", "INSERT", ["product_code"]),
    ("scale_search_code_line_upd", "shipment_line", "UPDATE OF product_code", ["product_code"]),
]
# services.shipments.UNSENT, frozen here in its order (SQLite matches the condition as written).
UNSENT_INDEX = (
    "CREATE INDEX scale_shipment_unsent ON shipment (created_at, id) "
    "WHERE sync_state IN ('Not sent', 'Changed since sent', 'Rejected')"
)
WAITING_INDEX = (
    "CREATE INDEX scale_shipment_waiting ON shipment (id) INCLUDE (tenant_id, shipment_number) "
    "WHERE sync_state IN ('Not sent', 'Rejected', {changed}, 'Queued')"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _waiting_index("'Changed since sent'")
        return
    _drop_fts(OLD_FTS)
    _sqlite_search(up=True)
    op.execute(UNSENT_INDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _waiting_index("'Changed'")
        return
    op.execute("DROP INDEX IF EXISTS scale_shipment_unsent")
    _sqlite_search(up=False)
    for name, (table, columns) in OLD_FTS.items():
        _external_fts(name, table, columns)


def _waiting_index(changed: str) -> None:
    op.execute("DROP INDEX IF EXISTS scale_shipment_waiting")
    op.execute(WAITING_INDEX.format(changed=changed))


def _sqlite_search(*, up: bool) -> None:
    """Drop (and with `up`, make and fill) the codes table and the shipment number index."""
    _drop_fts(NUMBER_FTS)
    for name, *_ in CODE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute(f"DROP TABLE IF EXISTS {CODE_FTS}")
    op.execute(f"DROP TABLE IF EXISTS {CODES}")
    if not up:
        return
    for name, (table, columns) in NUMBER_FTS.items():
        _external_fts(name, table, columns)
    _codes()


def _codes() -> None:
    op.execute(f"CREATE TABLE {CODES} (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE)")
    op.execute(
        f"CREATE VIRTUAL TABLE {CODE_FTS} USING fts5(code, content='{CODES}', "
        "content_rowid='id', tokenize='trigram')"
    )
    # Codes are only ever added (a code no longer used finds no shipment): no delete trigger.
    op.execute(
        f"CREATE TRIGGER {CODE_FTS}_ai AFTER INSERT ON {CODES} "
        f"BEGIN INSERT INTO {CODE_FTS}(rowid, code) VALUES (new.id, new.code); END"
    )
    for name, table, event, columns in CODE_TRIGGERS:
        # NOT EXISTS rather than INSERT OR IGNORE: an outer INSERT OR REPLACE would turn the
        # IGNORE into a REPLACE, a new id the FTS5 table would not follow.
        inserts = " ".join(
            f"INSERT INTO {CODES} (code) SELECT new.{c} WHERE new.{c} IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {CODES} WHERE code = new.{c});"
            for c in columns
        )
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {inserts} END")
    # Each column's distinct codes are read from its index (not every row).
    for table, column in (
        ("shipment", "buyer_code"),
        ("shipment", "consignee_code"),
        ("shipment_line", "product_code"),
    ):
        op.execute(
            f"INSERT INTO {CODES} (code) SELECT DISTINCT {column} FROM {table} "
            f"WHERE {column} IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {CODES} WHERE code = {table}.{column})"
        )


def _external_fts(name: str, table: str, columns: list[str]) -> None:
    """An FTS5 trigram table over `table`'s `columns` (external content: no copy of the
    text), kept by triggers, filled from the rows there now."""
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    op.execute(
        f"CREATE VIRTUAL TABLE {name} USING fts5({names}, content='{table}', "
        "content_rowid='id', tokenize='trigram')"
    )
    insert = f"INSERT INTO {name}(rowid, {names}) VALUES (new.id, {new});"
    delete = f"INSERT INTO {name}({name}, rowid, {names}) VALUES ('delete', old.id, {old});"
    op.execute(f"CREATE TRIGGER {name}_ai AFTER INSERT ON {table} BEGIN {insert} END")
    op.execute(f"CREATE TRIGGER {name}_ad AFTER DELETE ON {table} BEGIN {delete} END")
    op.execute(
        f"CREATE TRIGGER {name}_au AFTER UPDATE OF {names} ON {table} BEGIN {delete} {insert} END"
    )
    op.execute(f"INSERT INTO {name}({name}) VALUES ('rebuild')")


def _drop_fts(tables: dict[str, tuple[str, list[str]]]) -> None:
    for name in tables:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {name}")
