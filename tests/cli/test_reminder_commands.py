"""``mentalspace reminders preview`` (signing in like every command) and ``mentalspace-hub reminders
due|run-once`` (first name and time only)."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest

from mentalspace_desktop.cli import main
from mentalspace_desktop.hub import cli as hub_cli
from mentalspace_desktop.hub import db
from mentalspace_desktop.store.types import utcnow
from tests.factories import ADMIN_PASSWORD, PracticeFixture
from tests.hub.conftest import seed
from tests.hub.reminder_seed import seed_reminders
from tests.services.reminder_fixtures import reminders_for
from tests.services.scheduling_fixtures import NOW, build


def test_preview_prints_each_message_exactly(practice: PracticeFixture, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    rem = reminders_for(build(practice), NOW)
    appointment = rem.book()
    password = tmp_path / "pw"
    password.write_text(ADMIN_PASSWORD + "\n", encoding="utf-8")
    totp = pyotp.TOTP(practice.admin_totp_secret)
    code, next_code = totp.now(), totp.at(time.time() + 30)  # a code is accepted once; the next step too
    status = main(["reminders", "preview", "--appointment", appointment, "--data-dir", str(practice.data_dir),
                   "--user", "admin", "--password-file", str(password), "--totp", code])
    out = capsys.readouterr()
    assert status == 0, out.err
    assert "== Text message, 2 days before" in out.out and "== E-mail, 2 hours before" in out.out
    assert "Hi Lucia, this is a reminder of your appointment with Casey Clinician on Wednesday, March 4" in out.out
    assert "Subject: Your appointment on Wednesday, March 4 at 10:00 AM" in out.out
    status = main(["reminders", "preview", "--appointment", "nope", "--data-dir", str(practice.data_dir),
                   "--user", "admin", "--password-file", str(password), "--totp", next_code])
    assert status != 0 and "no longer exists" in capsys.readouterr().err


def test_hub_lists_what_is_due_and_sends_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    engine = db.make_engine(url)
    db.prepare(engine)
    users, _ = seed(engine)
    seed_reminders(engine, users, starts=[utcnow() + timedelta(hours=26)])
    engine.dispose()
    args = ["--data-dir", str(tmp_path), "--database-url", url]
    assert hub_cli.main(["reminders", "due", *args]) == 0
    assert capsys.readouterr().out.strip() == "No reminders due."
    assert hub_cli.main(["reminders", "due", "--within", "25", *args]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and all("Lucia" in line and "Moreno" not in line for line in lines)
    assert all("are not set up" in line for line in lines)  # no channels configured: nothing will go
    assert hub_cli.main(["reminders", "due", "--within", "-1", *args]) == 1
    assert hub_cli.main(["reminders", "run-once", *args]) == 0
    assert "Reminders: nothing due." in capsys.readouterr().out
