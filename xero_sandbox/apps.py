"""The OAuth app registered with the sandbox, as Xero's developer portal holds it: client ID and
secret, the date the app was created (which decides the scopes it may ask for) and its
registered redirect URIs.

Sources are in ../shared/xero-facts.md (§12 auth, §14 2026 platform changes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

# xero-facts.md §14 (developer.xero.com/faq/granular-scopes; XeroAPI/xero-prompt-library
# javascript/SKILL.md): apps created on or after 2 March 2026 get granular scopes only.
GRANULAR_ONLY_FROM = date(2026, 3, 2)
# xero-facts.md §14: the deprecated broad scopes and what replaced them.
BROAD_SCOPES = frozenset(
    {"accounting.transactions", "accounting.transactions.read", "accounting.reports.read"}
)
# Sandbox guess: the built-in app's creation date is not a fact about Xero; it is "a new app"
# so that Shipbridge is tested against the rules a Xero app created today meets.
DEFAULT_APP_CREATED = date(2026, 3, 16)
# What Shipbridge uses by default (services/settings.py: APP_URL + "/") and what the sandbox's
# test helper uses (xero_sandbox/testing.py DEFAULT_REDIRECT_URI).
DEFAULT_REDIRECT_URIS = ("http://localhost:8501/", "http://localhost:8501/xero/callback")

REDIRECT_URIS_ENV = "XERO_SANDBOX_REDIRECT_URIS"
APP_CREATED_ENV = "XERO_SANDBOX_APP_CREATED"
DAY_LIMIT_ENV = "XERO_SANDBOX_DAY_LIMIT"
# xero-facts.md §13, §14: 5,000 calls a day per organisation; 1,000 on the Starter tier since
# 2 March 2026 (developer.xero.com/faq/pricing-and-policy-updates). The tier is the app's.
DEFAULT_DAY_LIMIT = 5000


@dataclass(frozen=True)
class SandboxApp:
    """One registered Xero app (a "Web app" in Xero's developer portal)."""

    client_id: str
    client_secret: str
    created: date = DEFAULT_APP_CREATED
    redirect_uris: tuple[str, ...] = DEFAULT_REDIRECT_URIS
    # Calls a day per organisation, by the app's pricing tier.
    day_limit: int = DEFAULT_DAY_LIMIT

    @property
    def granular_only(self) -> bool:
        """True for an app created on or after 2 March 2026 (xero-facts.md §14)."""
        return self.created >= GRANULAR_ONLY_FROM

    def refused_scopes(self, scopes: list[str]) -> list[str]:
        """The broad scopes this app may no longer ask for (none for an older app)."""
        return [s for s in scopes if s in BROAD_SCOPES] if self.granular_only else []

    def redirect_registered(self, redirect_uri: str) -> bool:
        """Xero redirects only to a URI registered on the app, compared exactly
        (xero-facts.md §12; developer.xero.com/documentation/oauth2/troubleshooting)."""
        return redirect_uri in self.redirect_uris


def redirect_uris_from_env(extra: list[str] | None = None) -> tuple[str, ...]:
    """The registered redirect URIs: XERO_SANDBOX_REDIRECT_URIS (space- or comma-separated)
    when set, otherwise the defaults; plus any ``extra`` (e.g. ``--redirect-uri``)."""
    configured = os.environ.get(REDIRECT_URIS_ENV, "").replace(",", " ").split()
    uris = list(configured or DEFAULT_REDIRECT_URIS) + list(extra or [])
    return tuple(dict.fromkeys(uris))


def day_limit_from_env() -> int:
    """The app's calls a day per organisation: XERO_SANDBOX_DAY_LIMIT, or 5,000."""
    text = os.environ.get(DAY_LIMIT_ENV, "").strip()
    return int(text) if text else DEFAULT_DAY_LIMIT


def created_from_env() -> date:
    """The app's creation date: XERO_SANDBOX_APP_CREATED (YYYY-MM-DD), or the default."""
    text = os.environ.get(APP_CREATED_ENV, "").strip()
    return date.fromisoformat(text) if text else DEFAULT_APP_CREATED
