"""``mentalspace connect --data-dir EMPTY --hub URL``: a new workstation joins the practice from a script.

The real console script against a real hub process, on a computer without a password keyring (so
the hub sign-in lasts one run, and the warning about it is printed once per run, not twice).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

from mentalspace_desktop.sync.credentials import NO_KEYRING_MESSAGE
from tests.cli.conftest import run_cli
from tests.factories import ADMIN_PASSWORD, PracticeTemplate
from tests.sync.hubproc import Hub

NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


class Steps:
    """Fresh one-time codes for one secret: the hub accepts one 30 s step either side of its clock,
    each step once, in increasing order; so three sign-ins in a row need no waiting."""

    def __init__(self, secret: str) -> None:
        self.totp = pyotp.TOTP(secret)
        self.last = -(10**9)

    def code(self) -> str:
        while True:
            now = int(time.time()) // 30
            step = max(now - 1, self.last + 1)
            if step <= now + 1:
                self.last = step
                return str(self.totp.generate_otp(step))
            time.sleep(30 - time.time() % 30 + 0.1)


@pytest.fixture
def hub(tmp_path: Path, practice_template: PracticeTemplate) -> Iterator[Hub]:
    hub = Hub(tmp_path / "hub")
    hub.seed(practice_template, {"admin": practice_template.admin_totp_secret})
    hub.start()
    yield hub
    hub.stop()


def test_connect_in_an_empty_folder_joins_then_takes_the_first_copy(
    hub: Hub, practice_template: PracticeTemplate, tmp_path: Path
) -> None:
    steps = Steps(practice_template.admin_totp_secret)
    folder = tmp_path / "new-workstation"
    password = tmp_path / "pw"
    password.write_text(ADMIN_PASSWORD + "\n")
    who = ["--data-dir", folder, "--user", "admin", "--password-file", password]

    joined = run_cli("connect", *who, "--hub", hub.url, "--totp", steps.code(), env=NO_KEYRING)
    assert joined.returncode == 0, joined.stderr
    found = re.search(r"joined \S+ as device (\S+); ask an administrator to approve it", joined.stdout)
    assert found, joined.stdout
    device_id = found.group(1)
    assert (joined.stdout + joined.stderr).count(NO_KEYRING_MESSAGE) == 1, joined.stdout + joined.stderr
    assert (folder / "store.db").exists() and (folder / "first-sync.pending").exists()

    hub.approve(device_id)
    copied = run_cli("connect", *who, "--hub", hub.url, "--totp", steps.code(), env=NO_KEYRING)
    assert copied.returncode == 0, copied.stdout + copied.stderr
    assert f"continuing to set up device {device_id}" in copied.stdout
    assert re.search(r"^sync ok: ", copied.stdout, re.M) and "admin can now sign in" in copied.stdout
    assert (copied.stdout + copied.stderr).count(NO_KEYRING_MESSAGE) == 1
    assert not (folder / "first-sync.pending").exists()

    synced = run_cli("sync", *who, "--totp", steps.code(), env=NO_KEYRING)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert synced.stdout.strip().splitlines()[-1].startswith("sync ok: ")
    assert (synced.stdout + synced.stderr).count(NO_KEYRING_MESSAGE) == 1


def test_a_refused_join_leaves_the_folder_empty(hub: Hub, tmp_path: Path) -> None:
    folder = tmp_path / "new-workstation"
    password = tmp_path / "pw"
    password.write_text("not the password\n")
    refused = run_cli("connect", "--data-dir", folder, "--user", "admin", "--password-file", password,
                      "--hub", hub.url, "--totp", "000000", env=NO_KEYRING)
    assert refused.returncode == 1
    assert refused.stderr.startswith("mentalspace: ") and len(refused.stderr.strip().splitlines()) == 1
    assert not (folder / "store.db").exists() and not (folder / "keyslots.json").exists()
