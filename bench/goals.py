"""Issue 16's goals table, generated from the figures a `make bench` run saved (one JSON file
per database, bench/suite.py), never written by hand: each row is a goal, the figure the run
measured, and whether it is met, missed by how much, or not measured (and why).

Pure functions over plain dicts so tests can check the verdicts without running a bench."""

from __future__ import annotations

from dataclasses import dataclass

SIZE_GOAL = 1_000_000  # goals 3-5 are stated at a million shipments
MEMORY_FROM = 1_000  # goal 5 compares RSS at a thousand shipments with the largest size
FAIR_RATIO, FAIR_MINUTES = 2.85, 5.0
CPU_MS, COMMITS = 20.0, 4
QUERY_MS, PAGE_S, RSS_RATIO = 200.0, 1.5, 1.5
GOALS = {
    1: "Fair: 3 organisations ≥ 2.85× one over ≥ 5 Xero minutes, 0 × 429, 1 and 3 workers",
    2: "App CPU per batch of ten ≤ 20 ms (median), ≤ 4 commits",
    3: "Every Shipments, Mapping, Dashboard query ≤ 200 ms at 1,000,000",
    4: "Every page settles ≤ 1.5 s at 1,000,000 (browser)",
    5: "Memory flat: worker and app RSS within 1.5× from 1,000 to 1,000,000",
    6: "The bench tells the truth: sizes 100k and 1M, sustained runs, RSS, CPU, per database",
}


@dataclass(frozen=True)
class Verdict:
    goal: int
    figure: str
    status: str  # "met", "missed by …" or "not measured: …"

    @property
    def met(self) -> bool:
        return self.status == "met"


def _missed(how: str) -> str:
    return f"missed by {how}"


def _unmeasured(why: str) -> str:
    return f"not measured: {why}"


def fairness(figures: dict) -> Verdict:
    runs = {
        (r["organisations"], r["workers"]): r for r in figures.get("fairness", {}).get("runs", [])
    }
    parts, misses = [], []
    for workers in (1, 3):
        one, three = runs.get((1, workers)), runs.get((3, workers))
        if not (one and three):
            misses.append(f"no 1- and 3-organisation pair with {workers} worker(s)")
            continue
        ratio = three["per_minute"] / one["per_minute"] if one["per_minute"] else 0.0
        too_many = one["too_many"] + three["too_many"]
        minutes = min(one["minutes"], three["minutes"])
        parts.append(
            f"{workers} worker(s): {one['per_minute']:,.0f} → {three['per_minute']:,.0f} a Xero "
            f"minute ({ratio:.2f}×), {too_many} × 429, {minutes:.1f} Xero minutes"
        )
        if ratio < FAIR_RATIO:
            misses.append(f"{FAIR_RATIO - ratio:.2f}× with {workers} worker(s) ({ratio:.2f}×)")
        if too_many:
            misses.append(f"{too_many} × 429 with {workers} worker(s)")
        if minutes < FAIR_MINUTES - 0.05:
            misses.append(f"run of {minutes:.1f} Xero minutes, under {FAIR_MINUTES:g}")
    figure = "; ".join(parts) or "—"
    if not parts:
        return Verdict(1, figure, _unmeasured("the fairness bench did not run"))
    return Verdict(1, figure, _missed("; ".join(misses)) if misses else "met")


def cpu(figures: dict) -> Verdict:
    send = figures.get("send")
    if not send:
        return Verdict(2, "—", _unmeasured("the send bench did not run"))
    median, p90 = send["cpu_ms_per_batch_median"], send["cpu_ms_per_batch_p90"]
    commits = send["commits_per_batch"]
    figure = f"median {median:.1f} ms, p90 {p90:.1f} ms; {commits:.0f} commits a batch"
    misses = []
    if median > CPU_MS:
        misses.append(f"{median - CPU_MS:.1f} ms ({median / CPU_MS:.1f}× the {CPU_MS:g} ms)")
    if commits > COMMITS:
        misses.append(f"{commits - COMMITS:.0f} commits")
    return Verdict(2, figure, _missed("; ".join(misses)) if misses else "met")


def _largest(table: dict) -> tuple[int, dict] | None:
    if not table:
        return None
    size = max(int(s) for s in table)
    return size, table[str(size)] if str(size) in table else table[size]


def _over(values: dict[str, float], goal: float, unit: str, fmt: str) -> list[str]:
    return [
        f"{name} {format(value, fmt)} {unit} ({value / goal:.1f}×)"
        for name, value in sorted(values.items(), key=lambda kv: -kv[1])
        if value > goal
    ]


