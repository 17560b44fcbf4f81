"""Plotly, started in the browser while it is idle after a page is drawn, so that the first
chart the user opens (the Dashboard's Charts tab) does not wait for it.

Streamlit loads its Plotly element lazily, as a module of its own
(`static/js/PlotlyChart.<hash>.js`): the first chart on a page waits about 0.7 s for the
browser to start Plotly's 4.7 MB, one chart or four. Importing that same module once the
browser is idle puts it in the page's module map, and the chart's own import finds it there.
The page the user reads is drawn first; nothing changes on it. When this Streamlit has no
such file (a chunk renamed by a later release), nothing is fetched and the charts load as
they did."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import streamlit as st

CHUNK = "PlotlyChart.*.js"
# Once the browser is idle (at the latest after 2 s), import the chunk; a failure only
# means the chart loads it itself, as without this.
SCRIPT = """<script>
(() => {
  const start = () => import(PATH).catch(() => {});
  (window.requestIdleCallback || ((f) => setTimeout(f, 200)))(start, { timeout: 2000 });
})();
</script>"""


@cache
def chunk_name() -> str | None:
    """The Plotly element's module in this Streamlit's static files, if it has exactly one."""
    folder = Path(st.__file__).parent / "static" / "static" / "js"
    found = sorted(folder.glob(CHUNK))
    return found[0].name if len(found) == 1 else None


def chunk_path() -> str | None:
    """Where the app serves that module (under server.baseUrlPath when one is set)."""
    name = chunk_name()
    if name is None:
        return None
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/static/js/{name}" if base else f"/static/js/{name}"


def prefetch() -> None:
    """Start Plotly in this page's browser when it is idle (nothing when the module is not
    found). Draw it last: it holds an empty slot."""
    path = chunk_path()
    if path is not None:
        st.html(SCRIPT.replace("PATH", json.dumps(path)), unsafe_allow_javascript=True)
