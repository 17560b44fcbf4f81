"""Run the sandbox with uvicorn.

``python -m xero_sandbox [--host H] [--port P] [--db PATH] [--no-control]``
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_DB = "data/xero_sandbox.sqlite3"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options, defaulting from XERO_SANDBOX_PORT/_DB/_CONTROL."""
    control_default = os.environ.get("XERO_SANDBOX_CONTROL", "1").strip().lower()
    parser = argparse.ArgumentParser(
        prog="python -m xero_sandbox", description="A local stand-in for Xero's APIs."
    )
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("XERO_SANDBOX_PORT", DEFAULT_PORT))
    )
    parser.add_argument("--db", default=os.environ.get("XERO_SANDBOX_DB", DEFAULT_DB))
    parser.add_argument(
        "--no-control",
        dest="control",
        action="store_false",
        default=control_default not in ("0", "false", "no", "off"),
        help="disable the /_sandbox/ control endpoints",
    )
    parser.add_argument(
        "--client-id", default=os.environ.get("XERO_SANDBOX_CLIENT_ID", "shipbridge-sandbox")
    )
    parser.add_argument(
        "--client-secret", default=os.environ.get("XERO_SANDBOX_CLIENT_SECRET", "sandbox-secret")
    )
    parser.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        help="register one more redirect URI on the app (besides XERO_SANDBOX_REDIRECT_URIS)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Start the sandbox server (blocks until interrupted)."""
    import uvicorn

    from xero_sandbox.app import create_app
    from xero_sandbox.apps import redirect_uris_from_env

    args = parse_args(argv)
    app = create_app(
        args.db,
        control=args.control,
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uris=redirect_uris_from_env(args.redirect_uri),
    )
    print(
        f"Xero sandbox on http://{args.host}:{args.port} (db {args.db}, "  # noqa: T201
        f"control {'on' if args.control else 'off'})",
        flush=True,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
