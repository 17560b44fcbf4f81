"""Run the sandbox inside a test process and drive its control endpoints.

    from xero_sandbox.testing import running_sandbox

    with running_sandbox() as sandbox:
        token = sandbox.authorize_tokens()          # a real token, no browser
        ...                                         # point the SDK at sandbox.url
        sandbox.record_payment(invoice_id, "115.00")

The server runs uvicorn in a background thread on a free 127.0.0.1 port with a
fresh temporary database (unless ``db_path`` is given).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import uvicorn

from xero_sandbox.app import create_app
from xero_sandbox.seed import DEMO_TENANT_ID

# Granular scopes: the sandbox's app is "created" after 2 March 2026 and may not ask for the
# broad accounting.transactions (xero-facts.md §14).
DEFAULT_SCOPE = (
    "openid profile email offline_access "
    "accounting.invoices accounting.payments accounting.settings accounting.contacts"
)
DEFAULT_REDIRECT_URI = "http://localhost:8501/xero/callback"
CLIENT_ID = "shipbridge-sandbox"
CLIENT_SECRET = "sandbox-secret"  # noqa: S105 - the sandbox's public test secret


class SandboxError(RuntimeError):
    """A control call or the authorisation flow failed."""


@dataclass
class SandboxHandle:
    """A running sandbox: its URL, OAuth client, and helpers for the control endpoints."""

    url: str
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    db_path: str = ""
    app: Any = None
    _http: httpx.Client = field(default=None, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self._http is None:
            self._http = httpx.Client(base_url=self.url, timeout=30.0)

    def close(self) -> None:
        """Close the helper's HTTP client."""
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise SandboxError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    # -- control endpoints -------------------------------------------------------

    def reset(self, *, keep_tokens: bool = False) -> None:
        """Wipe and reseed; keep grants, tokens and connections when ``keep_tokens``."""
        self._call("POST", "/_sandbox/reset", params={"keep_tokens": int(keep_tokens)})

    def seed(self) -> None:
        """Add any missing demo organisation."""
        self._call("POST", "/_sandbox/seed")

    def record_payment(
        self,
        invoice_id: str,
        amount: Decimal | float | str,
        date: str | None = None,
        reference: str | None = None,
    ) -> dict[str, Any]:
        """Pay an invoice as if someone entered the payment in Xero (account 090)."""
        body: dict[str, Any] = {"InvoiceID": str(invoice_id), "Amount": str(amount)}
        if date is not None:
            body["Date"] = str(date)
        if reference is not None:
            body["Reference"] = reference
        return self._call("POST", "/_sandbox/payments", json=body)["Payment"]

    def inject_faults(
        self,
        kind: str,
        count: int = 1,
        *,
        path_contains: str | None = None,
        seconds: float | None = None,
        retry_after: int | None = None,
        tenant: str | None = None,
    ) -> list[dict[str, Any]]:
        """Arm ``count`` faults of ``kind`` (429-minute, 429-day, 429-concurrent,
        429-appminute, 500, 503, timeout, drop-before, drop-after)."""
        body: dict[str, Any] = {"kind": kind, "count": count}
        for key, value in (
            ("path_contains", path_contains),
            ("seconds", seconds),
            ("retry_after", retry_after),
            ("tenant", tenant),
        ):
            if value is not None:
                body[key] = value
        return self._call("POST", "/_sandbox/faults", json=body)["armed"]

    def clear_faults(self) -> None:
        """Disarm every fault."""
        self._call("DELETE", "/_sandbox/faults")

    def set_clock(self, when: str | datetime) -> dict[str, Any]:
        """Make the sandbox clock read ``when`` (ISO string or datetime; naive is UTC)."""
        text = when.isoformat() if isinstance(when, datetime) else str(when)
        return self._call("POST", "/_sandbox/clock", json={"now": text})

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Move the sandbox clock forward by ``seconds``."""
        return self._call("POST", "/_sandbox/clock", json={"advance_seconds": seconds})

    def scale_rate_clock(self, factor: float) -> dict[str, Any]:
        """Run the rate limiter's clock ``factor`` times faster (60: a minute per second)."""
        return self._call("POST", "/_sandbox/rate-clock", json={"factor": factor})

    def set_day_limit(self, calls: int) -> dict[str, Any]:
        """Allow each organisation ``calls`` a day (Starter tier: 1,000) until the next reset."""
        return self._call("POST", "/_sandbox/limits", json={"day_limit": calls})

    def calls(self, tenant_id: str | None = None, since_id: int = 0) -> list[dict[str, Any]]:
        """The call log after ``since_id``: id, time, method, path, query, status, tenant,
        idempotency_key, duration_ms, fault."""
        params: dict[str, Any] = {"since_id": since_id}
        if tenant_id:
            params["tenant"] = tenant_id
        return self._call("GET", "/_sandbox/calls", params=params)["calls"]

    def state(self) -> dict[str, Any]:
        """The debugging summary from ``/_sandbox/state``."""
        return self._call("GET", "/_sandbox/state")

    # -- OAuth -----------------------------------------------------------------------

    def authorize_tokens(
        self,
        tenant_ids: list[str] | None = None,
        scope: str = DEFAULT_SCOPE,
        *,
        redirect_uri: str = DEFAULT_REDIRECT_URI,
        pkce: bool = True,
    ) -> dict[str, Any]:
        """Run the authorization-code flow (consent form included); return the token JSON."""
        verifier = secrets.token_urlsafe(48)
        state = secrets.token_urlsafe(12)
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
        }
        if pkce:
            digest = hashlib.sha256(verifier.encode()).digest()
            params["code_challenge"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            params["code_challenge_method"] = "S256"
        page = self._http.get("/identity/connect/authorize", params=params)
        if page.status_code != 200:
            raise SandboxError(f"authorise page: {page.status_code} {page.text[:200]}")
        form = [*params.items(), *(("tenant", t) for t in (tenant_ids or [DEMO_TENANT_ID]))]
        form.append(("action", "allow"))
        answer = self._http.post(
            "/identity/connect/authorize",
            content=urlencode(form),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        location = answer.headers.get("location", "")
        query = parse_qs(urlsplit(location).query)
        if answer.status_code not in (302, 303) or "code" not in query:
            raise SandboxError(f"consent: {answer.status_code} {location or answer.text[:200]}")
        if query.get("state") != [state]:
            raise SandboxError("consent redirect did not echo the state")
        token_form = {
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": redirect_uri,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        if pkce:
            token_form["code_verifier"] = verifier
        return self._call("POST", "/connect/token", data=token_form)


def _free_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@contextlib.contextmanager
def running_sandbox(
    db_path: str | None = None,
    port: int = 0,
    *,
    control: bool = True,
    client_id: str = CLIENT_ID,
    client_secret: str = CLIENT_SECRET,
    app_created: date | None = None,
    redirect_uris: tuple[str, ...] | None = None,
) -> Iterator[SandboxHandle]:
    """Start the sandbox on 127.0.0.1 in a background thread; stop it on exit.

    ``app_created`` and ``redirect_uris`` describe the registered app (xero_sandbox/apps.py)."""
    with contextlib.ExitStack() as stack:
        if db_path is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="xero-sandbox-"))
            db_path = str(Path(folder) / "sandbox.sqlite3")
        app = create_app(
            db_path,
            control=control,
            client_id=client_id,
            client_secret=client_secret,
            app_created=app_created,
            redirect_uris=redirect_uris,
        )
        sock = _free_socket(port)
        actual_port = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="off",
            http="h11",
            loop="asyncio",
            timeout_keep_alive=30,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="xero-sandbox", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise SandboxError("the sandbox server did not start")
            time.sleep(0.005)
        handle = SandboxHandle(
            url=f"http://127.0.0.1:{actual_port}",
            client_id=client_id,
            client_secret=client_secret,
            db_path=db_path,
            app=app,
        )
        try:
            yield handle
        finally:
            handle.close()
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()
            app.state.sandbox.store.close()
