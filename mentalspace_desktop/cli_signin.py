"""Signing in from the command line, shared by every ``mentalspace`` command that opens a store.

The same rules as the window: password, then a one-time code, with lockout and audit — the command
line is no back door.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mentalspace_desktop.errors import AuthenticationError, MentalSpaceError, StoreError

if TYPE_CHECKING:
    from mentalspace_desktop.services.session import UserSession

PASSWORD_ENV = "MENTALSPACE_PASSWORD"
TOTP_ENV = "MENTALSPACE_TOTP"


class UsageError(Exception):
    """The command line itself is wrong or incomplete."""


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("MentalSpace", "MentalSpace"))


# -- signing in -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    code: str


def _read_secret(path: str | None, env: str, prompt: str, what: str, hint: str) -> str:
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise MentalSpaceError(f"Cannot read the {what} file {path}: {exc.strerror or exc}.") from None
        return text.splitlines()[0] if text else ""  # the first line, without its line ending
    if os.environ.get(env):
        return os.environ[env]
    if sys.stdin.isatty():
        return getpass.getpass(prompt) if what == "password" else input(prompt)
    raise UsageError(f"give the {what} with {hint} or the {env} environment variable")


def credentials(args: argparse.Namespace) -> Credentials:
    """The user name, password and one-time code from the options, environment or (at a terminal) prompts."""
    if not args.user:
        raise UsageError("give the user name with --user NAME")
    password = _read_secret(args.password_file, PASSWORD_ENV, "Password: ", "password",
                            "--password-file FILE")
    code = args.totp or _read_secret(None, TOTP_ENV, "One-time code: ", "one-time code", "--totp CODE")
    return Credentials(args.user, password, code)


def sign_in(data_dir: Path, creds: Credentials) -> UserSession:
    """A signed-in session on the store in ``data_dir``, through the app's own authenticator."""
    from mentalspace_desktop.services.accounts import Authenticator, store_files

    auth = Authenticator(store_files(data_dir))
    if not auth.store_exists():
        raise StoreError(f"No MentalSpace store was found in {data_dir}.")
    pending = auth.begin(creds.username, creds.password)
    try:
        if pending.needs_enrollment:
            raise AuthenticationError("This account has no authenticator app yet. Sign in once in the "
                                      "MentalSpace window to set one up.")
        if pending.must_change_password:
            raise AuthenticationError("This account must choose a new password first. Sign in once in the "
                                      "MentalSpace window.")
        return auth.complete(pending, creds.code)
    except BaseException:
        pending.cancel()
        raise


def data_dir_of(args: argparse.Namespace) -> Path:
    return Path(args.data_dir) if args.data_dir else default_data_dir()
