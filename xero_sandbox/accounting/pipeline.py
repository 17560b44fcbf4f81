"""Every Accounting API call goes through here, in Xero's order.

1. bearer token (401), 2. route (404), 3. tenant connected (403), 4. scope (401),
5. rate limits (429), 6. injected delay, 7. Idempotency-Key replay or mismatch,
8. the handler, in one store transaction, 9. rate-limit headers on the answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response

from xero_sandbox.accounting import routes
from xero_sandbox.accounting.context import ApiRequest, BadRequest, Result
from xero_sandbox.faults import ERROR_500
from xero_sandbox.responses import (
    JSON_TYPE,
    NOT_FOUND_TEXT,
    api_exception,
    forbidden,
    insufficient_scope,
    json_bytes,
    json_response,
    not_found,
    unauthorized,
)
from xero_sandbox.state import Sandbox, sandbox_of
from xero_sandbox.tokens import AccessDenied

router = APIRouter()
log = logging.getLogger(__name__)

IDEMPOTENCY_SECONDS = 360
IDEMPOTENCY_KEY_LIMIT = 128
METHODS = ["GET", "PUT", "POST", "DELETE", "PATCH"]


@router.api_route("/api.xro/2.0/{resource:path}", methods=METHODS)
async def accounting_api(request: Request, resource: str) -> Response:
    """Authenticate, limit, de-duplicate and dispatch one Accounting API call."""
    sandbox = sandbox_of(request)
    try:
        access = sandbox.tokens.check_access(request.headers.get("authorization"))
    except AccessDenied as exc:
        return unauthorized(exc.detail)
    found = routes.match(request.method, resource)
    if found is None:
        return not_found()
    route, path_params = found
    connected = sandbox.tokens.connected_tenant_ids(access.client_id)
    tenant_id = (request.headers.get("xero-tenant-id") or "").strip().lower()
    if not tenant_id and access.kind == "client_credentials" and connected:
        tenant_id = connected[0]
    if tenant_id not in connected:
        return forbidden()
    if not routes.allowed(route, access.scopes):
        return insufficient_scope()
    decision = sandbox.limiter.acquire(tenant_id)
    if not decision.allowed:
        headers = {
            **decision.headers,
            "Retry-After": str(decision.retry_after),
            "X-Rate-Limit-Problem": decision.problem or "",
        }
        return Response(status_code=429, headers=headers)
    try:
        body = await request.body()
        delay = request.scope.get("state", {}).get("sandbox_delay")
        if delay:  # an injected "timeout": hold the slot, then act and answer late
            await asyncio.sleep(delay)
        try:
            response = await run_in_threadpool(
                _execute, sandbox, request, route, path_params, tenant_id, body
            )
        except Exception:  # a sandbox bug: answer as Xero's 500 would, and log it
            log.exception("sandbox handler failed for %s %s", request.method, resource)
            response = json_response(ERROR_500, 500)
    finally:
        sandbox.limiter.release(tenant_id)
    response.headers.update(sandbox.limiter.headers(tenant_id))
    return response


def _fingerprint(request: Request, body: bytes) -> str:
    query = "&".join(sorted(request.url.query.split("&"))) if request.url.query else ""
    digest = hashlib.sha256()
    for part in (request.method, request.url.path.lower(), query):
        digest.update(part.encode() + b"\0")
    digest.update(body)
    return digest.hexdigest()


def _execute(
    sandbox: Sandbox,
    request: Request,
    route: routes.Route,
    path_params: dict[str, str],
    tenant_id: str,
    body: bytes,
) -> Response:
    key = request.headers.get("idempotency-key")
    if key is not None and request.method not in ("PUT", "POST"):
        key = None
    if key is not None and len(key) > IDEMPOTENCY_KEY_LIMIT:
        # xero-facts.md §15: "128 character max." (OpenAPI spec); sandbox guess: the wording.
        return api_exception(
            10,
            "ValidationException",
            f"Idempotency Key: {key} exceeds the maximum length of {IDEMPOTENCY_KEY_LIMIT}.",
        )
    with sandbox.store.transaction():
        now = sandbox.clock.timestamp()
        if key is not None:
            sandbox.store.execute(
                "DELETE FROM idempotency WHERE created_at < ?", (now - IDEMPOTENCY_SECONDS,)
            )
            fingerprint = _fingerprint(request, body)
            row = sandbox.store.execute(
                "SELECT * FROM idempotency WHERE tenant_id = ? AND key = ?", (tenant_id, key)
            ).fetchone()
            if row is not None:
                if row["fingerprint"] != fingerprint:
                    # xero-facts.md §15: "used with a different request" (xero-prompt-library);
                    # the full wording from a third-party classifier test (confidence 1).
                    return api_exception(
                        10,
                        "ValidationException",
                        f"Idempotency Key: {key} is used with a different request.",
                    )
                return Response(
                    row["body"], status_code=row["status"], headers=json.loads(row["headers"])
                )
        ctx = ApiRequest(
            store=sandbox.store,
            clock=sandbox.clock,
            tenant_id=tenant_id,
            organisation=sandbox.store.organisation(tenant_id) or {},
            method=request.method,
            path_params=path_params,
            query={k.lower(): v for k, v in request.query_params.items()},
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
        )
        response = _run(route, ctx)
        if key is not None:
            sandbox.store.execute(
                "INSERT INTO idempotency (tenant_id, key, fingerprint, status, headers, body, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    tenant_id,
                    key,
                    fingerprint,
                    response.status_code,
                    json.dumps({"content-type": response.headers.get("content-type", "")}),
                    response.body,
                    now,
                ),
            )
        return response


def _run(route: routes.Route, ctx: ApiRequest) -> Response:
    try:
        result: Result = route.handler(ctx)
    except BadRequest as exc:
        return api_exception(exc.error_number, exc.kind, exc.message)
    if result.status == 404:
        return PlainTextResponse(NOT_FOUND_TEXT, status_code=404)
    if result.text:
        return PlainTextResponse(str(result.body), status_code=result.status)
    return Response(json_bytes(result.body), status_code=result.status, media_type=JSON_TYPE)
