"""Page tests: the real app.py in Streamlit's AppTest, on a per-test copy of a seeded database.

tests/conftest.py already points the settings at a fresh SQLite file per test; here that
file is filled with a copy of one migrated, seeded database (demo users and 30 shipments),
made once per test session so each test starts in milliseconds.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from streamlit.components.v2.component_manager import BidiComponentManager
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from services import db, settings
from services.demo import seed_demo
from ui import state

APP = Path(__file__).resolve().parents[2] / "app.py"
APP_URL = "http://localhost:8501"  # where the browser has the app (st.context.url)
LEGACY_PAGES_MANAGER_INIT = PagesManager.__init__
DEMO_NAMES = {"admin": "Ada Admin", "operations": "Oscar Operations", "finance": "Fiona Finance"}


@pytest.fixture(autouse=True)
def _routing_by_app_py(monkeypatch):
    """A server routes every run through app.py's st.navigation once app.py has run;
    AppTest re-detects the pages/ folder before each run and would run a page file on
    its own (Streamlit's older folder routing). Keep the server's steady state."""

    def init(self, *args, **kwargs):
        LEGACY_PAGES_MANAGER_INIT(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "seeded.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    db.migrate(engine)
    with db.session_scope(engine) as session:
        seed_demo(session=session)
    engine.dispose()
    return path


@pytest.fixture
def database(seeded_database) -> Path:
    """The test's own copy of the seeded database, where the settings point."""
    url = settings.get_settings().database_url
    path = Path(url.split("///", 1)[1])
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(seeded_database, path)
    db.get_engine.cache_clear()
    return path


@functools.cache
def _components() -> BidiComponentManager:
    manager = BidiComponentManager()
    manager.discover_and_register_components(start_file_watching=False)
    return manager


def new_app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.context["timezone"] = "Pacific/Auckland"
    # Every AppTest scans the installed packages for components (~0.5 s); scan once.
    if hasattr(at, "_bidi_component_manager"):
        at._bidi_component_manager = _components()
    return at


def logged_in_as(at: AppTest, username: str, name: str | None = None) -> str:
    """Put `at` in the state a login leaves it in: a server-side session (as the login form
    starts one) named in session state. Returns the session's id."""
    from services import sessions

    with db.session_scope() as session:
        session_id = sessions.start(session=session, username=username).id
    at.session_state[state.AUTH_STATUS] = True
    at.session_state[state.AUTH_USERNAME] = username
    at.session_state[state.AUTH_NAME] = name or DEMO_NAMES.get(username, username)
    at.session_state[state.LOGIN_SESSION] = session_id
    at.session_state["roles"] = [username]
    at.session_state["logout"] = None
    return session_id


@pytest.fixture
def app_as(database) -> Callable[..., AppTest]:
    """app_as(role, page=None): the app, logged in as the demo user of that role, run once
    (on the page's file when given, opened by its URL unless url=False)."""

    def build(role: str | None, page: str | None = None, *, url: bool = True) -> AppTest:
        at = new_app()
        if role is not None:
            logged_in_as(at, role)
        if page is not None:
            # Opened by its URL: the browser asks for the page by name (before the first run
            # AppTest names a page by its file, as app.py's st.Page does) and sends the URL.
            at.switch_page(f"pages/{page}.py")
            if url:
                at.context["url"] = f"{APP_URL}/{page}"
        return at.run()

    return build
