"""The layers DESIGN.md describes, checked by tools rather than memory: import-linter's
contracts (pyproject.toml) for the packages, and the same rules for the page scripts and
app.py, which are scripts, not a package, so import-linter cannot see them."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"]
# A page reads widgets, calls services and shows results: no SQL, no Xero SDK, no sandbox.
NOT_IN_SCRIPTS = ("sqlalchemy", "sqlmodel", "xero_python", "xero_sandbox")
# Streamlit's internals change between releases; the scripts use its public API only.
STREAMLIT_INTERNALS = ("streamlit.runtime", "streamlit.util", "streamlit.web")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (inside functions too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def is_within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_scripts_are_the_six_pages_and_app_py():
    assert [p.name for p in SCRIPTS] == [
        "connect.py",
        "dashboard.py",
        "logs.py",
        "mapping.py",
        "send.py",
        "shipments.py",
        "app.py",
    ]
    # pages/ is a folder of scripts, not a package (app.py routes to them by file).
    assert not (ROOT / "pages" / "__init__.py").exists()


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_a_page_script_imports_no_sql_no_xero_sdk_and_no_sandbox(script):
    forbidden = {
        module
        for module in imported_modules(script)
        for package in NOT_IN_SCRIPTS + STREAMLIT_INTERNALS
        if is_within(module, package)
    }
    assert forbidden == set()


def test_the_check_sees_a_forbidden_import(tmp_path):
    script = tmp_path / "page.py"
    script.write_text("def rows():\n    from sqlmodel import select\n    return select\n")
    assert imported_modules(script) == {"sqlmodel"}


def test_the_import_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-logo", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
