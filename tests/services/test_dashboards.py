"""What the dashboards add to the metric table: My Team's supervision this month (services.dashboards)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from mentalspace_desktop.domain.metrics import Period, Status
from mentalspace_desktop.services import dashboards, supervision
from mentalspace_desktop.services.supervision import Kind
from tests.factories import PracticeFixture

WEEK = Period(date(2026, 11, 9), date(2026, 11, 15))
TODAY = date(2026, 11, 10)  # 10 of November's 30 days gone: a third of the 2 h is due by today


def _log(practice: PracticeFixture, held_on: date, minutes: int) -> None:
    supervision.record(practice.session_for("supervisor"), supervisee_ids=[practice.users["clinician"]],
                       held_on=held_on, minutes=minutes, kind=Kind.INDIVIDUAL, topics="Case review",
                       today=TODAY, now=datetime(2026, 11, 10, 15, tzinfo=UTC), sign=True)


def test_supervision_this_month_against_the_license(practice: PracticeFixture) -> None:
    supervisor, clinician = practice.session_for("supervisor"), practice.users["clinician"]
    _log(practice, date(2026, 10, 6), 60)  # October ended short: 1 of the 2 h an LPC-Associate needs
    board = dashboards.load_dashboard(supervisor, WEEK, today=TODAY, with_trend=False)
    standing = board.row(clinician).supervision  # type: ignore[union-attr]
    assert standing is not None and standing.license_type == "LPC-Associate"
    assert (standing.hours, standing.required_hours, standing.last_month_hours) == (0, 2, 1)
    assert standing.status is Status.URGENT and standing.text == "0 of 2 h"
    assert board.row(practice.users["supervisor"]).supervision is None  # type: ignore[union-attr]  # licensed
    assert board.supervision_totals() == (0, 2)

    _log(practice, date(2026, 10, 27), 60)  # October met after all; November: nothing yet, behind pace
    board = dashboards.load_dashboard(supervisor, WEEK, today=TODAY, with_trend=False)
    assert board.row(clinician).supervision.status is Status.REVIEW  # type: ignore[union-attr]

    _log(practice, date(2026, 11, 2), 45)  # 0.75 h by the 10th: ahead of the 0.67 h the pace asks
    board = dashboards.refresh_clinician(supervisor, board, clinician, today=TODAY)
    standing = board.row(clinician).supervision  # type: ignore[union-attr]
    assert standing is not None and standing.status is Status.ON_TRACK and standing.hours == 0.75
    assert board.supervision_totals() == (0.75, 2)


def test_nobody_needing_supervision_shows_no_team_figure(practice: PracticeFixture) -> None:
    board = dashboards.load_dashboard(practice.session_for("clinician"), WEEK, today=TODAY, with_trend=False)
    assert board.row(practice.users["clinician"]).supervision is not None  # type: ignore[union-attr]
    admin_board = dashboards.load_dashboard(practice.admin, WEEK, today=TODAY, with_trend=False,
                                            clinician=practice.users["other_clinician"])
    assert admin_board.supervision_totals() is None  # an LCSW without a supervisor


def test_my_teams_figures_are_the_supervisees_as_in_the_team_report(practice: PracticeFixture) -> None:
    """The supervisor sees clients too: their own sessions must not move My Team's figures, which
    would then disagree with the team report of the same week (and count the supervisor as urgent)."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from mentalspace_desktop.services import team_report
    from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentType

    et = ZoneInfo("America/New_York")
    mine = practice.add_client(clinician="clinician")
    theirs = practice.add_client(clinician="supervisor")
    with practice.admin.store.write(practice.users["admin"]) as s:
        kind = AppointmentType(name="Individual therapy", category="individual", default_minutes=50)
        s.add(kind)
        s.flush()
        for day, who, client, status in ((9, "clinician", mine, "completed"), (10, "clinician", mine, "completed"),
                                         (9, "supervisor", theirs, "no_show"), (10, "supervisor", theirs, "no_show")):
            start = datetime(2026, 11, day, 10, tzinfo=et)
            s.add(Appointment(client_id=client.id, provider_id=practice.users[who], type_id=kind.id,
                              start_at=start.astimezone(UTC), end_at=(start + timedelta(minutes=50)).astimezone(UTC),
                              time_zone="America/New_York", start_local=start.replace(tzinfo=None), status=status))
    supervisor = practice.session_for("supervisor")
    board = dashboards.load_dashboard(supervisor, WEEK, today=TODAY)
    report = team_report.build(supervisor, WEEK, today=TODAY)
    kvr = board.totals["kept_visit_rate"]
    assert (kvr.numerator, kvr.denominator) == (2, 2)
    expected = report.totals["kept_visit_rate"]
    assert (kvr.numerator, kvr.denominator) == (expected.numerator, expected.denominator)
    assert board.trend[-1][1]["kept_visit_rate"].denominator == 2  # the trend is the team's too
    assert sum(board.status_counts().values()) == len(report.rows) == 1
    assert board.row(practice.users["supervisor"]) is not None  # their own row is still there to look at
