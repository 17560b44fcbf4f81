"""The registered app as Xero's identity service enforces it: granular scopes for apps created
on or after 2 March 2026, a token's scopes checked on every call, exactly registered redirect
URIs, no open redirect, and Xero's own words for each auth failure.

Sources: ../shared/xero-facts.md §12 (auth) and §14 (2026 platform changes), each naming the
original page or issue beside the assertion that relies on it."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

import httpx
import pytest

from tests.xero_sandbox.conftest import TENANT
from tests.xero_sandbox.test_identity import authorise_params as identity_params
from xero_sandbox.seed import AU_TENANT_ID
from xero_sandbox.testing import DEFAULT_REDIRECT_URI, running_sandbox

API = "/api.xro/2.0/"
# What Shipbridge asks for by default (services/settings.py XERO_SCOPES).
GRANULAR = (
    "openid profile email offline_access accounting.invoices accounting.payments.read "
    "accounting.contacts.read accounting.settings.read"
)
# xero-facts.md §12: login.xero.com's error page (xero-netstandard-oauth2-samples#5,
# xero-node-oauth2-app#58, xero-python-oauth2-starter#13).
ERROR_PAGE_LINES = (
    "Sorry, something went wrong",
    "Go back and try again.",
    "If the issue continues, check out our Status Page.",
    "Error code: 500",
)


def authorise_params(sandbox, **overrides) -> dict[str, str]:
    return identity_params(sandbox, **({"scope": GRANULAR} | overrides))


def consent(sandbox, params: dict[str, str], action: str = "allow") -> httpx.Response:
    return httpx.post(
        sandbox.url + "/identity/connect/authorize",
        data=params | {"tenant": TENANT, "action": action},
        follow_redirects=False,
    )


def call(sandbox, token: str, method: str, path: str, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": TENANT}
    return httpx.request(method, sandbox.url + API + path, headers=headers, **kwargs)


def assert_error_page(page: httpx.Response, line: str) -> None:
    text = page.text.replace("&#x27;", "'")
    assert "text/html" in page.headers["content-type"]
    assert "location" not in page.headers
    for expected in (*ERROR_PAGE_LINES, line):
        assert expected in text


# -- scopes -----------------------------------------------------------------------------------


def test_a_new_app_connects_with_granular_scopes_and_reads_what_they_cover(sandbox):
    """§14 (developer.xero.com/faq/granular-scopes): accounting.invoices covers Invoices,
    Quotes, CreditNotes and Items; .read scopes allow GET."""
    assert sandbox.app.state.sandbox.app.created >= date(2026, 3, 2)
    token = sandbox.authorize_tokens(scope=GRANULAR)
    assert token["scope"] == GRANULAR
    for path in ("Invoices", "Quotes", "CreditNotes", "Items", "Payments", "Contacts", "Accounts"):
        assert call(sandbox, token["access_token"], "GET", path).status_code == 200, path


@pytest.mark.parametrize(
    "broad", ["accounting.transactions", "accounting.transactions.read", "accounting.reports.read"]
)
def test_a_new_app_asking_for_a_broad_scope_gets_xeros_error_page(sandbox, broad):
    """§12/§14: apps created on or after 2 March 2026 that ask for a broad scope are refused on
    the authorise page (help.apideck.com/en/articles/8647746: invalid_scope; "Invalid scope for
    client" as in xero-python-oauth2-app#14)."""
    params = authorise_params(sandbox, scope=f"openid offline_access {broad}")
    page = httpx.get(sandbox.url + "/identity/connect/authorize", params=params)
    assert_error_page(page, "Error: invalid_scope : Invalid scope for client")
    assert_error_page(consent(sandbox, params), "Error: invalid_scope : Invalid scope for client")


def test_an_app_created_before_march_2026_may_mix_broad_and_granular_scopes():
    """§14 (developer.xero.com/faq/granular-scopes): older apps may mix both until September
    2027."""
    with running_sandbox(app_created=date(2025, 6, 1)) as older:
        scope = "offline_access accounting.transactions accounting.contacts.read"
        token = older.authorize_tokens(scope=scope)
        assert call(older, token["access_token"], "GET", "Invoices").status_code == 200
        assert call(older, token["access_token"], "GET", "Payments").status_code == 200


@pytest.mark.parametrize(
    ("scope", "method", "path"),
    [
        ("accounting.invoices.read", "POST", "Invoices"),  # .read is GET only
        ("accounting.settings.read", "GET", "Invoices"),
        ("accounting.invoices", "GET", "Payments"),
        ("accounting.payments.read", "PUT", "Payments"),
        ("accounting.contacts.read", "PUT", "Contacts"),
        ("accounting.contacts", "GET", "Items"),  # Items: accounting.invoices or .settings
    ],
)
def test_a_call_outside_the_granted_scopes_is_refused_as_xero_refuses_it(
    sandbox, spec_exempt, scope, method, path
):
    """§12: HTTP 401 with Detail "AuthorizationUnsuccessful" (Xero-NetStandard#298,
    xero-node#320, stackoverflow q/61047303) and WWW-Authenticate carrying insufficient_scope
    (Xero staff, community.xero.com discussion 119166525)."""
    token = sandbox.authorize_tokens(scope=f"offline_access {scope}")["access_token"]
    refused = call(sandbox, token, method, path, json={})
    assert refused.status_code == 401
    body = refused.json()
    assert (body["Type"], body["Title"], body["Status"], body["Detail"]) == (
        None,
        "Unauthorized",
        401,
        "AuthorizationUnsuccessful",
    )
    assert "insufficient_scope" in refused.headers["www-authenticate"]


def test_items_are_reachable_with_either_accounting_invoices_or_accounting_settings(sandbox):
    """§14: "Items are also covered by accounting.settings"."""
    for scope in ("accounting.invoices.read", "accounting.settings.read"):
        token = sandbox.authorize_tokens(scope=f"offline_access {scope}")["access_token"]
        assert call(sandbox, token, "GET", "Items").status_code == 200, scope


# -- redirect URIs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "http://localhost:8501",  # the registered one has a final /
        "http://localhost:8502/",
        "https://localhost:8501/",
        "http://localhost:8501/?next=https://evil.example",
        "http://LOCALHOST:8501/",
    ],
)
def test_a_redirect_uri_not_registered_exactly_gets_xeros_error_page(sandbox, redirect_uri):
    """§12: "Error: unauthorized_client : Invalid redirect_uri" (xero-netstandard-oauth2-
    samples#5, xero-node-oauth2-app#58, xero-python-oauth2-starter#13); never a redirect."""
    params = authorise_params(sandbox, redirect_uri=redirect_uri)
    page = httpx.get(sandbox.url + "/identity/connect/authorize", params=params)
    assert page.status_code == 400
    assert_error_page(page, "Error: unauthorized_client : Invalid redirect_uri")
    for action in ("allow", "cancel"):
        answer = consent(sandbox, params, action)
        assert_error_page(answer, "Error: unauthorized_client : Invalid redirect_uri")


