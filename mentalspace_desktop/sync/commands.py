"""``mentalspace connect`` and ``mentalspace sync``: the command-line face of sync.

Both open the local store the way every command does (user name, password from a file or
``MENTALSPACE_PASSWORD``, one-time code from ``--totp`` or ``MENTALSPACE_TOTP``); ``connect`` then
signs in to the hub with the same credentials. Output is one line a person can read; the exit status
is non-zero when the sync failed, with the reason on that line.

``add_sync_parsers`` adds both to the application's sub-command parser (wired in by cli.py).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

from mentalspace_desktop.errors import MentalSpaceError
from mentalspace_desktop.services.accounts import Authenticator, store_files
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.sync import state
from mentalspace_desktop.sync.engine import SyncEngine, lock_out_revoked
from mentalspace_desktop.sync.enroll import connect, open_client, wait_for_approval
from mentalspace_desktop.sync.errors import DeviceRevoked

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REVOKED = 0, 1, 2, 3


class _Credentials:
    def __init__(self, username: str, password: str, code: str) -> None:
        self.username, self.password, self.code = username, password, code


def _credentials(args: argparse.Namespace) -> _Credentials:
    username = args.user or os.environ.get("MENTALSPACE_USER", "")
    if args.password_file:
        password = Path(args.password_file).read_text(encoding="utf-8").rstrip("\r\n")
    else:
        password = os.environ.get("MENTALSPACE_PASSWORD", "")
    code = args.totp or os.environ.get("MENTALSPACE_TOTP", "")
    given = (("--user", username), ("--password-file or MENTALSPACE_PASSWORD", password),
             ("--totp or MENTALSPACE_TOTP", code))
    missing = [name for name, value in given if not value]
    if missing:
        raise MentalSpaceError("Missing " + ", ".join(missing) + ".")
    return _Credentials(username, password, code)


def _sign_in(args: argparse.Namespace, creds: _Credentials) -> UserSession:
    """Open the local store as this user (password, then one-time code), as the app would."""
    if not args.data_dir:
        raise MentalSpaceError("Give the store's folder with --data-dir.")
    auth = Authenticator(store_files(Path(args.data_dir)))
    if not auth.store_exists():
        raise MentalSpaceError(f"There is no MentalSpace store in {args.data_dir}.")
    pending = auth.begin(creds.username, creds.password)
    if pending.needs_enrollment:
        pending.cancel()
        raise MentalSpaceError("Sign in to the app once to set up your authenticator before syncing.")
    try:
        return auth.complete(pending, creds.code)
    except BaseException:
        pending.cancel()
        raise


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_FAILED


def _run_sync(session: UserSession) -> int:
    client = open_client(session.store)
    try:
        try:
            report = SyncEngine(session.store, client, session.actor.user_id).run_once()
        except DeviceRevoked as exc:
            print(f"sync failed: {exc.message}", file=sys.stderr)
            return EXIT_REVOKED
    finally:
        client.close()
    for warning in report.warnings:
        print(f"warning: {warning}")
    for change_id, reason in report.rejections:
        print(f"rejected change {change_id}: {reason}")
    print(report.log_line(), file=sys.stdout if report.ok else sys.stderr)
    return EXIT_OK if report.ok else EXIT_FAILED


def connect_main(args: argparse.Namespace) -> int:
    """Connect this store to a hub; wait up to ``--wait`` seconds for approval, then sync once."""
    try:
        creds = _credentials(args)
        session = _sign_in(args, creds)
    except MentalSpaceError as exc:
        return _fail(exc.message)
    store = session.store
    try:
        conn, client = connect(store, args.hub, username=creds.username, password=creds.password,
                               code=creds.code, device_name=args.device_name or socket.gethostname()[:100])
        try:
            if conn.credential_warning:
                print(f"warning: {conn.credential_warning}")
            status = conn.status
            if status != "approved" and args.wait > 0:
                print(f"waiting up to {args.wait:g} s for an administrator to approve device "
                      f"{conn.device_id}…")
                status = wait_for_approval(store, client, timeout=args.wait)
        finally:
            client.close()
        if status != "approved":
            print(f"connected to {conn.hub_url}; ask an administrator to approve device {conn.device_id}, "
                  "then run mentalspace sync")
            return EXIT_OK
        print(f"connected to {conn.hub_url}; device {conn.device_id} is approved")
        return _run_sync(session)
    except DeviceRevoked as exc:
        lock_out_revoked(store, exc)
        return _fail(exc.message)
    except MentalSpaceError as exc:
        return _fail(exc.message)
    finally:
        session.close()


def sync_main(args: argparse.Namespace) -> int:
    """One sync run; prints its sync-log line. Signs in to the hub again if its token is gone."""
    try:
        creds = _credentials(args)
        session = _sign_in(args, creds)
    except MentalSpaceError as exc:
        return _fail(exc.message)
    store = session.store
    try:
        url = state.hub_url(store)
        if not url:
            return _fail("This store is not connected to a hub. Run mentalspace connect --hub URL first.")
        probe = open_client(store)
        has_token = bool(probe.refresh_token)
        probe.close()
        if not has_token:  # no keyring: the token did not outlive the last session; sign in again
            _conn, client = connect(store, url, username=creds.username, password=creds.password,
                                    code=creds.code, device_name=socket.gethostname()[:100])
            client.close()
        return _run_sync(session)
    except DeviceRevoked as exc:
        lock_out_revoked(store, exc)
        return _fail(exc.message)
    except MentalSpaceError as exc:
        return _fail(exc.message)
    finally:
        session.close()


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", dest="data_dir", default=None, help="the store's folder")
    parser.add_argument("--user", default=None, help="your user name (or MENTALSPACE_USER)")
    parser.add_argument("--password-file", default=None, help="a file holding your password "
                        "(or MENTALSPACE_PASSWORD)")
    parser.add_argument("--totp", default=None, help="your current one-time code (or MENTALSPACE_TOTP)")


def add_sync_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Add ``connect`` and ``sync``; each sets ``func`` to its main function."""
    p = subparsers.add_parser("connect", help="connect this workstation's store to the practice hub")
    _common(p)
    p.add_argument("--hub", required=True, help="the hub's address, e.g. https://hub.example.org")
    p.add_argument("--device-name", default=None, help="how administrators see this workstation")
    p.add_argument("--wait", type=float, default=0.0, help="seconds to wait for approval (default 0)")
    p.set_defaults(func=connect_main)
    s = subparsers.add_parser("sync", help="sync once with the practice hub")
    _common(s)
    s.set_defaults(func=sync_main)
