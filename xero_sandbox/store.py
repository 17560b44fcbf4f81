"""SQLite persistence for the sandbox: its own small schema, not Shipbridge's.

Business records (contacts, items, invoices, ...) are stored whole, as JSON
documents keyed by kind and ID; filtering happens in Python, which is plenty
for a sandbox. One connection is shared by all threads behind a lock, and each
API request runs inside one :meth:`Store.transaction`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS organisations (
    tenant_id TEXT PRIMARY KEY, position INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, id TEXT NOT NULL, tenant_id TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (kind, id));
CREATE INDEX IF NOT EXISTS records_by_tenant ON records (tenant_id, kind);
CREATE TABLE IF NOT EXISTS counters (
    tenant_id TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name));
CREATE TABLE IF NOT EXISTS idempotency (
    tenant_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL, headers TEXT NOT NULL, body BLOB NOT NULL,
    created_at REAL NOT NULL, PRIMARY KEY (tenant_id, key));
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, method TEXT NOT NULL,
    path TEXT NOT NULL, query TEXT NOT NULL, status INTEGER, tenant TEXT,
    idempotency_key TEXT, duration_ms REAL NOT NULL, fault TEXT);
CREATE TABLE IF NOT EXISTS grants (
    id TEXT PRIMARY KEY, client_id TEXT NOT NULL, scope TEXT NOT NULL,
    auth_event_id TEXT NOT NULL, created_at REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS connections (
    id TEXT PRIMARY KEY, client_id TEXT NOT NULL, tenant_id TEXT NOT NULL,
    grant_id TEXT NOT NULL, auth_event_id TEXT NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL, UNIQUE (client_id, tenant_id));
CREATE TABLE IF NOT EXISTS access_tokens (
    token TEXT PRIMARY KEY, grant_id TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token TEXT PRIMARY KEY, grant_id TEXT NOT NULL, created_at REAL NOT NULL,
    used_at REAL, replacement TEXT);
CREATE TABLE IF NOT EXISTS auth_codes (
    code TEXT PRIMARY KEY, client_id TEXT NOT NULL, grant_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL, tenant_ids TEXT NOT NULL, code_challenge TEXT,
    code_challenge_method TEXT, nonce TEXT, created_at REAL NOT NULL, used INTEGER NOT NULL);
"""

# Document numbers and item codes are looked up on every save; an indexed generated
# column keeps that from scanning every record's JSON.
NUMBER_FIELDS = ("InvoiceNumber", "QuoteNumber", "CreditNoteNumber", "Code")
NUMBER_COLUMN = (
    "ALTER TABLE records ADD COLUMN number TEXT GENERATED ALWAYS AS (lower(trim(coalesce("
    + ", ".join(f"json_extract(body, '$.{name}')" for name in NUMBER_FIELDS)
    + ")))) VIRTUAL"
)
NUMBER_INDEX = "CREATE INDEX IF NOT EXISTS records_by_number ON records (kind, tenant_id, number)"

BUSINESS_TABLES = ("organisations", "records", "counters", "idempotency", "calls")
TOKEN_TABLES = ("grants", "connections", "access_tokens", "refresh_tokens", "auth_codes")


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__}")


def dumps(value: object) -> str:
    """JSON for storage: Decimals become strings so no precision is lost."""
    return json.dumps(value, default=_json_default, separators=(",", ":"))


