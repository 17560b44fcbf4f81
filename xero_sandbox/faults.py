"""Injected failures: 429s of each kind, 5xx, slow responses and dropped connections.

Two of them are a lost answer, as a client meets one against Xero: the request was applied
but its answer never arrives. "drop-after" applies the request, then closes the connection
without a response (the client sees "remote end closed connection without response");
"timeout" holds the request for ``seconds`` and then applies it, so a client whose read
timeout is shorter gives up first. "drop-before" closes without applying: to the client it
looks exactly like "drop-after", which is why only a look-up can tell them apart. The 429s
and 5xx here are answered before any document is touched."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from dataclasses import dataclass
from typing import Any

RATE_LIMIT_KINDS = {
    "429-minute": "minute",
    "429-day": "day",
    "429-concurrent": "concurrent",
    "429-appminute": "appminute",
}
STATUS_KINDS = {"500": 500, "503": 503}
OTHER_KINDS = ("timeout", "drop-before", "drop-after")
FAULT_KINDS = (*RATE_LIMIT_KINDS, *STATUS_KINDS, *OTHER_KINDS)
DEFAULT_PATH = "/api.xro/2.0/"
DEFAULT_TIMEOUT_SECONDS = 30.0

ERROR_500 = {
    "ErrorNumber": 500,
    "Type": "UnknownErrorException",
    "Message": "An error occurred in Xero. Check the API Status page "
    "http://status.developer.xero.com for current service status.",
}


@dataclass
class Fault:
    """One armed fault: fires on the next ``remaining`` matching calls."""

    kind: str
    remaining: int
    path_contains: str = DEFAULT_PATH
    seconds: float = DEFAULT_TIMEOUT_SECONDS
    retry_after: int = 60
    tenant: str | None = None

    def describe(self) -> dict[str, Any]:
        """The fault as JSON for the control API."""
        return {
            "kind": self.kind,
            "remaining": self.remaining,
            "path_contains": self.path_contains,
            "seconds": self.seconds,
            "retry_after": self.retry_after,
            "tenant": self.tenant,
        }


class FaultInjector:
    """A queue of armed faults, consumed by matching calls in arming order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def arm(self, fault: Fault) -> None:
        """Add a fault; raises ValueError for an unknown kind or a bad count."""
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; use one of {FAULT_KINDS}")
        if fault.remaining < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Disarm everything."""
        with self._lock:
            self._faults.clear()

    def armed(self) -> list[dict[str, Any]]:
        """The faults still armed."""
        with self._lock:
            return [fault.describe() for fault in self._faults]

    def take(self, path: str, tenant: str | None) -> Fault | None:
        """The first fault matching this call, with one use consumed."""
        with self._lock:
            for fault in self._faults:
                if fault.path_contains.lower() not in path.lower():
                    continue
                if fault.tenant and (tenant or "").lower() != fault.tenant.lower():
                    continue
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None


def transport_of(receive: Any) -> asyncio.Transport | None:
    """The socket transport behind uvicorn's ``receive`` callable, if reachable."""
    owner = getattr(receive, "__self__", None)
    return getattr(owner, "transport", None)


def disable_nagle(receive: Any) -> None:
    """Send small responses at once: without TCP_NODELAY a keep-alive client waits ~40 ms
    (delayed ACK) for the body, which uvicorn writes separately from the headers."""
    transport = transport_of(receive)
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def drop_connection(receive: Any, *, drain: bool) -> None:
    """Close the client's connection without a response.

    The body is read first (``drain``) so the socket closes cleanly and the client
    sees "remote end closed connection without response" rather than a reset.
    """
    transport = transport_of(receive)
    if transport is None:
        raise RuntimeError("the server does not expose its transport; cannot drop")
    if drain:
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False) and message["type"] == "http.request"
    transport.close()
    # Wait for the server to notice, so it does not try to send a 500 of its own.
    with contextlib.suppress(Exception):
        for _ in range(10):
            message = await asyncio.wait_for(receive(), 1.0)
            if message["type"] == "http.disconnect":
                break
