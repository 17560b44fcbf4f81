"""The one place that uses the official `xero-python` SDK.

Callers hand in and get back plain Python (dicts in Xero's JSON shape, dataclasses);
SDK objects and SDK exceptions never leave this module. The same code talks to real
Xero or to the local sandbox: only the base URLs differ.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import urllib3
from xero_python.accounting import (
    AccountingApi,
    CreditNotes,
    Invoices,
    Quotes,
)
from xero_python.api_client import ApiClient
from xero_python.api_client.configuration import Configuration
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
from xero_python.api_client.serializer import serialize
from xero_python.exceptions import ApiException, OAuth2Error
from xero_python.identity import IdentityApi

from models import DocumentType
from services import metrics
from services.rate_limit import RateLimiter
from services.settings import Settings
from services.xero.convert import (
    DocumentState,
    ElementResult,
    credit_note_model,
    document_state,
    element_from_json,
    element_result,
    invoice_model,
    quote_model,
    to_decimal,
)
from services.xero.errors import (
    XeroAuthError,
    XeroError,
    XeroRateLimited,
    XeroRequestRejected,
    XeroScopeMissing,
    XeroTokenRejected,
    XeroUnavailable,
)

# Unit prices to 4 places: without unitdp=4 Xero rounds UnitAmount to 2 places silently, on
# writes and reads (xero-facts.md §7). Quotes keep 4 places by default and the SDK's quote
# calls take no unitdp (§10).
UNIT_DECIMAL_PLACES = 4
log = logging.getLogger("shipbridge.xero")
# Xero's largest page (xero-facts.md §17): a drift check of 1,000 changed invoices is one call.
CHANGED_PAGE_SIZE = 1000


@dataclass
class TokenSet:
    access_token: str
    refresh_token: str | None
    expires_at: float  # epoch seconds
    scope: str = ""
    id_token: str | None = None

    @classmethod
    def from_response(cls, data: dict[str, Any]) -> TokenSet:
        scope = data.get("scope") or ""
        return cls(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token"),
            expires_at=float(data.get("expires_at") or time.time() + float(data["expires_in"])),
            scope=" ".join(scope) if isinstance(scope, list | tuple) else str(scope),
            id_token=data.get("id_token"),
        )

    def as_sdk(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "expires_in": max(0, int(self.expires_at - time.time())),
            "scope": self.scope.split(),
            "token_type": "Bearer",
            "id_token": self.id_token,
        }


@dataclass
class TenantConnection:
    connection_id: str
    tenant_id: str
    tenant_name: str


@dataclass
class PaymentRecord:
    payment_id: str
    invoice_id: str
    date: date | None
    amount: Decimal
    currency_rate: Decimal | None
    reference: str | None
    status: str
    updated_at: datetime | None


@dataclass
class CallStats:
    calls: int = 0
    min_remaining: int | None = None
    day_remaining: int | None = None
    history: list[str] = field(default_factory=list)
    # Bytes Xero sent back (response bodies, error bodies included), in all and per kind.
    bytes: int = 0
    bytes_by_kind: dict[str, int] = field(default_factory=dict)


def _payment_record(p) -> PaymentRecord:
    invoice = p.invoice
    return PaymentRecord(
        payment_id=str(p.payment_id),
        invoice_id=str(invoice.invoice_id) if invoice else "",
        date=p.date,
        amount=to_decimal(p.amount) or Decimal(0),
        currency_rate=to_decimal(p.currency_rate),
        reference=p.reference,
        status=str(getattr(p.status, "value", p.status) or ""),
        updated_at=p.updated_date_utc,
    )


def new_pkce_pair() -> tuple[str, str]:
    """A PKCE (S256) code verifier and its challenge."""
    verifier = secrets.token_urlsafe(64)[:96]
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return verifier, challenge


class _RoutedToken(OAuth2Token):
    """OAuth2Token whose refresh goes to the configured identity URL, not a hard-coded one."""

    def __init__(self, *, token_url: str, **kwargs):
        super().__init__(**kwargs)
        self.token_url = token_url

    def refresh_access_token(self, api_client):
        if not self.can_refresh_access_token():
            return False
        token_api = TokenApi(api_client, self.client_id, self.client_secret)
        token_api.refresh_token_url = self.token_url
        new_token = self.fetch_access_token(token_api)
        self.update_token(**new_token)
        api_client.set_oauth2_token(new_token)
        return True


class XeroAdapter:
    """A Xero client for one app (client id) and, once connected, one token set.

    `on_token_refreshed` is called with the new TokenSet every time the SDK rotates
    the tokens, so the caller can store the new refresh token before it is needed again.
    """

    def __init__(
        self,
        settings: Settings,
        token: TokenSet | None = None,
        on_token_refreshed: Callable[[TokenSet], None] | None = None,
        limiter: RateLimiter | None = None,
        usage: Callable[..., None] | None = None,
    ):
        self.settings = settings
        self.limiter = limiter
        # Told of every response: usage(tenant_id=, kind=, size=, day_remaining=).
        self.usage = usage
        # The organisation and kind of call under way, for the response counter.
        self._calling: tuple[str, str] | None = None
        self.token = token
        self.on_token_refreshed = on_token_refreshed
        self.stats = CallStats()
        oauth_token = _RoutedToken(
            token_url=f"{settings.identity_url}/connect/token",
            client_id=settings.client_id,
            client_secret=settings.client_secret,
        )
        # The SDK's Configuration() hands back a copy of the FIRST one ever made, whatever the
        # arguments: set this adapter's own token on it, or adapters would share one.
        configuration = Configuration()
        configuration.oauth2_token = oauth_token
        self.client = ApiClient(
            configuration,
            pool_threads=1,
            oauth2_token_getter=self._get_token,
            oauth2_token_saver=self._save_token,
        )
        # We own retries: urllib3 must not silently resend a request whose answer was lost.
        # Every request the SDK makes goes through this pool, so it counts every response.
        self.client.rest_client.pool_manager = _CountingPoolManager(
            on_response=self._count_response,
            num_pools=4,
            maxsize=8,
            retries=urllib3.Retry(total=0, connect=1, redirect=0),
        )
        self.accounting = AccountingApi(self.client, base_url=f"{settings.api_url}/api.xro/2.0")
        self.identity = IdentityApi(self.client, base_url=settings.api_url)

    # --- OAuth 2.0 -----------------------------------------------------------------------

    def authorization_url(self, *, state: str, code_challenge: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.settings.client_id,
                "redirect_uri": self.settings.redirect_uri,
                "scope": self.settings.requested_scopes,
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.settings.login_url}/identity/connect/authorize?{query}"

    def exchange_code(self, *, code: str, code_verifier: str) -> TokenSet:
        """Trade the authorization code for tokens (the SDK has no helper for this grant)."""
        data = self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.settings.redirect_uri,
                "code_verifier": code_verifier,
            }
        )
        self.token = TokenSet.from_response(data)
        return self.token

    def refresh(self) -> TokenSet:
        """Rotate the tokens now."""
        self._call(self.client.refresh_oauth2_token)
        assert self.token is not None
        return self.token

    def revoke(self) -> None:
        if self.token and self.token.refresh_token:
            api = TokenApi(self.client, self.settings.client_id, self.settings.client_secret)
            api.revoke_token_url = f"{self.settings.identity_url}/connect/revocation"
            self._call(api.revoke_token, self.token.refresh_token)

    def connections(self) -> list[TenantConnection]:
        found = self._call(self.identity.get_connections)
        return [
            TenantConnection(str(c.id), str(c.tenant_id), c.tenant_name or "")
            for c in found or []
            if (c.tenant_type or "ORGANISATION") == "ORGANISATION"
        ]

    def disconnect(self, connection_id: str) -> None:
        self._call(self.identity.delete_connection, connection_id)

    # --- Reference data ------------------------------------------------------------------

    def organisation(self, tenant_id: str) -> dict[str, Any]:
        orgs = self._api(self.accounting.get_organisations, tenant_id).organisations
        return self._plain(orgs[0])

    def contacts(self, tenant_id: str, *, modified_since: datetime | None = None) -> list[dict]:
        return self._paged(
            self.accounting.get_contacts,
            "contacts",
            tenant_id,
            modified_since,
            include_archived=True,
        )

    def items(self, tenant_id: str, *, modified_since: datetime | None = None) -> list[dict]:
        return self._listed(
            self.accounting.get_items,
            "items",
            tenant_id,
            modified_since,
            unitdp=UNIT_DECIMAL_PLACES,
        )

    def accounts(self, tenant_id: str, *, modified_since: datetime | None = None) -> list[dict]:
        return self._listed(self.accounting.get_accounts, "accounts", tenant_id, modified_since)

    def tax_rates(self, tenant_id: str) -> list[dict]:
        return self._listed(self.accounting.get_tax_rates, "tax_rates", tenant_id, None)

    def currencies(self, tenant_id: str) -> list[dict]:
        return self._listed(self.accounting.get_currencies, "currencies", tenant_id, None)

    # --- Documents -----------------------------------------------------------------------

    def save_invoices(
        self, tenant_id: str, documents: list[dict], *, idempotency_key: str
    ) -> list[ElementResult]:
        """Create or update up to 50 invoices in ONE call; one result per document, in order."""
        body = Invoices(invoices=[invoice_model(d) for d in documents])
        answer = self._api_json(
            self.accounting.update_or_create_invoices,
            tenant_id,
            body,
            summarize_errors=False,
            unitdp=UNIT_DECIMAL_PLACES,
            idempotency_key=idempotency_key,
        )
        return [element_from_json(i, DocumentType.INVOICE) for i in answer.get("Invoices") or []]

    def save_quotes(
        self, tenant_id: str, documents: list[dict], *, idempotency_key: str
    ) -> list[ElementResult]:
        body = Quotes(quotes=[quote_model(d) for d in documents])
        answer = self._api_json(
            self.accounting.update_or_create_quotes,
            tenant_id,
            body,
            summarize_errors=False,
            idempotency_key=idempotency_key,
        )
        return [element_from_json(q, DocumentType.QUOTE) for q in answer.get("Quotes") or []]

    def find_invoices(self, tenant_id: str, numbers: list[str]) -> list[ElementResult]:
        """Invoices with these numbers, in one call (used to reconcile a lost answer)."""
        if not numbers:
            return []
        answer = self._api_json(
            self.accounting.get_invoices,
            tenant_id,
            invoice_numbers=numbers,
            page=1,
            unitdp=UNIT_DECIMAL_PLACES,
        )
        return [element_from_json(i, DocumentType.INVOICE) for i in answer.get("Invoices") or []]

    def invoices_by_id(self, tenant_id: str, ids: list[str]) -> list[ElementResult]:
        if not ids:
            return []
        answer = self._api(
            self.accounting.get_invoices, tenant_id, i_ds=ids, page=1, unitdp=UNIT_DECIMAL_PLACES
        )
        return [element_result(i, DocumentType.INVOICE) for i in answer.invoices or []]

    def find_quote(self, tenant_id: str, number: str) -> ElementResult | None:
        answer = self._api(self.accounting.get_quotes, tenant_id, quote_number=number)
        quotes = [q for q in answer.quotes or [] if (q.quote_number or "") == number]
        return element_result(quotes[0], DocumentType.QUOTE) if quotes else None

    def find_quotes(self, tenant_id: str, numbers: list[str]) -> list[ElementResult]:
        """Quotes with these numbers; one call each, as Xero's quotes filter takes one number."""
        found = (self.find_quote(tenant_id, n) for n in numbers)
        return [q for q in found if q is not None]

    def save_credit_notes(
        self, tenant_id: str, documents: list[dict], *, idempotency_key: str
    ) -> list[ElementResult]:
        """Create or update sales credit notes in ONE call; one result per document, in order."""
        body = CreditNotes(credit_notes=[credit_note_model(d) for d in documents])
        answer = self._api_json(
            self.accounting.update_or_create_credit_notes,
            tenant_id,
            body,
            summarize_errors=False,
            unitdp=UNIT_DECIMAL_PLACES,
            idempotency_key=idempotency_key,
        )
        notes = answer.get("CreditNotes") or []
        return [element_from_json(c, DocumentType.CREDIT_NOTE) for c in notes]

    def find_credit_notes(self, tenant_id: str, numbers: list[str]) -> list[ElementResult]:
        """Credit notes with these numbers, in one call (used to reconcile a lost answer)."""
        if not numbers:
            return []
        # Xero's filter language quotes strings with ", so a number holding one is escaped.
        where = " OR ".join('CreditNoteNumber=="{}"'.format(n.replace('"', '\\"')) for n in numbers)
        answer = self._api(
            self.accounting.get_credit_notes,
            tenant_id,
            where=where,
            page=1,
            unitdp=UNIT_DECIMAL_PLACES,
        )
        return [element_result(c, DocumentType.CREDIT_NOTE) for c in answer.credit_notes or []]

    def payments(
        self, tenant_id: str, *, modified_since: datetime | None = None
    ) -> list[PaymentRecord]:
        """Payments on sales invoices changed since `modified_since` (all pages)."""
        return [
            p for page in self.payment_pages(tenant_id, modified_since=modified_since) for p in page
        ]

    def payment_pages(
        self, tenant_id: str, *, modified_since: datetime | None = None
    ) -> Iterator[list[PaymentRecord]]:
        """The same, a page (Xero's 100) at a time: the next page is asked for only when the
        caller is done with this one, so a pull holds one page in memory."""
        page = 1
        while True:
            kwargs: dict[str, Any] = {"page": page, "where": 'PaymentType=="ACCRECPAYMENT"'}
            if modified_since:
                kwargs["if_modified_since"] = modified_since
            rows = self._api(self.accounting.get_payments, tenant_id, **kwargs).payments or []
            yield [_payment_record(p) for p in rows]
            if len(rows) < 100:
                return
            page += 1

    def quotes_changed(
        self, tenant_id: str, *, modified_since: datetime | None = None
    ) -> list[ElementResult]:
        kwargs = {"if_modified_since": modified_since} if modified_since else {}
        answer = self._api(self.accounting.get_quotes, tenant_id, **kwargs)
        return [element_result(q, DocumentType.QUOTE) for q in answer.quotes or []]

    def documents_changed(
        self, tenant_id: str, kind: DocumentType, *, modified_since: datetime | None = None
    ) -> list[DocumentState]:
        """Sales documents of one kind created or changed since `modified_since` (every one
        when None), with their lines, in whatever status (voided and deleted included).

        Paged, as Xero lists line items only on a paged read (xero-facts.md §17), and
        1,000 a page where the call takes a page size, so an organisation where nothing
        changed costs one call per kind. Not `summaryOnly`: it drops the lines counted here."""
        if kind == DocumentType.INVOICE:
            method, attr = self.accounting.get_invoices, "invoices"
            extra: dict[str, Any] = dict(
                page_size=CHANGED_PAGE_SIZE, unitdp=UNIT_DECIMAL_PLACES, where='Type=="ACCREC"'
            )
        elif kind == DocumentType.CREDIT_NOTE:
            method, attr = self.accounting.get_credit_notes, "credit_notes"
            extra = dict(
                page_size=CHANGED_PAGE_SIZE,
                unitdp=UNIT_DECIMAL_PLACES,
                where='Type=="ACCRECCREDIT"',
            )
        else:
            method, attr, extra = self.accounting.get_quotes, "quotes", {}
        pages = self._pages(method, attr, tenant_id, modified_since, **extra)
        return [document_state(row, kind) for row in pages]

    # --- Plumbing ------------------------------------------------------------------------

    def _listed(self, method, attr, tenant_id, modified_since, **extra) -> list[dict]:
        kwargs = dict(extra, if_modified_since=modified_since) if modified_since else extra
        answer = self._api(method, tenant_id, **kwargs)
        return [self._plain(x) for x in getattr(answer, attr) or []]

    def _paged(self, method, attr, tenant_id, modified_since, **extra) -> list[dict]:
        return [
            self._plain(x) for x in self._pages(method, attr, tenant_id, modified_since, **extra)
        ]

    def _pages(self, method, attr, tenant_id, modified_since, **extra) -> Iterator[Any]:
        """Every record of every page, as SDK models; stops on a short page (Xero pages hold
        100 unless the call asks for a `page_size`)."""
        page = 1
        while True:
            kwargs = dict(extra, page=page)
            if modified_since:
                kwargs["if_modified_since"] = modified_since
            rows = getattr(self._api(method, tenant_id, **kwargs), attr) or []
            yield from rows
            if len(rows) < extra.get("page_size", 100):
                return
            page += 1

    def _plain(self, model) -> dict[str, Any]:
        return serialize(model)

    def _get_token(self) -> dict[str, Any]:
        if self.token is None:
            raise XeroAuthError("Shipbridge is not connected to Xero: connect an organisation.")
        return self.token.as_sdk()

    def _save_token(self, data: dict[str, Any]) -> None:
        self.token = TokenSet.from_response(data)
        if self.on_token_refreshed:
            self.on_token_refreshed(self.token)

    def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        form = dict(
            form, client_id=self.settings.client_id, client_secret=self.settings.client_secret
        )
        response, status, _headers = self._call(
            self.client.call_api,
            f"{self.settings.identity_url}/connect/token",
            "POST",
            header_params={
                "Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            post_params=list(form.items()),
            auth_settings=None,
            _preload_content=False,
        )
        body = json.loads(response.data.decode() or "{}")
        if status != 200:
            raise XeroAuthError(
                f"Xero refused the sign-in ({body.get('error', status)}): "
                "start the connection again."
            )
        return body

    def _api(self, method, tenant_id: str, *args, **kwargs):
        """One Accounting API call for an organisation, inside its rate limit.

        A 401 gets one token refresh and one retry: Xero may expire a token early."""
        try:
            return self._api_once(method, tenant_id, *args, **kwargs)
        except XeroScopeMissing as error:
            raise XeroScopeMissing(_scope_needed(method)) from error
        except XeroTokenRejected:
            if not (self.token and self.token.refresh_token):
                raise
            self.refresh()
            return self._api_once(method, tenant_id, *args, **kwargs)

    def _api_json(self, method, tenant_id: str, *args, **kwargs) -> dict[str, Any]:
        """`_api`, answering Xero's JSON as received: the SDK is asked not to build its
        models (`_preload_content=False`), so a send's answer is parsed once, not built into
        models and serialised back for the log."""
        response = self._api(method, tenant_id, *args, _preload_content=False, **kwargs)
        return json.loads(response.data or b"{}")

    def _api_once(self, method, tenant_id: str, *args, **kwargs):
        kwargs["_return_http_data_only"] = False
        self._calling = (tenant_id, kind_of_call(method))
        try:
            return self._api_counted(method, tenant_id, *args, **kwargs)
        finally:
            self._calling = None

    def _api_counted(self, method, tenant_id: str, *args, **kwargs):
        if self.limiter is None:
            data, _status, headers = self._call(method, tenant_id, *args, **kwargs)
        else:
            with self.limiter.slot(tenant_id):
                try:
                    data, _status, headers = self._call(method, tenant_id, *args, **kwargs)
                except XeroRateLimited as error:
                    self.limiter.block(tenant_id, error.retry_after, error.problem or "429")
                    raise
        remaining = (headers or {}).get("X-MinLimit-Remaining")
        if remaining is not None:
            self.stats.min_remaining = int(remaining)
        day = (headers or {}).get("X-DayLimit-Remaining")
        if day is not None:
            self.stats.day_remaining = int(day)
            metrics.XERO_CALLS_LEFT_TODAY.labels(organisation=tenant_id).set(int(day))
        if self.limiter is not None:
            # None left: every process holds off before Xero has to answer 429.
            self.limiter.heard(
                tenant_id,
                minute_left=None if remaining is None else int(remaining),
                day_left=None if day is None else int(day),
            )
        return data

    def _count_response(self, url: str, response: urllib3.BaseHTTPResponse) -> None:
        """Count one response's body (what Xero bills as egress) for its organisation and kind
        of call; identity calls (tokens, connections) belong to no organisation."""
        size = len(response.data or b"")
        if "/api.xro/" in url and self._calling is not None:
            tenant_id, kind = self._calling
        else:
            tenant_id, kind = "", "identity"
        self.stats.bytes += size
        self.stats.bytes_by_kind[kind] = self.stats.bytes_by_kind.get(kind, 0) + size
        if self.usage is None:
            return
        day = response.headers.get("X-DayLimit-Remaining")
        try:
            self.usage(
                tenant_id=tenant_id,
                kind=kind,
                size=size,
                day_remaining=int(day) if day and day.isdigit() else None,
            )
        except Exception:  # noqa: BLE001 - a lost count must not lose Xero's answer to a send
            log.exception("Xero usage not recorded (%s, %s bytes)", kind, size)

    def _call(self, method, *args, **kwargs):
        """Run one SDK call, count it, and turn SDK failures into Shipbridge's errors."""
        self.stats.calls += 1
        # The SDK honours only an int or a (connect, read) tuple, never a float.
        kwargs.setdefault("_request_timeout", (5.0, float(self.settings.xero_timeout)))
        if getattr(method, "__name__", "") in {"refresh_oauth2_token", "revoke_token"}:
            kwargs.pop("_request_timeout")
        # For the metrics: what Xero answered; None when no request left (no token).
        status: int | str | None = "no answer"
        problem = None
        try:
            answer = method(*args, **kwargs)
            # (data, status, headers) when asked for; otherwise the SDK hides the code.
            status = answer[1] if isinstance(answer, tuple) and len(answer) == 3 else "2xx"
            return answer
        except ApiException as error:
            translated = _translate(error)
            status, problem = error.status or 0, getattr(translated, "problem", None)
            raise translated from error
        except OAuth2Error as error:
            status = None
            raise XeroAuthError(
                "Xero sign-in has expired: reconnect the organisation on the Connect page."
            ) from error
        except XeroError:
            status = None
            raise
        except Exception as error:
            text = str(error)
            if "invalid_grant" in text or "refresh token status" in text:
                raise XeroAuthError(
                    "Xero no longer accepts this connection's sign-in (invalid_grant): "
                    "reconnect the organisation on the Connect page."
                ) from error
            if isinstance(error, urllib3.exceptions.HTTPError | socket.timeout | OSError):
                lost = (
                    isinstance(
                        error,
                        urllib3.exceptions.ProtocolError
                        | urllib3.exceptions.ReadTimeoutError
                        | socket.timeout,
                    )
                    or "Read timed out" in text
                    or "RemoteDisconnected" in text
                )
                raise XeroUnavailable(
                    "Xero could not be reached "
                    + ("(the answer was lost)" if lost else "(no connection)")
                    + "; the send will be retried.",
                    maybe_applied=lost,
                ) from error
            raise
        finally:
            if status is not None:
                metrics.xero_call_finished(status=status, rate_limit_problem=problem)


class _CountingPoolManager(urllib3.PoolManager):
    """urllib3's pool manager, telling `on_response` of every response it gets (the body is
    read here, and kept for the SDK, also when the SDK asked not to preload it)."""

    def __init__(self, *, on_response: Callable[[str, urllib3.BaseHTTPResponse], None], **kw):
        super().__init__(**kw)
        self.on_response = on_response

    def urlopen(self, method, url, redirect=True, **kw):  # type: ignore[override]
        response = super().urlopen(method, url, redirect=redirect, **kw)
        self.on_response(url, response)
        return response


def kind_of_call(method) -> str:
    """The kind of an Accounting API call, as usage is counted: "invoices.read" for
    get_invoices, "invoices.save" for update_or_create_invoices, and so on."""
    name = getattr(method, "__name__", "") or "call"
    for prefix, verb in (
        ("get_", "read"),
        ("update_or_create_", "save"),
        ("create_", "save"),
        ("update_", "save"),
        ("delete_", "save"),
    ):
        if name.startswith(prefix):
            return f"{name.removeprefix(prefix)}.{verb}"
    return name


def _translate(error: ApiException) -> XeroError:
    status = error.status or 0
    headers = {k.lower(): v for k, v in (error.headers or {}).items()}
    if status == 429:
        return XeroRateLimited(
            headers.get("x-rate-limit-problem"), float(headers.get("retry-after") or 60)
        )
    body = error.body.decode() if isinstance(error.body, bytes) else str(error.body or "")
    # Xero answers a call outside the granted scopes with 401 "AuthorizationUnsuccessful" and
    # WWW-Authenticate ... insufficient_scope (xero-facts.md §12); a refresh cannot cure it.
    if status == 401 and (
        "insufficient_scope" in headers.get("www-authenticate", "")
        or "AuthorizationUnsuccessful" in body
    ):
        return XeroScopeMissing()
    if status == 401:
        return XeroTokenRejected(
            "Xero refused the sign-in token (HTTP 401): reconnect the organisation on the "
            "Connect page."
        )
    if status == 403:
        return XeroAuthError(
            "Xero refused access to this organisation "
            f"(HTTP {status}): reconnect it on the Connect page."
        )
    if status >= 500 or status == 408:
        return XeroUnavailable(f"Xero is unavailable (HTTP {status}); the send will be retried.")
    if "invalid_grant" in body or "invalid_client" in body:
        return XeroAuthError(
            "Xero no longer accepts this connection's sign-in (invalid_grant): "
            "reconnect the organisation on the Connect page."
        )
    return XeroRequestRejected(f"Xero refused the request (HTTP {status}): {body[:500]}")


def _scope_needed(method) -> str:
    """The narrowest scope that covers an SDK call (xero-facts.md §14's table)."""
    name = getattr(method, "__name__", "")
    if any(kind in name for kind in ("invoice", "quote", "credit_note", "allocation")):
        return "accounting.invoices"
    if "payment" in name:
        return "accounting.payments.read"
    if "contact" in name:
        return "accounting.contacts.read"
    return "accounting.settings.read"
