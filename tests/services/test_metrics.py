"""The metric engine against a hand-computed week in a real encrypted store (services.metrics)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mentalspace_desktop.domain.metrics import Period
from mentalspace_desktop.errors import NotFound, PermissionDenied
from mentalspace_desktop.services import metrics
from mentalspace_desktop.store.models import Note
from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentType
from tests.factories import PracticeFixture

ET = ZoneInfo("America/New_York")
WEEK = Period(date(2026, 11, 16), date(2026, 11, 22))
TODAY = date(2026, 11, 25)


def at(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=ET).astimezone(UTC)


def book(s, type_id: str, provider: str, client: str, start: datetime, status: str, *, late: bool = False,
         booked: datetime | None = None) -> Appointment:
    appt = Appointment(client_id=client, provider_id=provider, type_id=type_id, start_at=start,
                       end_at=start + timedelta(minutes=50), start_local=start.astimezone(ET).replace(tzinfo=None),
                       time_zone="America/New_York", status=status, late_cancel=late, booked_at=booked)
    s.add(appt)
    s.flush()
    return appt


def note(s, author: str, client: str, service: date, *, appointment: str | None = None,
         signed: datetime | None = None) -> None:
    s.add(Note(client_id=client, author_id=author, service_date=service, appointment_id=appointment,
               status="signed" if signed else "draft", signed_at=signed, signed_by=author if signed else None))


@pytest.fixture
def week(practice: PracticeFixture) -> PracticeFixture:
    clin = practice.users["clinician"]
    a = practice.add_client(clinician="clinician", last="Avila")
    b = practice.add_client(clinician="clinician", last="Banks")
    with practice.admin.store.write(practice.users["admin"]) as s:
        t = AppointmentType(name="Individual therapy", category="individual", default_minutes=50)
        s.add(t)
        s.flush()
        first = book(s, t.id, clin, a.id, at(16, 10), "completed", booked=at(9, 10))
        book(s, t.id, clin, a.id, at(17, 10), "no_show")
        book(s, t.id, clin, a.id, at(18, 10), "cancelled", late=True)
        book(s, t.id, clin, a.id, at(19, 10), "cancelled")
        fifth = book(s, t.id, clin, a.id, at(20, 10), "completed")
        book(s, t.id, clin, b.id, at(21, 10), "checked_in")
        book(s, t.id, clin, a.id, at(1, 10, month=12), "scheduled")  # A rebooked within 30 days; B not
        note(s, clin, a.id, date(2026, 11, 16), appointment=first.id, signed=at(16, 15))
        note(s, clin, a.id, date(2026, 11, 20), appointment=fifth.id)  # a draft, 2 days old at the week's end
        note(s, clin, b.id, date(2026, 11, 1))  # a draft 21 days old: backlog
    return practice


def values(table: metrics.MetricTable, user_id: str) -> dict[str, float | None]:
    return {mid: v.value for mid, v in table.of(user_id).items()}


def test_a_hand_counted_week(week: PracticeFixture) -> None:
    table = metrics.compute(week.admin, WEEK, today=TODAY)
    clin = values(table, week.users["clinician"])
    assert clin["kept_visit_rate"] == pytest.approx(3 / 5)  # kept 3 of 5 due (2 kept, 1 arrived)
    assert clin["no_show_rate"] == pytest.approx(1 / 5)
    assert clin["cancellation_rate"] == pytest.approx(2 / 6)
    assert clin["sessions_per_day"] == pytest.approx(1.0)
    assert clin["same_day_documentation_rate"] == pytest.approx(1 / 3)
    assert clin["average_documentation_time"] == pytest.approx(5 - 50 / 60)
    assert clin["average_lead_time"] == pytest.approx(7.0)
    assert clin["rebook_rate"] == pytest.approx(1 / 2)
    assert clin["unsigned_note_backlog"] == 1
    other = values(table, week.users["other_clinician"])
    assert "kept_visit_rate" not in other  # no appointments: no data, never a division error
    assert other["unsigned_note_backlog"] == 0
    assert table.totals["kept_visit_rate"].value == pytest.approx(3 / 5)


def test_the_rows_behind_a_value_are_the_ones_counted(week: PracticeFixture) -> None:
    rows = metrics.explain(week.admin, WEEK, today=TODAY, metric_id="kept_visit_rate",
                           clinician_id=week.users["clinician"])
    assert len(rows) == 5 and sum(r.numerator for r in rows) == 3
    assert all(r.record_type == "appointment" for r in rows)


def test_an_empty_period_is_no_data(week: PracticeFixture) -> None:
    table = metrics.compute(week.admin, Period(date(2025, 1, 6), date(2025, 1, 12)), today=TODAY)
    assert table.totals.get("kept_visit_rate") is None or table.totals["kept_visit_rate"].value is None


def test_who_sees_whose_numbers(week: PracticeFixture) -> None:
    seen = {key: {c.id for c in metrics.measurable_clinicians(week.session_for(key))}
            for key in ("admin", "supervisor", "clinician")}
    assert seen["admin"] >= {week.users["clinician"], week.users["other_clinician"], week.users["supervisor"]}
    assert seen["supervisor"] == {week.users["clinician"], week.users["supervisor"]}
    assert seen["clinician"] == {week.users["clinician"]}
    for key in ("front_desk", "billing"):
        with pytest.raises(PermissionDenied):
            metrics.compute(week.session_for(key), WEEK, today=TODAY)
    with pytest.raises(NotFound):
        metrics.compute(week.session_for("clinician"), WEEK, today=TODAY, clinician="oclin")


def test_confirmation_rate_counts_the_sessions_that_stayed_on_the_books(week: PracticeFixture) -> None:
    """Confirmed: the kept session of the 16th and the late cancellation of the 18th (confirmed, then
    cancelled the day before). The early cancellation of the 19th was confirmed too, but left the books
    with notice: not counted. On the books until their day: kept 16th and 20th, no-show 17th, late
    cancellation 18th, arrived 21st = 5. Rate 2 / 5."""
    with week.admin.store.write(week.users["admin"]) as s:
        for appt in s.query(Appointment).filter(Appointment.provider_id == week.users["clinician"]):
            local_day = appt.start_at.astimezone(ET).day
            if local_day in (16, 18, 19) and appt.start_at.month == 11:
                appt.confirmation, appt.confirmed_at, appt.confirmed_via = "confirmed", appt.start_at, "sms"
    table = metrics.compute(week.admin, WEEK, today=TODAY)
    value = table.of(week.users["clinician"])["confirmation_rate"]
    assert (value.numerator, value.denominator) == (2, 5)
    rows = metrics.explain(week.admin, WEEK, today=TODAY, metric_id="confirmation_rate",
                           clinician_id=week.users["clinician"])
    assert len(rows) == 5 and sum(r.numerator for r in rows) == 2
    assert "confirmation_rate" not in table.of(week.users["other_clinician"])  # nothing booked: no data
