"""Xero failures as Shipbridge understands them. Each message is safe to show a user."""

from __future__ import annotations

from services.errors import UserError
from services.settings import SCOPE_PURPOSES


class XeroError(UserError):
    """Any failure talking to Xero."""


class XeroUnavailable(XeroError):
    """Transient: 5xx, a timeout or a dropped connection. Retry later; the answer may be lost."""

    def __init__(self, message: str, *, maybe_applied: bool = False):
        super().__init__(message)
        # True when the request reached Xero and may have been carried out.
        self.maybe_applied = maybe_applied


class XeroRateLimited(XeroUnavailable):
    def __init__(self, problem: str | None, retry_after: float):
        super().__init__(
            f"Xero's {problem or 'rate'} limit was reached; trying again in {retry_after:.0f} s."
        )
        self.problem = problem
        self.retry_after = retry_after


class XeroAuthError(XeroError):
    """The organisation must be reconnected: token revoked, expired or connection removed."""


class XeroTokenRejected(XeroAuthError):
    """HTTP 401: the access token was refused; a refresh may cure it."""


class XeroScopeMissing(XeroAuthError):
    """HTTP 401 ``AuthorizationUnsuccessful`` with ``insufficient_scope``: the connection was
    granted scopes that do not cover the call. Refreshing cannot help; reconnecting can."""

    def __init__(self, scope: str | None = None):
        needed = f"{scope} ({SCOPE_PURPOSES[scope]})" if scope in SCOPE_PURPOSES else scope
        super().__init__(
            f"The Xero connection lacks permission {needed or 'for this call'}: reconnect the "
            "organisation on the Connect page so Xero asks for it again."
        )
        self.scope = scope


class XeroRequestRejected(XeroError):
    """Xero refused the whole request (HTTP 400 not tied to one document)."""
