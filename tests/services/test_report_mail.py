"""The weekly team-report e-mail against a real SMTP server on loopback (aiosmtpd, STARTTLS): received
with the PDF attached and readable; a refusal and an outage recorded and retried; a week sent once."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from mentalspace_desktop.services import report_mail
from mentalspace_desktop.store.models import User
from mentalspace_desktop.store.report_models import ReportEmail
from tests.factories import PracticeFixture
from tests.support.smtp_server import SmtpServer

TODAY = date(2026, 11, 30)  # a Monday: last week is Nov 23–29
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
ADDRESS = "sloane@peachtree.example"


def _transaction(practice: PracticeFixture) -> report_mail.Transaction:
    return lambda: practice.admin.store.write(None)


def _with_address(practice: PracticeFixture) -> None:
    with practice.admin.store.write(practice.users["admin"]) as s:
        supervisor = s.get(User, practice.users["supervisor"])
        assert supervisor is not None
        supervisor.email = ADDRESS


def _deliveries(practice: PracticeFixture) -> list[ReportEmail]:
    with practice.admin.store.read() as s:
        rows = list(s.scalars(select(ReportEmail)))
        s.expunge_all()
    return rows


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_each_supervisor_receives_the_report_once(practice: PracticeFixture, smtp_server: SmtpServer,
                                                  tmp_path: Path) -> None:
    _with_address(practice)
    run = report_mail.send_weekly_team_reports(_transaction(practice), smtp=smtp_server.settings(), today=TODAY,
                                               now=NOW)
    assert (run.sent, run.failed) == (1, 0)
    [received] = smtp_server.received
    assert received.recipients == [ADDRESS]
    assert "Nov 23 – Nov 29, 2026" in str(received.message["Subject"])
    [attachment] = list(received.message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    pdf = tmp_path / "attached.pdf"
    pdf.write_bytes(attachment.get_content())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Team performance report" in text and "Casey Clinician" in text
    [row] = _deliveries(practice)
    assert (row.status, row.attempts, row.period_start) == ("sent", 1, date(2026, 11, 23))
    again = report_mail.send_weekly_team_reports(_transaction(practice), smtp=smtp_server.settings(), today=TODAY,
                                                 now=NOW)
    assert again.sent == 0 and len(smtp_server.received) == 1  # the week is sent once


def test_a_refusal_is_recorded_and_retried_at_the_next_run(practice: PracticeFixture,
                                                           smtp_server: SmtpServer) -> None:
    _with_address(practice)
    smtp_server.refuse(ADDRESS)
    run = report_mail.send_weekly_team_reports(_transaction(practice), smtp=smtp_server.settings(), today=TODAY,
                                               now=NOW)
    assert (run.sent, run.failed) == (0, 1) and "1 failed" in run.line()
    [row] = _deliveries(practice)
    assert row.status == "pending" and row.attempts == 1 and "550" in (row.last_error or "")
    smtp_server.handler.refuse.clear()  # the mailbox is fixed
    run = report_mail.send_weekly_team_reports(_transaction(practice), smtp=smtp_server.settings(), today=TODAY,
                                               now=NOW)
    assert run.sent == 1 and len(smtp_server.received) == 1
    [row] = _deliveries(practice)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_a_server_that_is_down_is_recorded_and_given_up_after_the_limit(practice: PracticeFixture,
                                                                         smtp_server: SmtpServer) -> None:
    _with_address(practice)
    down = smtp_server.settings(port=1, timeout=2.0)  # nothing listens on port 1
    for _ in range(report_mail.MAX_ATTEMPTS):
        run = report_mail.send_weekly_team_reports(_transaction(practice), smtp=down, today=TODAY, now=NOW)
        assert run.failed == 1
    [row] = _deliveries(practice)
    assert row.status == "failed" and row.attempts == report_mail.MAX_ATTEMPTS
    assert "could not be reached" in (row.last_error or "")
    run = report_mail.send_weekly_team_reports(_transaction(practice), smtp=down, today=TODAY, now=NOW)
    assert (run.failed, run.gave_up) == (0, 1) and "1 given up" in run.line()


def test_a_supervisor_without_an_address_is_counted_not_skipped_silently(practice: PracticeFixture,
                                                                         smtp_server: SmtpServer) -> None:
    run = report_mail.send_weekly_team_reports(_transaction(practice), smtp=smtp_server.settings(), today=TODAY,
                                               now=NOW)
    assert run.no_address == 1 and "1 supervisor(s) without an e-mail address" in run.line()
    assert smtp_server.received == []
