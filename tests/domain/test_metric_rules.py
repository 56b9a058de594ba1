"""How metrics count (domain.metric_rules) on hand-made facts: no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from mentalspace_desktop.domain.metric_rules import Appt, Facts, NoteFact, evaluate, evidence
from mentalspace_desktop.domain.metrics import Period

WEEK = Period(date(2026, 11, 16), date(2026, 11, 22))


def note(note_id: str, day: date, status: str, *, cosigned: date | None = None, cosign: bool = True) -> NoteFact:
    return NoteFact(note_id, "c1", "client", None, "soap", day, status, None, None, cosign, cosigned)


def appt(appt_id: str, day: int, status: str, *, recurring: bool = False) -> Appt:
    start = datetime(2026, 11, day, 15, tzinfo=UTC)
    return Appt(appt_id, "c1", "client", status, False, start, start + timedelta(minutes=50),
                start - timedelta(days=10), False, start.date(), 50, recurring)


def test_cosignature_counts_once_its_seven_days_are_over() -> None:
    facts = Facts(WEEK, as_of=date(2026, 11, 25), subjects=frozenset({"c1"}), notes=[
        note("on-time", date(2026, 11, 16), "signed", cosigned=date(2026, 11, 20)),
        note("late", date(2026, 11, 16), "signed", cosigned=date(2026, 11, 24)),
        note("overdue", date(2026, 11, 17), "in_review"),
        note("still-in-time", date(2026, 11, 21), "in_review"),
        note("no-cosign-needed", date(2026, 11, 17), "signed", cosign=False),
    ])
    [value] = evaluate(facts, ["supervision_note_timeliness"])
    assert (value.numerator, value.denominator) == (1, 3)
    assert {c.record_id for c in evidence(facts, "supervision_note_timeliness", "c1")} == {"on-time", "late",
                                                                                           "overdue"}


def test_the_backlog_counts_what_the_author_has_not_signed() -> None:
    facts = Facts(WEEK, as_of=date(2026, 11, 22), subjects=frozenset({"c1", "c2"}), notes=[
        note("draft", date(2026, 11, 2), "draft"),
        note("returned", date(2026, 11, 3), "returned"),
        note("awaiting-cosign", date(2026, 11, 4), "in_review"),  # signed by its author
        note("recent-draft", date(2026, 11, 20), "draft"),  # not 7 days old yet
    ])
    values = {v.subject_id: v for v in evaluate(facts, ["unsigned_note_backlog"])}
    assert values["c1"].value == 2
    assert values["c2"].value == 0  # nothing counted is 0, not "no data"


def test_lead_time_leaves_out_recurring_sessions() -> None:
    facts = Facts(WEEK, as_of=WEEK.end, subjects=frozenset({"c1"}),
                  appointments=[appt("single", 17, "completed"), appt("weekly", 18, "completed", recurring=True)])
    [value] = evaluate(facts, ["average_lead_time"])
    assert value.denominator == 1 and value.value == 10


def test_confirmation_rate_leaves_out_what_left_the_books_early() -> None:
    confirmed = appt("kept", 16, "completed")._replace(confirmed=True)
    late = appt("late", 17, "cancelled")._replace(late_cancel=True, confirmed=True)
    early = appt("early", 18, "cancelled")._replace(confirmed=True)
    moved = appt("moved", 18, "rescheduled")._replace(confirmed=True)
    waiting = appt("waiting", 20, "scheduled")
    no_client = appt("block", 20, "scheduled")._replace(client_id=None, confirmed=True)
    facts = Facts(WEEK, as_of=date(2026, 11, 25), subjects=frozenset({"c1"}),
                  appointments=[confirmed, late, early, moved, waiting, no_client])
    [value] = evaluate(facts, ["confirmation_rate"])
    assert (value.numerator, value.denominator) == (2, 3)
    assert [c.record_id for c in evidence(facts, "confirmation_rate", "c1")] == ["kept", "late", "waiting"]
