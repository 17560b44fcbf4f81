"""Rate limits (minute, day, concurrent, app-minute) and injected faults.

urllib3 (under the SDK) retries GET and PUT by itself after a dropped connection, a
read timeout, or a 429/503 with Retry-After (sleeping for it), so these tests make
their failing calls with POST, which it never retries - as Shipbridge's sends do.
"""

from __future__ import annotations

import http.client
import json
import threading
import time

import httpx
import pytest
import urllib3
from xero_python.accounting import Contact, Invoice, Invoices, LineItem, Quotes
from xero_python.exceptions import ApiException, RateLimitException

from tests.xero_sandbox.conftest import TENANT
from xero_sandbox.clock import SandboxClock
from xero_sandbox.limits import RateLimiter
from xero_sandbox.seed import UK_TENANT_ID


def draft(reference: str = "R") -> Invoices:
    return Invoices(
        invoices=[
            Invoice(
                type="ACCREC",
                contact=Contact(name="Acme Imports Inc"),
                reference=reference,
                line_items=[LineItem(item_code="CRATE", quantity=1)],
            )
        ]
    )


def test_every_answer_carries_the_remaining_limits(api):
    api.get_organisations(TENANT)
    headers = api.api_client.last_response.getheaders()
    assert headers["X-MinLimit-Remaining"] == "59"
    assert headers["X-DayLimit-Remaining"] == "4999"
    assert headers["X-AppMinLimit-Remaining"] == "9999"


def test_the_sixty_first_call_in_a_minute_is_refused(sandbox, api):
    for _ in range(60):
        api.get_currencies(TENANT)
    with pytest.raises(RateLimitException) as refused:
        api.update_or_create_invoices(TENANT, draft())
    assert refused.value.status == 429
    assert refused.value.rate_limit == "minute"
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 60
    assert refused.value.headers["X-MinLimit-Remaining"] == "0"
    api.get_currencies(UK_TENANT_ID)  # limits are per organisation
    sandbox.advance_clock(61)
    api.get_currencies(TENANT)


def test_a_faster_rate_clock_shortens_the_minute(sandbox, api):
    sandbox.scale_rate_clock(60)  # a minute lasts a second
    try:
        for _ in range(60):
            api.get_currencies(TENANT)
        with pytest.raises(RateLimitException):
            api.update_or_create_invoices(TENANT, draft())
        time.sleep(1.0)
        api.get_currencies(TENANT)
    finally:
        sandbox.scale_rate_clock(1)


def test_more_than_five_calls_in_flight_are_refused(sandbox, api, sdk):
    sandbox.inject_faults("timeout", count=5, seconds=1.0, tenant=TENANT)
    limiter = sandbox.app.state.sandbox.limiter
    statuses: list[int] = []

    def slow_call() -> None:
        answer = httpx.get(
            sandbox.url + "/api.xro/2.0/Currencies",
            headers={
                "Authorization": f"Bearer {sdk.token['access_token']}",
                "xero-tenant-id": TENANT,
            },
        )
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=slow_call) for _ in range(5)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while limiter.in_flight(TENANT) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(RateLimitException) as refused:
        api.update_or_create_invoices(TENANT, draft())
    assert refused.value.rate_limit == "concurrent"
    for thread in threads:
        thread.join()
    assert statuses == [200] * 5
    api.get_currencies(TENANT)


def test_day_and_app_minute_windows():
    clock = SandboxClock()
    limiter = RateLimiter(clock)
    for i in range(5000):
        if i % 60 == 59:
            clock.advance(61)
        assert limiter.acquire("t").allowed
        limiter.release("t")
    refused = limiter.acquire("t")
    assert (refused.allowed, refused.problem) == (False, "day")
    assert refused.headers["X-DayLimit-Remaining"] == "0"
    assert refused.retry_after > 3600
    clock.advance(86_400)
    assert limiter.acquire("t").allowed
    limiter.release("t")
    app = RateLimiter(SandboxClock())
    for i in range(10_000):
        app.acquire(f"tenant-{i // 50}")
        app.release(f"tenant-{i // 50}")
    refused = app.acquire("fresh-tenant")
    assert (refused.allowed, refused.problem) == (False, "appminute")


@pytest.mark.parametrize(
    ("kind", "problem"),
    [
        ("429-minute", "minute"),
        ("429-day", "day"),
        ("429-concurrent", "concurrent"),
        ("429-appminute", "appminute"),
    ],
)
def test_injected_rate_limits(sandbox, api, kind, problem):
    sandbox.inject_faults(kind, retry_after=7)
    with pytest.raises(RateLimitException) as refused:
        api.update_or_create_invoices(TENANT, draft())
    assert refused.value.rate_limit == problem
    assert refused.value.headers["Retry-After"] == "7"
    api.get_invoices(TENANT)
    assert sandbox.calls()[-2]["fault"] == kind


