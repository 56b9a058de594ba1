"""``mentalspace metrics`` and ``mentalspace compliance run`` count days on the practice's calendar.

The practice is in Eastern time; the clock is set (``practice_clock.utc_now``) to 9 pm on March 1 in
Atlanta, which is already March 2 in UTC and far from the machine's own date. Everyone's HIPAA
training was on March 2, 2025: still current on the practice's March 1, expired on March 2. The
commands run in this process through the real parser and sign-in (a backup code, as a person
without their phone would), on the fixture's encrypted store.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import update

from mentalspace_desktop.cli import build_parser
from mentalspace_desktop.services import practice_clock
from mentalspace_desktop.store.models import User
from tests.factories import ADMIN_PASSWORD, PracticeFixture

NINE_PM_IN_ATLANTA = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # EST: UTC-5


@pytest.fixture
def evening(practice: PracticeFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """The clock at 9 pm in Atlanta, everyone trained on March 2, 2025; the admin's sign-in options."""
    monkeypatch.setattr(practice_clock, "utc_now", lambda: NINE_PM_IN_ATLANTA)
    with practice.admin.store.write(practice.users["admin"]) as s:
        s.execute(update(User).values(hipaa_training_on=date(2025, 3, 2)))
    password = tmp_path / "admin.password"
    password.write_text(ADMIN_PASSWORD + "\n", encoding="utf-8")
    return ["--data-dir", str(practice.data_dir), "--user", "admin", "--password-file", str(password),
            "--totp", practice.backup_codes[0]]


def _run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


def test_metrics_count_today_in_the_practices_zone(evening: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["metrics", "--from", "2026-03-01", "--until", "2026-03-31", *evening]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    [casey] = [r for r in rows if r["clinician"] == "Casey Clinician" and r["metric"] == "hipaa_training_currency"]
    assert float(casey["value"]) == 1.0  # 364 days on the practice's March 1 (UTC's March 2 would say 0)


def test_compliance_run_checks_the_rules_on_the_practices_day(evening: list[str],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["compliance", "run", *evening]) == 0
    [hipaa] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("HIPAA training")]
    assert "reminder" in hipaa and "out of compliance" not in hipaa, hipaa  # due tomorrow, not expired
