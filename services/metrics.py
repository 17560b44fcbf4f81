"""Prometheus metrics: the send queue, Xero calls, Xero's 429s and our rate limiter's waits.

The worker serves them on 127.0.0.1:`worker_metrics_port` (see services.worker). The metrics
live in prometheus_client's default registry, so any process that imports this module
counts its own calls; only the worker serves them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge, Histogram

from models import as_utc

if TYPE_CHECKING:
    from services.queue import QueueDepth

# Jobs of shipments without an organisation of their own go to the default one.
DEFAULT_ORGANISATION = "default"

QUEUE_DEPTH = Gauge(
    "shipbridge_queue_depth",
    "Shipments in the send queue (waiting, being sent or held), by organisation.",
    ["organisation"],
)
QUEUE_OLDEST_AGE = Gauge(
    "shipbridge_queue_oldest_job_age_seconds",
    "Age of the oldest shipment still in the send queue, by organisation.",
    ["organisation"],
)
XERO_CALLS = Counter(
    "shipbridge_xero_calls",
    "Calls made to Xero, by HTTP status ('2xx' where the SDK hides the exact code, "
    "'no answer' for a dropped connection or a timeout).",
    ["status"],
)
XERO_RATE_LIMITED = Counter(
    "shipbridge_xero_rate_limited",
    "429s from Xero, by the limit hit (X-Rate-Limit-Problem: minute, day, concurrent, ...).",
    ["kind"],
)
LIMITER_WAIT = Histogram(
    "shipbridge_rate_limiter_wait_seconds",
    "Time a call waited for Shipbridge's rate limiter, by the limit that held it.",
    ["limit"],
    buckets=(0.05, 0.1, 0.5, 1, 5, 15, 30, 60, float("inf")),
)
XERO_CALLS_LEFT_TODAY = Gauge(
    "shipbridge_xero_calls_left_today",
    "Calls Xero still allows this organisation today (its X-DayLimit-Remaining).",
    ["organisation"],
)


def organisation_label(tenant_id: str | None) -> str:
    return tenant_id or DEFAULT_ORGANISATION


_shown: set[str] = set()


def show_queue(*, depths: Mapping[str | None, QueueDepth], now: datetime) -> None:
    """Set the queue gauges; an organisation whose queue emptied drops to 0, not off the chart."""
    current = {organisation_label(tenant): depth for tenant, depth in depths.items()}
    for organisation in _shown - current.keys():
        QUEUE_DEPTH.labels(organisation=organisation).set(0)
        QUEUE_OLDEST_AGE.labels(organisation=organisation).set(0)
    for organisation, depth in current.items():
        QUEUE_DEPTH.labels(organisation=organisation).set(depth.shipments)
        age = (now - as_utc(depth.oldest_queued_at)).total_seconds()
        QUEUE_OLDEST_AGE.labels(organisation=organisation).set(max(0.0, age))
    _shown.update(current)


def xero_call_finished(*, status: int | str, rate_limit_problem: str | None = None) -> None:
    """Count one call to Xero (and, for a 429, which of Xero's limits refused it)."""
    XERO_CALLS.labels(status=str(status)).inc()
    if str(status) == "429":
        XERO_RATE_LIMITED.labels(kind=rate_limit_problem or "unknown").inc()
