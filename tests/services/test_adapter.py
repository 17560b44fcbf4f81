"""The Xero adapter's own guarantees."""

from services.settings import Settings
from services.xero.adapter import TokenSet, XeroAdapter


def test_each_adapter_keeps_its_own_oauth_token_and_identity_url():
    # xero-python's Configuration() returns a copy of the first one ever made; an adapter
    # that trusted its arguments would refresh through another adapter's identity URL.
    first = XeroAdapter(Settings(xero_sandbox_url="http://127.0.0.1:1001"))
    second = XeroAdapter(
        Settings(xero_sandbox_url="http://127.0.0.1:1002"),
        token=TokenSet("a", "r", 0.0, "offline_access"),
    )
    one, two = first.client.configuration.oauth2_token, second.client.configuration.oauth2_token
    assert one is not two
    assert one.token_url == "http://127.0.0.1:1001/connect/token"
    assert two.token_url == "http://127.0.0.1:1002/connect/token"
    assert second.client.get_oauth2_token()["access_token"] == "a"
