"""Fixtures for service tests against the local Xero sandbox over real HTTP."""

from __future__ import annotations

import logging

import pytest
import structlog

from models import XeroConnection
from services import settings
from services.connections import finish_connect, start_connect
from services.db import session_scope
from tests.utils.consent import allow_access


@pytest.fixture(scope="session")
def sandbox_server():
    from xero_sandbox.testing import running_sandbox

    with running_sandbox() as handle:
        yield handle


@pytest.fixture
def sandbox(sandbox_server, monkeypatch):
    """The sandbox, reset to its demo organisations; Shipbridge's settings point at it."""
    sandbox_server.reset()
    monkeypatch.setenv("XERO_SANDBOX_URL", sandbox_server.url)
    monkeypatch.setenv("APP_URL", "http://localhost:8501")
    settings.get_settings.cache_clear()
    return sandbox_server


def connect(engine, user: str = "admin") -> list[XeroConnection]:
    """The real authorization-code flow: start, consent page, finish."""
    with session_scope(engine) as session:
        url = start_connect(session=session, user=user)
    code, state = allow_access(url)
    with session_scope(engine) as session:
        return finish_connect(session=session, code=code, state=state, user=user)


@pytest.fixture
def connected(engine, sandbox) -> XeroConnection:
    return connect(engine)[0]


@pytest.fixture
def logging_restored():
    """cli.main sets up the process's logging; put the test process's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()
