"""The ``mentalspace`` command: open the app, or run one task on a store without a window.

Commands that open a store sign in exactly as the app does (password, then a one-time code, with
the same lockout and audit), so the command line is no back door. Every error a person can cause
ends in one line, ``mentalspace: <reason>``, and a non-zero status (2 for a mistyped command, 1 for
anything else); a traceback means a bug. Only opening the app imports Qt.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from mentalspace_desktop import __version__
from mentalspace_desktop.cli_signin import (
    PASSWORD_ENV,
    TOTP_ENV,
    UsageError,
    credentials,
    data_dir_of,
    sign_in,
)
from mentalspace_desktop.errors import MentalSpaceError

PROG = "mentalspace"
EXIT_FAILURE = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


# -- commands ---------------------------------------------------------------------------------


def cmd_app(args: argparse.Namespace) -> int:
    try:
        from mentalspace_desktop.gui.app import run
    except ImportError as exc:  # no display libraries, or a broken install: say so in one line
        raise MentalSpaceError(f"The MentalSpace window cannot start here ({exc}).") from None
    return int(run(data_dir_of(args)) or 0)


def cmd_demo(args: argparse.Namespace) -> int:
    from mentalspace_desktop.services.demo import create_demo_practice, write_logins_file

    if not args.data_dir:
        raise UsageError("give the folder for the demo practice with --data-dir DIR")
    data_dir = Path(args.data_dir)
    started = time.monotonic()
    logins = create_demo_practice(data_dir, seed=args.seed)
    path = write_logins_file(data_dir, logins)
    width = max(len(x.username) for x in logins)
    print(f"{'user':<{width}}  {'role':<10}  {'password':<22}  totp secret")
    for x in logins:
        print(f"{x.username:<{width}}  {x.role.value:<10}  {x.password:<22}  {x.totp_secret}")
    elapsed = time.monotonic() - started
    print(f"Demo practice created in {data_dir} in {elapsed:.1f} s; logins saved to {path}.")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from mentalspace_desktop.services.integrity import check_audit_log

    session = sign_in(data_dir_of(args), credentials(args))
    try:
        check = check_audit_log(session)
    finally:
        session.close()
    if check.broken is not None:
        print(f"BROKEN: {check.broken.reason}")
        return EXIT_FAILURE
    print(f"OK ({check.entries} entries)")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from mentalspace_desktop.services.backup import write_backup

    session = sign_in(data_dir_of(args), credentials(args))
    try:
        info = write_backup(session, Path(args.out))
    finally:
        session.close()
    print(f"Backup written to {info.path} ({info.size_bytes / 1e6:.1f} MB, sha256 {info.sha256}).")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from mentalspace_desktop.services.backup import restore_backup
    from mentalspace_desktop.services.integrity import store_counts

    data_dir = data_dir_of(args)
    creds = credentials(args)  # before unpacking: a missing option should change nothing
    manifest = restore_backup(Path(args.file), data_dir)
    try:
        session = sign_in(data_dir, creds)
    except MentalSpaceError as exc:
        raise MentalSpaceError(f"The backup was restored into {data_dir}, but signing in to check it "
                               f"failed: {exc.message}") from None
    try:
        counts = store_counts(session)
    finally:
        session.close()
    print(f"Restored the backup of {manifest.created_at:%Y-%m-%d %H:%M} UTC into {data_dir}: "
          f"{counts.clients} clients, {counts.users} staff; {creds.username} signed in.")
    return 0


def cmd_export_clients(args: argparse.Namespace) -> int:
    from mentalspace_desktop.services.clients import ClientService

    session = sign_in(data_dir_of(args), credentials(args))
    try:
        count = ClientService(session).export_csv(Path(args.out))
    finally:
        session.close()
    print(f"Exported {count} clients to {args.out}.")
    return 0


# -- parsing ----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="MentalSpace Desktop. Without a command, opens the app.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--data-dir", metavar="DIR", help="the folder holding the store (default: per user)")
    parser.set_defaults(handler=cmd_app)

    where = _Parser(add_help=False)
    where.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS,
                       help="the folder holding the store")
    who = _Parser(add_help=False, parents=[where])
    group = who.add_argument_group("signing in")
    group.add_argument("--user", metavar="NAME", help="user name")
    group.add_argument("--password-file", metavar="FILE", help=f"file whose first line is the password "
                       f"(or set {PASSWORD_ENV})")
    group.add_argument("--totp", metavar="CODE", help=f"one-time code or backup code (or set {TOTP_ENV})")

    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    demo = commands.add_parser("demo", parents=[where], help="create the demo practice (no window)")
    demo.add_argument("--seed", type=int, default=7, help="the demo's random seed (default 7)")
    demo.set_defaults(handler=cmd_demo)

    audit = commands.add_parser("audit", help="audit log tasks")
    audit_commands = audit.add_subparsers(title="audit commands", metavar="TASK", required=True)
    verify = audit_commands.add_parser("verify", parents=[who], help="check the audit log's hash chain")
    verify.set_defaults(handler=cmd_audit_verify)

    backup = commands.add_parser("backup", parents=[who], help="write an encrypted backup (administrators)")
    backup.add_argument("--out", metavar="FILE", required=True, help="the backup file to write")
    backup.set_defaults(handler=cmd_backup)

    restore = commands.add_parser("restore", parents=[who], help="restore a backup into an empty folder")
    restore.add_argument("file", metavar="FILE", help="the backup file")
    restore.set_defaults(handler=cmd_restore)

    export = commands.add_parser("export", help="export data")
    export_commands = export.add_subparsers(title="exports", metavar="WHAT", required=True)
    clients = export_commands.add_parser("clients", parents=[who], help="clients as CSV, client id first")
    clients.add_argument("--out", metavar="FILE", required=True, help="the CSV file to write")
    clients.set_defaults(handler=cmd_export_clients)

    from mentalspace_desktop.cli_productivity import add_productivity_parsers
    from mentalspace_desktop.sync.commands import add_sync_parsers

    add_sync_parsers(commands, who)
    add_productivity_parsers(commands, who)
    return parser


def _fail(message: str, status: int) -> int:
    print(f"{PROG}: {' '.join(message.split())}", file=sys.stderr)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except UsageError as exc:
        return _fail(f"{exc} (see '{PROG} --help')", EXIT_USAGE)
    except MentalSpaceError as exc:
        return _fail(exc.message, EXIT_FAILURE)
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        return _fail(f"cannot use{where}: {exc.strerror or exc}", EXIT_FAILURE)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
