"""``mentalspace connect --data-dir EMPTY --hub URL``: a new workstation joins the practice from a script.

The real console script against a real hub process, on a computer without a password keyring (so
the hub sign-in lasts one run, and the warning about it is printed once per run, not twice).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mentalspace_desktop.sync.credentials import NO_KEYRING_MESSAGE
from tests.cli.conftest import Codes, run_cli
from tests.factories import ADMIN_PASSWORD, PracticeTemplate
from tests.sync.hubproc import Hub

pytestmark = pytest.mark.slow  # a hub process, three runs of the console script, fresh one-time codes
NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


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
    codes, secret = Codes(), practice_template.admin_totp_secret  # a fresh step for each sign-in
    folder = tmp_path / "new-workstation"
    password = tmp_path / "pw"
    password.write_text(ADMIN_PASSWORD + "\n")
    who = ["--data-dir", folder, "--user", "admin", "--password-file", password]

    joined = run_cli("connect", *who, "--hub", hub.url, "--totp", codes.fresh(secret), env=NO_KEYRING)
    assert joined.returncode == 0, joined.stderr
    found = re.search(r"joined \S+ as device (\S+); ask an administrator to approve it", joined.stdout)
    assert found, joined.stdout
    device_id = found.group(1)
    assert (joined.stdout + joined.stderr).count(NO_KEYRING_MESSAGE) == 1, joined.stdout + joined.stderr
    assert (folder / "store.db").exists() and (folder / "first-sync.pending").exists()

    hub.approve(device_id)
    copied = run_cli("connect", *who, "--hub", hub.url, "--totp", codes.fresh(secret), env=NO_KEYRING)
    assert copied.returncode == 0, copied.stdout + copied.stderr
    assert f"continuing to set up device {device_id}" in copied.stdout
    assert re.search(r"^sync ok: ", copied.stdout, re.M) and "admin can now sign in" in copied.stdout
    assert (copied.stdout + copied.stderr).count(NO_KEYRING_MESSAGE) == 1
    assert not (folder / "first-sync.pending").exists()

    synced = run_cli("sync", *who, "--totp", codes.fresh(secret), env=NO_KEYRING)
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
