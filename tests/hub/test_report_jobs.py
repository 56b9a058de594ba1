"""The hub's scheduled compliance run and weekly team-report e-mail: two hub runners on one database
send each supervisor's week once (real SMTP on loopback), and the nightly run keeps its findings."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select

from mentalspace_desktop.hub.jobs import JobRunner, default_jobs
from mentalspace_desktop.hub.settings import HubSettings, smtp_from_environment
from mentalspace_desktop.store.compliance_models import ComplianceRun
from mentalspace_desktop.store.models import User
from mentalspace_desktop.store.report_models import ReportEmail
from mentalspace_desktop.store.sync_models import JobRun
from tests.hub.conftest import HubFixture
from tests.support.smtp_server import SmtpServer


def test_two_runners_send_the_weekly_report_once(hub: HubFixture, smtp_server: SmtpServer) -> None:
    with hub.session() as s, s.begin():
        supervisor = s.get(User, hub.users["supervisor"])
        assert supervisor is not None
        supervisor.email = "supervisor@peachtree.example"
    settings = replace(hub.settings, smtp=smtp_server.settings())
    jobs = [j for j in default_jobs(settings) if j.name == "weekly_team_reports"]
    runners = [JobRunner(hub.ctx.engine, jobs, holder=f"runner-{i}") for i in range(2)]
    start = threading.Barrier(2)

    def run(runner: JobRunner) -> None:
        start.wait()
        runner.run_due()

    threads = [threading.Thread(target=run, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(smtp_server.received) == 1
    assert smtp_server.received[0].recipients == ["supervisor@peachtree.example"]
    with hub.session() as s:
        [delivery] = s.scalars(select(ReportEmail)).all()
        [run] = s.scalars(select(JobRun).where(JobRun.name == "weekly_team_reports")).all()
    assert delivery.status == "sent" and run.ok
    assert run.detail is not None and run.detail.startswith("team reports: 1 sent")
    assert all(r.run_due() == 0 for r in runners)  # not due again for an hour


def test_the_nightly_compliance_run_keeps_its_findings(hub: HubFixture) -> None:
    jobs = [j for j in default_jobs(hub.settings) if j.name == "nightly_compliance"]
    assert JobRunner(hub.ctx.engine, jobs).run_due() == 1
    with hub.session() as s:
        [kept] = s.scalars(select(ComplianceRun)).all()
        [run] = s.scalars(select(JobRun).where(JobRun.name == "nightly_compliance")).all()
    assert kept.ran_by is None and kept.scope == "practice"
    assert run.ok and run.detail is not None and run.detail.startswith("compliance:")


def test_smtp_settings_come_from_the_environment(tmp_path: Path) -> None:
    assert smtp_from_environment({}) is None
    smtp = smtp_from_environment({"MENTALSPACE_SMTP_HOST": "mail.example", "MENTALSPACE_SMTP_PORT": "2525",
                                  "MENTALSPACE_SMTP_SENDER": "Practice <p@example>"})
    assert smtp is not None and (smtp.host, smtp.port, smtp.sender) == ("mail.example", 2525, "Practice <p@example>")
    jobs = {j.name for j in default_jobs(HubSettings(tmp_path))}
    assert {"nightly_compliance", "weekly_team_reports"} <= jobs  # the mail server is read when it runs


def test_weekly_reports_go_through_the_mail_server_saved_on_the_hub(hub: HubFixture, smtp_server: SmtpServer) -> None:
    """An administrator's Messaging settings on the hub decide where the reports go; without any
    (and nothing in the environment) the run says so and sends nothing."""
    from mentalspace_desktop.hub.services.jobs import weekly_team_reports
    from mentalspace_desktop.services.messaging_settings import SmtpInput, write_smtp

    with hub.session() as s:
        assert weekly_team_reports(s) == "team reports: no mail server is set up"
    assert smtp_server.received == []
    with hub.session() as s, s.begin():
        supervisor = s.get(User, hub.users["supervisor"])
        assert supervisor is not None
        supervisor.email = "supervisor@peachtree.example"
        write_smtp(s, SmtpInput("127.0.0.1", port=smtp_server.port, sender="frontdesk@riverside.example",
                                starttls=True, cafile=smtp_server.cafile), user_id=None)
    with hub.session() as s:
        line = weekly_team_reports(s)
    assert "no mail server" not in line
    assert smtp_server.received, line
