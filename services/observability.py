"""Structured logs: every process writes JSON lines to stderr, one event a line.

`configure_logging(process=...)` is called once at the start of the worker, the CLI and the
Streamlit app. It routes the standard library's logging (ours and every library's) through
structlog, so each line carries the UTC time, level, logger, event, which process wrote it,
and whatever context is bound around it: `sending(...)` binds the organisation, batch and
shipments of a send. Values under secret-looking keys are redacted before anything is written.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any, TextIO

import structlog
from structlog.contextvars import bound_contextvars
from structlog.typing import EventDict, WrappedLogger

REDACTED = "[redacted]"
# Keys whose values are credentials: access/refresh/id tokens, client secrets, passwords,
# Authorization headers, and the Fernet/cookie keys.
SECRET_KEY = re.compile(r"token|secret|password|passwd|authorization|api_?key|cookie", re.I)
# A bearer token that slipped into a message or a value under an innocent key.
BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


def redact_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: blank the values of secret-looking keys, at any depth."""
    return {key: _redacted(key, value) for key, value in event_dict.items()}


def _redacted(key: Any, value: Any) -> Any:
    if isinstance(key, str) and SECRET_KEY.search(key) and value is not None:
        return REDACTED
    if isinstance(value, dict):
        return {k: _redacted(k, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(None, v) for v in value]
    if isinstance(value, str):
        return BEARER.sub(r"\1" + REDACTED, value)
    return value


class _ProcessName:
    """structlog processor: which Shipbridge process wrote the line (worker, cli, app)."""

    def __init__(self, process: str):
        self.process = process

    def __call__(self, _logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("process", self.process)
        return event_dict


class _JsonHandler(logging.StreamHandler):
    """The handler this module installs (configuring again replaces it). Without a stream
    of its own it writes to whatever sys.stderr is at the time, as print() would."""

    def __init__(self, stream: TextIO | None = None):
        super().__init__(stream)
        self.follows_stderr = stream is None

    def emit(self, record: logging.LogRecord) -> None:
        if self.follows_stderr:
            self.stream = sys.stderr
        super().emit(record)


def configure_logging(
    *, process: str, level: int | str = logging.INFO, stream: TextIO | None = None
) -> None:
    """Send all logging, as JSON lines, to stderr (or `stream`); safe to call more than once."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _ProcessName(process),
    ]
    # Fields passed with the standard library's `extra=` join the line (and are redacted).
    foreign = [*shared, structlog.stdlib.ExtraAdder()]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=foreign,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            # Last before rendering, so nothing added on the way escapes it.
            redact_secrets,
            structlog.processors.JSONRenderer(default=str),
        ],
    )
    handler = _JsonHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _JsonHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)


def sending(
    *, tenant_id: str | None, batch_id: str, shipment_ids: Iterable[int]
) -> AbstractContextManager[None]:
    """Bind a send's organisation, batch and shipments to every log line written inside it."""
    return bound_contextvars(
        tenant_id=tenant_id, batch_id=batch_id, shipment_ids=list(shipment_ids)
    )
