"""The hub's settings in one place; nothing else reads flags, files or the environment."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mentalspace_desktop.integrations.smtp_mail import SmtpSettings
from mentalspace_desktop.services.report_mail import smtp_from_environment
from mentalspace_desktop.sync.protocol import ACCESS_TOKEN_SECONDS, REFRESH_TOKEN_DAYS

CONFIG_FILE = "hub.json"  # written by ``init`` when the database is not the default SQLite file
KEY_FILE = "hub.key"  # the SQLCipher key of the default SQLite database (hex), owner-only like hub.json
# The key sealing the messaging secrets (SMTP password, Twilio auth token) in the database, whatever
# the database: 64 hex digits, in the environment (several hub processes on several hosts) or in this
# file beside hub.json (owner-only). Never in the database itself.
SECRETS_KEY_FILE = "secrets.key"
SECRETS_KEY_ENV = "MENTALSPACE_HUB_SECRETS_KEY"
DEFAULT_PORT = 8765


@dataclass(frozen=True)
class HubSettings:
    """Everything a hub process needs to start. Immutable: a running hub never changes its mind."""

    data_dir: Path
    database_url: str | None = None  # None: SQLite file data_dir/hub.db
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    tls_cert: Path | None = None
    tls_key: Path | None = None
    self_signed: bool = False
    access_token_seconds: int = ACCESS_TOKEN_SECONDS
    refresh_token_days: int = REFRESH_TOKEN_DAYS
    sync_log_retention_days: int = 90
    run_jobs: bool = True
    job_tick_seconds: float = 5.0
    events_poll_seconds: float = 0.2
    keepalive_seconds: float = 15.0
    # The practice's mail server for the weekly team reports; None: no report e-mails are sent.
    # Read from MENTALSPACE_SMTP_* for now (see smtp_from_environment).
    smtp: SmtpSettings | None = None
    secrets_key_hex: str | None = None  # from MENTALSPACE_HUB_SECRETS_KEY; None: the file, if any

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the hub database."""
        return self.database_url or f"sqlite:///{self.data_dir / 'hub.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def tls_dir(self) -> Path:
        return self.data_dir / "tls"

    @property
    def database_file(self) -> Path | None:
        """The default SQLite database file (None when a database URL is given)."""
        return None if self.database_url is not None else self.data_dir / "hub.db"

    @property
    def key_file(self) -> Path:
        return self.data_dir / KEY_FILE

    def database_key(self) -> bytes | None:
        """The key the default SQLite database is encrypted with; None for PostgreSQL, for a database
        URL given explicitly, and for a hub made before its database was encrypted (no key file)."""
        if self.database_file is None or not self.key_file.exists():
            return None
        text = self.key_file.read_text(encoding="utf-8").strip()
        try:
            key = bytes.fromhex(text)
        except ValueError:
            key = b""
        if len(key) != 32:
            raise ValueError(f"{self.key_file} does not hold a hub database key (64 hex digits)")
        return key

    def make_database_key(self) -> bytes:
        """A new random key for the default SQLite database, written where only the owner can read it.

        Never overwrites a key: the database (and every backup of it) opens with that key only.
        """
        key = secrets.token_bytes(32)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(key.hex() + "\n")
            out.flush()
            os.fsync(out.fileno())
        return key

    @property
    def secrets_key_file(self) -> Path:
        return self.data_dir / SECRETS_KEY_FILE

    def secrets_key(self) -> bytes | None:
        """The key sealing the messaging secrets: the environment's, else the file's; None when neither."""
        if self.secrets_key_hex:
            return _key_from_hex(self.secrets_key_hex, SECRETS_KEY_ENV)
        if not self.secrets_key_file.exists():
            return None
        return _key_from_hex(self.secrets_key_file.read_text(encoding="utf-8"), str(self.secrets_key_file))

    def make_secrets_key(self) -> bytes:
        """A new random secrets key in :attr:`secrets_key_file` (owner-only). Never overwrites one: if
        another hub process wrote it first, that one is read and used."""
        key = secrets.token_bytes(32)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Written whole under a name of its own, then linked into place (which fails if a key is there):
        # another hub starting at the same moment never reads a key file still being written.
        draft = self.secrets_key_file.with_name(f".{SECRETS_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(key.hex() + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.link(draft, self.secrets_key_file)
        except FileExistsError:
            found = self.secrets_key()
            if found is None:
                raise
            return found
        finally:
            draft.unlink(missing_ok=True)
        return key

    @classmethod
    def load(cls, data_dir: Path, **overrides: Any) -> HubSettings:
        """Settings for ``data_dir``: its saved config file, then the given overrides (None: not given)."""
        data_dir = Path(data_dir)
        saved: dict[str, Any] = {}
        config = data_dir / CONFIG_FILE
        if config.exists():
            saved = json.loads(config.read_text(encoding="utf-8"))
        values: dict[str, Any] = {"database_url": saved.get("database_url"), "smtp": smtp_from_environment(),
                                  "secrets_key_hex": os.environ.get(SECRETS_KEY_ENV) or None}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(data_dir=data_dir), **values)

    def save(self) -> None:
        """Remember the database URL so ``serve`` and ``devices`` find it without the flag.

        The file may hold a database password, so only its owner can read it.
        """
        if self.database_url is None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / CONFIG_FILE
        config.write_text(json.dumps({"database_url": self.database_url}, indent=2), encoding="utf-8")
        os.chmod(config, 0o600)



def _key_from_hex(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ValueError(f"{where} does not hold a hub secrets key (64 hex digits)")
    return key
