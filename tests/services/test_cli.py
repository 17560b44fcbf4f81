"""The command line: arguments reach the command that reads them."""

from __future__ import annotations

import pytest

from services import cli
from xero_sandbox import server


def test_sandbox_takes_the_options_the_readme_gives(monkeypatch, logging_restored, tmp_path):
    started = []
    # Record the sandbox's parsed options instead of starting a server.
    monkeypatch.setattr(server, "main", lambda argv: started.append(server.parse_args(argv)))
    db = str(tmp_path / "sandbox.sqlite3")
    assert cli.main(["sandbox", "--port", "9123", "--db", db, "--no-control"]) == 0
    assert [(a.port, a.db, a.control) for a in started] == [(9123, db, False)]


def test_other_commands_still_refuse_unknown_options(logging_restored, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["push-remaining", "--port", "9123"])
    assert stopped.value.code == 2
    assert "unrecognized arguments: --port 9123" in capsys.readouterr().err
