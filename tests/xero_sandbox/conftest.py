"""Fixtures for the sandbox's own tests: one server per session, reset before each test,
and the real xero-python SDK as the client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from xero_python.accounting import AccountingApi
from xero_python.api_client import ApiClient
from xero_python.api_client.configuration import Configuration
from xero_python.api_client.oauth2 import OAuth2Token
from xero_python.identity import IdentityApi

from tests.xero_sandbox.spec_check import SpecRecorder
from xero_sandbox.seed import DEMO_TENANT_ID, UK_TENANT_ID
from xero_sandbox.testing import SandboxHandle, running_sandbox


@dataclass
class Sdk:
    """The SDK wired to the sandbox, with the token kept in a dict as an app would."""

    api_client: ApiClient
    accounting: AccountingApi
    identity: IdentityApi
    tokens: dict[str, Any] = field(default_factory=dict)

    @property
    def token(self) -> dict[str, Any]:
        return self.tokens["token"]


def make_sdk(sandbox: SandboxHandle, token: dict[str, Any]) -> Sdk:
    """An ApiClient whose token getter/saver use a dict, pointed at the sandbox."""
    tokens = {"token": dict(token)}
    # Configuration() returns a copy of the first one ever made: set the token afterwards.
    configuration = Configuration()
    configuration.oauth2_token = OAuth2Token(
        client_id=sandbox.client_id, client_secret=sandbox.client_secret
    )
    api_client = ApiClient(
        configuration,
        oauth2_token_getter=lambda: tokens["token"],
        oauth2_token_saver=lambda new: tokens.update(token=new),
    )
    return Sdk(
        api_client=api_client,
        accounting=AccountingApi(api_client, base_url=sandbox.url + "/api.xro/2.0"),
        identity=IdentityApi(api_client, base_url=sandbox.url),
        tokens=tokens,
    )


@pytest.fixture(scope="session")
def spec_recorder() -> SpecRecorder:
    return SpecRecorder()


@pytest.fixture(scope="session")
def sandbox_session(spec_recorder: SpecRecorder) -> Iterator[SandboxHandle]:
    with running_sandbox() as handle:
        handle.app.state.sandbox.observers.append(spec_recorder)
        yield handle


@pytest.fixture
def spec_exempt() -> list[bool]:
    """Request this in a test that sends deliberately invalid requests."""
    return [True]


@pytest.fixture(autouse=True)
def _conforms_to_spec(request, sandbox_session, spec_recorder) -> Iterator[None]:
    """Every exchange a test causes must conform to Xero's OpenAPI specs."""
    spec_recorder.drain()
    yield
    found = spec_recorder.check()
    if found and "spec_exempt" not in request.fixturenames:
        pytest.fail("exchanges that do not conform to the spec:\n" + "\n".join(found))


@pytest.fixture
def sandbox(sandbox_session: SandboxHandle) -> SandboxHandle:
    """The session's sandbox, wiped and reseeded (tokens and connections too)."""
    sandbox_session.reset()
    return sandbox_session


@pytest.fixture
def sdk(sandbox: SandboxHandle) -> Sdk:
    """The SDK with a fresh token connected to the NZ and UK demo organisations."""
    return make_sdk(sandbox, sandbox.authorize_tokens([DEMO_TENANT_ID, UK_TENANT_ID]))


@pytest.fixture
def api(sdk: Sdk) -> AccountingApi:
    return sdk.accounting


TENANT = DEMO_TENANT_ID
