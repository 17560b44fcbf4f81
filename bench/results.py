"""`python -m bench`'s section of bench/RESULTS.md: one per database, named with the machine
and the date, beside the other database's and the other benchmarks' sections."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime

from bench.sandbox import ROOT, database_name, machine

RESULTS = ROOT / "bench" / "RESULTS.md"
SCRAPE_EVERY = 10  # batches between two scrapes of the queue-depth metric


def section_heading(database: str) -> str:
    return f"## Sending, {database}"


def section(args, figures: dict, database: str) -> list[str]:
    ours, base, pull = figures["ours"], figures["baseline"], figures["pull"]
    if base is None:  # --baseline 0: the per-record column stays empty (zeros)
        base = dict.fromkeys(("shipments", "processed", "api_calls", "429s"), 0) | dict.fromkeys(
            ("calls_per_shipment", "throughput", "real_seconds"), 0.0
        )
    ceiling = 600.0
    return [
        f"{section_heading(database)} — {machine()} — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"`make bench` on {database} (Python {platform.python_version()}, {platform.machine()}); "
        "sandbox in its own process, Xero's limits on with the clock scaled "
        f"×{args.scale:g} (a Xero minute = {60 / args.scale:.1f} s).",
        "",
        "| | Shipbridge (push remaining, batches of 10) | per-record baseline | goal |",
        "| --- | --- | --- | --- |",
        f"| shipments | {ours['shipments']} ({ours['processed']} Processed) | "
        f"{base['shipments']} ({base['processed']} created) | |",
        f"| API calls | {ours['api_calls']} | {base['api_calls']} | |",
        f"| API calls per shipment (all included) | {ours['calls_per_shipment']:.3f} | "
        f"{base['calls_per_shipment']:.2f} | ≤ 0.12 (baseline ≥ 2) |",
        f"| shipments per Xero minute, sustained (after the first minute's burst, over "
        f"{max(ours['sustained_minutes'], 0):.1f} Xero minutes) | "
        + (
            f"{ours['sustained']:.0f} ({ours['sustained'] / ceiling:.0%} of 600)"
            if ours["sustained"]
            else "run too short to tell"
        )
        + " | | ≥ 540 (90 %) |",
        f"| shipments per Xero minute, whole run (first burst included) | "
        f"{ours['throughput']:.0f} | {base['throughput']:.0f} | |",
        f"| capacity while the limiter is not holding back (first 50 batches) | "
        f"{ours['capacity']:.0f} a Xero minute | | ≥ 540 |",
        f"| 429s received | {ours['429s']} | {base['429s']} | 0 |",
        f"| app CPU per batch of ten, median / p90 | {ours['cpu_ms_per_batch_median']:.1f} ms / "
        f"{ours['cpu_ms_per_batch_p90']:.1f} ms | | ≤ 20 ms |",
        f"| commits per batch, median (most) | {ours['commits_per_batch']:.0f} "
        f"({ours['commits_per_batch_max']}) | | ≤ 4 |",
        f"| statements per batch, median | {ours['statements_per_batch']:.0f} | | |",
        f"| leases the limiter sent back before any request (not counted as batches) | "
        f"{ours['deferred_leases']} | | |",
        f"| worker RSS, start → end of the run | {ours['rss_start_mb']:.0f} MB → "
        f"{ours['rss_end_mb']:.0f} MB | | flat |",
        f"| one incremental payment pull over {pull['rows'] + ours['processed']:,} sent "
        f"shipments: peak RSS (start) | {pull['peak_mb']:.0f} MB ({pull['start_mb']:.0f} MB), "
        f"{pull['cpu_s']:.2f} s CPU, {pull['wall_s']:.2f} s wall | | flat |",
        f"| wall time | {ours['real_seconds']:.1f} s | {base['real_seconds']:.1f} s | |",
        f"| drift check calls per {ours['processed']:,} unchanged sent shipments | "
        f"{ours['drift_calls_unchanged']} ({ours['drift_differing']} differ) | | < 5 |",
        "",
        f"Queue depth (metrics scrape, every {SCRAPE_EVERY} batches): "
        + " → ".join(str(d) for d in ours["queue_depths"]),
        "",
        "Xero's minute is a rolling window: the first 60 calls go at once, then the limiter "
        "holds the run at the ceiling, 60 calls (600 shipments) a minute; the sustained row "
        "leaves that first burst out. CPU, commits and statements are the worker process's "
        "own per batch (validation, documents, the SDK, the database; the limiter's and the "
        "lease's included), the first batch (which also reads Xero's reference data) left "
        "out. The payment pull runs in a process of its own after the table below was "
        "added, so its peak is its own.",
        "",
    ] + _pages(args, figures, database)


def _pages(args, figures: dict, database: str) -> list[str]:
    if not figures["table"]:
        return [
            f"Pages over {args.table_rows:,} shipments: not timed in this run "
            "(`--no-page-timings`; bench/queries.py times them at 100k and 1M).",
            "",
        ]
    return [
        f"### Pages over {args.table_rows:,} shipments ({database}, median of 5, 50 a page; "
        "three in four sent as invoices to 375 customers)",
        "",
        "| query | ms |",
        "| --- | --- |",
        *[f"| {name} | {ms:.1f} |" for name, ms in figures["table"].items()],
        "",
    ]


def write_results(args, figures: dict) -> None:
    """This database's section of bench/RESULTS.md in place of its last one; the other
    database's section and the other benchmarks' sections stay."""
    database = database_name(os.environ["DATABASE_URL"])
    text = RESULTS.read_text() if RESULTS.exists() else ""
    kept = [
        part
        for part in ("\n" + text).split("\n## ")[1:]
        # This database's last section goes; so do sections of the older single-database
        # layout ("Pages over …" tables) that this one replaces.
        if not part.startswith((section_heading(database)[3:], "Pages over"))
    ]
    sections = ["## " + part.strip("\n") + "\n" for part in kept]
    sections.append("\n".join(section(args, figures, database)))
    order = {section_heading("SQLite"): 0, section_heading("PostgreSQL"): 1}
    sections.sort(key=lambda s: next((v for k, v in order.items() if s.startswith(k)), 2))
    intro = [
        "# Benchmark results",
        "",
        "Written by `make bench` (SQLite; `make bench BENCH_DATABASE_URL=postgresql://…` for "
        "PostgreSQL, whose section it writes beside SQLite's). Each section names the "
        "database, the machine and the date of the run that produced it.",
        "",
    ]
    RESULTS.write_text("\n".join(intro) + "\n" + "\n".join(sections))
    print("\n".join(section(args, figures, database)))
