"""The bad-input corpus (tests/data/bad_csv) through the command line: every file through
`cli.main`, and a representative set as a script runs it, `python -m services.cli
import-shipments FILE` in its own process (a second or more each). Bad input ends with exit
code 2 and the page's sentences, never a traceback; nothing is written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from services import cli as cli_module
from services.csv_import import read_csv
from tests.utils.bad_csv import ACCEPTED, BAD, CORPUS, EXPECTED, data

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> str:
    """One migrated database for the module's runs: no bad file writes to it, and each file
    that is fine has numbers of its own."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'shipbridge.sqlite3'}"
    assert cli(url, "migrate").returncode == 0
    return url


def run_import(database: str, name: str) -> subprocess.CompletedProcess[str]:
    return cli(database, "import-shipments", str(CORPUS / name))


def cli(database: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XERO_", "DATABASE_URL"))}
    env.update(DATABASE_URL=database, SHIPBRIDGE_SECRET_KEY=Fernet.generate_key().decode())
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def said(run: subprocess.CompletedProcess[str]) -> list[str]:
    """What the command said to a person: its lines less the JSON log lines."""
    return [line for line in run.stderr.splitlines() if not line.startswith("{")]


def shipments_in(database: str) -> int:
    engine = create_engine(database)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM shipment")).scalar_one()
    engine.dispose()
    return count


# One of each kind of problem: encoding, quotes, header, bytes, numbers, lengths, rows.
IN_A_PROCESS = [
    "windows_1252.csv",
    "utf16.csv",
    "unclosed_quote.csv",
    "quote_closed_at_value_end.csv",
    "semicolon_delimiter.csv",
    "duplicate_header.csv",
    "nul_byte.csv",
    "exponent_overflow.csv",
    "nan_amount.csv",
    "long_description.csv",
    "conflicting_status.csv",
    "day_31_02.csv",
    "empty.csv",
]


@pytest.mark.parametrize("name", IN_A_PROCESS)
def test_a_bad_file_exits_2_with_the_pages_sentences_and_no_traceback(database, name):
    before = shipments_in(database)
    run = run_import(database, name)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    expected = [str(e) for e in read_csv(data(name)).errors]
    assert said(run)[: len(expected)] == expected
    assert "nothing was imported" in said(run)[-1]
    assert run.stdout == ""
    assert shipments_in(database) == before


@pytest.mark.parametrize("name", ["bom.csv", "formula_text.csv"])
def test_a_file_that_is_fine_is_imported(database, name):
    run = run_import(database, name)
    assert run.returncode == 0, run.stderr
    assert said(run) == []
    count = EXPECTED[name]["shipments"]
    assert run.stdout == f"Imported {count} shipment(s).\n"


def test_a_missing_file_is_named_without_a_traceback(database, tmp_path):
    missing = tmp_path / "nowhere.csv"
    run = run_import(database, str(missing))
    assert run.returncode == 2
    assert said(run) == [f"cannot read {missing}: No such file or directory"]


def main_says(capsys, name: str) -> tuple[int, list[str], str]:
    code = cli_module.main(["import-shipments", str(CORPUS / name)])
    out = capsys.readouterr()
    return code, [line for line in out.err.splitlines() if not line.startswith("{")], out.out


@pytest.mark.parametrize("name", BAD)
def test_every_bad_file_gets_exit_code_2_and_the_pages_sentences(
    engine, logging_restored, capsys, name
):
    code, lines, out = main_says(capsys, name)
    assert code == 2
    expected = [str(e) for e in read_csv(data(name)).errors]
    assert lines[: len(expected)] == expected
    assert "nothing was imported" in lines[-1]
    assert out == ""
    assert shipments_in(str(engine.url)) == 0


@pytest.mark.parametrize("name", ACCEPTED)
def test_every_file_that_is_fine_is_imported(engine, logging_restored, capsys, name):
    code, lines, out = main_says(capsys, name)
    assert (code, lines) == (0, [])
    count = EXPECTED[name]["shipments"]
    assert out == f"Imported {count} shipment(s).\n"
    assert shipments_in(str(engine.url)) == count
