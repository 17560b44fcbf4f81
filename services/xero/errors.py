"""Xero failures as Shipbridge understands them. Each message is safe to show a user."""

from __future__ import annotations


class XeroError(Exception):
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


class XeroRequestRejected(XeroError):
    """Xero refused the whole request (HTTP 400 not tied to one document)."""
