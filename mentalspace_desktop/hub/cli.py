"""``mentalspace-hub``: set up a hub, serve it, and manage workstations from the server's shell.

Exit status 0 on success; otherwise one line ``mentalspace-hub: reason`` on stderr and status 1.
"""

from __future__ import annotations

import argparse
import gc
import getpass
import logging
import os
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from mentalspace_desktop.errors import MentalSpaceError
from mentalspace_desktop.hub import db, secrets_at_rest
from mentalspace_desktop.hub.errors import HubError
from mentalspace_desktop.hub.services import devices, setup
from mentalspace_desktop.hub.settings import HubSettings


class CliError(Exception):
    """A missing or contradictory option: reported as one line, like every other failure."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mentalspace-hub", description="The MentalSpace practice hub.")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", required=True, type=Path, help="the hub's folder (database, TLS files)")
        p.add_argument("--database-url", help="PostgreSQL URL; default: SQLite in the data folder")

    init = sub.add_parser("init", help="create the hub database and the practice (or import a solo store)")
    common(init)
    init.add_argument("--practice", help="the practice's name")
    init.add_argument("--time-zone", default="America/New_York")
    init.add_argument("--admin-user", help="the first administrator's user name")
    init.add_argument("--admin-name", help="the first administrator's full name")
    init.add_argument("--import-store", type=Path, help="a solo desktop store's folder to move into the hub")
    init.add_argument("--user", help="an administrator of the imported store")
    init.add_argument(
        "--password-file", type=Path, help="file holding the password (else MENTALSPACE_PASSWORD)"
    )
    init.add_argument("--totp", help="the store user's current one-time code (else MENTALSPACE_TOTP)")

    serve = sub.add_parser("serve", help="run the hub")
    common(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--tls-cert", type=Path)
    serve.add_argument("--tls-key", type=Path)
    serve.add_argument("--self-signed", action="store_true", help="a throw-away certificate, for trying out")
    serve.add_argument("--no-jobs", action="store_true", help="do not run scheduled jobs in this process")

    # The folder options go before the action or after it (devices --data-dir D list, or devices
    # list --data-dir D): the action's copies are left out of the result unless given.
    dev = sub.add_parser("devices", help="list, approve or revoke workstations, or remove a person from one")
    dev.add_argument("--data-dir", type=Path, help="the hub's folder (database, TLS files)")
    dev.add_argument("--database-url", help="PostgreSQL URL; default: SQLite in the data folder")
    dev_sub = dev.add_subparsers(dest="action", required=True)

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        p = dev_sub.add_parser(name, help=help_text)
        p.add_argument("--data-dir", type=Path, default=argparse.SUPPRESS, help="the hub's folder")
        p.add_argument("--database-url", default=argparse.SUPPRESS, help="PostgreSQL URL")
        return p

    action("list", "every workstation, its status and who works there")
    approve = action("approve", "let a pending workstation sync")
    approve.add_argument("device_id")
    revoke = action("revoke", "remove a workstation from the practice")
    revoke.add_argument("device_id")
    revoke.add_argument("--reason", default="")
    remove = action("remove-person", "stop a person working on a workstation")
    remove.add_argument("device_id")
    remove.add_argument("user", help="their user name")

    epoch = sub.add_parser("new-epoch", help="after restoring the database from a backup: devices re-copy")
    common(epoch)

    backup = sub.add_parser("backup", help="write a backup of a hub on SQLite (encrypted with its key)")
    common(backup)
    backup.add_argument("--out", required=True, type=Path, help="the backup file to write")

    encrypt = sub.add_parser("encrypt", help="encrypt a hub on SQLite made before hubs were encrypted")
    common(encrypt)

    rem = sub.add_parser("reminders", help="appointment reminders: what is due, or send it now")
    rem_sub = rem.add_subparsers(dest="action", required=True)
    due = rem_sub.add_parser("due", help="list the reminders due (first name and time only)")
    common(due)
    due.add_argument("--within", type=float, default=0.0, metavar="HOURS",
                     help="also those due within this many hours (default: due now)")
    run_once = rem_sub.add_parser("run-once", help="send the reminders due now")
    common(run_once)
    return parser


def _settings(args: argparse.Namespace, **extra: Any) -> HubSettings:
    return HubSettings.load(args.data_dir, database_url=args.database_url, **extra)


def _password(args: argparse.Namespace, prompt: str) -> str:
    if args.password_file:
        return args.password_file.read_text(encoding="utf-8").rstrip("\r\n")
    if os.environ.get("MENTALSPACE_PASSWORD"):
        return os.environ["MENTALSPACE_PASSWORD"]
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    raise CliError("give the password with --password-file or MENTALSPACE_PASSWORD")


def _ask(value: str | None, prompt: str, flag: str) -> str:
    if value:
        return value
    if sys.stdin.isatty():
        return input(prompt).strip()
    raise CliError(f"{flag} is needed")


UNENCRYPTED = (
    "warning: this hub's database is not encrypted (it was made before hubs were). Stop the hub and "
    "run 'mentalspace-hub encrypt --data-dir {dir}' to encrypt it."
)


def cmd_init(args: argparse.Namespace) -> None:
    settings = _settings(args)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    file = settings.database_file
    if file is not None and not file.exists() and not settings.key_file.exists():
        settings.make_database_key()  # a new hub on SQLite is encrypted from its first page
    elif db.is_unencrypted_sqlite(settings):
        print(UNENCRYPTED.format(dir=args.data_dir), file=sys.stderr)
    engine = db.engine_for(settings)
    try:
        db.prepare(engine)
        secrets_at_rest.install(engine, settings)  # makes secrets.key beside the config (owner-only)
        settings.save()
        sessions = db.session_factory(engine)
        if args.import_store:
            user = _ask(args.user, "Store administrator's user name: ", "--user")
            password = _password(args, "Password: ")
            code = args.totp or os.environ.get("MENTALSPACE_TOTP") or _ask(None, "One-time code: ", "--totp")
            with sessions() as session:
                summary = setup.import_store(
                    session, args.import_store, username=user, password=password, code=code
                )
            total = sum(summary.counts.values())
            print(f"Imported {total} rows: " + ", ".join(f"{t} {n}" for t, n in summary.counts.items()))
            print(f"The store's workstation ({summary.device_id}) is approved on this hub.")
            return
        practice = _ask(args.practice, "Practice name: ", "--practice")
        username = _ask(args.admin_user, "Administrator user name: ", "--admin-user")
        full_name = _ask(args.admin_name, "Administrator full name: ", "--admin-name")
        password = _password(args, "Administrator password: ")
        with sessions() as session:
            made = setup.create_practice(
                session,
                practice_name=practice,
                time_zone=args.time_zone,
                username=username,
                full_name=full_name,
                password=password,
            )
        print(f"Hub ready in {args.data_dir}.")
        print(f"Authenticator secret for {username}: {made.totp_secret}")
        print(f"(or add this to the authenticator app: {made.provisioning_uri})")
        print("One-time backup codes (keep them somewhere safe; each works once):")
        for code in made.backup_codes:
            print(f"  {code}")
    finally:
        engine.dispose()


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from mentalspace_desktop.hub.app import create_app
    from mentalspace_desktop.hub.tls import WARNING, self_signed

    if bool(args.tls_cert) != bool(args.tls_key):
        raise CliError("give both --tls-cert and --tls-key")
    if args.self_signed and args.tls_cert:
        raise CliError("use either --self-signed or --tls-cert/--tls-key, not both")
    settings = _settings(
        args,
        host=args.host,
        port=args.port,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        self_signed=args.self_signed or None,
        run_jobs=False if args.no_jobs else None,
    )
    if settings.is_sqlite and not (settings.data_dir / "hub.db").exists():
        raise CliError(f"no hub in {settings.data_dir}; run 'mentalspace-hub init' first")
    if db.is_unencrypted_sqlite(settings):
        print(UNENCRYPTED.format(dir=settings.data_dir), file=sys.stderr)
    cert, key = settings.tls_cert, settings.tls_key
    if settings.self_signed:
        cert, key = self_signed(settings.tls_dir, host=settings.host)
        print(WARNING, file=sys.stderr)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = create_app(settings)
    # Everything imported and built so far lives as long as the process. Frozen, it is left out of
    # the cyclic garbage collector's full passes, which otherwise walk it all and hold up every
    # request in flight (100 ms and more under load).
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        access_log=False,
        log_level="info",
        ssl_certfile=str(cert) if cert else None,
        ssl_keyfile=str(key) if key else None,
        timeout_graceful_shutdown=5,
    )


def cmd_devices(args: argparse.Namespace) -> None:
    if args.data_dir is None:
        raise CliError("give the hub's folder with --data-dir DIR")
    settings = _settings(args)
    engine = db.engine_for(settings)
    try:
        with db.session_factory(engine)() as session:
            if args.action == "list":
                rows = devices.list_devices(session)
                if not rows:
                    print("No workstations have asked to join yet.")
                for d in rows:
                    seen = d["last_seen_at"].strftime("%Y-%m-%d %H:%M") if d["last_seen_at"] else "never"
                    print(
                        f"{d['id']}  {d['status']:<8}  {d['name']}  user={d['username']}  last={seen}  "
                        f"version={d['app_version'] or '-'}  staff={','.join(d['staff']) or '-'}"
                    )
            elif args.action == "approve":
                d = devices.approve(session, args.device_id, by=None)
                print(f"Approved {d['id']} ({d['name']}).")
            elif args.action == "remove-person":
                d = devices.remove_person(session, args.device_id, args.user, by=None)
                print(
                    f"Removed {args.user} from {d['id']} ({d['name']}); what only they could read leaves "
                    "it at its next sync."
                )
            else:
                d = devices.revoke(session, args.device_id, reason=args.reason)
                print(f"Revoked {d['id']} ({d['name']}); it will lock its local data at its next contact.")
    finally:
        engine.dispose()


def cmd_new_epoch(args: argparse.Namespace) -> None:
    engine = db.engine_for(_settings(args))
    try:
        print(f"New epoch {db.new_epoch(engine)}: every workstation will take a fresh copy.")
    finally:
        engine.dispose()


def cmd_backup(args: argparse.Namespace) -> None:
    settings = _settings(args)
    encrypted = db.backup_sqlite(settings, args.out)
    if encrypted:
        print(f"Backup written to {args.out}, encrypted with the key in {settings.key_file}.")
        print("Keep a copy of that key file apart from the backups: without it no backup opens.")
    else:
        print(f"Backup written to {args.out} (not encrypted: neither is this hub's database).")
        print(UNENCRYPTED.format(dir=settings.data_dir), file=sys.stderr)


def cmd_encrypt(args: argparse.Namespace) -> None:
    key_file = db.encrypt_sqlite(_settings(args))
    print(f"The hub's database is now encrypted; its key is in {key_file} (readable by you only).")
    print("Keep a copy of that key file somewhere safe, apart from the hub's backups: without it neither")
    print("the database nor any backup made from now on opens. Backups made before are not encrypted:")
    print("delete them once a new backup exists.")


def cmd_reminders(args: argparse.Namespace) -> None:
    from datetime import timedelta

    from mentalspace_desktop.hub.services import reminders

    if args.action == "due" and not 0 <= args.within <= 24 * 14:
        raise CliError("--within takes hours between 0 and 336")
    settings = _settings(args)
    engine = db.engine_for(settings)
    try:
        db.prepare(engine)
        with reminders.hub_engine(db.session_factory(engine)) as rem:
            if args.action == "run-once":
                print(f"Reminders: {rem.run_once().describe()}.")
                return
            due = rem.due(within=timedelta(hours=args.within))
        if not due:
            print("No reminders due." if not args.within else f"No reminders due within {args.within:g} hours.")
        for d in due:
            local = d.start_local
            note = "; ".join(d.blocked) if d.blocked else ("after quiet hours" if d.moved_by_quiet_hours else "")
            print(f"{d.due_at:%Y-%m-%d %H:%M} UTC  {d.channel:<5}  {d.first_name:<15}  "
                  f"appointment {local:%a %b %d %H:%M}" + (f"  ({note})" if note else ""))
    finally:
        engine.dispose()


COMMANDS = {
    "init": cmd_init,
    "serve": cmd_serve,
    "devices": cmd_devices,
    "new-epoch": cmd_new_epoch,
    "backup": cmd_backup,
    "encrypt": cmd_encrypt,
    "reminders": cmd_reminders,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        COMMANDS[args.command](args)
    except (CliError, HubError, MentalSpaceError, OSError, SQLAlchemyError) as exc:
        message = (
            exc.message
            if isinstance(exc, MentalSpaceError)
            else exc.detail
            if isinstance(exc, HubError)
            else (str(exc).splitlines() or [type(exc).__name__])[0]
        )
        print(f"mentalspace-hub: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
