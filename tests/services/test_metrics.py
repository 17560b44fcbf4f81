"""Prometheus metrics: the queue drains to 0 on the chart, Xero calls and 429s are counted."""

from __future__ import annotations

import socket

import httpx
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import col, select

from models import Shipment
from services import metrics, worker
from services.db import session_scope
from services.rate_limit import Limits, RateLimiter
from services.sync import send_shipments
from tests.services.test_faults import new_shipments
from tests.services.test_worker import enqueue


def scrape(text: str | None = None) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape, by (name, sorted labels)."""
    text = text if text is not None else generate_latest().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    """A sample's value; a counter not yet incremented has none, which counts as 0."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def shown(samples, name: str, **labels) -> float:
    """A gauge's value, which must be in the scrape (a missing 0 would prove nothing)."""
    return samples[(name, tuple(sorted(labels.items())))]


def organisation_of(engine, ids) -> str:
    with session_scope(engine) as session:
        (tenant,) = {
            s.tenant_id for s in session.exec(select(Shipment).where(col(Shipment.id).in_(ids)))
        }
    return metrics.organisation_label(tenant)


def test_the_worker_shows_the_queue_draining_and_counts_xero_calls(engine, connected, sandbox):
    ids = new_shipments(engine, 6)
    enqueue(engine, ids)
    organisation = organisation_of(engine, ids)
    worker.refresh_queue_metrics(engine=engine)
    before = scrape()
    assert shown(before, "shipbridge_queue_depth", organisation=organisation) == len(ids)
    assert shown(before, "shipbridge_queue_oldest_job_age_seconds", organisation=organisation) >= 0

    took = worker.work_once(engine=engine, worker_id="metrics-test")

    after = scrape()
    assert took == len(ids)
    assert shown(after, "shipbridge_queue_depth", organisation=organisation) == 0
    assert shown(after, "shipbridge_queue_oldest_job_age_seconds", organisation=organisation) == 0
    ok_calls = value(after, "shipbridge_xero_calls_total", status="200") - value(
        before, "shipbridge_xero_calls_total", status="200"
    )
    creates = [c for c in sandbox.calls() if c["path"].endswith("/Invoices")]
    assert ok_calls >= len(creates) >= 1
    # Xero's own count of what is left today, as its last answer said.
    left = sandbox.app.state.sandbox.limiter.headers(connected.tenant_id)["X-DayLimit-Remaining"]
    assert shown(
        after, "shipbridge_xero_calls_left_today", organisation=connected.tenant_id
    ) == float(left)


def grown(before, after, name: str, **labels) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_a_429_is_counted_by_its_kind(engine, connected, sandbox):
    ids = new_shipments(engine, 2)
    sandbox.inject_faults("429-minute", path_contains="/Invoices", retry_after=1)
    before = scrape()

    result = send_shipments(shipment_ids=ids, trigger="bulk", user="ops")

    after = scrape()
    assert result.count("Processed") == len(ids)
    assert grown(before, after, "shipbridge_xero_rate_limited_total", kind="minute") == 1
    assert grown(before, after, "shipbridge_xero_calls_total", status="429") == 1
    assert grown(before, after, "shipbridge_xero_rate_limited_total", kind="day") == 0


def test_a_wait_in_the_rate_limiter_is_timed_by_the_limit_that_held_it(engine):
    limiter = RateLimiter(engine, Limits(clock_scale=120))
    before = scrape()
    # As after a 429 with Retry-After; long enough that a busy machine cannot reach the slot
    # after it has run out (it then had nothing to wait for).
    limiter.block("org", 1.5, "minute")
    with limiter.slot("org"):
        pass
    after = scrape()
    name = "shipbridge_rate_limiter_wait_seconds"
    assert grown(before, after, f"{name}_count", limit="minute") >= 1
    assert grown(before, after, f"{name}_sum", limit="minute") == pytest.approx(limiter.waited)


def test_the_worker_serves_the_metrics_on_a_local_port(engine):
    ids = new_shipments(engine, 3)
    enqueue(engine, ids)
    organisation = organisation_of(engine, ids)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = worker.serve_metrics(port=port)
    assert server is not None
    try:
        worker.refresh_queue_metrics(engine=engine)
        answer = httpx.get(f"http://127.0.0.1:{port}/metrics")
    finally:
        server.shutdown()
        server.server_close()
    assert answer.status_code == 200
    assert shown(scrape(answer.text), "shipbridge_queue_depth", organisation=organisation) == len(
        ids
    )


def test_port_0_serves_no_metrics():
    assert worker.serve_metrics(port=0) is None
