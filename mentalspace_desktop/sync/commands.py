"""``mentalspace connect`` and ``mentalspace sync``: the command-line face of sync.

Both sign in to the local store like every command (cli_signin); ``connect`` then signs in to the
hub with the same credentials. Output is one line a person can read; a failed sync exits non-zero
with the reason on that line (3 when the hub revoked this workstation).
"""

from __future__ import annotations

import argparse
import socket
import sys

from mentalspace_desktop.cli_signin import Credentials, credentials, data_dir_of, sign_in
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.sync import state
from mentalspace_desktop.sync.engine import SyncEngine, lock_out_revoked
from mentalspace_desktop.sync.enroll import connect, open_client, wait_for_approval
from mentalspace_desktop.sync.errors import DeviceRevoked, NotConnected

EXIT_OK, EXIT_FAILED, EXIT_REVOKED = 0, 1, 3


def _run_sync(session: UserSession) -> int:
    client = open_client(session.store)
    try:
        report = SyncEngine(session.store, client, session.actor.user_id).run_once()
    finally:
        client.close()
    for warning in report.warnings:
        print(f"warning: {warning}")
    for change_id, reason in report.rejections:
        print(f"rejected change {change_id}: {reason}")
    print(report.log_line(), file=sys.stdout if report.ok else sys.stderr)
    return EXIT_OK if report.ok else EXIT_FAILED


def _hub_sign_in(session: UserSession, url: str, creds: Credentials, device_name: str) -> tuple[str, str]:
    """Sign in to the hub; (device id, device status)."""
    conn, client = connect(session.store, url, username=creds.username, password=creds.password,
                           code=creds.code, device_name=device_name, signing_key=session.signing_key)
    client.close()
    if conn.credential_warning:
        print(f"warning: {conn.credential_warning}")
    return conn.device_id, conn.status


def _revoked(session: UserSession, exc: DeviceRevoked) -> int:
    lock_out_revoked(session.store, exc)
    print(f"mentalspace: {exc.message}", file=sys.stderr)
    return EXIT_REVOKED


def cmd_connect(args: argparse.Namespace) -> int:
    """Connect this store to a hub; wait up to ``--wait`` seconds for approval, then sync once."""
    creds = credentials(args)
    session = sign_in(data_dir_of(args), creds)
    try:
        device_id, status = _hub_sign_in(session, args.hub.rstrip("/"), creds,
                                          args.device_name or socket.gethostname()[:100])
        if status != "approved" and args.wait > 0:
            print(f"waiting up to {args.wait:g} s for an administrator to approve device {device_id}…")
            client = open_client(session.store)
            try:
                status = wait_for_approval(session.store, client, timeout=args.wait)
            finally:
                client.close()
        if status != "approved":
            print(f"connected to {args.hub}; ask an administrator to approve device {device_id}, "
                  "then run mentalspace sync")
            return EXIT_OK
        print(f"connected to {args.hub}; device {device_id} is approved")
        return _run_sync(session)
    except DeviceRevoked as exc:
        return _revoked(session, exc)
    finally:
        session.close()


def cmd_sync(args: argparse.Namespace) -> int:
    """One sync run; prints its sync-log line. Signs in to the hub again if its token is gone."""
    creds = credentials(args)
    session = sign_in(data_dir_of(args), creds)
    try:
        url = state.hub_url(session.store)
        if not url:
            raise NotConnected("This store is not connected to a hub. "
                               "Run mentalspace connect --hub URL first.")
        probe = open_client(session.store)
        has_token = bool(probe.refresh_token)
        probe.close()
        if not has_token:  # no keyring: the token did not outlive the last session; sign in again
            _hub_sign_in(session, url, creds, socket.gethostname()[:100])
        return _run_sync(session)
    except DeviceRevoked as exc:
        return _revoked(session, exc)
    finally:
        session.close()


def add_sync_parsers(commands: argparse._SubParsersAction, who: argparse.ArgumentParser) -> None:
    """Add ``connect`` and ``sync`` to the ``mentalspace`` parser; ``who`` carries the sign-in options."""
    p = commands.add_parser("connect", parents=[who],
                            help="connect this workstation's store to the practice hub")
    p.add_argument("--hub", required=True, metavar="URL", help="the hub's address, e.g. https://hub.example.org")
    p.add_argument("--device-name", default=None, help="how administrators see this workstation")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="how long to wait for an administrator's approval (default: do not wait)")
    p.set_defaults(handler=cmd_connect)
    s = commands.add_parser("sync", parents=[who], help="sync once with the practice hub")
    s.set_defaults(handler=cmd_sync)
