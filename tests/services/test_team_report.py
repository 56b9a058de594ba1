"""The team performance report on a real store: the hand-counted week of test_metrics in the team table,
the alert conditions its numbers raise, who may produce it, and the PDF read back as text."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mentalspace_desktop.domain.alerts import Severity
from mentalspace_desktop.domain.metrics import Period, Status
from mentalspace_desktop.errors import PermissionDenied
from mentalspace_desktop.services import supervision, team_report
from mentalspace_desktop.services.supervision import Kind
from tests.factories import PracticeFixture
from tests.services.test_metrics import TODAY, WEEK, week  # noqa: F401  (the hand-counted week)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_the_team_table_and_its_alert_conditions(week: PracticeFixture) -> None:  # noqa: F811
    report = team_report.build(week.session_for("supervisor"), WEEK, today=TODAY)
    [row] = report.rows  # one supervisee; the supervisor is not their own supervisee
    assert row.name == "Casey Clinician"
    assert row.values["kept_visit_rate"].value == pytest.approx(3 / 5)
    assert row.values["no_show_rate"].value == pytest.approx(1 / 5)
    assert row.values["unsigned_note_backlog"].numerator == 1
    assert row.status is Status.URGENT  # KVR 60 % is under the critical 70 %
    severities = {c.alert_type: c.severity for c in report.conditions}
    assert severities == {"kept_visit_rate": Severity.CRITICAL, "no_show_rate": Severity.WARNING,
                          "same_day_documentation_rate": Severity.CRITICAL}
    assert report.conditions[0].severity is Severity.CRITICAL
    assert len(report.trend) == team_report.TREND_WEEKS


def test_who_may_produce_it(week: PracticeFixture) -> None:  # noqa: F811
    for key in ("clinician", "front_desk", "billing"):
        with pytest.raises(PermissionDenied):
            team_report.build(week.session_for(key), WEEK, today=TODAY)
    with pytest.raises(PermissionDenied):
        team_report.build(week.session_for("supervisor"), WEEK, today=TODAY, supervisor_id=week.users["admin"])
    report = team_report.build(week.admin, WEEK, today=TODAY, supervisor_id=week.users["supervisor"])
    assert [r.name for r in report.rows] == ["Casey Clinician"]


def test_an_empty_team_and_period_is_no_data(practice: PracticeFixture) -> None:
    report = team_report.build(practice.session_for("supervisor"), Period(date(2025, 1, 6), date(2025, 1, 12)),
                               today=TODAY)
    [row] = report.rows
    assert report.formatted("kept_visit_rate", row.values.get("kept_visit_rate")) == "no data"
    assert row.status is Status.ON_TRACK and report.conditions == []  # no unsigned notes; nothing else measured
    assert b"%PDF" in team_report.pdf_bytes(report)[:8]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_pdf_reads_back(week: PracticeFixture, tmp_path: Path) -> None:  # noqa: F811
    supervision.record(week.session_for("supervisor"), supervisee_ids=[week.users["clinician"]],
                       held_on=date(2026, 11, 18), minutes=60, kind=Kind.INDIVIDUAL, topics="", today=TODAY,
                       now=datetime(2026, 11, 18, 20, tzinfo=UTC), sign=True)
    report = team_report.build(week.session_for("supervisor"), WEEK, today=TODAY)
    out = tmp_path / "team.pdf"
    team_report.save(week.session_for("supervisor"), report, out)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    text = pdf_text(out)
    assert "Team performance report" in text and "Sloane Supervisor" in text
    assert "Casey Clinician" in text and "60%" in text and "20%" in text and "urgent" in text
    assert "Kept visit rate: 60%" in text and "critical" in text  # the alert conditions
    assert "LPC-Associate" in text and "1.0 h" in text  # supervision hours
    assert "Page 1 of" in text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_chart_names_each_supervisee_apart_and_legibly(practice: PracticeFixture, tmp_path: Path) -> None:
    """Two Marias on a team and long first names: the bar chart's labels must tell the two apart and
    never run into each other (pdftotext reads overlapping labels as one glued word)."""
    from mentalspace_desktop.domain.roles import Role
    from mentalspace_desktop.services.accounts import AccountService, NewUser
    from tests.factories import PASSWORD

    accounts = AccountService(practice.admin)
    names = ["Maria Lopez", "Maria Chen", "Jean-Baptiste Delacroix", "Samantha O'Neil", "Christopher Vance",
             "Alexandria Montgomery", "Dr. Anastasia Papadopoulou"]
    for i, name in enumerate(names):
        accounts.create_user(NewUser(f"sup{i}", name, Role.CLINICIAN, PASSWORD, license_type="LPC",
                                     supervisor_id=practice.users["supervisor"]))
    report = team_report.build(practice.session_for("supervisor"), Period(date(2026, 11, 16), date(2026, 11, 22)),
                               today=TODAY)
    out = tmp_path / "team.pdf"
    out.write_bytes(team_report.pdf_bytes(report))
    words = subprocess.run(["pdftotext", "-raw", str(out), "-"], capture_output=True, text=True,
                           check=True).stdout.split()
    assert "L." in words and "C." in words  # "Maria L." and "Maria C.", not "Maria" twice
    for first in ("Jean-Baptiste", "Samantha", "Christopher", "Alexandria", "Anastasia", "Casey"):
        assert first in words, f"{first} runs into a neighbouring label"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_a_supervisee_with_no_sessions_is_no_data_in_the_chart_not_zero(week: PracticeFixture,  # noqa: F811
                                                                           tmp_path: Path) -> None:
    """A new supervisee without sessions: the table says "no data", and the chart must not draw them
    at 0 % kept (a bar of no height reads as 0 %): it says "no data" under their name."""
    from mentalspace_desktop.domain.roles import Role
    from mentalspace_desktop.integrations.pdf_team_report import _bar_chart
    from mentalspace_desktop.services.accounts import AccountService, NewUser
    from tests.factories import PASSWORD

    AccountService(week.admin).create_user(NewUser("newbie", "Nora Newcomer", Role.CLINICIAN, PASSWORD,
                                                   license_type="LPC", supervisor_id=week.users["supervisor"]))
    report = team_report.build(week.session_for("supervisor"), WEEK, today=TODAY)
    assert [r.name for r in report.rows] == ["Casey Clinician", "Nora Newcomer"]
    chart = next(x for x in _bar_chart(report).contents if hasattr(x, "data"))
    assert chart.data[0][1] is None and chart.data[1][1] is None  # no bar at all, not a 0 % one
    out = tmp_path / "team.pdf"
    out.write_bytes(team_report.pdf_bytes(report))
    text = pdf_text(out)
    chart_part = text[text.index("Per supervisee"):text.index("Team, last")]
    assert "no data" in chart_part
