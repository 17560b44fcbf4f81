"""The identity service: consent, codes, PKCE, tokens, rotation, revocation, connections."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from xero_python.api_client.oauth2 import TokenApi
from xero_python.exceptions import ApiException

from tests.xero_sandbox.conftest import TENANT, make_sdk
from xero_sandbox.seed import AU_TENANT_ID, DEMO_TENANT_ID, UK_TENANT_ID
from xero_sandbox.testing import DEFAULT_REDIRECT_URI
from xero_sandbox.tokens import pkce_challenge

REDIRECT = DEFAULT_REDIRECT_URI
SCOPE = "openid profile email offline_access accounting.invoices accounting.settings"


def authorise_params(sandbox, **overrides) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": sandbox.client_id,
        "redirect_uri": REDIRECT,
        "scope": SCOPE,
        "state": "st@te with spaces/+",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def consent(sandbox, params: dict[str, str], tenants=(DEMO_TENANT_ID,), action="allow"):
    form = [*params.items(), *(("tenant", t) for t in tenants), ("action", action)]
    return httpx.post(
        sandbox.url + "/identity/connect/authorize",
        data=dict(form) | {"tenant": list(tenants)},
        follow_redirects=False,
    )


def code_from(answer: httpx.Response) -> dict[str, list[str]]:
    assert answer.status_code in (302, 303), answer.text
    return parse_qs(urlsplit(answer.headers["location"]).query)


def token(sandbox, **form) -> httpx.Response:
    body = {"client_id": sandbox.client_id, "client_secret": sandbox.client_secret, **form}
    return httpx.post(sandbox.url + "/connect/token", data={k: v for k, v in body.items() if v})


def exchange(sandbox, code: str, **extra) -> httpx.Response:
    return token(
        sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, **extra
    )


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"client_id": "someone-else"}, "unauthorized_client"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"redirect_uri": "not a url"}, "Error: unauthorized_client : Invalid redirect_uri"),
        ({"scope": "accounting.everything"}, "Invalid scope for client"),
        ({"scope": None}, "Invalid scope for client"),
        ({"code_challenge": "abc", "code_challenge_method": "plain"}, "S256"),
    ],
)
def test_bad_authorise_requests_get_an_error_page_not_a_redirect(sandbox, override, message):
    params = authorise_params(sandbox, **override)
    page = httpx.get(sandbox.url + "/identity/connect/authorize", params=params)
    assert page.status_code == 400
    assert "text/html" in page.headers["content-type"]
    assert message in page.text
    assert consent(sandbox, params).status_code == 400


def test_allow_redirects_with_code_and_state_unchanged(sandbox):
    params = authorise_params(sandbox)
    query = code_from(consent(sandbox, params))
    assert query["state"] == [params["state"]]
    assert query["code"][0]


def test_cancel_redirects_with_access_denied(sandbox):
    query = code_from(consent(sandbox, authorise_params(sandbox), action="cancel"))
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["st@te with spaces/+"]


def test_no_organisation_ticked_shows_the_page_again(sandbox):
    answer = consent(sandbox, authorise_params(sandbox), tenants=())
    assert answer.status_code == 400
    assert "Select at least one organisation" in answer.text


def test_codes_are_single_use(sandbox):
    code = code_from(consent(sandbox, authorise_params(sandbox)))["code"][0]
    assert exchange(sandbox, code).status_code == 200
    second = exchange(sandbox, code)
    assert (second.status_code, second.json()) == (400, {"error": "invalid_grant"})


def test_codes_expire_after_five_minutes(sandbox):
    code = code_from(consent(sandbox, authorise_params(sandbox)))["code"][0]
    sandbox.advance_clock(301)
    assert exchange(sandbox, code).json() == {"error": "invalid_grant"}


def test_redirect_uri_must_match(sandbox):
    code = code_from(consent(sandbox, authorise_params(sandbox)))["code"][0]
    answer = token(
        sandbox,
        grant_type="authorization_code",
        code=code,
        redirect_uri="http://localhost:8501/other",
    )
    assert answer.json() == {"error": "invalid_grant"}


def test_pkce_verifier_is_checked(sandbox):
    verifier = "v" * 50
    params = authorise_params(
        sandbox, code_challenge=pkce_challenge(verifier), code_challenge_method="S256"
    )
    code = code_from(consent(sandbox, params))["code"][0]
    assert exchange(sandbox, code, code_verifier="w" * 50).json() == {"error": "invalid_grant"}
    assert exchange(sandbox, code).json() == {"error": "invalid_grant"}
    assert exchange(sandbox, code, code_verifier=verifier).status_code == 200


def test_client_authentication(sandbox):
    code = code_from(consent(sandbox, authorise_params(sandbox)))["code"][0]
    wrong = token(
        sandbox,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        client_secret="nope",
    )
    assert (wrong.status_code, wrong.json()) == (400, {"error": "invalid_client"})
    basic = base64.b64encode(f"{sandbox.client_id}:{sandbox.client_secret}".encode()).decode()
    answer = httpx.post(
        sandbox.url + "/connect/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert answer.status_code == 200
    assert token(sandbox, grant_type="password").json() == {"error": "unsupported_grant_type"}


def test_token_contents_follow_the_scopes(sandbox):
    full = sandbox.authorize_tokens(scope=SCOPE)
    assert full["scope"] == SCOPE
    assert {"id_token", "refresh_token", "access_token"} <= set(full)
    assert full["access_token"].count(".") == 2
    bare = sandbox.authorize_tokens(scope="accounting.invoices")
    assert "id_token" not in bare and "refresh_token" not in bare


def test_refresh_tokens_rotate_with_a_grace_period(sandbox):
    first = sandbox.authorize_tokens()
    renewed = token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert renewed.status_code == 200
    pair = renewed.json()
    assert pair["refresh_token"] != first["refresh_token"]
    sandbox.advance_clock(20 * 60)
    again = token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert again.json()["access_token"] == pair["access_token"]
    assert again.json()["refresh_token"] == pair["refresh_token"]
    assert again.json()["expires_in"] <= 600
    sandbox.advance_clock(11 * 60)
    late = token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert late.json() == {"error": "invalid_grant"}
    newest = token(sandbox, grant_type="refresh_token", refresh_token=pair["refresh_token"])
    assert newest.status_code == 200


def test_unused_refresh_tokens_expire_after_sixty_days(sandbox):
    first = sandbox.authorize_tokens()
    sandbox.advance_clock(60 * 24 * 3600 + 1)
    answer = token(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert answer.json() == {"error": "invalid_grant"}


def test_access_tokens_expire_after_thirty_minutes(sandbox):
    sdk = make_sdk(sandbox, sandbox.authorize_tokens())
    sandbox.advance_clock(1801)
    answer = httpx.get(
        sandbox.url + "/api.xro/2.0/Organisation",
        headers={"Authorization": f"Bearer {sdk.token['access_token']}", "xero-tenant-id": TENANT},
    )
    assert answer.status_code == 401
    body = answer.json()
    assert body["Title"] == "Unauthorized"
    assert body["Detail"].startswith("TokenExpired: token expired at ")
    assert set(body) == {"Type", "Title", "Status", "Detail", "Instance", "Extensions"}


def test_the_sdk_refreshes_through_the_sandbox(sandbox, monkeypatch):
    monkeypatch.setattr(TokenApi, "refresh_token_url", sandbox.url + "/connect/token")
    sdk = make_sdk(sandbox, sandbox.authorize_tokens())
    old = sdk.token
    # Tell the SDK its token is stale, as it would be 30 minutes later.
    sdk.tokens["token"] = {**old, "expires_at": 0, "scope": old["scope"].split()}
    organisation = sdk.accounting.get_organisations(TENANT).organisations[0]
    assert organisation.organisation_id == TENANT
    assert sdk.token["refresh_token"] != old["refresh_token"]
    assert sdk.token["access_token"] != old["access_token"]


def test_revocation_ends_the_grant_and_its_connections(sandbox, monkeypatch):
    monkeypatch.setattr(TokenApi, "revoke_token_url", sandbox.url + "/connect/revocation")
    first = sandbox.authorize_tokens([DEMO_TENANT_ID])
    other = make_sdk(sandbox, sandbox.authorize_tokens([UK_TENANT_ID]))
    sdk = make_sdk(sandbox, first)
    sdk.tokens["token"] = {**first, "scope": first["scope"].split()}
    sdk.api_client.revoke_oauth2_token()
    assert token(
        sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"]
    ).json() == {"error": "invalid_grant"}
    remaining = other.identity.get_connections()
    assert [c.tenant_id for c in remaining] == [UK_TENANT_ID]
    answer = httpx.get(
        sandbox.url + "/Connections", headers={"Authorization": f"Bearer {first['access_token']}"}
    )
    assert answer.status_code == 401


def test_deleting_a_connection_forbids_that_tenant(sandbox, sdk):
    connections = {c.tenant_id: c for c in sdk.identity.get_connections()}
    sdk.identity.delete_connection(connections[UK_TENANT_ID].id)
    assert [c.tenant_id for c in sdk.identity.get_connections()] == [DEMO_TENANT_ID]
    answer = httpx.get(
        sandbox.url + "/api.xro/2.0/Organisation",
        headers={
            "Authorization": f"Bearer {sdk.token['access_token']}",
            "xero-tenant-id": UK_TENANT_ID,
        },
    )
    assert answer.status_code == 403
    assert answer.json()["Title"] == "Forbidden"
    assert answer.json()["Detail"] == "AuthenticationUnsuccessful"
    with pytest.raises(ApiException) as missing:
        sdk.identity.delete_connection(connections[UK_TENANT_ID].id)
    assert missing.value.status == 404


def test_connections_filter_by_auth_event_and_accept_lower_case(sandbox, sdk):
    connections = sdk.identity.get_connections()
    event = connections[0].auth_event_id
    assert len(sdk.identity.get_connections(auth_event_id=event)) == 2
    answer = httpx.get(
        sandbox.url + "/connections",
        headers={"Authorization": f"Bearer {sdk.token['access_token']}"},
    )
    assert {c["tenantId"] for c in answer.json()} == {DEMO_TENANT_ID, UK_TENANT_ID}
    assert answer.json()[0]["tenantName"]


def test_a_tenant_not_connected_is_forbidden_and_no_token_is_unauthorised(sandbox, sdk):
    headers = {
        "Authorization": f"Bearer {sdk.token['access_token']}",
        "xero-tenant-id": AU_TENANT_ID,
    }
    assert httpx.get(sandbox.url + "/api.xro/2.0/Invoices", headers=headers).status_code == 403
    bare = httpx.get(sandbox.url + "/api.xro/2.0/Invoices", headers={"xero-tenant-id": TENANT})
    assert bare.status_code == 401
    assert bare.json()["Detail"] == "AuthenticationUnsuccessful"


def test_scopes_limit_what_a_token_may_do(sandbox):
    read_only = sandbox.authorize_tokens(scope="accounting.settings.read")
    headers = {"Authorization": f"Bearer {read_only['access_token']}", "xero-tenant-id": TENANT}
    assert httpx.get(sandbox.url + "/api.xro/2.0/Items", headers=headers).status_code == 200
    refused = httpx.get(sandbox.url + "/api.xro/2.0/Invoices", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["Detail"] == "AuthorizationUnsuccessful"


def test_client_credentials_reach_the_demo_organisation_without_a_tenant_header(
    sandbox, spec_exempt
):
    answer = token(sandbox, grant_type="client_credentials")
    assert "refresh_token" not in answer.json()
    access = answer.json()["access_token"]
    organisation = httpx.get(
        sandbox.url + "/api.xro/2.0/Organisation", headers={"Authorization": f"Bearer {access}"}
    )
    assert organisation.json()["Organisations"][0]["OrganisationID"] == DEMO_TENANT_ID


def test_reset_can_keep_tokens(sandbox, sdk):
    sandbox.reset(keep_tokens=True)
    assert len(sdk.identity.get_connections()) == 2
    sandbox.reset()
    with pytest.raises(ApiException) as refused:
        sdk.identity.get_connections()
    assert refused.value.status == 401