def _error_type(body) -> str:
    return json.loads(body)["Type"]


def _text(body) -> str:
    return body.decode() if isinstance(body, bytes) else body


@pytest.mark.parametrize(
    ("status", "read", "said"),
    [
        (500, _error_type, "UnknownErrorException"),  # Xero's JSON error
        (503, _text, "Service Unavailable"),  # plain text from in front of the API
    ],
)
def test_injected_server_errors(sandbox, api, status, read, said):
    sandbox.inject_faults(str(status), count=2)
    for _ in range(2):
        with pytest.raises(ApiException) as failure:
            api.update_or_create_invoices(TENANT, draft())
        assert failure.value.status == status
    assert read(failure.value.body) == said
    assert api.get_invoices(TENANT).invoices == []


def test_faults_can_target_a_path_and_a_tenant(sandbox, api):
    sandbox.inject_faults("500", path_contains="/Quotes", tenant=UK_TENANT_ID)
    api.get_invoices(UK_TENANT_ID)
    api.get_quotes(TENANT)
    with pytest.raises(ApiException):
        api.update_or_create_quotes(UK_TENANT_ID, Quotes(quotes=[]))


def test_timeouts_answer_late_but_still_act(sandbox, api):
    sandbox.inject_faults("timeout", seconds=0.5)
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        api.update_or_create_invoices(TENANT, draft("late"), _request_timeout=(1, 0.2))
    time.sleep(0.5)
    assert [i.reference for i in api.get_invoices(TENANT).invoices] == ["late"]


def _cause_chain(first: BaseException) -> list[BaseException]:
    chain = []
    exc: BaseException | None = first
    while exc is not None:
        chain.append(exc)
        exc = (
            exc.__context__
            or exc.__cause__
            or (
                exc.args[1]
                if len(exc.args) > 1 and isinstance(exc.args[1], BaseException)
                else None
            )
        )
    return chain


def test_drop_before_closes_the_connection_without_acting(sandbox, api):
    sandbox.inject_faults("drop-before")
    with pytest.raises(urllib3.exceptions.ProtocolError) as dropped:
        api.update_or_create_invoices(TENANT, draft("dropped"))
    assert any(isinstance(e, http.client.RemoteDisconnected) for e in _cause_chain(dropped.value))
    assert api.get_invoices(TENANT).invoices == []
    logged = [c for c in sandbox.calls() if c["fault"] == "drop-before"]
    assert logged and logged[0]["status"] is None


def test_drop_after_acts_then_closes_and_a_keyed_retry_replays(sandbox, api):
    sandbox.inject_faults("drop-after")
    with pytest.raises(urllib3.exceptions.ProtocolError):
        api.update_or_create_invoices(TENANT, draft("once"), idempotency_key="ship-1")
    retried = api.update_or_create_invoices(TENANT, draft("once"), idempotency_key="ship-1")
    stored = api.get_invoices(TENANT).invoices
    assert [i.invoice_id for i in stored] == [retried.invoices[0].invoice_id]


def test_urllib3_retries_get_after_a_429_with_retry_after(sandbox, api):
    sandbox.inject_faults("429-minute", retry_after=1, path_contains="/Organisation")
    started = time.monotonic()
    assert api.get_organisations(TENANT).organisations
    assert time.monotonic() - started >= 1


def test_urllib3_retries_idempotent_methods_over_one_dropped_connection(sandbox, api):
    sandbox.inject_faults("drop-before", path_contains="/Organisation")
    assert api.get_organisations(TENANT).organisations
    sandbox.inject_faults("drop-before", count=4, path_contains="/Organisation")
    with pytest.raises(urllib3.exceptions.MaxRetryError):
        api.get_organisations(TENANT)


def test_identity_calls_can_fail_too(sandbox):
    sandbox.inject_faults("503", path_contains="/connect/token")
    answer = httpx.post(sandbox.url + "/connect/token", data={"grant_type": "refresh_token"})
    assert answer.status_code == 503
    assert sandbox.calls()[-1]["path"] == "/connect/token"


def test_unknown_fault_kinds_are_refused(sandbox):
    answer = httpx.post(sandbox.url + "/_sandbox/faults", json={"kind": "explode"})
    assert answer.status_code == 400
    assert "unknown fault kind" in answer.json()["error"]
