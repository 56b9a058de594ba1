"""The supervision log on a real store: who may record, edit, sign and read; sealed topics; signed hours
feeding the supervision_hours metric and the Georgia monthly supervision rule at its boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from mentalspace_desktop.domain.compliance import Stage
from mentalspace_desktop.domain.metrics import Period
from mentalspace_desktop.errors import PermissionDenied, ValidationError
from mentalspace_desktop.services import compliance, metrics, supervision
from mentalspace_desktop.services.supervision import Kind
from mentalspace_desktop.store.clinical_seal import is_sealed
from mentalspace_desktop.store.models import OutboxEntry
from mentalspace_desktop.store.supervision_models import SupervisionSession
from tests.factories import PracticeFixture

TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 15, tzinfo=UTC)


def _log(practice: PracticeFixture, held_on: date, minutes: int, *, sign: bool = True) -> str:
    sup = practice.session_for("supervisor")
    return supervision.record(sup, supervisee_ids=[practice.users["clinician"]], held_on=held_on, minutes=minutes,
                              kind=Kind.INDIVIDUAL, topics="Case review: safety planning", today=TODAY, now=NOW,
                              sign=sign)[0]


def test_a_supervisor_records_and_signs_for_a_supervisee_and_the_topics_are_sealed(practice: PracticeFixture) -> None:
    row_id = _log(practice, date(2026, 11, 3), 60, sign=False)
    sup = practice.session_for("supervisor")
    with practice.admin.store.read() as s:
        row = s.get(SupervisionSession, row_id)
        assert row is not None and is_sealed(row.topics) and row.signed_at is None
        assert s.scalar(select(OutboxEntry).where(OutboxEntry.row_id == row_id)) is not None  # it syncs
    supervision.edit(sup, row_id, held_on=date(2026, 11, 4), minutes=90, kind=Kind.INDIVIDUAL,
                     topics="Case review", today=TODAY, now=NOW)
    supervision.sign(sup, row_id, now=NOW)
    [entry] = supervision.entries(practice.session_for("clinician"), start=date(2026, 11, 1), end=TODAY)
    assert (entry.held_on, entry.minutes, entry.topics, entry.signed_at) == (date(2026, 11, 4), 90, "Case review", NOW)
    with pytest.raises(ValidationError, match="signed"):
        supervision.edit(sup, row_id, held_on=date(2026, 11, 4), minutes=30, kind=Kind.INDIVIDUAL, topics="",
                         today=TODAY, now=NOW)


def test_who_may_do_what(practice: PracticeFixture) -> None:
    clinician = practice.users["clinician"]
    for key in ("clinician", "front_desk", "billing"):
        with pytest.raises(PermissionDenied):
            supervision.record(practice.session_for(key), supervisee_ids=[clinician], held_on=TODAY, minutes=60,
                               kind=Kind.INDIVIDUAL, topics="", today=TODAY, now=NOW)
    with pytest.raises(PermissionDenied):  # not their supervisee
        supervision.record(practice.session_for("supervisor"), supervisee_ids=[practice.users["other_clinician"]],
                           held_on=TODAY, minutes=60, kind=Kind.INDIVIDUAL, topics="", today=TODAY, now=NOW)
    # An administrator records for anyone; the signature stays the supervisor's.
    [row_id] = supervision.record(practice.admin, supervisee_ids=[clinician], held_on=TODAY, minutes=60,
                                  kind=Kind.INDIVIDUAL, topics="", today=TODAY, now=NOW)
    with practice.admin.store.read() as s:
        assert s.get(SupervisionSession, row_id).supervisor_id == practice.users["supervisor"]  # type: ignore[union-attr]
    with pytest.raises(PermissionDenied, match="Only the supervisor"):
        supervision.sign(practice.admin, row_id, now=NOW)
    assert supervision.entries(practice.session_for("other_clinician"), start=TODAY, end=TODAY) == []
    with pytest.raises(PermissionDenied):
        supervision.entries(practice.session_for("front_desk"), start=TODAY, end=TODAY)
    assert [p.id for p in supervision.supervisees(practice.session_for("supervisor"))] == [clinician]


def test_bad_input_is_refused_with_a_reason(practice: PracticeFixture) -> None:
    sup = practice.session_for("supervisor")
    clinician = practice.users["clinician"]
    cases = [({"held_on": date(2026, 12, 1), "minutes": 60}, "held_on"), ({"held_on": TODAY, "minutes": 0}, "minutes"),
             ({"held_on": TODAY, "minutes": 9 * 60}, "minutes")]
    for values, field in cases:
        with pytest.raises(ValidationError) as caught:
            supervision.record(sup, supervisee_ids=[clinician], kind=Kind.INDIVIDUAL, topics="", today=TODAY,
                               now=NOW, **values)  # type: ignore[arg-type]
        assert field in caught.value.fields


def test_signed_hours_feed_the_metric_and_the_monthly_rule(practice: PracticeFixture) -> None:
    _log(practice, date(2026, 10, 6), 60)  # October: 1 h signed of the 2 an LPC-Associate needs
    _log(practice, date(2026, 10, 20), 60, sign=False)  # unsigned: not counted
    _log(practice, date(2026, 11, 2), 120)  # November so far: 2 h
    clinician = practice.users["clinician"]
    october = metrics.compute(practice.admin, Period(date(2026, 10, 1), date(2026, 10, 31)), today=TODAY,
                              metric_ids=["supervision_hours"])
    value = october.of(clinician)["supervision_hours"]
    assert value.numerator == 1.0 and value.value == pytest.approx(1.0 / (31 / (365.25 / 12)))
    assert practice.users["other_clinician"] not in {v.subject_id for v in october.values}  # an LCSW: not counted
    rows = metrics.explain(practice.admin, Period(date(2026, 10, 1), date(2026, 10, 31)), today=TODAY,
                           metric_id="supervision_hours", clinician_id=clinician)
    assert [r.record_type for r in rows] == ["user", "supervision_session"]
    result = compliance.run(practice.admin, today=TODAY, now=NOW)
    summary = {x.rule: x for x in result.summaries}["supervision_hours"]
    assert summary.enabled and summary.checked == 2
    [short] = [f for f in result.findings if f.rule == "supervision_hours"]
    assert short.stage is Stage.OUT_OF_COMPLIANCE and "October 2026" in short.subject and "1.0 of 2 h" in short.detail
    # The boundary: exactly the required hours is met.
    _log(practice, date(2026, 10, 27), 60)
    result = compliance.run(practice.admin, today=TODAY, now=NOW)
    assert not [f for f in result.findings if f.rule == "supervision_hours"]


def test_nobody_logs_and_signs_supervision_of_themselves(practice: PracticeFixture) -> None:
    """A supervisor whose own license needs supervision (their own supervisor records it) must not
    credit themselves hours by logging and signing a session with themselves."""
    from sqlalchemy import update

    from mentalspace_desktop.store.models import User

    me = practice.users["supervisor"]
    with practice.admin.store.write(practice.users["admin"]) as s:
        s.execute(update(User).where(User.id == me).values(license_type="LMSW",
                                                           supervisor_id=practice.users["admin"]))
    with pytest.raises((PermissionDenied, ValidationError)):
        supervision.record(practice.session_for("supervisor"), supervisee_ids=[me], held_on=TODAY, minutes=240,
                           kind=Kind.INDIVIDUAL, topics="", today=TODAY, now=NOW, sign=True)
    with practice.admin.store.read() as s:
        assert s.scalar(select(SupervisionSession).where(SupervisionSession.supervisee_id == me)) is None
