"""Control endpoints under ``/_sandbox/`` for tests and demos (404 when control is off).

reset, seed, payments (as if paid in Xero), faults, clock, rate-clock, limits (calls a day),
calls, state; and health, which stays on with control off.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from xero_sandbox.accounting.context import ApiRequest
from xero_sandbox.accounting.payments import apply_payment, render_payment
from xero_sandbox.faults import Fault
from xero_sandbox.formats import FormatError, parse_timestamp
from xero_sandbox.responses import json_response
from xero_sandbox.seed import BANK_ACCOUNT_CODE, seed
from xero_sandbox.state import Sandbox, sandbox_of

router = APIRouter(prefix="/_sandbox")
# Served even with --no-control: it changes nothing and tells a supervisor the server is up.
health_router = APIRouter(prefix="/_sandbox")
CLOCK_META_KEY = "clock_offset_seconds"


def _error(message: str, status: int = 400) -> Response:
    return json_response({"error": message}, status)


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def save_clock(sandbox: Sandbox) -> None:
    """Persist the clock offset so it survives a restart."""
    sandbox.store.set_meta(CLOCK_META_KEY, repr(sandbox.clock.offset_seconds))


def reset_sandbox(sandbox: Sandbox, *, keep_tokens: bool) -> None:
    """Wipe business data (and tokens unless kept), reseed, clear faults, limits and clock."""
    sandbox.store.wipe(keep_tokens=keep_tokens)
    seed(sandbox.store)
    sandbox.faults.clear()
    sandbox.limiter.reset()
    sandbox.limiter.day_limit = sandbox.app.day_limit
    sandbox.clock.reset()
    save_clock(sandbox)


def _clock_json(sandbox: Sandbox) -> dict[str, Any]:
    return {
        "now": sandbox.clock.now().isoformat(),
        "offset_seconds": sandbox.clock.offset_seconds,
        "rate_factor": sandbox.clock.rate_factor,
    }


@health_router.get("/health")
def health() -> Response:
    """Answers as soon as the server takes requests (`make run` waits for it)."""
    return json_response({"status": "ok"})


@router.post("/reset")
def reset(request: Request, keep_tokens: str = "0") -> Response:
    """Wipe and reseed. ``?keep_tokens=1`` keeps grants, tokens and connections."""
    sandbox = sandbox_of(request)
    reset_sandbox(sandbox, keep_tokens=keep_tokens.lower() in ("1", "true", "yes"))
    return json_response({"status": "reset", "keep_tokens": keep_tokens})


@router.post("/seed")
def reseed(request: Request) -> Response:
    """Add any missing demo organisation (does not touch existing data)."""
    seed(sandbox_of(request).store)
    return json_response({"status": "seeded"})


@router.post("/payments")
async def record_payment(request: Request) -> Response:
    """Record a payment on account 090 as if it had been entered in Xero."""
    sandbox = sandbox_of(request)
    try:
        data = await _json(request)
    except ValueError as exc:
        return _error(str(exc))
    invoice_id = str(data.get("InvoiceID") or "").lower()
    tenant_id = sandbox.store.tenant_of("invoice", invoice_id) if invoice_id else None
    if tenant_id is None:
        return _error("invoice not found", 404)
    element = {
        "Invoice": {"InvoiceID": invoice_id},
        "Account": {"Code": data.get("AccountCode") or BANK_ACCOUNT_CODE},
        "Amount": data.get("Amount"),
    }
    for key in ("Date", "Reference", "CurrencyRate"):
        if data.get(key) is not None:
            element[key] = data[key]
    ctx = ApiRequest.internal(sandbox.store, sandbox.clock, tenant_id)
    with sandbox.store.transaction():
        outcome = apply_payment(ctx, element)
    if outcome.errors:
        return json_response({"errors": outcome.errors}, 400)
    return json_response({"Payment": render_payment(ctx, outcome.document)})


@router.post("/faults")
async def arm_fault(request: Request) -> Response:
    """Arm a fault: {kind, count?, path_contains?, seconds?, retry_after?, tenant?}."""
    sandbox = sandbox_of(request)
    try:
        data = await _json(request)
        fault = Fault(
            kind=str(data.get("kind", "")),
            remaining=int(data.get("count", 1)),
            path_contains=str(data.get("path_contains") or "/api.xro/2.0/"),
            seconds=float(data.get("seconds", 30.0)),
            retry_after=int(data.get("retry_after", 60)),
            tenant=data.get("tenant"),
        )
        sandbox.faults.arm(fault)
    except (TypeError, ValueError) as exc:
        return _error(str(exc))
    return json_response({"armed": sandbox.faults.armed()})


@router.get("/faults")
def list_faults(request: Request) -> Response:
    """The faults still armed."""
    return json_response({"armed": sandbox_of(request).faults.armed()})


@router.delete("/faults")
def clear_faults(request: Request) -> Response:
    """Disarm every fault."""
    sandbox_of(request).faults.clear()
    return json_response({"armed": []})


@router.get("/clock")
def get_clock(request: Request) -> Response:
    """The sandbox clock."""
    return json_response(_clock_json(sandbox_of(request)))


@router.post("/clock")
async def set_clock(request: Request) -> Response:
    """Set the clock ``{"now": iso}`` and/or move it ``{"advance_seconds": n}``."""
    sandbox = sandbox_of(request)
    try:
        data = await _json(request)
        if data.get("now"):
            sandbox.clock.set_now(parse_timestamp(str(data["now"])))
        if data.get("advance_seconds"):
            sandbox.clock.advance(float(data["advance_seconds"]))
        if data.get("reset"):
            sandbox.clock.reset()
    except (FormatError, TypeError, ValueError) as exc:
        return _error(f"bad clock request: {exc}")
    save_clock(sandbox)
    return json_response(_clock_json(sandbox))


@router.post("/rate-clock")
async def set_rate_clock(request: Request) -> Response:
    """Make the rate limiter's clock run ``factor`` times faster than real time."""
    sandbox = sandbox_of(request)
    try:
        data = await _json(request)
        sandbox.clock.set_rate_factor(float(data.get("factor", 1)))
    except (TypeError, ValueError) as exc:
        return _error(str(exc))
    return json_response(_clock_json(sandbox))


