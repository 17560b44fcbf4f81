"""OAuth 2.0 grants, tokens and connections, with Xero's lifetimes and rotation rules.

* authorisation codes: single use, 5 minutes;
* access tokens: 30 minutes, JWT-shaped strings (opaque to clients);
* refresh tokens: only with ``offline_access``; single use and rotating; a used
  one still works for 30 minutes and returns the same new pair as its first use;
  an unused one expires after 60 days;
* revoking a refresh token ends its grant and removes that grant's connections.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from xero_sandbox.clock import SandboxClock
from xero_sandbox.seed import DEMO_TENANT_ID
from xero_sandbox.store import Store

ACCESS_TOKEN_SECONDS = 1800
CODE_SECONDS = 300
REFRESH_GRACE_SECONDS = 1800
REFRESH_LIFETIME_SECONDS = 60 * 24 * 3600

SANDBOX_USER = {
    "xero_userid": "5e2a7d0c-9a51-4f1b-8c43-2b6f0d9e7a10",
    "email": "admin@shipbridge.example",
    "given_name": "Sandbox",
    "family_name": "Admin",
}


class OAuthError(Exception):
    """A token-endpoint failure, reported as ``{"error": code}`` with HTTP 400."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class AccessDenied(Exception):
    """An API call whose bearer token is missing, expired or revoked (HTTP 401)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class Access:
    """What a valid access token may do."""

    client_id: str
    grant_id: str
    scopes: frozenset[str]
    kind: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge for a PKCE verifier."""
    return _b64(hashlib.sha256(verifier.encode()).digest())


