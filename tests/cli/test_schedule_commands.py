"""``mentalspace calendar export|import`` and ``mentalspace export appointments`` on the demo practice."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import vobject

from tests.cli.conftest import Codes, Demo, one_error_line, run_cli, sign_in_args

OUTLOOK = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:Microsoft Exchange Server 2010
BEGIN:VEVENT
UID:board-meeting
SUMMARY:Board meeting
DTSTART;TZID=Eastern Standard Time:{day}T140000
DTEND;TZID=Eastern Standard Time:{day}T150000
END:VEVENT
END:VCALENDAR
"""


def test_export_appointments_csv(demo: Demo, codes: Codes, tmp_path: Path) -> None:
    out = tmp_path / "appointments.csv"
    start, until = date.today() - timedelta(days=30), date.today() + timedelta(days=30)
    result = run_cli("export", "appointments", "--data-dir", demo.data_dir, "--from", start.isoformat(),
                     "--until", until.isoformat(), "--out", out, *sign_in_args(demo, codes, "maria", tmp_path))
    assert result.returncode == 0, result.stderr
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) > 100 and f"Exported {len(rows)} appointments" in result.stdout
    assert list(rows[0]) == ["id", "client_id", "provider", "type", "start", "end", "status", "series_id", "group_id"]
    assert {"completed", "no_show", "scheduled"} <= {r["status"] for r in rows}
    assert any(r["group_id"] for r in rows) and any(r["series_id"] for r in rows)


def test_calendar_export_is_masked_and_readable(demo: Demo, codes: Codes, tmp_path: Path) -> None:
    out = tmp_path / "feed.ics"
    start, until = date.today() - timedelta(days=7), date.today() + timedelta(days=21)
    result = run_cli("calendar", "export", "--data-dir", demo.data_dir, "--provider", "Jordan Okafor",
                     "--from", start.isoformat(), "--until", until.isoformat(), "--out", out,
                     *sign_in_args(demo, codes, "jordan", tmp_path))
    assert result.returncode == 0, result.stderr
    cal = vobject.readOne(out.read_text(encoding="utf-8"))
    summaries = {e.summary.value for e in cal.vevent_list}
    assert summaries <= {"Session", "Group session"} and len(cal.vevent_list) > 5
    assert "Jordan Okafor" in result.stdout


def test_calendar_export_of_a_colleague_is_refused_for_a_clinician(demo: Demo, codes: Codes, tmp_path: Path) -> None:
    result = run_cli("calendar", "export", "--data-dir", demo.data_dir, "--provider", "hannah",
                     "--from", "2026-01-01", "--until", "2026-01-31", "--out", tmp_path / "x.ics",
                     *sign_in_args(demo, codes, "tyler", tmp_path))
    assert result.returncode == 1
    assert "only your own calendar" in one_error_line(result)


def test_calendar_import_one_line_per_file(demo: Demo, codes: Codes, tmp_path: Path) -> None:
    good = tmp_path / "outlook.ics"
    day = date.today() + timedelta(days=10)
    good.write_text(OUTLOOK.format(day=day.strftime("%Y%m%d")), encoding="utf-8")
    bad = tmp_path / "notes.ics"
    bad.write_text("this is not a calendar", encoding="utf-8")
    result = run_cli("calendar", "import", good, bad, "--provider", "Dr. Patel", "--data-dir", demo.data_dir,
                     *sign_in_args(demo, codes, "maria", tmp_path))
    lines = result.stdout.splitlines()
    assert result.returncode == 1, result.stderr
    assert lines[0].startswith("outlook.ics: 1 busy block(s) imported")
    assert lines[1].startswith("notes.ics: refused — This is not an iCalendar file")


def test_bad_dates_are_a_usage_error(demo: Demo, tmp_path: Path) -> None:
    result = run_cli("export", "appointments", "--data-dir", demo.data_dir, "--from", "yesterday",
                     "--until", "2026-01-01", "--out", tmp_path / "x.csv", *sign_in_args(demo, None, "maria", tmp_path))
    assert result.returncode == 2
    assert "--from takes a date" in one_error_line(result)
