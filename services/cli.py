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
    imp.add_argument(
        "--update-existing",
        action="store_true",
        help="update shipments whose number exists (prints each change, field: old → new)",
    )
    send = commands.add_parser("send", help="send shipments (by id) to Xero now")
    send.add_argument("ids", type=int, nargs="+")
    commands.add_parser("push-remaining", help="queue every unsent shipment for the worker")
    drift = commands.add_parser(
        "drift-check", help="compare sent shipments with their documents in Xero"
    )
    drift.add_argument("--full", action="store_true", help="read every document, not just changes")
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
    reset = commands.add_parser("reset-password", help="give a user a new password")
    reset.add_argument("username")
    reset.add_argument("--password", required=True)
    role = commands.add_parser("set-role", help="give a user another role")
    role.add_argument("username")
    role.add_argument("--role", required=True, choices=[r.value for r in Role])
    deactivate = commands.add_parser("deactivate-user", help="stop a user logging in")
    deactivate.add_argument("username")
    commands.add_parser(
        "rotate-cookie-key", help="end every login and refuse every login cookie signed before"
    )
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
        from services.demo import NotDemoMode, seed_demo

        try:
            with session_scope() as session:
                users, added = seed_demo(session=session, count=args.count)
        except NotDemoMode as error:
            print(error, file=sys.stderr)
            return 2
        print(f"added {users} demo user(s) and {added} demo shipment(s)")
    elif args.command == "import-shipments":
        return _import(args.file, args.only_good_rows, args.update_existing)
    elif args.command == "send":
        return _send(args.ids)
    elif args.command == "push-remaining":
        from services import queue, shipments

        with session_scope() as session:
            ids = shipments.unsent_ids(session=session)
            answer = queue.enqueue(
                session=session, shipment_ids=ids, trigger=Trigger.PUSH_REMAINING, user="cli"
            )
            waiting = shipments.shipments_by_id(session=session, shipment_ids=answer.cancelling)
        print(f"queued {len(ids) - len(waiting)} shipment(s) ({answer.added} new in the queue)")
        if waiting:
            numbers = ", ".join(s.shipment_number for s in waiting)
            print(f"not queued: {numbers}. {queue.CANCELLATION_WAITS}", file=sys.stderr)
    elif args.command == "drift-check":
        return _drift_check(full=args.full)
    elif args.command == "worker":
        from services.worker import run_forever

        run_forever()
    elif args.command in USER_COMMANDS:
        return _user_command(args)
    return 0


USER_COMMANDS = (
    "create-user",
    "reset-password",
    "set-role",
    "deactivate-user",
    "rotate-cookie-key",
)


def _user_command(args: argparse.Namespace) -> int:
    """Users and logins; a refused change (a weak password, say) is one sentence, exit 2."""
    from services import sessions, users
    from services.errors import UserError

    try:
        with session_scope() as session:
            if args.command == "create-user":
                users.save_user(
                    session=session,
                    username=args.username,
                    name=args.name,
                    email=args.email,
                    role=args.role,
                    password=args.password,
                )
                done = f"saved user {args.username}"
            elif args.command == "reset-password":
                users.reset_password(
                    session=session, username=args.username, password=args.password, actor="cli"
                )
                done = f"new password for {args.username}; their sessions have ended"
            elif args.command == "set-role":
                users.change_role(
                    session=session, username=args.username, role=args.role, actor="cli"
                )
                done = f"{args.username} is now {args.role}; their sessions have ended"
            elif args.command == "deactivate-user":
                users.deactivate(session=session, username=args.username, actor="cli")
                done = f"{args.username} can no longer log in; their sessions have ended"
            else:
                generation = sessions.rotate_cookie_key(session=session, actor="cli")
                done = f"cookie key generation {generation}: every login has ended"
    except UserError as error:
        print(error, file=sys.stderr)
        return 2
    print(done)
    return 0


def _import(path: Path, only_good_rows: bool, update_existing: bool = False) -> int:
    from services.csv_import import ImportError_, import_shipments, parse_csv

    # Bad input is said in the page's sentences, with exit code 2, never as a traceback. The
    # file is read as a stream of bytes (parse_csv checks the encoding line by line).
    try:
        with session_scope() as session, path.open("rb") as file:
            preview = parse_csv(file, session=session, update_existing=update_existing)
            for error in preview.errors:
                print(error, file=sys.stderr)
            for parsed in preview.good_shipments:
                for change in parsed.changes:  # update mode: what the import changes
                    print(f"Row {parsed.rows[0]}, {parsed.fields.shipment_number}: {change}")
            result = import_shipments(
                session=session, preview=preview, user="cli", only_good_rows=only_good_rows
            )
    except ImportError_ as error:
        print(error, file=sys.stderr)
        return 2
    except OSError as error:
        print(f"cannot read {path}: {error.strerror or error}", file=sys.stderr)
        return 2
    print(result.sentence())
    return 0


def _drift_check(*, full: bool) -> int:
    from services import drift

    with session_scope() as session:
        summaries = drift.check_all(session=session, full=full)
    if not summaries:
        print("no connected Xero organisation to check", file=sys.stderr)
        return 1
    for organisation, summary in summaries.items():
        if summary.error:
            print(f"{organisation}: not checked: {summary.error}", file=sys.stderr)
            continue
        for detail in summary.details:
            print(f"{organisation}: {detail}")
        print(
            f"{organisation}: {summary.documents_read} changed document(s) read, "
            f"{summary.shipments_differing} shipment(s) differ from Xero, "
            f"{summary.api_calls} API call(s)"
        )
    return 2 if any(s.error or s.shipments_differing for s in summaries.values()) else 0


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
