"""The solo workstation's jobs: due by interval, last runs kept in the store (a restart does not run a
job again at once), a failure recorded and retried at its next due time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from mentalspace_desktop.services import solo_jobs
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.services.solo_jobs import SoloJob
from mentalspace_desktop.store.compliance_models import ComplianceRun
from tests.factories import PracticeFixture

NOW = datetime(2026, 11, 30, 15, tzinfo=UTC)


def test_the_registry_runs_the_nightly_compliance_check_and_keeps_its_last_run(practice: PracticeFixture) -> None:
    jobs = solo_jobs.solo_jobs(practice.admin.store, smtp=lambda: None)
    assert {j.name for j in jobs} >= {"nightly_compliance", "weekly_team_reports", "generate_alerts",
                                      "extend_open_series", "reminders", "reminder_replies"}
    ran = dict(solo_jobs.run_due(practice.admin, jobs, NOW))
    assert ran["generate_alerts"].ok and ran["generate_alerts"].detail.startswith("alerts:")  # type: ignore[union-attr]
    assert ran["extend_open_series"].ok, ran["extend_open_series"].detail
    assert ran["reminders"].ok and ran["reminders"].detail == "reminders: nothing due", ran["reminders"].detail
    assert ran["reminder_replies"].detail == "reminder replies: text messages are not set up"
    jobs = [j for j in jobs if j.name in ("nightly_compliance", "weekly_team_reports")]
    assert ran["nightly_compliance"].ok and ran["nightly_compliance"].detail.startswith("compliance:")  # type: ignore[union-attr]
    assert ran["weekly_team_reports"].detail == "team reports: no mail server is set up"
    with practice.admin.store.read() as s:
        [run] = s.scalars(select(ComplianceRun)).all()
    assert run.ran_by is None and run.scope == "practice"
    # As after a restart: the last runs come from the store, so nothing is due again yet.
    assert solo_jobs.run_due(practice.admin, jobs, NOW + timedelta(minutes=30)) == []
    later = solo_jobs.run_due(practice.admin, jobs, NOW + timedelta(hours=1))
    assert [name for name, _ in later] == ["weekly_team_reports"]
    assert [name for name, _ in solo_jobs.run_due(practice.admin, jobs, NOW + timedelta(hours=24))] == [
        "nightly_compliance", "weekly_team_reports"]


def test_a_failing_job_is_recorded_and_tried_again_when_due(practice: PracticeFixture) -> None:
    calls: list[datetime] = []

    def broken(session: UserSession, now: datetime) -> str:
        calls.append(now)
        raise RuntimeError("mail server settings unreadable")

    jobs = [SoloJob("broken", timedelta(hours=1), broken)]
    [(name, outcome)] = solo_jobs.run_due(practice.admin, jobs, NOW)
    assert not outcome.ok and "RuntimeError" in (outcome.detail or "")
    assert solo_jobs.last_runs(practice.admin)["broken"] == outcome
    assert solo_jobs.run_due(practice.admin, jobs, NOW + timedelta(minutes=59)) == []
    assert len(solo_jobs.run_due(practice.admin, jobs, NOW + timedelta(hours=1))) == 1 and len(calls) == 2
