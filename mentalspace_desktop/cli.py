"""The ``mentalspace`` command: open the app, or run one task on a store without a window.

Commands that open a store sign in exactly as the app does (password, then a one-time code, with
the same lockout and audit), so the command line is no back door. Every error a person can cause
ends in one line, ``mentalspace: <reason>``, and a non-zero status (2 for a mistyped command, 1 for
anything else); a traceback means a bug. Only opening the app imports Qt.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
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
    from mentalspace_desktop.gui.platform_check import platform_problem

    problem = platform_problem()  # Qt's own abort names the wrong library: say what to install
    if problem is not None:
        raise MentalSpaceError(problem)
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

    anchors = [Path(a) for a in args.anchor or []]
    for anchor in anchors:  # before signing in: a mistyped name should change nothing
        if not anchor.is_file():
            raise UsageError(f"there is no anchor file at {anchor}")
    session = sign_in(data_dir_of(args), credentials(args))
    try:
        check = check_audit_log(session, anchors)
    finally:
        session.close()
    for warning in check.warnings:
        print(f"WARNING: {warning}")
    for finding in check.findings:
        print(f"BROKEN: {finding.reason}")
    if not check.ok:
        return EXIT_FAILURE
    chains = f" in {check.chains} chains" if check.chains > 1 else ""
    against = f"; matches {' and '.join(check.anchors)}" if check.anchors else ""
    print(f"OK ({check.entries} entries{chains}{against})" if against else f"OK ({check.entries} entries{chains})")
    return 0


def cmd_audit_anchor(args: argparse.Namespace) -> int:
    from mentalspace_desktop.services.audit import save_anchor

    session = sign_in(data_dir_of(args), credentials(args))
    try:
        path = save_anchor(session, Path(args.out))
    finally:
        session.close()
    print(f"Audit anchor written to {path}. Keep it off this computer (another disk, a safe, an e-mail "
          "to yourself); 'mentalspace audit verify --anchor FILE' then proves the log was not rewritten.")
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


def _date_arg(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} takes a date as YYYY-MM-DD, not {text!r}") from None


def cmd_export_appointments(args: argparse.Namespace) -> int:
    from mentalspace_desktop.services.scheduling.appointments import AppointmentService

    start, until = _date_arg(args.date_from, "--from"), _date_arg(args.until, "--until")
    session = sign_in(data_dir_of(args), credentials(args))
    try:
        count = AppointmentService(session).export_csv(start, until, Path(args.out))
    finally:
        session.close()
    print(f"Exported {count} appointments ({start} to {until}) to {args.out}.")
    return 0


def cmd_calendar_export(args: argparse.Namespace) -> int:
    from mentalspace_desktop.services.scheduling.calendar_files import CalendarFileService

    start, until = _date_arg(args.date_from, "--from"), _date_arg(args.until, "--until")
    session = sign_in(data_dir_of(args), credentials(args))
    try:
        service = CalendarFileService(session)
        provider_id, name = service.find_provider(args.provider)
        count = service.export_feed(provider_id, start, until, Path(args.out))
    finally:
        session.close()
    print(f"Wrote {count} sessions of {name} ({start} to {until}) to {args.out}.")
    return 0


def cmd_calendar_import(args: argparse.Namespace) -> int:
    from mentalspace_desktop.services.scheduling.calendar_files import CalendarFileService

    session = sign_in(data_dir_of(args), credentials(args))
    refused = 0
    try:
        service = CalendarFileService(session)
        provider_id, _ = service.find_provider(args.provider)
        for name in args.files:
            result = service.import_file(Path(name), provider_id)
            refused += result.error is not None
            print(result.line)
    finally:
        session.close()
    return EXIT_FAILURE if refused else 0


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
    verify = audit_commands.add_parser("verify", parents=[who], help="check the audit log's hash chains")
    verify.add_argument("--anchor", metavar="FILE", action="append",
                        help="an anchor file or backup kept elsewhere to check against (may repeat)")
    verify.set_defaults(handler=cmd_audit_verify)
    anchor = audit_commands.add_parser("anchor", parents=[who],
                                       help="save the audit log's anchor, to keep off this computer")
    anchor.add_argument("--out", metavar="FILE", required=True, help="the anchor file to write")
    anchor.set_defaults(handler=cmd_audit_anchor)

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
    appointments = export_commands.add_parser("appointments", parents=[who],
                                              help="appointments as CSV, one row per appointment")
    appointments.add_argument("--from", dest="date_from", metavar="DATE", required=True, help="first day (YYYY-MM-DD)")
    appointments.add_argument("--until", metavar="DATE", required=True, help="last day (YYYY-MM-DD)")
    appointments.add_argument("--out", metavar="FILE", required=True, help="the CSV file to write")
    appointments.set_defaults(handler=cmd_export_appointments)

    calendar = commands.add_parser("calendar", help="calendar files (.ics)")
    calendar_commands = calendar.add_subparsers(title="calendar tasks", metavar="TASK", required=True)
    feed = calendar_commands.add_parser("export", parents=[who],
                                        help="a provider's sessions as a feed file, client details masked")
    feed.add_argument("--provider", metavar="NAME", required=True, help="user name or full name")
    feed.add_argument("--from", dest="date_from", metavar="DATE", required=True, help="first day (YYYY-MM-DD)")
    feed.add_argument("--until", metavar="DATE", required=True, help="last day (YYYY-MM-DD)")
    feed.add_argument("--out", metavar="FILE", required=True, help="the .ics file to write")
    feed.set_defaults(handler=cmd_calendar_export)
    imports = calendar_commands.add_parser("import", parents=[who],
                                           help=".ics files as a provider's busy time and time off")
    imports.add_argument("files", metavar="FILE.ics", nargs="+", help="calendar files to import")
    imports.add_argument("--provider", metavar="NAME", required=True, help="user name or full name")
    imports.set_defaults(handler=cmd_calendar_import)

    from mentalspace_desktop.cli_productivity import add_productivity_parsers
    from mentalspace_desktop.sync.commands import add_sync_parsers

    add_sync_parsers(commands, who)
    from mentalspace_desktop.chart_commands import add_chart_parsers

    add_chart_parsers(commands, who)
    add_productivity_parsers(commands, who)
    from mentalspace_desktop.reminder_commands import add_reminder_parsers

    add_reminder_parsers(commands, who)
    return parser


def _fail(message: str, status: int) -> int:
    print(f"{PROG}: {' '.join(message.split())}", file=sys.stderr)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    if os.name == "posix":
        os.umask(0o077)  # a second guard: every file is also created owner-only explicitly (store.files)
    try:
        args = build_parser().parse_args(argv)
        handler: Callable[[argparse.Namespace], int] = args.handler
        if handler is cmd_app:
            return handler(args)
        from mentalspace_desktop.store.engine import busy_as_store_busy

        with busy_as_store_busy():  # a lock or damage met outside the store's own sessions: still one line
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