class TokenService:
    """Issues and checks codes, tokens and connections for the sandbox's one OAuth client."""

    def __init__(
        self, store: Store, clock: SandboxClock, *, client_id: str, client_secret: str, issuer: str
    ) -> None:
        self.store = store
        self.clock = clock
        self.client_id = client_id
        self.client_secret = client_secret
        self.issuer = issuer
        self._signing_key = hashlib.sha256(f"sandbox:{client_secret}".encode()).digest()

    # -- client authentication -------------------------------------------------

    def authenticate_client(self, form: dict[str, str], authorization: str | None) -> str:
        """Check HTTP Basic or body credentials; return the client ID or raise invalid_client."""
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:].strip()).decode()
                client_id, _, client_secret = decoded.partition(":")
            except (ValueError, UnicodeDecodeError) as exc:
                raise OAuthError("invalid_client") from exc
        if client_id != self.client_id or not client_secret:
            raise OAuthError("invalid_client")
        if not hmac.compare_digest(client_secret, self.client_secret):
            raise OAuthError("invalid_client")
        return client_id

    # -- authorisation ----------------------------------------------------------

    def authorise(
        self,
        *,
        client_id: str,
        redirect_uri: str,
        scope: str,
        tenant_ids: list[str],
        code_challenge: str | None,
        code_challenge_method: str | None,
        nonce: str | None,
    ) -> str:
        """Record the user's consent: a new grant, its connections, and a code."""
        now = self.clock.timestamp()
        grant_id = str(uuid.uuid4())
        auth_event_id = str(uuid.uuid4())
        code = secrets.token_urlsafe(32)
        with self.store.transaction():
            self.store.execute(
                "INSERT INTO grants (id, client_id, scope, auth_event_id, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (grant_id, client_id, scope, auth_event_id, now),
            )
            for tenant_id in tenant_ids:
                self._connect(client_id, tenant_id, grant_id, auth_event_id, now)
            self.store.execute(
                "INSERT INTO auth_codes (code, client_id, grant_id, redirect_uri, scope, "
                "tenant_ids, code_challenge, code_challenge_method, nonce, created_at, used) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                (
                    code,
                    client_id,
                    grant_id,
                    redirect_uri,
                    scope,
                    json.dumps(tenant_ids),
                    code_challenge,
                    code_challenge_method,
                    nonce,
                    now,
                ),
            )
        return code

    def _connect(
        self, client_id: str, tenant_id: str, grant_id: str, auth_event_id: str, now: float
    ) -> None:
        row = self.store.execute(
            "SELECT id FROM connections WHERE client_id = ? AND tenant_id = ?",
            (client_id, tenant_id),
        ).fetchone()
        if row:
            self.store.execute(
                "UPDATE connections SET grant_id = ?, auth_event_id = ?, updated_at = ? "
                "WHERE id = ?",
                (grant_id, auth_event_id, now, row["id"]),
            )
        else:
            self.store.execute(
                "INSERT INTO connections (id, client_id, tenant_id, grant_id, auth_event_id, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (str(uuid.uuid4()), client_id, tenant_id, grant_id, auth_event_id, now, now),
            )

    # -- token endpoint -----------------------------------------------------------

    def exchange_code(self, client_id: str, form: dict[str, str]) -> dict[str, Any]:
        """The authorization_code grant: check code, redirect URI and PKCE verifier."""
        now = self.clock.timestamp()
        with self.store.transaction():
            row = self.store.execute(
                "SELECT * FROM auth_codes WHERE code = ?", (form.get("code", ""),)
            ).fetchone()
            if row is None or row["used"] or row["client_id"] != client_id:
                raise OAuthError("invalid_grant")
            self.store.execute("UPDATE auth_codes SET used = 1 WHERE code = ?", (row["code"],))
            if now - row["created_at"] > CODE_SECONDS:
                raise OAuthError("invalid_grant")
            if form.get("redirect_uri") != row["redirect_uri"]:
                raise OAuthError("invalid_grant")
            if row["code_challenge"]:
                verifier = form.get("code_verifier") or ""
                if not hmac.compare_digest(pkce_challenge(verifier), row["code_challenge"]):
                    raise OAuthError("invalid_grant")
            return self._issue(
                row["grant_id"], client_id, row["scope"], nonce=row["nonce"], now=now
            )

    def refresh(self, client_id: str, form: dict[str, str]) -> dict[str, Any]:
        """The refresh_token grant, with rotation and Xero's 30-minute reuse grace."""
        now = self.clock.timestamp()
        with self.store.transaction():
            row = self.store.execute(
                "SELECT r.*, g.client_id, g.scope, g.revoked FROM refresh_tokens r "
                "JOIN grants g ON g.id = r.grant_id WHERE r.token = ?",
                (form.get("refresh_token", ""),),
            ).fetchone()
            if row is None or row["revoked"] or row["client_id"] != client_id:
                raise OAuthError("invalid_grant")
            if row["used_at"] is not None:
                if now - row["used_at"] > REFRESH_GRACE_SECONDS:
                    raise OAuthError("invalid_grant")
                return self._replayed(json.loads(row["replacement"]), now)
            if now - row["created_at"] > REFRESH_LIFETIME_SECONDS:
                raise OAuthError("invalid_grant")
            issued = self._issue(row["grant_id"], client_id, row["scope"], nonce=None, now=now)
            self.store.execute(
                "UPDATE refresh_tokens SET used_at = ?, replacement = ? WHERE token = ?",
                (now, json.dumps({**issued, "issued_at": now}), row["token"]),
            )
            return issued

    def _replayed(self, stored: dict[str, Any], now: float) -> dict[str, Any]:
        issued_at = stored.pop("issued_at")
        stored["expires_in"] = max(0, int(issued_at + ACCESS_TOKEN_SECONDS - now))
        return stored

    def client_credentials(self, client_id: str, form: dict[str, str]) -> dict[str, Any]:
        """The client_credentials grant (Xero custom connections): one organisation, no refresh."""
        now = self.clock.timestamp()
        # xero-facts.md §14 (xero-prompt-library): custom connections get granular scopes
        # since 29 April 2026.
        scope = form.get("scope") or (
            "accounting.invoices accounting.payments accounting.settings accounting.contacts"
        )
        grant_id = str(uuid.uuid4())
        with self.store.transaction():
            self.store.execute(
                "INSERT INTO grants (id, client_id, scope, auth_event_id, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (grant_id, client_id, "client_credentials " + scope, str(uuid.uuid4()), now),
            )
            self._connect(client_id, DEMO_TENANT_ID, grant_id, grant_id, now)
            token = self._access_token(grant_id, client_id, scope.split(), now)
        return {
            "access_token": token,
            "expires_in": ACCESS_TOKEN_SECONDS,
            "token_type": "Bearer",
            "scope": scope,
        }

    def _issue(
        self, grant_id: str, client_id: str, scope: str, *, nonce: str | None, now: float
    ) -> dict[str, Any]:
        scopes = scope.split()
        body: dict[str, Any] = {}
        if "openid" in scopes:
            body["id_token"] = self._id_token(client_id, nonce, now)
        body["access_token"] = self._access_token(grant_id, client_id, scopes, now)
        body["expires_in"] = ACCESS_TOKEN_SECONDS
        body["token_type"] = "Bearer"
        if "offline_access" in scopes:
            refresh_token = secrets.token_hex(32)
            self.store.execute(
                "INSERT INTO refresh_tokens (token, grant_id, created_at) VALUES (?, ?, ?)",
                (refresh_token, grant_id, now),
            )
            body["refresh_token"] = refresh_token
        body["scope"] = scope
        return body

    def _jwt(self, claims: dict[str, Any]) -> str:
        header = _b64(json.dumps({"alg": "RS256", "kid": "sandbox", "typ": "JWT"}).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self._signing_key, f"{header}.{payload}".encode(), "sha256")
        return f"{header}.{payload}.{_b64(signature.digest())}"

    def _access_token(self, grant_id: str, client_id: str, scopes: list[str], now: float) -> str:
        expires = now + ACCESS_TOKEN_SECONDS
        token = self._jwt(
            {
                "nbf": int(now),
                "exp": int(expires),
                "iss": self.issuer,
                "aud": f"{self.issuer}/resources",
                "client_id": client_id,
                "sub": SANDBOX_USER["xero_userid"],
                "xero_userid": SANDBOX_USER["xero_userid"],
                "authentication_event_id": grant_id,
                "jti": uuid.uuid4().hex,
                "scope": scopes,
            }
        )
        self.store.execute(
            "INSERT INTO access_tokens (token, grant_id, expires_at) VALUES (?, ?, ?)",
            (token, grant_id, expires),
        )
        return token

    def _id_token(self, client_id: str, nonce: str | None, now: float) -> str:
        claims = {
            "nbf": int(now),
            "exp": int(now + 300),
            "iss": self.issuer,
            "aud": client_id,
            "iat": int(now),
            "sub": SANDBOX_USER["xero_userid"],
            "preferred_username": SANDBOX_USER["email"],
            "name": f"{SANDBOX_USER['given_name']} {SANDBOX_USER['family_name']}",
            **SANDBOX_USER,
        }
        if nonce:
            claims["nonce"] = nonce
        return self._jwt(claims)

    # -- revocation, access checks, connections -------------------------------------

    def revoke(self, client_id: str, token: str) -> None:
        """Revoke the grant behind a refresh token and remove that grant's connections."""
        with self.store.transaction():
            row = self.store.execute(
                "SELECT r.grant_id FROM refresh_tokens r JOIN grants g ON g.id = r.grant_id "
                "WHERE r.token = ? AND g.client_id = ?",
                (token, client_id),
            ).fetchone()
            if row is None:
                return  # RFC 7009: unknown tokens are not an error
            self.store.execute("UPDATE grants SET revoked = 1 WHERE id = ?", (row["grant_id"],))
            self.store.execute("DELETE FROM connections WHERE grant_id = ?", (row["grant_id"],))

    def check_access(self, authorization: str | None) -> Access:
        """Validate a bearer token; raise :class:`AccessDenied` with Xero's Detail text."""
        # xero-facts.md §12: a bad token's Detail is "AuthenticationUnsuccessful"
        # (gist.github.com/dobesv/5b422c3deb749449df621a014ea35cfe, xero-php-oauth2#138).
        if not authorization or not authorization.lower().startswith("bearer "):
            raise AccessDenied("AuthenticationUnsuccessful")
        token = authorization[7:].strip()
        row = self.store.execute(
            "SELECT a.expires_at, g.* FROM access_tokens a JOIN grants g ON g.id = a.grant_id "
            "WHERE a.token = ?",
            (token,),
        ).fetchone()
        if row is None or row["revoked"]:
            raise AccessDenied("AuthenticationUnsuccessful")
        if row["expires_at"] <= self.clock.timestamp():
            expired = datetime.fromtimestamp(row["expires_at"], tz=UTC)
            # xero-facts.md §12 (freakboy3742/pyxero PR#337; xero-node#370): "TokenExpired:
            # token expired at 04/09/2023 05:16:59". Sandbox guess: month before day, UTC.
            raise AccessDenied(f"TokenExpired: token expired at {expired:%m/%d/%Y %H:%M:%S}")
        scope = row["scope"]
        kind = "authorization_code"
        if scope.startswith("client_credentials "):
            kind, scope = "client_credentials", scope.split(" ", 1)[1]
        return Access(row["client_id"], row["id"], frozenset(scope.split()), kind)

    def connected_tenant_ids(self, client_id: str) -> list[str]:
        """Tenants the client is connected to, oldest connection first."""
        rows = self.store.execute(
            "SELECT tenant_id FROM connections WHERE client_id = ? ORDER BY created_at",
            (client_id,),
        ).fetchall()
        return [row["tenant_id"] for row in rows]

    def connections(self, client_id: str, auth_event_id: str | None = None) -> list[dict]:
        """Connection rows for the client, optionally for one authorisation event."""
        sql = "SELECT * FROM connections WHERE client_id = ?"
        params: tuple = (client_id,)
        if auth_event_id:
            sql += " AND auth_event_id = ?"
            params += (auth_event_id.lower(),)
        rows = self.store.execute(sql + " ORDER BY created_at", params).fetchall()
        return [dict(row) for row in rows]

    def delete_connection(self, client_id: str, connection_id: str) -> bool:
        """Disconnect one tenant; False when there is no such connection."""
        with self.store.transaction():
            deleted = self.store.execute(
                "DELETE FROM connections WHERE id = ? AND client_id = ?",
                (connection_id.lower(), client_id),
            ).rowcount
        return bool(deleted)
