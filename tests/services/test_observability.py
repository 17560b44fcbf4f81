"""Structured logs: JSON lines with the send's context, and never a secret."""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime

import pytest
import structlog

from services.observability import configure_logging, sending

ACCESS_TOKEN = "eyJhbGciOiJSUzI1NiJ9.secret-access-token-value"
REFRESH_TOKEN = "refresh-token-value-7f3a"
CLIENT_SECRET = "client-secret-value-19c2"


@pytest.fixture
def log_lines():
    """configure_logging into a buffer; the test process's logging is put back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    buffer = io.StringIO()
    configure_logging(process="worker", stream=buffer)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def test_a_log_line_is_json_with_time_level_logger_process_and_send_context(log_lines):
    with sending(tenant_id="tenant-nz", batch_id="b-42", shipment_ids=[7, 8]):
        logging.getLogger("shipbridge.sync").warning("batch %s held", "b-42")
    (line,) = log_lines()
    assert line["event"] == "batch b-42 held"
    assert line["level"] == "warning"
    assert line["logger"] == "shipbridge.sync"
    assert line["process"] == "worker"
    assert (line["tenant_id"], line["batch_id"], line["shipment_ids"]) == (
        "tenant-nz",
        "b-42",
        [7, 8],
    )
    offset = datetime.fromisoformat(line["timestamp"]).utcoffset()
    assert offset is not None and offset.total_seconds() == 0


def test_the_context_ends_with_the_send(log_lines):
    with sending(tenant_id="tenant-nz", batch_id="b-42", shipment_ids=[7]):
        pass
    logging.getLogger("shipbridge.worker").info("idle")
    (line,) = log_lines()
    assert "batch_id" not in line and "tenant_id" not in line


def test_tokens_and_secrets_never_reach_the_output(log_lines):
    log = logging.getLogger("shipbridge.connections")
    log.info(
        "tokens refreshed",
        extra={"access_token": ACCESS_TOKEN, "client_secret": CLIENT_SECRET},
    )
    structlog.get_logger("shipbridge.adapter").info(
        "calling Xero",
        headers={"Authorization": f"Bearer {ACCESS_TOKEN}", "xero-tenant-id": "tenant-nz"},
        token={"refresh_token": REFRESH_TOKEN},
        password="hunter2-value",
    )
    log.error("Xero said no to Authorization: Bearer %s", ACCESS_TOKEN)
    lines = log_lines()
    assert [line["event"] for line in lines][:2] == ["tokens refreshed", "calling Xero"]
    written = json.dumps(lines)
    for secret in (ACCESS_TOKEN, REFRESH_TOKEN, CLIENT_SECRET, "hunter2-value"):
        assert secret not in written
    # What is not a secret is kept.
    assert lines[1]["headers"]["xero-tenant-id"] == "tenant-nz"
