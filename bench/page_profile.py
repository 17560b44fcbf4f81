"""Where a page's script run spends its time: each SQL statement and the whole run, in
Streamlit's AppTest against a seeded PostgreSQL schema (the overlay page_timings uses).

    python -m bench.page_profile --database-url URL --schema bench_1000000 \
        [--pages dashboard,send,...] [--runs 2] [--top 15]

Prints, per page and run: the run's wall time, the SQL time and statement count, and the
slowest statements (time, first 160 characters). A second run shows what a rerun costs.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bench.page_timings import PAGES, USER, add_user, overlay

STATEMENTS: list[tuple[float, str]] = []


def _watch(engine) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, params, context, executemany):  # noqa: ANN001
        conn.info.setdefault("began", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn, cursor, statement, params, context, executemany):  # noqa: ANN001
        began = conn.info["began"].pop()
        STATEMENTS.append((time.perf_counter() - began, " ".join(statement.split())))


@contextmanager
def _app_database(url: str, schema: str) -> Iterator[str]:
    with overlay(url, schema) as search_url:
        os.environ["DATABASE_URL"] = search_url
        yield search_url


def profile(pages: list[str], runs: int, top: int) -> None:
    from streamlit.runtime.pages_manager import PagesManager

    from services import db, settings
    from tests.pages.conftest import logged_in_as, new_app

    legacy = PagesManager.__init__

    def init(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003 - as tests/pages/conftest
        legacy(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init  # type: ignore[method-assign]
    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()
    _watch(db.get_engine())
    add_user(dict(os.environ))
    for page in pages:
        at = new_app()
        logged_in_as(at, USER, "Page bench")
        at.switch_page(f"pages/{page}.py")
        at.context["url"] = f"http://localhost:8501/{page}"
        for n in range(runs):
            STATEMENTS.clear()
            began = time.perf_counter()
            at.run(timeout=120)
            wall = time.perf_counter() - began
            sql = sum(t for t, _ in STATEMENTS)
            problems = [str(e.value)[:200] for e in at.exception]
            print(f"\n## {page} run {n + 1}: {wall:.2f} s, SQL {sql:.2f} s in {len(STATEMENTS)}")
            if problems:
                print("   EXCEPTION", problems)
            for seconds, statement in sorted(STATEMENTS, reverse=True)[:top]:
                print(f"   {seconds * 1000:7.0f} ms  {statement[:160]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    with _app_database(args.database_url, args.schema):
        profile([p for p in args.pages.split(",") if p], args.runs, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
