"""Command line: `python -m services.cli COMMAND` (or the `shipbridge` script)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from models import Outcome, Role, Trigger
from services.db import migrate, session_scope
from services.observability import configure_logging


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shipbridge", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="create or upgrade the database schema")
    seed = commands.add_parser("seed-demo", help="add demo users and shipments")
    seed.add_argument("--count", type=int, default=30)
    imp = commands.add_parser("import-shipments", help="import shipments from a CSV file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--only-good-rows", action="store_true")
    send = commands.add_parser("send", help="send shipments (by id) to Xero now")
    send.add_argument("ids", type=int, nargs="+")
    commands.add_parser("push-remaining", help="queue every unsent shipment for the worker")
    commands.add_parser("worker", help="run a worker")
    commands.add_parser("run", help="start the sandbox, a worker and the app (make run)")
    # The sandbox's options (--port, --db, --help, ...) are read by its own parser.
    commands.add_parser("sandbox", help="run the local Xero sandbox", add_help=False)
    user = commands.add_parser("create-user", help="add or update a user")
    user.add_argument("username")
    user.add_argument("--name", required=True)
    user.add_argument("--email", required=True)
    user.add_argument("--role", required=True, choices=[r.value for r in Role])
    user.add_argument("--password", required=True)
    args, sandbox_args = parser.parse_known_args(argv)
    if sandbox_args and args.command != "sandbox":
        parser.error(f"unrecognized arguments: {' '.join(sandbox_args)}")
    configure_logging(process="worker" if args.command == "worker" else "cli")

    if args.command == "sandbox":
        from xero_sandbox.server import main as sandbox_main

        sandbox_main(sandbox_args)
        return 0
    if args.command == "run":
        from services.devserver import main as run_all

        return run_all()
    migrate()
    if args.command == "migrate":
        print("database is up to date")
    elif args.command == "seed-demo":
        from services.demo import seed_demo

        with session_scope() as session:
            users, shipments = seed_demo(session=session, count=args.count)
        print(f"added {users} demo user(s) and {shipments} demo shipment(s)")
    elif args.command == "import-shipments":
        return _import(args.file, args.only_good_rows)
    elif args.command == "send":
        return _send(args.ids)
    elif args.command == "push-remaining":
        from services import queue, shipments

        with session_scope() as session:
            ids = shipments.unsent_ids(session=session)
            added = queue.enqueue(
                session=session, shipment_ids=ids, trigger=Trigger.PUSH_REMAINING, user="cli"
            )
        print(f"queued {added} shipment(s)")
    elif args.command == "worker":
        from services.worker import run_forever

        run_forever()
    elif args.command == "create-user":
        from services.users import save_user

        with session_scope() as session:
            save_user(
                session=session,
                username=args.username,
                name=args.name,
                email=args.email,
                role=args.role,
                password=args.password,
            )
        print(f"saved user {args.username}")
    return 0


def _import(path: Path, only_good_rows: bool) -> int:
    from services.csv_import import ImportError_, import_shipments, parse_csv

    with session_scope() as session:
        preview = parse_csv(path.read_text(encoding="utf-8-sig"), session=session)
        for error in preview.errors:
            print(error, file=sys.stderr)
        try:
            result = import_shipments(
                session=session, preview=preview, user="cli", only_good_rows=only_good_rows
            )
        except ImportError_ as error:
            print(error, file=sys.stderr)
            return 1
    print(f"imported {result.imported} shipment(s); skipped rows: {result.skipped_rows or 'none'}")
    return 0


def _send(ids: list[int]) -> int:
    from services.sync import SyncError, send_shipments

    try:
        result = send_shipments(shipment_ids=ids, trigger=Trigger.CLI, user="cli")
    except SyncError as error:
        print(error, file=sys.stderr)
        return 1
    for outcome in result.outcomes:
        detail = outcome.document_number or "; ".join(outcome.messages)
        print(f"{outcome.shipment_number}: {outcome.outcome} {detail}")
    print(f"{result.api_calls} API call(s), {result.duration_ms} ms")
    return 0 if all(o.outcome == Outcome.PROCESSED for o in result.outcomes) else 2


if __name__ == "__main__":
    sys.exit(main())
