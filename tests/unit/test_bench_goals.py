"""bench/goals.py and bench/report.py: the goals table `make bench` writes is derived from the
run's figures, so a missed goal says by how much and a goal not measured says so."""

from __future__ import annotations

from bench import goals, report


def _fair(one: float, three: float, *, workers=(1, 3), too_many=0, minutes=5.0) -> dict:
    runs = []
    for w in workers:
        runs.append(dict(organisations=1, workers=w, per_minute=one, too_many=0, minutes=minutes))
        runs.append(
            dict(organisations=3, workers=w, per_minute=three, too_many=too_many, minutes=minutes)
        )
    return {"fairness": {"runs": runs}}


def test_fairness_met_at_three_times_one_organisation():
    verdict = goals.fairness(_fair(600, 1800))
    assert verdict.met
    assert "3.00×" in verdict.figure


def test_fairness_missed_says_by_how_much_and_counts_429s():
    verdict = goals.fairness(_fair(600, 1500, too_many=2))
    assert not verdict.met
    assert verdict.status.startswith("missed by 0.35×")
    assert "2 × 429" in verdict.status


def test_fairness_short_run_or_missing_worker_count_is_not_met():
    assert not goals.fairness(_fair(600, 1800, minutes=1.0)).met
    lone = goals.fairness(_fair(600, 1800, workers=(1,)))
    assert not lone.met
    assert "3 worker(s)" in lone.status


def test_cpu_missed_by_the_excess_and_its_ratio():
    send = {"cpu_ms_per_batch_median": 42.0, "cpu_ms_per_batch_p90": 60.0, "commits_per_batch": 4}
    verdict = goals.cpu({"send": send})
    assert verdict.status == "missed by 22.0 ms (2.1× the 20 ms)"
    assert goals.cpu({"send": send | {"cpu_ms_per_batch_median": 19.0}}).met


def test_queries_name_every_slow_query_at_the_largest_size():
    by_size = {
        "10000": {"search": 500.0},  # a smaller size's time is not the verdict
        "1000000": {"search": 60.0, "Check all": 820.0, "customers": 210.0},
    }
    verdict = goals.queries({"queries": {"by_size": by_size}})
    assert verdict.status.startswith("missed by 2 over 200 ms: Check all 820 ms (4.1×)")
    assert "customers 210 ms" in verdict.status
    assert "search" not in verdict.status


def test_a_small_run_is_not_a_verdict_on_a_million():
    verdict = goals.queries({"queries": {"by_size": {"10000": {"search": 20.0}}}})
    assert verdict.status == "not measured: largest size run was 10,000, not 1,000,000"
    assert goals.pages({}).status.startswith("not measured")


def _rss(peak: float) -> dict:
    return {"start_mb": peak - 10, "end_mb": peak - 5, "peak_mb": peak}


def test_memory_ratio_against_the_thousand_run():
    by_size = {
        "1000": {"worker": _rss(100), "app": _rss(200)},
        "1000000": {"worker": _rss(180), "app": _rss(250)},
    }
    verdict = goals.memory({"memory": {"by_size": by_size}})
    assert verdict.status == "missed by worker 0.30× over (1.80×)"
    assert "app peak 200 MB at 1,000 → 250 MB at 1,000,000 (1.25×)" in verdict.figure
    by_size["1000000"]["worker"] = _rss(140)
    assert goals.memory({"memory": {"by_size": by_size}}).met


def test_truth_needs_both_databases_every_part_and_both_sizes():
    full = {p: {"x": 1} for p in ("send", "fairness", "queries", "pages", "memory")}
    sqlite = full | {"sizes": [100_000, 1_000_000], "date": "d"}
    assert not goals.truth({"SQLite": sqlite}).met
    both = {"SQLite": sqlite, "PostgreSQL": sqlite | {"sizes": [10_000]}}
    assert "PostgreSQL sizes 10,000" in goals.truth(both).status
    both["PostgreSQL"] = sqlite
    assert goals.truth(both).met


def test_table_has_a_row_per_goal_and_database():
    lines = goals.table({"SQLite": {}, "PostgreSQL": {}})
    assert len(lines) == 2 + 2 * 5 + 1
    assert lines[2].startswith("| 1. Fair") and "| SQLite |" in lines[2]
    assert "| both |" in lines[-1]


def test_report_replaces_its_sections_and_the_hand_written_table_only():
    text = "\n".join(
        [
            "# Benchmark results",
            "",
            "intro",
            "",
            "## Issue 16's goals: where they stand",
            "hand-written",
            "## Sending, SQLite — old",
            "### Pages over 100,000 shipments",
            "old pages",
            "## A Starter-tier day",
            "day figures",
            "## CSV import",
            "import figures",
        ]
    )
    out = report.rewrite(text, ["## Issue 16's goals, from `make bench`'s figures", "new table"])
    assert "hand-written" not in out and "old pages" not in out
    assert out.index("intro") < out.index("new table") < out.index("day figures")
    assert "import figures" in out
    again = report.rewrite(out, ["## Issue 16's goals, from `make bench`'s figures", "newer"])
    assert "new table" not in again and again.count("## A Starter-tier day") == 1
