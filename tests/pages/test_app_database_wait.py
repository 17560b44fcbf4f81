"""Issue 13, item 4: the app waits out an unreachable database by itself. While it cannot be
reached the page says so and tries again after growing waits (1, 2, 4 … s, at most 15);
as soon as it answers the page carries on; the log hears once that it went away and once
that it is back.

The database is unreachable the way SQLite can be for a process running as root: its path
is taken by a directory ("unable to open database file"); it comes back when the directory
gives way to the database file. The waits are the app's own `ui.common.pause`, replaced here
so the test neither sleeps nor depends on time."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
import streamlit as st

from services import db, liveness, settings
from tests.pages.conftest import new_app
from tests.pages.helpers import assert_clean
from ui import common

WAITING = "The database is not answering; trying again in {} s (attempt {})"


@pytest.fixture
def unreachable_database(monkeypatch) -> Path:
    """The app's database path, taken by a directory; a fresh outage record for the app."""
    path = Path(settings.get_settings().database_url.split("///", 1)[1])
    path.mkdir(parents=True)
    monkeypatch.setattr(common, "DATABASE_OUTAGE", liveness.Outage(common.log))
    return path


def bring_back(path: Path, seeded: Path) -> None:
    """The database answers again: its file (the seeded demo database) where it belongs."""
    path.rmdir()
    shutil.copyfile(seeded, path)


def outage_log(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == common.log.name and "database" in r.getMessage()
    ]


def test_the_app_waits_with_growing_delays_then_shows_the_login(
    unreachable_database, seeded_database, monkeypatch, caplog
):
    waits: list[float] = []

    def pause(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 5:
            bring_back(unreachable_database, seeded_database)

    monkeypatch.setattr(common, "pause", pause)
    caplog.set_level(logging.INFO, logger=common.log.name)
    at = new_app().run()
    assert_clean(at)
    assert waits == [1, 2, 4, 8, 15]  # doubling, capped at 15 s
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.warning  # the waiting notice is gone once the database answers
    said = outage_log(caplog)
    assert len(said) == 2, said  # once when it went away, once when it came back
    assert said[0].startswith("database unreachable")
    assert said[1] == "database reachable again after 6 tries"


def test_the_page_says_it_is_waiting_and_a_later_run_carries_on(
    unreachable_database, seeded_database, monkeypatch
):
    """What the page shows during a wait: the run is stopped in its first wait (as when
    the browser leaves), so the page is what the user saw then."""

    monkeypatch.setattr(common, "pause", lambda seconds: st.stop())
    at = new_app().run()
    assert not at.exception
    assert [w.value for w in at.warning] == [common.DATABASE_WAITING.format(delay=1.0, attempt=1)]
    assert WAITING.format(1, 1) in at.warning[0].value
    assert not at.text_input  # no login form while there is no database
    assert not at.error  # not an error: it is waited for

    bring_back(unreachable_database, seeded_database)
    at.run()
    assert_clean(at)
    assert not at.warning
    assert [t.label for t in at.text_input] == ["Username", "Password"]


def test_a_wrong_database_url_is_still_a_setup_error_not_a_wait(monkeypatch):
    """Only an unreachable database is waited for: a URL naming no database Shipbridge can
    use says so at once."""
    monkeypatch.setenv("DATABASE_URL", "nosuchdb://nowhere/shipbridge")
    settings.get_settings.cache_clear()
    monkeypatch.setattr(common, "pause", lambda seconds: pytest.fail("waited"))
    at = new_app().run()
    assert not at.exception
    assert not at.warning
    assert "Shipbridge cannot open its database" in at.error[0].value


def test_a_database_server_that_does_not_answer_is_waited_for(monkeypatch):
    """A PostgreSQL URL whose server is not listening (port 9): the same wait, not an
    error; the run is stopped in its first wait to see the page then."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1")
    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()
    monkeypatch.setattr(common, "DATABASE_OUTAGE", liveness.Outage(common.log))
    monkeypatch.setattr(common, "pause", lambda seconds: st.stop())
    at = new_app().run()
    assert not at.exception
    assert not at.error
    assert WAITING.format(1, 1) in at.warning[0].value
    assert not at.text_input
