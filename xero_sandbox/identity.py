"""Xero's identity service: authorise (consent page), token, revocation and Connections."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from xero_sandbox import html
from xero_sandbox.formats import naive_utc_string
from xero_sandbox.responses import json_response, not_found, unauthorized
from xero_sandbox.state import sandbox_of
from xero_sandbox.tokens import AccessDenied, OAuthError

router = APIRouter()

AUTHORIZE_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
)
KNOWN_SCOPES = set(html.SCOPE_WORDS) | {
    "accounting.banktransactions",
    "accounting.banktransactions.read",
    "accounting.manualjournals",
    "accounting.manualjournals.read",
    "accounting.budgets.read",
    "files",
    "files.read",
    "assets",
    "assets.read",
    "projects",
    "projects.read",
    "marketplace.billing",
    # xero-facts.md §14: the granular report scopes that replaced accounting.reports.read
    # (they exist only as .read).
    *(
        f"accounting.reports.{report}.read"
        for report in (
            "aged",
            "balancesheet",
            "banksummary",
            "budgetsummary",
            "executivesummary",
            "profitandloss",
            "trialbalance",
            "taxreports",
        )
    ),
}
KNOWN_SCOPE_PREFIXES = ("payroll.", "paymentservices", "bankfeeds", "finance.", "app.")


def _scope_is_known(scope: str) -> bool:
    return scope in KNOWN_SCOPES or scope.startswith(KNOWN_SCOPE_PREFIXES)


def _needs_organisation(scope: str) -> bool:
    return any(not s.startswith(("openid", "profile", "email", "offline")) for s in scope.split())


# The error lines Xero's authorise page shows (xero-facts.md §12: login.xero.com error page,
# "Error: unauthorized_client : Invalid redirect_uri" in xero-netstandard-oauth2-samples#5,
# xero-node-oauth2-app#58, xero-python-oauth2-starter#13; "Invalid scope for client" in
# xero-python-oauth2-app#14; "Unknown client or client not enabled" in xero-python#110).
UNKNOWN_CLIENT = "Error: unauthorized_client : Unknown client or client not enabled"
INVALID_REDIRECT_URI = "Error: unauthorized_client : Invalid redirect_uri"
INVALID_SCOPE = "Error: unauthorized_client : Invalid scope for client"
# xero-facts.md §12/§14: an app created on or after 2 March 2026 asking for a broad scope is
# refused with invalid_scope (help.apideck.com/en/articles/8647746, confidence 1). Sandbox
# guess: the page's exact line for this case; it pairs Xero's error code with the wording of
# the confirmed "Invalid scope for client" line.
BROAD_SCOPE_REFUSED = "Error: invalid_scope : Invalid scope for client"


def _check_authorize_params(request: Request, params: dict[str, str]) -> str | None:
    """Return the error line for bad authorise parameters, or None."""
    app = sandbox_of(request).app
    if params.get("client_id") != app.client_id:
        return UNKNOWN_CLIENT
    # Before anything else that could end in a redirect: only a registered URI, exactly.
    if not app.redirect_registered(params.get("redirect_uri", "")):
        return INVALID_REDIRECT_URI
    if params.get("response_type") != "code":
        # Sandbox guess: wording not found in xero-facts.md.
        return "Error: unsupported_response_type : response_type must be 'code'"
    scopes = params.get("scope", "").split()
    if not scopes or any(not _scope_is_known(s) for s in scopes):
        return INVALID_SCOPE
    if app.refused_scopes(scopes):
        return BROAD_SCOPE_REFUSED
    method = params.get("code_challenge_method")
    if params.get("code_challenge") and method not in (None, "", "S256"):
        # Sandbox guess: wording not found in xero-facts.md.
        return "Error: invalid_request : code_challenge_method must be S256"
    if method and not params.get("code_challenge"):
        # Sandbox guess: wording not found in xero-facts.md.
        return "Error: invalid_request : code_challenge is required with code_challenge_method"
    return None


def _organisations(request: Request) -> list[tuple[str, str]]:
    return [(o["OrganisationID"], o["Name"]) for o in sandbox_of(request).store.organisations()]


@router.get("/identity/connect/authorize")
def authorize_page(request: Request) -> Response:
    """Show the consent page, or an error page for a bad request (never a redirect)."""
    params = {k: v for k, v in request.query_params.items() if k in AUTHORIZE_FIELDS}
    error = _check_authorize_params(request, params)
    if error:
        # Sandbox guess: the status. Xero sends the browser to its own error page
        # (login.xero.com/identity/error?errorId=…, xero-facts.md §12), which reads
        # "Error code: 500"; the sandbox shows that page in place, never leaving its host.
        return HTMLResponse(html.error_page(error), status_code=400)
    return HTMLResponse(html.consent_page(params, _organisations(request)))


@router.post("/identity/connect/authorize")
async def authorize_submit(request: Request) -> Response:
    """Handle the consent form: redirect with a code, or with error=access_denied."""
    pairs = parse_qsl((await request.body()).decode(), keep_blank_values=True)
    params = {k: v for k, v in pairs if k in AUTHORIZE_FIELDS}
    tenant_ids = [v.lower() for k, v in pairs if k == "tenant"]
    action = next((v for k, v in pairs if k == "action"), "allow")
    error = _check_authorize_params(request, params)
    if error:
        return HTMLResponse(html.error_page(error), status_code=400)
    redirect_uri = params["redirect_uri"]
    joiner = "&" if "?" in redirect_uri else "?"
    state = {"state": params["state"]} if "state" in params else {}
    if action == "cancel":
        query = urlencode({"error": "access_denied", **state})
        return RedirectResponse(f"{redirect_uri}{joiner}{query}", status_code=302)
    known = {tenant_id for tenant_id, _ in _organisations(request)}
    tenant_ids = [t for t in dict.fromkeys(tenant_ids) if t in known]
    if _needs_organisation(params["scope"]) and not tenant_ids:
        page = html.consent_page(
            params, _organisations(request), "Select at least one organisation to connect."
        )
        return HTMLResponse(page, status_code=400)
    code = _authorise(request, params, tenant_ids)
    query = urlencode({"code": code, "scope": params["scope"], **state, "session_state": "sb"})
    return RedirectResponse(f"{redirect_uri}{joiner}{query}", status_code=302)


def _authorise(request: Request, params: dict[str, str], tenant_ids: list[str]) -> str:
    return sandbox_of(request).tokens.authorise(
        client_id=params["client_id"],
        redirect_uri=params["redirect_uri"],
        scope=params["scope"],
        tenant_ids=tenant_ids,
        code_challenge=params.get("code_challenge") or None,
        code_challenge_method=params.get("code_challenge_method") or None,
        nonce=params.get("nonce") or None,
    )


def _oauth_error(code: str) -> Response:
    return json_response({"error": code}, 400, headers={"Cache-Control": "no-store"})


async def _authenticated_form(request: Request) -> tuple[str, dict[str, str]]:
    """The form-encoded body and the client it authenticates (raises invalid_client)."""
    form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
    tokens = sandbox_of(request).tokens
    return tokens.authenticate_client(form, request.headers.get("authorization")), form


@router.post("/connect/token")
async def token(request: Request) -> Response:
    """The token endpoint: authorization_code, refresh_token and client_credentials grants."""
    tokens = sandbox_of(request).tokens
    try:
        client_id, form = await _authenticated_form(request)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            body = tokens.exchange_code(client_id, form)
        elif grant_type == "refresh_token":
            body = tokens.refresh(client_id, form)
        elif grant_type == "client_credentials":
            body = tokens.client_credentials(client_id, form)
        else:
            raise OAuthError("unsupported_grant_type")
    except OAuthError as exc:
        return _oauth_error(exc.code)
    return json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


@router.post("/connect/revocation")
async def revocation(request: Request) -> Response:
    """Revoke a refresh token: its grant ends and its connections are removed."""
    try:
        client_id, form = await _authenticated_form(request)
    except OAuthError as exc:
        return _oauth_error(exc.code)
    if not form.get("token"):
        return _oauth_error("invalid_request")
    sandbox_of(request).tokens.revoke(client_id, form["token"])
    return Response(status_code=200)


def _connection_json(request: Request, row: dict) -> dict:
    organisation = sandbox_of(request).store.organisation(row["tenant_id"]) or {}
    created = datetime.fromtimestamp(row["created_at"], tz=UTC)
    updated = datetime.fromtimestamp(row["updated_at"], tz=UTC)
    return {
        "id": row["id"],
        "authEventId": row["auth_event_id"],
        "tenantId": row["tenant_id"],
        "tenantType": "ORGANISATION",
        "tenantName": organisation.get("Name"),
        "createdDateUtc": naive_utc_string(created),
        "updatedDateUtc": naive_utc_string(updated),
    }


@router.get("/Connections")
@router.get("/connections", include_in_schema=False)
def list_connections(request: Request) -> Response:
    """GET /Connections: the organisations this app is connected to."""
    sandbox = sandbox_of(request)
    try:
        access = sandbox.tokens.check_access(request.headers.get("authorization"))
    except AccessDenied as exc:
        return unauthorized(exc.detail)
    rows = sandbox.tokens.connections(access.client_id, request.query_params.get("authEventId"))
    return json_response([_connection_json(request, row) for row in rows])


@router.delete("/Connections/{connection_id}")
@router.delete("/connections/{connection_id}", include_in_schema=False)
def delete_connection(request: Request, connection_id: str) -> Response:
    """DELETE /Connections/{id}: disconnect one organisation (204, or 404)."""
    sandbox = sandbox_of(request)
    try:
        access = sandbox.tokens.check_access(request.headers.get("authorization"))
    except AccessDenied as exc:
        return unauthorized(exc.detail)
    if not sandbox.tokens.delete_connection(access.client_id, connection_id):
        return not_found()
    return Response(status_code=204)