def _at_size(goal: int, table: dict, limit: float, unit: str, fmt: str, what: str) -> Verdict:
    found = _largest(table)
    if found is None:
        return Verdict(goal, "—", _unmeasured(f"the {what} bench did not run"))
    size, values = found
    worst = max(values.items(), key=lambda kv: kv[1])
    figure = f"at {size:,}: {len(values)} timed, slowest {worst[0]} {format(worst[1], fmt)} {unit}"
    over = _over(values, limit, unit, fmt)
    if over:
        return Verdict(
            goal, figure, _missed(f"{len(over)} over {limit:g} {unit}: " + "; ".join(over))
        )
    if size < SIZE_GOAL:
        return Verdict(goal, figure, _unmeasured(f"largest size run was {size:,}, not 1,000,000"))
    return Verdict(goal, figure, "met")


def queries(figures: dict) -> Verdict:
    return _at_size(
        3, figures.get("queries", {}).get("by_size", {}), QUERY_MS, "ms", ",.0f", "query"
    )


def pages(figures: dict) -> Verdict:
    return _at_size(4, figures.get("pages", {}).get("by_size", {}), PAGE_S, "s", ".2f", "page")


def memory(figures: dict) -> Verdict:
    by_size = {int(s): v for s, v in figures.get("memory", {}).get("by_size", {}).items()}
    small, large = by_size.get(MEMORY_FROM), max(by_size, default=0)
    if small is None or large <= MEMORY_FROM:
        return Verdict(5, "—", _unmeasured("worker/app RSS needs a 1,000 and a larger run"))
    parts, misses = [], []
    for who in ("worker", "app"):
        low, high = small.get(who), by_size[large].get(who)
        if not (low and high):
            misses.append(f"no {who} RSS")
            continue
        ratio = high["peak_mb"] / low["peak_mb"]
        parts.append(
            f"{who} peak {low['peak_mb']:.0f} MB at {MEMORY_FROM:,} → {high['peak_mb']:.0f} MB "
            f"at {large:,} ({ratio:.2f}×)"
        )
        if ratio > RSS_RATIO:
            misses.append(f"{who} {ratio - RSS_RATIO:.2f}× over ({ratio:.2f}×)")
    pull = figures.get("send", {}).get("pull")
    if pull:
        parts.append(f"payment pull peak {pull['peak_mb']:.0f} MB over {pull['rows']:,} sent")
    status = _missed("; ".join(misses)) if misses else "met"
    if not misses and large < SIZE_GOAL:
        status = _unmeasured(f"largest size run was {large:,}, not 1,000,000")
    return Verdict(5, "; ".join(parts) or "—", status)


def truth(by_database: dict[str, dict]) -> Verdict:
    """Goal 6 over both databases: every part ran on each, at 100k and 1M."""
    gaps = []
    for name in ("SQLite", "PostgreSQL"):
        figures = by_database.get(name)
        if not figures:
            gaps.append(f"no {name} run")
            continue
        missing = [
            p for p in ("send", "fairness", "queries", "pages", "memory") if not figures.get(p)
        ]
        if missing:
            gaps.append(f"{name} lacks {', '.join(missing)}")
        sizes = set(figures.get("sizes", []))
        if not {100_000, SIZE_GOAL} <= sizes:
            gaps.append(f"{name} sizes {', '.join(f'{s:,}' for s in sorted(sizes))}")
    ran = ", ".join(f"{n} {f.get('date', '?')}" for n, f in by_database.items())
    figure = f"runs: {ran or 'none'}"
    return Verdict(6, figure, _unmeasured("; ".join(gaps)) if gaps else "met")


def verdicts(figures: dict) -> list[Verdict]:
    """Goals 1-5 for one database's figures."""
    return [fairness(figures), cpu(figures), queries(figures), pages(figures), memory(figures)]


def table(by_database: dict[str, dict]) -> list[str]:
    """The goals table's Markdown lines: a row per goal and database, then goal 6."""
    lines = ["| goal | database | figure | met? |", "| --- | --- | --- | --- |"]
    for name, figures in by_database.items():
        for verdict in verdicts(figures):
            lines.append(_row(verdict, name))
    lines.append(_row(truth(by_database), "both"))
    return lines


def _row(verdict: Verdict, database: str) -> str:
    status = "**met**" if verdict.met else verdict.status
    return f"| {verdict.goal}. {GOALS[verdict.goal]} | {database} | {verdict.figure} | {status} |"
