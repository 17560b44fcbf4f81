"""One settings object for the whole app: environment variables, then `.streamlit/secrets.toml`."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
SANDBOX_URL = "http://127.0.0.1:8765"
SANDBOX_CLIENT_ID = "shipbridge-sandbox"
SANDBOX_CLIENT_SECRET = "sandbox-secret"
# What Shipbridge asks Xero for, each the narrowest that serves it, and why (the Connect page
# and the README show these words). Xero's granular scopes: apps created on or after 2 March
# 2026 can ask for nothing broader (developer.xero.com/faq/granular-scopes).
SCOPE_PURPOSES = {
    "openid": "sign you in with your Xero user",
    "profile": "show who connected the organisation",
    "email": "show who connected the organisation",
    "offline_access": "keep sending while nobody is signed in (refresh tokens)",
    "accounting.invoices": "create and update the invoices, quotes and credit notes it sends",
    "accounting.payments.read": "read payments, so finance sees what is paid",
    "accounting.contacts.read": "read contacts, to map customer codes to Xero contacts",
    "accounting.settings.read": (
        "read accounts, tax rates, currencies, items and the organisation, to check a "
        "shipment before it is sent"
    ),
    # Only for apps created before 2 March 2026 (xero_app_created_before_march_2026).
    "accounting.transactions": (
        "create and update invoices, quotes and credit notes, and read payments "
        "(the broad scope of older Xero apps)"
    ),
}
XERO_SCOPES = (
    "openid profile email offline_access accounting.invoices accounting.payments.read "
    "accounting.contacts.read accounting.settings.read"
)
# For an app created before 2 March 2026 that still uses the broad scope (Xero allows it until
# September 2027).
XERO_BROAD_SCOPES = (
    "openid profile email offline_access accounting.transactions "
    "accounting.contacts.read accounting.settings.read"
)


class Settings(BaseSettings):
    """Configuration. Every field can be set by an environment variable of the same name."""

    model_config = SettingsConfigDict(
        env_file=None,
        extra="ignore",
        toml_file=PROJECT_ROOT / ".streamlit" / "secrets.toml",
    )

    database_url: str = Field(default=f"sqlite:///{DATA_DIR / 'shipbridge.sqlite3'}")
    # Fernet key for tokens at rest. Generated into data/secret.key on first use if unset.
    shipbridge_secret_key: str | None = None
    # Signs the login cookie (with the generation `shipbridge cli rotate-cookie-key` bumps).
    shipbridge_cookie_key: str | None = None
    # A login ends after this many minutes without a page run, and this many hours after it
    # began whatever happens (services/sessions.py).
    login_idle_minutes: float = Field(default=30.0, gt=0)
    login_absolute_hours: float = Field(default=12.0, gt=0)
    app_url: str = "http://localhost:8501"

    xero_client_id: str | None = None
    xero_client_secret: str | None = None
    xero_redirect_uri: str | None = None
    # Set to ask for exactly these scopes (space-separated) instead of the defaults below.
    xero_scopes: str | None = None
    # True for a Xero app created before 2 March 2026 that still uses accounting.transactions.
    xero_app_created_before_march_2026: bool = False
    xero_api_url: str | None = None
    xero_identity_url: str | None = None
    xero_login_url: str | None = None
    xero_web_url: str | None = None
    xero_sandbox_url: str = SANDBOX_URL
    # Seconds to wait for one Xero call before treating it as lost.
    xero_timeout: float = 30.0
    # Matches a sandbox whose rate-limit clock runs faster (benchmarks only).
    xero_rate_clock_scale: float = 1.0
    # The Xero app's pricing tier: it sets each organisation's calls a day (Starter 1,000; the
    # others 5,000; xero-facts.md §14). Starter by default: an internal tool with a handful of
    # organisations sits there, and budgeting for the smaller day is the safe side (Xero's
    # X-DayLimit-Remaining still governs). See services/budget.py.
    xero_pricing_tier: Literal["starter", "core", "plus", "advanced", "enterprise"] = "starter"
    # The most of an organisation's day that scheduled reads (payments, reference data, drift
    # checks) may take; sends keep the rest.
    xero_scheduled_read_share: float = Field(default=0.20, gt=0, le=1)
    # How long a claim on shipments (a page's send, a worker's batch) lasts unless its sender's
    # heartbeat renews it (every third of it): a dead sender's claim ends within this.
    sync_lease_seconds: float = Field(default=30.0, gt=0)
    # A job retried this many times without an outcome stops in "Needs attention".
    sync_max_attempts: int = Field(default=8, ge=1)
    # The longest the worker waits between two tries of a job (backoff is capped here).
    sync_max_backoff_seconds: float = Field(default=900.0, gt=0)
    # Seconds after which a worker's heartbeat is stale: no worker is running.
    worker_heartbeat_seconds: float = Field(default=60.0, gt=0)
    # The worker serves Prometheus metrics on 127.0.0.1 at this port; 0 turns that off.
    worker_metrics_port: int = Field(default=9464, ge=0, le=65535)
    # Shipments per send: the page's selection limit, the worker's lease and one Xero call.
    # Kept at or under 10 so a batch stays within what the panel promises and Xero's limits.
    sync_batch_size: int = Field(default=10, ge=1, le=10)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def uses_sandbox(self) -> bool:
        """True when no real Xero app is configured: everything goes to the local sandbox."""
        return not (self.xero_client_id and self.xero_client_secret)

    @property
    def client_id(self) -> str:
        return SANDBOX_CLIENT_ID if self.uses_sandbox else str(self.xero_client_id)

    @property
    def client_secret(self) -> str:
        return SANDBOX_CLIENT_SECRET if self.uses_sandbox else str(self.xero_client_secret)

    def _xero_url(self, configured: str | None, real: str) -> str:
        if configured:
            return configured.rstrip("/")
        return self.xero_sandbox_url.rstrip("/") if self.uses_sandbox else real

    @property
    def api_url(self) -> str:
        """Base of Xero's API host; the accounting API lives at `/api.xro/2.0` under it."""
        return self._xero_url(self.xero_api_url, "https://api.xero.com")

    @property
    def identity_url(self) -> str:
        return self._xero_url(self.xero_identity_url, "https://identity.xero.com")

    @property
    def login_url(self) -> str:
        return self._xero_url(self.xero_login_url, "https://login.xero.com")

    @property
    def web_url(self) -> str:
        return self._xero_url(self.xero_web_url, "https://go.xero.com")

    @property
    def requested_scopes(self) -> str:
        """The scopes Shipbridge asks Xero for, space-separated."""
        if self.xero_scopes:
            return " ".join(self.xero_scopes.split())
        return XERO_BROAD_SCOPES if self.xero_app_created_before_march_2026 else XERO_SCOPES

    def scope_purposes(self) -> list[tuple[str, str]]:
        """Each scope Shipbridge asks Xero for, with why (a scope set by hand may have none)."""
        return [(s, SCOPE_PURPOSES.get(s, "")) for s in self.requested_scopes.split()]

    @property
    def redirect_uri(self) -> str:
        return self.xero_redirect_uri or self.app_url.rstrip("/") + "/"

    @property
    def secret_key(self) -> str:
        return self.shipbridge_secret_key or _local_key("secret.key", _new_fernet_key)

    @property
    def cookie_key(self) -> str:
        return self.shipbridge_cookie_key or _local_key("cookie.key", lambda: secrets.token_hex(32))


def _new_fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def _local_key(name: str, make) -> str:
    """A key kept in data/ (git-ignored) so a fresh clone runs without configuration."""
    path = DATA_DIR / name
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