@pytest.mark.parametrize("action", ["allow", "cancel"])
def test_the_consent_page_redirects_only_to_the_registered_uri(sandbox, action):
    answer = consent(sandbox, authorise_params(sandbox), action)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == DEFAULT_REDIRECT_URI


def test_the_registered_redirect_uris_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("XERO_SANDBOX_REDIRECT_URIS", "https://ship.example/ http://x.test/cb")
    with running_sandbox() as configured:
        assert configured.authorize_tokens(redirect_uri="https://ship.example/")["access_token"]
        assert configured.authorize_tokens(redirect_uri="http://x.test/cb")["access_token"]
        page = httpx.get(
            configured.url + "/identity/connect/authorize",
            params=authorise_params(configured, redirect_uri=DEFAULT_REDIRECT_URI),
        )
        assert "Error: unauthorized_client : Invalid redirect_uri" in page.text


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example/", "/\t/evil.example/"],
)
def test_the_organisation_login_hop_is_not_an_open_redirect(sandbox, target):
    answer = httpx.get(
        sandbox.url + "/organisationlogin/default.aspx",
        params={"shortcode": "!sbNZ1", "redirecturl": target},
        follow_redirects=False,
    )
    assert answer.status_code == 302
    assert answer.headers["location"] == "/"


# -- auth failures in Xero's words --------------------------------------------------------------


def test_an_expired_token_says_token_expired_with_the_time(sandbox, sdk):
    """§12: 401 Detail "TokenExpired: token expired at 04/09/2023 05:16:59"
    (freakboy3742/pyxero PR#337; xero-node#370)."""
    sandbox.advance_clock(31 * 60)
    answer = call(sandbox, sdk.token["access_token"], "GET", "Invoices")
    assert answer.status_code == 401
    assert answer.json()["Title"] == "Unauthorized"
    assert re.fullmatch(
        r"TokenExpired: token expired at \d\d/\d\d/\d{4} \d\d:\d\d:\d\d", answer.json()["Detail"]
    )


def test_a_garbage_token_is_authentication_unsuccessful_with_invalid_token(sandbox):
    """§12: 401 Detail "AuthenticationUnsuccessful", header "WWW-Authenticate: Bearer
    error=invalid_token" (gist.github.com/dobesv/5b422c3deb749449df621a014ea35cfe)."""
    answer = call(sandbox, "not-a-token", "GET", "Invoices")
    assert answer.status_code == 401
    assert answer.json()["Detail"] == "AuthenticationUnsuccessful"
    assert answer.headers["www-authenticate"] == "Bearer error=invalid_token"


@pytest.mark.parametrize("tenant", [None, AU_TENANT_ID])
def test_a_missing_or_unconnected_tenant_is_forbidden(sandbox, sdk, tenant):
    """§12: 403 Detail "AuthenticationUnsuccessful" (developer.xero.com/documentation/oauth2/
    troubleshooting; Xero staff in community discussion 119166525)."""
    headers = {"Authorization": f"Bearer {sdk.token['access_token']}"}
    if tenant:
        headers["xero-tenant-id"] = tenant
    answer = httpx.get(sandbox.url + API + "Invoices", headers=headers)
    assert answer.status_code == 403
    assert (answer.json()["Title"], answer.json()["Detail"]) == (
        "Forbidden",
        "AuthenticationUnsuccessful",
    )


def test_an_unknown_client_gets_xeros_error_page(sandbox):
    """§12: "unauthorized_client : Unknown client or client not enabled" (xero-python#110)."""
    params = authorise_params(sandbox, client_id="someone-else")
    page = httpx.get(sandbox.url + "/identity/connect/authorize", params=params)
    assert_error_page(page, "Error: unauthorized_client : Unknown client or client not enabled")
