"""scale: search indexes and finance summaries

Indexes the queries of the Shipments, Mapping and Dashboard pages need at a million shipments
(issue 16, goal 3). Plain column indexes are declared in the models too; what the models
cannot declare on both databases (trigram GIN indexes, FTS5 tables and their triggers,
expression indexes) is named with the `scale_` prefix (services.search.UNMODELLED_PREFIX),
which the models-equal-migrations check leaves out.

- PostgreSQL: pg_trgm GIN indexes on the fields the Shipments search matches, so
  `ILIKE '%term%'` is an index lookup (same semantics as before).
- SQLite: FTS5 tables with the trigram tokenizer, external content (no copy of the text),
  kept by triggers; `MATCH '"term"'` is a case-insensitive substring match for terms of 3+
  characters (shorter terms fall back to a scan: services/search.py).
- Both: the finance customer key (the `_customer()` expression, organisation, currency), so
  customer rows are grouped in index order and paged by keyset.

A later SQLite migration that recreates `shipment` or `shipment_line` (batch mode with
recreate) drops these triggers: it must run `_sqlite_search(up=True)` again.

Revision ID: f2b8d4a01c23
Revises: e1a7c3f90b12
Create Date: 2026-11-30 12:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'f2b8d4a01c23'
down_revision: Union[str, Sequence[str], None] = 'e1a7c3f90b12'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TRIGRAM = {
    "scale_shipment_number_trgm": ("shipment", "shipment_number"),
    "scale_shipment_buyer_trgm": ("shipment", "buyer_code"),
    "scale_shipment_consignee_trgm": ("shipment", "consignee_code"),
    "scale_shipment_line_product_trgm": ("shipment_line", "product_code"),
}
# services.finance._customer(), organisation, currency: the customer rows' order.
CUSTOMER_KEY = (
    "CREATE INDEX scale_shipment_customer_key ON shipment ("
    "coalesce(xero_contact_name, buyer_code, consignee_code, '—'), "
    "coalesce(tenant_id, ''), coalesce(currency, '')) "
    # Sent documents only: a shipment never sent is no customer row (and is keyed by its
    # own code, which would come first in the walk).
    "WHERE xero_document_id IS NOT NULL"
)
PLAIN = {
    # name: (table, columns) — also in the models' __table_args__
    "ix_shipment_invoice_date_id": ("shipment", ["invoice_date", "id"]),
    "ix_shipment_state_tenant": ("shipment", ["sync_state", "tenant_id"]),
    "ix_shipment_consignee": ("shipment", ["consignee_code"]),
    "ix_shipment_line_product_shipment": ("shipment_line", ["product_code", "shipment_id"]),
    "ix_integration_log_created_outcome": ("integration_log", ["created_at", "outcome"]),
}

FTS = {
    # FTS5 table: (content table, columns)
    "scale_shipment_fts": ("shipment", ["shipment_number", "buyer_code", "consignee_code"]),
    "scale_shipment_line_fts": ("shipment_line", ["product_code"]),
}


def upgrade() -> None:
    for name, (table, columns) in PLAIN.items():
        op.create_index(name, table, columns)
    op.execute(CUSTOMER_KEY)
    if op.get_bind().dialect.name == "postgresql":
        schema = _trigram_schema()
        for name, (table, column) in TRIGRAM.items():
            op.execute(
                f"CREATE INDEX {name} ON {table} USING gin ({column} {schema}.gin_trgm_ops)"
            )
    else:
        _sqlite_search(up=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in TRIGRAM:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        # pg_trgm stays: other schemas of the database may use it.
    else:
        _sqlite_search(up=False)
    op.execute("DROP INDEX IF EXISTS scale_shipment_customer_key")
    for name, (table, _) in PLAIN.items():
        op.drop_index(name, table_name=table)


def _trigram_schema() -> str:
    """The schema pg_trgm lives in, installing it in public when it is not there yet (one
    per database; a schema-qualified operator class works whatever the search_path)."""
    bind = op.get_bind()
    found = bind.execute(
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
            "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
        )
    ).scalar()
    if found:
        return f'"{found}"'
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    return "public"


def _sqlite_search(*, up: bool) -> None:
    for fts, (table, columns) in FTS.items():
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")
        if not up:
            continue
        names = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', "
            "content_rowid='id', tokenize='trigram')"
        )
        insert = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"
        delete = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"
        op.execute(f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN {insert} END")
        op.execute(f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN {delete} END")
        op.execute(
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {names} ON {table} "
            f"BEGIN {delete} {insert} END"
        )
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
