"""Running the real ``mentalspace`` console script on a demo practice made once per test session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import func, select

from mentalspace_desktop.store.engine import encrypted_engine
from mentalspace_desktop.store.keyslots import KeySlots
from mentalspace_desktop.store.models import Client

SCRIPT = Path(sys.executable).with_name("mentalspace")


@dataclass(frozen=True)
class Login:
    user: str
    role: str
    password: str
    totp_secret: str


@dataclass(frozen=True)
class Demo:
    data_dir: Path
    logins: dict[str, Login]
    stdout: str


class Codes:
    """Fresh one-time codes: the app refuses a code from a time step it has already accepted."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def fresh(self, secret: str) -> str:
        while True:
            now = int(time.time()) // 30
            step = max(now, self._last.get(secret, -1) + 1)
            if step <= now + 1:  # the app accepts one step either side of its clock
                self._last[secret] = step
                return pyotp.TOTP(secret).generate_otp(step)
            time.sleep(30 - time.time() % 30 + 0.1)


def run_cli(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a person would run it (stdin is not a terminal)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MENTALSPACE_")}
    full_env.update(env or {})
    return subprocess.run([str(SCRIPT), *map(str, args)], capture_output=True, text=True, env=full_env,
                          stdin=subprocess.DEVNULL, timeout=120)


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single ``mentalspace: ...`` line a failure must print, checked to be the only output."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mentalspace: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture(scope="session")
def codes() -> Codes:
    return Codes()


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo practice, created by ``mentalspace demo`` itself."""
    data_dir = tmp_path_factory.mktemp("cli") / "demo"
    result = run_cli("demo", "--data-dir", data_dir, "--seed", "7")
    assert result.returncode == 0, result.stderr
    lines = (data_dir / "demo-logins.txt").read_text(encoding="utf-8").splitlines()
    logins = {}
    for line in lines[1:]:
        user, role, password, secret = line.split("\t")
        logins[user] = Login(user, role, password, secret)
    return Demo(data_dir, logins, result.stdout)


def sign_in_args(demo: Demo, codes: Codes | None, user: str, tmp_path: Path) -> list[str | Path]:
    """--user, --password-file and --totp for one of the demo's staff.

    Without ``codes`` the code is a dummy, for commands expected to fail before it is checked (so
    they use up none of the user's time steps).
    """
    login = demo.logins[user]
    password_file = tmp_path / f"{user}.password"
    password_file.write_text(login.password + "\n", encoding="utf-8")
    code = codes.fresh(login.totp_secret) if codes else "000000"
    return ["--user", user, "--password-file", password_file, "--totp", code]


@pytest.fixture
def demo_copy(demo: Demo, tmp_path: Path) -> Demo:
    """A copy of the demo store that a test may damage."""
    target = tmp_path / "copy"
    shutil.copytree(demo.data_dir, target)
    return Demo(target, demo.logins, demo.stdout)


def master_key(demo: Demo, user: str = "renee") -> bytes:
    return KeySlots.load(demo.data_dir / "keyslots.json").unwrap(user, demo.logins[user].password)[1]


def execute(demo: Demo, sql: str) -> None:
    """Change the store behind the app's back, as someone with the key and a SQLite shell could."""
    engine = encrypted_engine(demo.data_dir / "store.db", master_key(demo))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


def client_count(demo: Demo) -> int:
    engine = encrypted_engine(demo.data_dir / "store.db", master_key(demo))
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Client)).scalar_one())
    finally:
        engine.dispose()
