"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL when TEST_DATABASE_URL
is set), settings pointed at it, and a local Xero sandbox over real HTTP."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from services import db, settings

DATABASES = ["sqlite"] + (["postgres"] if os.environ.get("TEST_DATABASE_URL") else [])


def _point_settings_at(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[None]:
    """No test reads the developer's data/ or secrets: every key is per test."""
    for name in ("XERO_CLIENT_ID", "XERO_CLIENT_SECRET", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    _point_settings_at(
        monkeypatch,
        DATABASE_URL=f"sqlite:///{tmp_path / 'shipbridge.sqlite3'}",
        SHIPBRIDGE_SECRET_KEY=Fernet.generate_key().decode(),
        SHIPBRIDGE_COOKIE_KEY=uuid.uuid4().hex,
    )
    yield
    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()


def _postgres_schema_url(base: str) -> tuple[str, str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(db.normalise_url(base))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", schema


@pytest.fixture(params=DATABASES)
def engine(request, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[Engine]:
    """A migrated, empty database; the settings' DATABASE_URL points at it."""
    schema = None
    if request.param == "postgres":
        url, schema = _postgres_schema_url(os.environ["TEST_DATABASE_URL"])
    else:
        url = f"sqlite:///{tmp_path / 'shipbridge.sqlite3'}"
    _point_settings_at(monkeypatch, DATABASE_URL=url)
    engine = db.get_engine()
    db.migrate(engine)
    yield engine
    engine.dispose()
    if schema:
        admin = create_engine(db.normalise_url(os.environ["TEST_DATABASE_URL"]))
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def session(engine):
    with db.session_scope(engine) as session:
        yield session
