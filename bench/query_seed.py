"""Bulk seeding for bench/queries.py: N shipments a year's worth of a real team's data, fast
(COPY on PostgreSQL, executemany on SQLite), deterministic (the same N gives the same rows).

The mix: 2,000 customers (20 of them not in Xero), 5,000 products (25 not in Xero), two
organisations, three currencies, 1–3 lines a shipment, one logged attempt a shipment over the
last year; 85 % Processed as invoices (paid, part-paid, unpaid, drafts; due dates over the
year), the rest waiting (not sent, rejected, changed, queued)."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.engine import Engine

from services import codes_in_use, finance_summary

CUSTOMERS, PRODUCTS = 2000, 5000
UNKNOWN_CUSTOMERS, UNKNOWN_PRODUCTS = 20, 25  # codes Xero does not hold: Check all finds them
TENANTS = ("bench-org-a", "bench-org-b")
CURRENCIES = ("USD", "EUR", "NZD")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
# As stored (models.SyncState): "Changed since sent", not "Changed".
STATES = [
    ("Processed", 85),
    ("Not sent", 5),
    ("Rejected", 5),
    ("Changed since sent", 3),
    ("Queued", 2),
]

SHIPMENT_COLUMNS = (
    "id, shipment_number, number_key, buyer_code, consignee_code, currency, exchange_rate, "
    "invoice_date, due_date, incoterms, freight_amount, tenant_id, workflow_status, sync_state, "
    "xero_document_type, xero_document_id, xero_document_number, xero_contact_name, xero_status, "
    "xero_total, xero_amount_paid, xero_amount_due, xero_currency_rate, sent_at, created_at, "
    "updated_at"
)
LINE_COLUMNS = "shipment_id, line_no, product_code, description, quantity, unit_price, item_value"
LOG_COLUMNS = (
    "shipment_id, shipment_number, tenant_id, trigger, outcome, api_calls, duration_ms, created_at"
)


def customer_code(n: int) -> str:
    return f"CUST-{n:04d}"


def product_code(n: int) -> str:
    return f"PROD-{n:05d}"


def _state(rng: random.Random) -> str:
    pick = rng.randrange(100)
    for state, share in STATES:
        if pick < share:
            return state
        pick -= share
    return STATES[0][0]


def rows(size: int) -> Iterator[tuple[tuple, list[tuple], tuple]]:
    """(shipment, its lines, its logged attempt) for shipments 1..size."""
    rng = random.Random(16)
    for n in range(1, size + 1):
        created = NOW - timedelta(seconds=rng.randrange(365 * 86400))
        invoice_date = created.date()
        due = invoice_date + timedelta(days=30)
        customer = customer_code(rng.randrange(CUSTOMERS + UNKNOWN_CUSTOMERS))
        currency = CURRENCIES[n % 3]
        tenant = TENANTS[n % 2]
        state = _state(rng)
        lines, total = [], Decimal(0)
        for line_no in range(1, rng.randint(1, 3) + 1):
            quantity = Decimal(rng.randint(1, 50))
            price = Decimal(rng.randint(100, 50000)) / 100
            value = quantity * price
            total += value
            product = product_code(rng.randrange(PRODUCTS + UNKNOWN_PRODUCTS))
            lines.append((n, line_no, product, "Goods", quantity, price, value))
        number = f"SHP-{n:07d}"
        xero: tuple = (None,) * 10
        if state == "Processed":
            status = rng.choices(["PAID", "AUTHORISED", "DRAFT"], [60, 35, 5])[0]
            paid = total if status == "PAID" else (total / 2 if rng.random() < 0.2 else 0)
            xero = (
                "invoice",
                f"doc-{n}",
                f"INV-{n:07d}",
                f"Customer {customer}",
                status,
                total,
                paid,
                total - paid,
                Decimal("1.5"),
                created,
            )
        shipment = (
            n, number, number.casefold(), customer, customer, currency, Decimal("1.5"),
            invoice_date, due, "FOB", None, tenant, "Shipped", state, *xero, created, created,
        )  # fmt: skip
        outcome = {"Processed": "Processed", "Rejected": "Rejected"}.get(state, "Held")
        log = (n, number, tenant, "bulk", outcome, 1, 120, created)
        yield shipment, lines, log


def seed(engine: Engine, size: int) -> None:
    """Empty the bench tables and fill them with `size` shipments and their reference data."""
    with engine.begin() as connection:
        for table in ("integration_log", "shipment_line", "shipment", "xero_contact", "xero_item"):
            connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(text("DELETE FROM xero_connection"))
        # No shipments left: their summary adds up to nothing (its triggers wrote the negations).
        connection.execute(text("DELETE FROM finance_summary_delta"))
        connection.execute(text("DELETE FROM code_in_use_delta"))  # likewise the codes in use
        for n, tenant in enumerate(TENANTS):
            connection.execute(
                text(
                    "INSERT INTO xero_connection (tenant_id, tenant_name, status, is_default, "
                    "base_currency, connected_at) VALUES (:t, :name, 'ACTIVE', :d, 'NZD', :now)"
                ),
                {"t": tenant, "name": f"Bench {tenant}", "d": n == 0, "now": NOW},
            )
            for c in range(CUSTOMERS):
                connection.execute(
                    text(
                        "INSERT INTO xero_contact (tenant_id, contact_id, account_number, name, "
                        "is_customer, archived) VALUES (:t, :id, :code, :name, true, false)"
                    ),
                    {"t": tenant, "id": f"c-{c}", "code": customer_code(c),
                     "name": f"Customer {customer_code(c)}"},
                )  # fmt: skip
            connection.execute(
                text("INSERT INTO xero_item (tenant_id, item_id, code) VALUES (:t, :id, :code)"),
                [{"t": tenant, "id": f"i-{p}", "code": product_code(p)} for p in range(PRODUCTS)],
            )
    if engine.dialect.name == "postgresql":
        _copy(engine, size)
    else:
        _insert(engine, size)
    # The summaries' triggers wrote a row per change: fold them as the worker would.
    finance_summary.compact(engine=engine)
    codes_in_use.compact(engine=engine)


def _insert(engine: Engine, size: int, chunk: int = 20000) -> None:
    marks = lambda columns: ", ".join("?" for _ in columns.split(","))  # noqa: E731
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        # This connection only, for the load: no rollback journal, no fsync (halves the time
        # at 50k; a crash leaves a file to seed again). Indexes stay: the triggers look rows
        # up through them (dropped, the load took ten times longer).
        cursor.execute("PRAGMA journal_mode=OFF")
        cursor.execute("PRAGMA synchronous=OFF")
        batch: tuple[list, list, list] = ([], [], [])
        for shipment, lines, log in rows(size):
            batch[0].append(_sqlite(shipment))
            batch[1].extend(_sqlite(line) for line in lines)
            batch[2].append(_sqlite(log))
            if len(batch[0]) >= chunk or shipment[0] == size:
                for table, columns, values in zip(
                    ("shipment", "shipment_line", "integration_log"),
                    (SHIPMENT_COLUMNS, LINE_COLUMNS, LOG_COLUMNS),
                    batch,
                    strict=True,
                ):
                    cursor.executemany(
                        f"INSERT INTO {table} ({columns}) VALUES ({marks(columns)})", values
                    )
                raw.commit()
                batch = ([], [], [])
    finally:
        raw.cursor().execute("PRAGMA journal_mode=WAL")  # as every other connection has it
        raw.close()


def _sqlite(row: tuple) -> tuple:
    """SQLite takes amounts as text (NUMERIC affinity stores them exactly as numbers)."""
    return tuple(
        str(v)
        if isinstance(v, Decimal)
        else (v.replace(tzinfo=None).isoformat(" ") if isinstance(v, datetime) else v)
        for v in row
    )


def _copy(engine: Engine, size: int) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        files = {name: tempfile.TemporaryFile("w+") for name in ("shipment", "line", "log")}  # noqa: SIM115 - closed after its COPY
        for shipment, lines, log in rows(size):
            files["shipment"].write(_tsv(shipment))
            files["line"].writelines(_tsv(line) for line in lines)
            files["log"].write(_tsv(log))
        # Indexes are built once after the rows are in (far faster than kept row by row).
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename IN ('shipment', 'shipment_line', 'integration_log') "
            "AND indexname NOT LIKE '%%pkey'"
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for table, columns, key in (
            ("shipment", SHIPMENT_COLUMNS, "shipment"),
            ("shipment_line", LINE_COLUMNS, "line"),
            ("integration_log", LOG_COLUMNS, "log"),
        ):
            files[key].seek(0)
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                while block := files[key].read(1 << 20):
                    copy.write(block)
            files[key].close()
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("SELECT setval(pg_get_serial_sequence('shipment', 'id'), %s)", (size,))
        raw.commit()
    finally:
        raw.close()


def _tsv(row: tuple) -> str:
    return "\t".join("\\N" if v is None else str(v) for v in row) + "\n"