class Store:
    """Thread-safe access to the sandbox's SQLite file."""

    def __init__(self, db_path: str) -> None:
        if db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._depth = 0
        with self._lock:
            if db_path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(SCHEMA)
            columns = {row["name"] for row in self._conn.execute("PRAGMA table_xinfo(records)")}
            if "number" not in columns:
                self._conn.execute(NUMBER_COLUMN)
            self._conn.execute(NUMBER_INDEX)

    def close(self) -> None:
        """Close the underlying connection."""
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the store lock and run the block in one SQLite transaction.

        Nested use joins the outer transaction.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    def execute(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        """Run one statement (inside the caller's transaction, if any)."""
        with self._lock:
            return self._conn.execute(sql, params)

    # -- meta -----------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        """A value from the meta table."""
        row = self.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else default

    def set_meta(self, key: str, value: str) -> None:
        """Store a value in the meta table."""
        self.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- organisations --------------------------------------------------------

    def organisations(self) -> list[dict[str, Any]]:
        """All organisations, in seed order."""
        rows = self.execute("SELECT body FROM organisations ORDER BY position").fetchall()
        return [json.loads(row["body"]) for row in rows]

    def organisation(self, tenant_id: str) -> dict[str, Any] | None:
        """One organisation by tenant ID."""
        row = self.execute(
            "SELECT body FROM organisations WHERE tenant_id = ?", (tenant_id.lower(),)
        ).fetchone()
        return json.loads(row["body"]) if row else None

    def put_organisation(self, position: int, body: dict[str, Any]) -> None:
        """Insert or replace an organisation."""
        self.execute(
            "INSERT OR REPLACE INTO organisations (tenant_id, position, body) VALUES (?, ?, ?)",
            (body["OrganisationID"], position, dumps(body)),
        )

    # -- records --------------------------------------------------------------

    def get(self, kind: str, record_id: str, tenant_id: str) -> dict[str, Any] | None:
        """One record of a kind, only if it belongs to the tenant."""
        row = self.execute(
            "SELECT body FROM records WHERE kind = ? AND id = ? AND tenant_id = ?",
            (kind, record_id.lower(), tenant_id),
        ).fetchone()
        return json.loads(row["body"]) if row else None

    def list(self, kind: str, tenant_id: str) -> list[dict[str, Any]]:
        """All records of a kind for a tenant, oldest first."""
        rows = self.execute(
            "SELECT body FROM records WHERE kind = ? AND tenant_id = ? ORDER BY rowid",
            (kind, tenant_id),
        ).fetchall()
        return [json.loads(row["body"]) for row in rows]

    def find(self, kind: str, tenant_id: str, field: str, value: str) -> list[dict[str, Any]]:
        """Records whose top-level ``field`` equals ``value`` ignoring case, oldest first."""
        if field in NUMBER_FIELDS:
            rows = self.execute(
                "SELECT body FROM records WHERE kind = ? AND tenant_id = ? "
                "AND number = lower(trim(?)) ORDER BY rowid",
                (kind, tenant_id, value),
            ).fetchall()
            return [b for b in map(json.loads, (r["body"] for r in rows)) if field in b]
        rows = self.execute(
            "SELECT body FROM records WHERE kind = ? AND tenant_id = ? "
            "AND lower(trim(json_extract(body, ?))) = lower(trim(?)) ORDER BY rowid",
            (kind, tenant_id, f"$.{field}", value),
        ).fetchall()
        return [json.loads(row["body"]) for row in rows]

    def put(self, kind: str, record_id: str, tenant_id: str, body: dict[str, Any]) -> None:
        """Insert a record, or replace it keeping its original position."""
        text = dumps(body)
        updated = self.execute(
            "UPDATE records SET body = ? WHERE kind = ? AND id = ?",
            (text, kind, record_id.lower()),
        ).rowcount
        if not updated:
            self.execute(
                "INSERT INTO records (kind, id, tenant_id, body) VALUES (?, ?, ?, ?)",
                (kind, record_id.lower(), tenant_id, text),
            )

    def tenant_of(self, kind: str, record_id: str) -> str | None:
        """The tenant a record belongs to."""
        row = self.execute(
            "SELECT tenant_id FROM records WHERE kind = ? AND id = ?", (kind, record_id.lower())
        ).fetchone()
        return row["tenant_id"] if row else None

    def next_counter(self, tenant_id: str, name: str) -> int:
        """Increment and return a per-tenant counter (document numbering)."""
        row = self.execute(
            "SELECT value FROM counters WHERE tenant_id = ? AND name = ?", (tenant_id, name)
        ).fetchone()
        value = (row["value"] if row else 0) + 1
        self.execute(
            "INSERT OR REPLACE INTO counters (tenant_id, name, value) VALUES (?, ?, ?)",
            (tenant_id, name, value),
        )
        return value

    # -- wiping ---------------------------------------------------------------

    def wipe(self, *, keep_tokens: bool) -> None:
        """Delete all business data (and the tokens too unless ``keep_tokens``)."""
        tables = BUSINESS_TABLES + (() if keep_tokens else TOKEN_TABLES)
        with self.transaction():
            for table in tables:
                self.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
