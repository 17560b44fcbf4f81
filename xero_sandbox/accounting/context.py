"""The per-request view handlers get: tenant, store, clock, query and body helpers."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from xero_sandbox.clock import SandboxClock
from xero_sandbox.store import Store

ZERO_GUID = "00000000-0000-0000-0000-000000000000"


class BadRequest(Exception):
    """A request the endpoint cannot read at all (answered with an API exception)."""

    def __init__(self, error_number: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.error_number = error_number
        self.kind = kind
        self.message = message


@dataclass
class Result:
    """What a handler returns: a status and a JSON body (or plain text)."""

    status: int
    body: Any
    text: bool = False


@dataclass
class Outcome:
    """One element of a PUT/POST batch: the record (saved, or as it would have been)."""

    document: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    saved: bool = False


@dataclass
class ApiRequest:
    """One Accounting API call, already authenticated and admitted by the limiter."""

    store: Store
    clock: SandboxClock
    tenant_id: str
    organisation: dict[str, Any]
    method: str
    path_params: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    _now: datetime | None = field(default=None, repr=False)
    _cache: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict, repr=False)

    @classmethod
    def internal(cls, store: Store, clock: SandboxClock, tenant_id: str) -> ApiRequest:
        """A request made by the sandbox itself (control endpoints, web pages)."""
        return cls(
            store=store,
            clock=clock,
            tenant_id=tenant_id,
            organisation=store.organisation(tenant_id) or {},
            method="PUT",
            path_params={},
            query={},
            headers={},
            body=b"",
        )

    # -- time -----------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The sandbox time, fixed for the whole request."""
        if self._now is None:
            self._now = self.clock.now()
        return self._now

    def today(self) -> date:
        """Today's date on the sandbox clock (UTC)."""
        return self.now.date()

    # -- query ----------------------------------------------------------------

    def arg(self, name: str) -> str | None:
        """A query parameter, matched case-insensitively as Xero does."""
        return self.query.get(name.lower())

    def flag(self, name: str, default: bool) -> bool:
        """A boolean query parameter; accepts true/false in any case (the SDK sends False)."""
        raw = self.arg(name)
        if raw is None or raw == "":
            return default
        return raw.strip().lower() in ("true", "1", "yes")

    def list_arg(self, name: str) -> list[str]:
        """A comma-separated query parameter, with blanks and quotes dropped."""
        raw = self.arg(name) or ""
        return [part.strip().strip('"') for part in raw.split(",") if part.strip().strip('"')]

    @property
    def unitdp(self) -> int:
        """Decimal places for unit amounts: 4 when ``unitdp=4``, otherwise 2."""
        return 4 if (self.arg("unitdp") or "").strip() == "4" else 2

    # -- body -----------------------------------------------------------------

    def json(self) -> Any:
        """The request body as JSON, numbers as Decimals."""
        try:
            return json.loads(self.body.decode("utf-8") or "null", parse_float=Decimal)
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequest(14, "PostDataInvalidException", "Invalid Json data") from exc

    def elements(self, collection: str) -> list[Any]:
        """The elements of a PUT/POST body: ``{"Invoices": [...]}``, a list, or one object."""
        body = self.json()
        if isinstance(body, dict):
            for key, value in body.items():
                if key.lower() == collection.lower():
                    return value if isinstance(value, list) else [value]
            return [body]
        if isinstance(body, list):
            return body
        raise BadRequest(14, "PostDataInvalidException", "Invalid Json data")

    # -- records --------------------------------------------------------------

    def records(self, kind: str) -> list[dict[str, Any]]:
        """All records of a kind in this organisation."""
        return self.store.list(kind, self.tenant_id)

    def get(self, kind: str, record_id: str) -> dict[str, Any] | None:
        """One record of this organisation, by ID (callers must not change it in place)."""
        key = (kind, record_id.lower())
        if key not in self._cache:
            self._cache[key] = self.store.get(kind, record_id, self.tenant_id)
        return self._cache[key]

    def find(self, kind: str, field: str, value: str) -> list[dict[str, Any]]:
        """Records of this organisation whose ``field`` equals ``value`` (ignoring case)."""
        return self.store.find(kind, self.tenant_id, field, value)

    def get_by_uuid(self, kind: str, raw: object) -> dict[str, Any] | None:
        """One record by an ID given by the client (None when it is not a GUID)."""
        try:
            return self.get(kind, str(uuid.UUID(str(raw))))
        except ValueError:
            return None

    def put(self, kind: str, record_id: str, body: dict[str, Any]) -> None:
        """Save a record of this organisation."""
        self.store.put(kind, record_id, self.tenant_id, body)
        self._cache.pop((kind, record_id.lower()), None)

    def stamp(self) -> str:
        """An UpdatedDateUTC value for now."""
        return self.now.isoformat(timespec="milliseconds")
