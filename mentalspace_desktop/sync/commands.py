"""``mentalspace connect`` and ``mentalspace sync``: the command-line face of sync.

Both sign in to the local store like every command (cli_signin); ``connect`` then signs in to the
hub with the same credentials. ``connect`` on an empty folder joins the practice as a new
workstation instead, as the first-run window's "join a hub" does (``sync.first_device``): an empty
store, its key slot for this person, approval, then the first sync, which a later ``connect``
continues if it was cut short. Output is one line a person can read; a failed sync exits non-zero
with the reason on that line (3 when the hub revoked this workstation). Warnings of the sync modules
(no keyring, for one) are printed once each, as ``warning:`` lines.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys

from mentalspace_desktop.cli_signin import Credentials, credentials, data_dir_of, sign_in
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.sync import state
from mentalspace_desktop.sync.engine import SyncEngine, lock_out_revoked
from mentalspace_desktop.sync.enroll import connect, open_client, wait_for_approval
from mentalspace_desktop.sync.errors import DeviceRevoked, NotConnected

EXIT_OK, EXIT_FAILED, EXIT_REVOKED = 0, 1, 3


class _PrintWarning(logging.Handler):
    """A warning logged by the sync modules, as the command's own ``warning:`` line.

    The modules log a warning once (a missing keyring, for one); printing the log is the only way it
    reaches the person, so it is never printed a second time from the result that carries it too.
    """

    def emit(self, record: logging.LogRecord) -> None:
        print(f"warning: {record.getMessage()}")


def _print_warnings() -> None:
    logger = logging.getLogger("mentalspace_desktop.sync")
    if not any(isinstance(h, _PrintWarning) for h in logger.handlers):
        logger.addHandler(_PrintWarning(logging.WARNING))


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
    return conn.device_id, conn.status  # a credential warning was logged, and so printed


def _revoked(session: UserSession, exc: DeviceRevoked) -> int:
    lock_out_revoked(session.store, exc)
    print(f"mentalspace: {exc.message}", file=sys.stderr)
    return EXIT_REVOKED


def _join(files: StoreFiles, args: argparse.Namespace, creds: Credentials) -> int:
    """A new workstation in an empty folder (or one whose first sync is unfinished): the first-run
    window's "join a hub", step by step on the command line."""
    from mentalspace_desktop.sync.first_device import connect_new_store, first_sync, resume, unfinished

    if unfinished(files):
        device = resume(files, username=creds.username, password=creds.password)
        print(f"continuing to set up device {device.device_id} with {device.hub_url}")
        if not device.client.refresh_token:  # no keyring: the hub sign-in ended with the last run
            try:
                _conn, client = connect(device.store, device.hub_url, username=creds.username,
                                        password=creds.password, code=creds.code,
                                        device_name=args.device_name or socket.gethostname()[:100])
            except BaseException:
                device.close()
                raise
            device.client.close()
            device.client = client
    else:
        device = connect_new_store(files, hub_url=args.hub.rstrip("/"), username=creds.username,
                                   password=creds.password, code=creds.code,
                                   device_name=args.device_name or socket.gethostname()[:100])
    try:
        status = device.status
        if status != "approved":
            if args.wait > 0:
                print(f"waiting up to {args.wait:g} s for an administrator to approve device {device.device_id}…")
            status = wait_for_approval(device.store, device.client, timeout=max(0.0, args.wait))
        if status != "approved":
            print(f"joined {device.hub_url} as device {device.device_id}; ask an administrator to approve "
                  f"it, then run mentalspace connect --data-dir {files.data_dir} again to take the first copy")
            return EXIT_OK
        report = first_sync(device)
        if not report.ok or report.interrupted or unfinished(files):
            print(report.log_line(), file=sys.stderr)
            print(f"the first copy is not complete; run mentalspace connect --data-dir {files.data_dir} "
                  "again to continue it", file=sys.stderr)
            return EXIT_FAILED
        print(report.log_line())
        print(f"joined {device.hub_url}: {creds.username} can now sign in on this workstation")
        return EXIT_OK
    except DeviceRevoked as exc:
        print(f"mentalspace: {exc.message}", file=sys.stderr)
        return EXIT_REVOKED
    finally:
        device.close()


def cmd_connect(args: argparse.Namespace) -> int:
    """Connect this store to a hub; wait up to ``--wait`` seconds for approval, then sync once.

    In an empty folder (no store yet), join the practice as a new workstation instead.
    """
    from mentalspace_desktop.services.accounts import store_files

    _print_warnings()
    creds = credentials(args)
    data_dir = data_dir_of(args)
    files = store_files(data_dir)
    if _joining(files):
        return _join(files, args, creds)
    session = sign_in(data_dir, creds)
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
    _print_warnings()
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


def _joining(files: StoreFiles) -> bool:
    """Whether ``connect`` sets up a new workstation here: no store yet, or its first sync unfinished."""
    from mentalspace_desktop.sync.first_device import unfinished

    return unfinished(files) or not files.exists()


def add_sync_parsers(commands: argparse._SubParsersAction, who: argparse.ArgumentParser) -> None:
    """Add ``connect`` and ``sync`` to the ``mentalspace`` parser; ``who`` carries the sign-in options."""
    p = commands.add_parser("connect", parents=[who],
                            help="connect this workstation's store to the practice hub "
                            "(in an empty folder: join the practice as a new workstation)")
    p.add_argument("--hub", required=True, metavar="URL", help="the hub's address, e.g. https://hub.example.org")
    p.add_argument("--device-name", default=None, help="how administrators see this workstation")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="how long to wait for an administrator's approval (default: do not wait)")
    p.set_defaults(handler=cmd_connect)
    s = commands.add_parser("sync", parents=[who], help="sync once with the practice hub")
    s.set_defaults(handler=cmd_sync)