@router.post("/limits")
async def set_limits(request: Request) -> Response:
    """Set the calls a day per organisation ``{"day_limit": n}`` (1,000 for a Starter-tier
    app); a reset goes back to the app's own (XERO_SANDBOX_DAY_LIMIT, or 5,000)."""
    sandbox = sandbox_of(request)
    try:
        limit = int((await _json(request)).get("day_limit", sandbox.app.day_limit))
        if limit < 1:
            raise ValueError("day_limit must be at least 1")
    except (TypeError, ValueError) as exc:
        return _error(str(exc))
    sandbox.limiter.day_limit = limit
    return json_response({"day_limit": limit})


@router.get("/calls")
def calls(request: Request, since_id: int = 0, tenant: str | None = None) -> Response:
    """The call log: method, path, query, status, tenant, time, idempotency key, timing."""
    sql = "SELECT * FROM calls WHERE id > ?"
    params: tuple = (since_id,)
    if tenant:
        sql += " AND lower(tenant) = ?"
        params += (tenant.lower(),)
    rows = sandbox_of(request).store.execute(sql + " ORDER BY id", params).fetchall()
    return json_response({"calls": [dict(row) for row in rows]})


@router.get("/state")
def state(request: Request) -> Response:
    """A debugging summary: organisations, record counts, connections, clock, faults."""
    sandbox = sandbox_of(request)
    store = sandbox.store
    counts = store.execute(
        "SELECT tenant_id, kind, count(*) AS n FROM records GROUP BY tenant_id, kind"
    ).fetchall()
    connections = store.execute("SELECT * FROM connections ORDER BY created_at").fetchall()
    return json_response(
        {
            "organisations": [
                {
                    "tenant_id": o["OrganisationID"],
                    "name": o["Name"],
                    "base": o["BaseCurrency"],
                    "records": {
                        r["kind"]: r["n"] for r in counts if r["tenant_id"] == o["OrganisationID"]
                    },
                }
                for o in store.organisations()
            ],
            "connections": [dict(row) for row in connections],
            "grants": store.execute("SELECT count(*) AS n FROM grants").fetchone()["n"],
            "clock": _clock_json(sandbox),
            "faults": sandbox.faults.armed(),
            "calls": store.execute("SELECT count(*) AS n FROM calls").fetchone()["n"],
        }
    )
