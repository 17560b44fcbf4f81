"""`make bench`: every figure issue 16's goals ask for, on one database, into bench/RESULTS.md.

    python -m bench.suite [--database-url URL] [--sizes 100000,1000000] [--quick]

Parts, each in a process of its own (so one's memory and settings never colour the next),
each saving its figures to bench/figures/<database>.json as soon as it ends:

- send: push remaining through the worker's loop at Xero's limits (CPU, commits per batch,
  sustained rate, worker RSS) and one payment pull over the table's sent shipments;
- fairness: the real worker process(es) with 1 and 3 organisations, 1 and 3 workers,
  sustained over ≥ 5 Xero minutes (bench/fairness.py);
- queries: every Shipments, Mapping and Dashboard query at each size (bench/queries.py);
- pages: every page in a real browser at each size (bench/page_timings.py);
- memory: worker and app RSS at 1,000 and at the largest size (bench/memory.py);
- day, limiter, import: the earlier issues' benches, which write their own sections.

The goals table at the top of RESULTS.md is then generated from both databases' saved figures
(bench/goals.py): the other database's come from its last run. `--quick` runs smaller sizes
and shorter runs and writes bench/RESULTS-quick.md instead, leaving RESULTS.md alone.

Seeded datasets are kept and reused: SQLite files under data/bench/, PostgreSQL schemas
bench_<size> and bench_mem_<size> in the database the URL names; the fairness bench drops and
creates a database of its own beside it (`<name>_fair`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import suite_parts
from bench.report import write_report
from bench.sandbox import ROOT, database_name, machine

FIGURES = ROOT / "bench" / "figures"
DEFAULT_SQLITE = ROOT / "data" / "bench" / "queries.sqlite3"
PARTS = ("send", "fairness", "queries", "pages", "memory")
OTHERS = {  # the earlier issues' benches: each writes its own section of RESULTS.md
    "day": ["bench.budget_day"],
    "limiter": ["bench.limiter_cost"],
    "import": ["bench.import_bench"],
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL; SQLite when not given")
    parser.add_argument("--sizes", default=None, help="shipments, comma-separated")
    parser.add_argument("--quick", action="store_true", help="small sizes, short runs")
    parser.add_argument("--parts", default=None, help="comma-separated; default: all")
    parser.add_argument("--part", help=argparse.SUPPRESS)  # a child running one part
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.database_url = args.database_url or f"sqlite:///{DEFAULT_SQLITE}"
    args.sizes = [
        int(s) for s in (args.sizes or ("10000" if args.quick else "100000,1000000")).split(",")
    ]
    if args.part:
        figures = suite_parts.run(args.part, args)
        args.json.write_text(json.dumps(figures, default=str))
        return 0
    DEFAULT_SQLITE.parent.mkdir(parents=True, exist_ok=True)
    default = ",".join(PARTS) if args.quick else ",".join((*PARTS, *OTHERS))
    parts = [p for p in (args.parts or default).split(",") if p]
    unknown = set(parts) - set(PARTS) - set(OTHERS)
    if unknown:
        parser.error(
            f"unknown parts {', '.join(sorted(unknown))}; known: {', '.join((*PARTS, *OTHERS))}"
        )
    database = database_name(args.database_url)
    path = figures_path(database, quick=args.quick)
    figures = load(path) if path.exists() else {}
    figures.update(
        database=database,
        machine=machine(),
        date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        sizes=args.sizes,
        quick=args.quick,
    )
    figures.setdefault("seconds", {})
    for part in parts:
        started = time.monotonic()
        print(f"== {database}: {part}", file=sys.stderr, flush=True)
        if part in OTHERS:
            run_other(part, args)
        else:
            figures[part] = run_part(part, args)
        figures["seconds"][part] = round(time.monotonic() - started, 1)
        save(path, figures)
    write_report(quick=args.quick)
    return 0


def figures_path(database: str, *, quick: bool) -> Path:
    return FIGURES / f"{'quick-' if quick else ''}{database.lower()}.json"


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def save(path: Path, figures: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=1, default=str) + "\n")


def run_part(part: str, args) -> dict:
    """One part in a child process; its figures."""
    out = Path(tempfile.mkdtemp(prefix=f"bench-{part}-")) / "figures.json"
    command = [sys.executable, "-m", "bench.suite", "--part", part, "--json", str(out)]
    command += ["--database-url", args.database_url, "--sizes", ",".join(map(str, args.sizes))]
    subprocess.run(command + (["--quick"] if args.quick else []), cwd=ROOT, check=True)
    return load(out)


def run_other(part: str, args) -> None:
    command = [sys.executable, "-m", *OTHERS[part]]
    if part == "limiter" and database_name(args.database_url) == "PostgreSQL":
        command += ["--database-url", args.database_url]
    if part == "day" and database_name(args.database_url) == "PostgreSQL":
        return  # the day's bench runs on its own SQLite: once, with the SQLite run
    if part == "import" and database_name(args.database_url) == "PostgreSQL":
        return  # likewise
    subprocess.run(command, cwd=ROOT, check=True)


if __name__ == "__main__":
    sys.exit(main())
