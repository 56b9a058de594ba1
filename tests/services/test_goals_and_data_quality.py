"""Performance goals (services.goals) and data-quality findings (services.data_quality) on a real store:
goals evaluated active, achieved or missed from the metric engine, set only by a supervisor for their
team or an administrator; each data-quality rule finds its record and names the screen that fixes it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mentalspace_desktop.domain.goals import GoalState
from mentalspace_desktop.errors import PermissionDenied, ValidationError
from mentalspace_desktop.services import data_quality, goals
from mentalspace_desktop.services.data_quality import Kind
from mentalspace_desktop.store.models import Note
from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentType
from tests.factories import PracticeFixture

ET = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 30, 15, tzinfo=UTC)
TODAY = date(2026, 11, 30)


def _visits(practice: PracticeFixture, statuses: list[str], *, first_day: date) -> str:
    client = practice.add_client(clinician="clinician")
    with practice.admin.store.write(practice.users["admin"]) as s:
        kind = AppointmentType(name="Individual therapy", category="individual", default_minutes=50)
        s.add(kind)
        s.flush()
        for i, status in enumerate(statuses):
            start = datetime.combine(first_day + timedelta(days=i), datetime.min.time().replace(hour=10),
                                     tzinfo=ET).astimezone(UTC)
            s.add(Appointment(client_id=client.id, provider_id=practice.users["clinician"], type_id=kind.id,
                              start_at=start, end_at=start + timedelta(minutes=50), time_zone="America/New_York",
                              start_local=start.astimezone(ET).replace(tzinfo=None), status=status))
    return client.id


def test_goals_are_active_then_achieved_or_missed(practice: PracticeFixture) -> None:
    _visits(practice, ["completed", "completed", "completed", "no_show"], first_day=date(2026, 11, 2))
    supervisor = practice.session_for("supervisor")
    clin = practice.users["clinician"]
    november = dict(start=date(2026, 11, 1), end=date(2026, 11, 30))
    met = goals.save_goal(supervisor, clinician_id=clin, metric_id="kept_visit_rate", typed_target=70, now=NOW,
                          **november)
    missed = goals.save_goal(supervisor, clinician_id=clin, metric_id="no_show_rate", typed_target=10, now=NOW,
                             **november)
    during = {g.id: g for g in goals.list_goals(supervisor, today=TODAY)}
    assert during[met].state is GoalState.ACTIVE and during[met].meets  # 75 % kept: on course
    assert during[met].value == pytest.approx(0.75) and during[met].target == pytest.approx(0.70)
    assert "on course" in during[met].progress() and "behind" in during[missed].progress()
    after = {g.id: g for g in goals.list_goals(practice.session_for("clinician"), today=date(2026, 12, 1))}
    assert after[met].state is GoalState.ACHIEVED and after[missed].state is GoalState.MISSED


def test_who_may_set_goals_and_bad_targets(practice: PracticeFixture) -> None:
    args = dict(metric_id="kept_visit_rate", typed_target=80, start=date(2026, 12, 1), end=date(2026, 12, 31),
                now=NOW)
    with pytest.raises(PermissionDenied):
        goals.save_goal(practice.session_for("clinician"), clinician_id=practice.users["clinician"], **args)
    with pytest.raises(PermissionDenied):  # not on the supervisor's team
        goals.save_goal(practice.session_for("supervisor"), clinician_id=practice.users["other_clinician"], **args)
    goal_id = goals.save_goal(practice.admin, clinician_id=practice.users["other_clinician"], **args)
    assert [g.id for g in goals.list_goals(practice.session_for("other_clinician"), today=TODAY)] == [goal_id]
    assert goals.list_goals(practice.session_for("clinician"), today=TODAY) == []
    with pytest.raises(ValidationError, match="from 0% to 100%"):
        goals.save_goal(practice.admin, clinician_id=practice.users["clinician"],
                        **{**args, "typed_target": 180})
    with pytest.raises(ValidationError, match="ends before"):
        goals.save_goal(practice.admin, clinician_id=practice.users["clinician"],
                        **{**args, "end": date(2026, 11, 1)})
    goals.delete_goal(practice.admin, goal_id, now=NOW)
    assert goals.list_goals(practice.admin, today=TODAY) == []


def test_data_quality_findings_and_where_each_is_fixed(practice: PracticeFixture) -> None:
    complete = dict(phone_mobile="+14045550100", address1="1 Peachtree St", city="Atlanta", state="GA",
                    zip="30303", emergency_name="Pat Rivera", emergency_phone="+14045550101")
    tidy = practice.add_client(clinician="clinician", last="Tidy", **complete)
    sparse = practice.add_client(clinician="clinician", last="Sparse", phone_mobile="+14045550102")
    theirs = practice.add_client(clinician="other_clinician", last="Theirs")
    stale_client = _visits(practice, ["scheduled", "completed"], first_day=date(2026, 11, 27))
    with practice.admin.store.write(practice.users["admin"]) as s:
        loose = Note(client_id=tidy.id, author_id=practice.users["clinician"], note_type="progress",
                     service_date=date(2026, 11, 20))
        s.add(loose)
        s.flush()
        loose_id = loose.id
    # Still scheduled 24 h after: the 27th's visit is; a visit that ended an hour ago is not yet.
    found = data_quality.find(practice.session_for("clinician"), now=NOW, today=TODAY)
    stale = [f for f in found.findings if f.kind is Kind.STALE_APPOINTMENT]
    assert [f.client_id for f in stale] == [stale_client] and stale[0].section == "appointments"
    notes = [f for f in found.findings if f.kind is Kind.NOTE_WITHOUT_APPOINTMENT]
    assert [(f.record_type, f.record_id) for f in notes] == [("note", loose_id)]
    demo = {f.client_id: f for f in found.findings if f.kind is Kind.INCOMPLETE_DEMOGRAPHICS}
    assert sparse.id in demo and tidy.id not in demo and theirs.id not in demo  # someone else's client
    assert demo[sparse.id].detail == "missing: address, emergency contact" and demo[sparse.id].section == "details"
    assert theirs.id in {f.client_id for f in data_quality.find(practice.admin, now=NOW, today=TODAY).findings}
    early = data_quality.find(practice.session_for("clinician"), now=datetime(2026, 11, 28, 14, tzinfo=UTC),
                              today=TODAY)
    assert early.count(Kind.STALE_APPOINTMENT) == 0  # ended 23 hours before
    with pytest.raises(PermissionDenied):
        data_quality.find(practice.session_for("front_desk"), now=NOW, today=TODAY)


def test_a_goal_of_a_clinician_who_has_left_does_not_break_the_goal_list(practice: PracticeFixture) -> None:
    """An administrator set a goal for a clinician who was then deactivated: the list (the dashboard's
    goals panel) still loads, that goal reading "no data" instead of failing with "no clinician named"."""
    from mentalspace_desktop.services.accounts import AccountService

    other = practice.users["other_clinician"]
    gone = goals.save_goal(practice.admin, clinician_id=other, metric_id="kept_visit_rate", typed_target=80,
                           start=date(2026, 11, 1), end=date(2026, 11, 30), now=NOW)
    AccountService(practice.admin).set_active(other, False)
    listed = {g.id: g for g in goals.list_goals(practice.admin, today=TODAY)}
    assert listed[gone].value is None and "no data" in listed[gone].progress()


def test_a_goal_met_exactly_is_achieved(practice: PracticeFixture) -> None:
    """A 70 % kept-visit goal and 7 of 10 sessions kept: exactly on target is achieved, not "behind"
    (70 typed is stored as 70 × 0.01, a hair above 0.7 in binary)."""
    _visits(practice, ["completed"] * 7 + ["no_show"] * 3, first_day=date(2026, 11, 2))
    goal = goals.save_goal(practice.session_for("supervisor"), clinician_id=practice.users["clinician"],
                           metric_id="kept_visit_rate", typed_target=70, start=date(2026, 11, 1),
                           end=date(2026, 11, 30), now=NOW)
    during = {g.id: g for g in goals.list_goals(practice.admin, today=TODAY)}[goal]
    assert during.value == pytest.approx(0.7) and during.meets and "on course" in during.progress()
    after = {g.id: g for g in goals.list_goals(practice.admin, today=date(2026, 12, 1))}[goal]
    assert after.state is GoalState.ACHIEVED
