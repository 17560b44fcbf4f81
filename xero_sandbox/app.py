"""The FastAPI application: identity service, Accounting API, web pages and control API."""

from __future__ import annotations

from datetime import date

from fastapi import FastAPI, Request
from starlette.responses import Response

from xero_sandbox import control as control_api
from xero_sandbox import deeplinks, identity
from xero_sandbox.accounting import pipeline
from xero_sandbox.apps import (
    SandboxApp,
    created_from_env,
    day_limit_from_env,
    redirect_uris_from_env,
)
from xero_sandbox.clock import SandboxClock
from xero_sandbox.faults import FaultInjector
from xero_sandbox.limits import RateLimiter
from xero_sandbox.middleware import SandboxMiddleware
from xero_sandbox.responses import not_found
from xero_sandbox.seed import seed
from xero_sandbox.state import Sandbox
from xero_sandbox.store import Store
from xero_sandbox.tokens import TokenService

ISSUER = "https://identity.xero.com"


def create_app(
    db_path: str,
    *,
    control: bool = True,
    client_id: str = "shipbridge-sandbox",
    client_secret: str = "sandbox-secret",
    app_created: date | None = None,
    redirect_uris: tuple[str, ...] | None = None,
) -> FastAPI:
    """Build the sandbox app on a SQLite file (created and seeded on first start).

    ``app_created`` and ``redirect_uris`` describe the registered OAuth app; they default to
    XERO_SANDBOX_APP_CREATED and XERO_SANDBOX_REDIRECT_URIS (see xero_sandbox/apps.py)."""
    store = Store(db_path)
    seed(store)
    day_limit = day_limit_from_env()
    offset = float(store.get_meta(control_api.CLOCK_META_KEY, "0") or 0)
    clock = SandboxClock(offset)
    sandbox = Sandbox(
        store=store,
        clock=clock,
        tokens=TokenService(
            store, clock, client_id=client_id, client_secret=client_secret, issuer=ISSUER
        ),
        limiter=RateLimiter(clock, day_limit=day_limit),
        faults=FaultInjector(),
        control=control,
        app=SandboxApp(
            client_id=client_id,
            client_secret=client_secret,
            created=app_created or created_from_env(),
            redirect_uris=redirect_uris or redirect_uris_from_env(),
            day_limit=day_limit,
        ),
    )
    app = FastAPI(
        title="Xero sandbox",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.sandbox = sandbox
    app.include_router(identity.router)
    app.include_router(pipeline.router)
    app.include_router(deeplinks.router)
    app.include_router(control_api.health_router)
    if control:
        app.include_router(control_api.router)
    app.add_middleware(SandboxMiddleware, sandbox=sandbox)

    @app.exception_handler(404)
    async def _not_found(request: Request, exc: Exception) -> Response:
        return not_found()

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return Response(
            "Xero sandbox: see xero_sandbox/README.md for URLs and control endpoints.\n",
            media_type="text/plain",
        )

    return app
