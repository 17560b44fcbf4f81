"""What a fresh page load is spared (issue 16 goal 4): Connect's counts in one pass over the
shipments, and no page relying on Streamlit's magic (turned off in .streamlit/config.toml,
so a fresh load does not rewrite the script)."""

from __future__ import annotations

import ast
from pathlib import Path

from models import XeroCreditNote
from services.db import session_scope
from tests.pages.helpers import add_connection, assert_clean, mark_sent, set_sync_state

ROOT = Path(__file__).resolve().parents[2]


def test_connect_counts_by_kind_are_what_each_organisation_was_sent(app_as):
    add_connection("Demo Exports Ltd", tenant_id="t1")
    add_connection("Other Org", tenant_id="t2", is_default=False)
    mark_sent("SHP-1001", "INV-0001", total="10.00")  # no organisation: the default's
    mark_sent("SHP-1002", "INV-0002", total="10.00", tenant_id="t1")
    mark_sent("SHP-1003", "QU-0001", total="10.00", tenant_id="t1", document_type="quote")
    quote = mark_sent("SHP-1004", "QU-0002", total="10.00", tenant_id="t2", document_type="quote")
    set_sync_state(["SHP-1005"], "Rejected")
    with session_scope() as session:
        session.add(XeroCreditNote(shipment_id=quote, tenant_id="t2", credit_note_number="CN-1"))
    at = app_as("admin", "connect")
    assert_clean(at)
    table = at.dataframe[1].value.set_index("Organisation")
    shown = table[["Documents pushed", "Invoices", "Quotes", "Credit notes", "Failing"]]
    assert shown.loc["Demo Exports Ltd"].tolist() == [3, 2, 1, 0, 1]
    assert shown.loc["Other Org"].tolist() == [1, 0, 1, 1, 0]


def magic_writes(path: Path) -> int:
    """How many statements Streamlit's magic would st.write (bare values, not calls)."""
    from streamlit.runtime.scriptrunner import magic

    tree = magic.add_magic(path.read_text(), str(path))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute)]
    return sum(1 for n in calls if n.attr == "transparent_write")


def test_no_page_writes_by_magic_which_is_off(tmp_path):
    bare = tmp_path / "bare.py"
    bare.write_text("import streamlit as st\nst.title('x')\ntotal = 1\ntotal\n")
    assert magic_writes(bare) == 1  # the bare `total`, not the call
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert "magicEnabled = false" in config
    scripts = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
    assert len(scripts) == 7
    assert {p.name: magic_writes(p) for p in scripts} == {p.name: 0 for p in scripts}
