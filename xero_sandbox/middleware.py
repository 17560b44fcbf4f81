"""ASGI middleware: the call log, injected faults, and exchange observers."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from xero_sandbox.faults import (
    ERROR_500,
    RATE_LIMIT_KINDS,
    STATUS_KINDS,
    disable_nagle,
    drop_connection,
)
from xero_sandbox.responses import json_bytes
from xero_sandbox.state import Sandbox

UNLOGGED_PREFIXES = ("/_sandbox", "/favicon.ico")


@dataclass
class Exchange:
    """One request and its response, as observers see them."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""


class SandboxMiddleware:
    """Logs every call, applies armed faults, and hands exchanges to observers."""

    def __init__(self, app: Any, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http":
            disable_nagle(receive)
        if scope["type"] != "http" or path.startswith(UNLOGGED_PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        exchange = Exchange(
            scope["method"], path, scope.get("query_string", b"").decode("latin-1"), headers, b""
        )
        started = time.perf_counter()
        fault = self.sandbox.faults.take(path, headers.get("xero-tenant-id"))
        recording = bool(self.sandbox.observers)

        async def receive_recorded() -> dict:
            message = await receive()
            if recording and message["type"] == "http.request":
                exchange.body += message.get("body", b"")
            return message

        async def send_recorded(message: dict) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                exchange.response_headers = {
                    k.decode("latin-1").lower(): v.decode("latin-1")
                    for k, v in message.get("headers", [])
                }
            elif recording and message["type"] == "http.response.body":
                exchange.response_body += message.get("body", b"")
            if fault is None or fault.kind != "drop-after":
                await send(message)

        try:
            if fault is None:
                await self.app(scope, receive_recorded, send_recorded)
            elif fault.kind in RATE_LIMIT_KINDS or fault.kind in STATUS_KINDS:
                await _send_fault(fault, send_recorded)
            elif fault.kind == "timeout":
                if path.startswith("/api.xro/"):
                    # The accounting pipeline sleeps while holding a concurrency slot.
                    scope.setdefault("state", {})["sandbox_delay"] = fault.seconds
                else:
                    await asyncio.sleep(fault.seconds)
                await self.app(scope, receive_recorded, send_recorded)
            elif fault.kind == "drop-before":
                exchange.status = None
                await drop_connection(receive, drain=True)
            elif fault.kind == "drop-after":
                await self.app(scope, receive_recorded, send_recorded)
                await drop_connection(receive, drain=False)
        finally:
            self._log(exchange, headers, started, fault.kind if fault else None)

    def _log(self, exchange: Exchange, headers: dict, started: float, fault: str | None) -> None:
        status = None if fault in ("drop-before", "drop-after") else exchange.status
        duration_ms = (time.perf_counter() - started) * 1000
        self.sandbox.store.execute(
            "INSERT INTO calls (time, method, path, query, status, tenant, idempotency_key, "
            "duration_ms, fault) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.sandbox.clock.now().isoformat(),
                exchange.method,
                exchange.path,
                exchange.query,
                status,
                headers.get("xero-tenant-id"),
                headers.get("idempotency-key"),
                round(duration_ms, 3),
                fault,
            ),
        )
        if fault is None:
            for observer in list(self.sandbox.observers):
                observer(exchange)


async def _send_fault(fault: Any, send: Any) -> None:
    if fault.kind in RATE_LIMIT_KINDS:
        status, body = 429, b""
        headers = [
            (b"retry-after", str(fault.retry_after).encode()),
            (b"x-rate-limit-problem", RATE_LIMIT_KINDS[fault.kind].encode()),
        ]
    else:
        status = STATUS_KINDS[fault.kind]
        body = json_bytes(ERROR_500) if status == 500 else b"Service Unavailable"
        ctype = b"application/json; charset=utf-8" if status == 500 else b"text/plain"
        headers = [(b"content-type", ctype)]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
