"""CSV import of a generated 100,000-row file (one shipment line a row; by default one row a
shipment, the heaviest case) through the CLI's path: read, preview, write. Prints rows a
second and the peak memory (resource.getrusage); issue 14 asks for under 30 s and under
300 MB. Run by `make bench`.

    python -m bench.import_bench [--rows 100000] [--lines 1]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet

HEADER = (
    "shipment_number,buyer_code,currency,exchange_rate,invoice_date,due_date,incoterms,"
    "workflow_status,product_code,description,quantity,unit_price,item_value\n"
)


def write_file(path: Path, rows: int, lines: int = 2) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for n in range(rows):
            number = f"BENCH-{n // lines:07d}"
            out.write(
                f"{number},ACME,USD,0.59,2026-11-01,2026-12-01,FOB,Draft,WIDGET-{n % 7},"
                f'"Widget, blue, row {n}",4,12.50,50.00\n'
            )


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_bench")
    parser.add_argument("--rows", type=int, default=100_000)
    # Rows a shipment; 1 is the heaviest case (a shipment's fields kept for every row).
    parser.add_argument("--lines", type=int, default=1)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="shipbridge-import-bench-"))
    os.environ.update(
        DATABASE_URL=os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{work / 'bench.sqlite3'}",
        SHIPBRIDGE_SECRET_KEY=Fernet.generate_key().decode(),
    )
    from services.csv_import import import_shipments, parse_csv
    from services.db import migrate, session_scope

    migrate()
    csv_path = work / "shipments.csv"
    write_file(csv_path, args.rows, args.lines)
    size_mb = csv_path.stat().st_size / 1e6
    before_mb = peak_rss_mb()
    started = time.perf_counter()
    with session_scope() as session, csv_path.open("rb") as file:
        preview = parse_csv(file, session=session)
        read_s = time.perf_counter() - started
        result = import_shipments(session=session, preview=preview, user="bench")
    total_s = time.perf_counter() - started
    print(
        f"CSV import: {args.rows:,} rows ({size_mb:.1f} MB, {result.imported:,} shipments) in "
        f"{total_s:.1f} s ({args.rows / total_s:,.0f} rows/s; read and checked in "
        f"{read_s:.1f} s); peak RSS {peak_rss_mb():.0f} MB ({before_mb:.0f} MB before); "
        "goal: under 30 s and 300 MB"
    )
    return 0 if not preview.errors else 1


if __name__ == "__main__":
    sys.exit(main())
