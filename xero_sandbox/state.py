"""The sandbox's shared state, reachable from any request as ``request.app.state.sandbox``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from xero_sandbox.apps import SandboxApp
from xero_sandbox.clock import SandboxClock
from xero_sandbox.store import Store
from xero_sandbox.tokens import TokenService

if TYPE_CHECKING:
    from xero_sandbox.faults import FaultInjector
    from xero_sandbox.limits import RateLimiter


@dataclass
class Sandbox:
    """Everything a request handler may need."""

    store: Store
    clock: SandboxClock
    tokens: TokenService
    limiter: RateLimiter
    faults: FaultInjector
    control: bool
    # The registered OAuth app: creation date (allowed scopes) and redirect URIs.
    app: SandboxApp
    # Callables given every finished exchange (tests use this to check the spec).
    observers: list[Callable[[Any], None]] = field(default_factory=list)


def sandbox_of(request: Request) -> Sandbox:
    """The sandbox behind a request."""
    return request.app.state.sandbox
