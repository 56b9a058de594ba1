"""Where today's appointments stand: expected, due, late, no-show so far, checked in."""

from __future__ import annotations

from datetime import datetime

import pytest

from mentalspace_desktop.domain.front_desk import Standing, standing, standing_label, summarize

START, END = datetime(2026, 11, 30, 10, 0), datetime(2026, 11, 30, 10, 50)


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        ("scheduled", datetime(2026, 11, 30, 9, 0), Standing.EXPECTED),
        ("confirmed", datetime(2026, 11, 30, 9, 50), Standing.DUE),
        ("scheduled", datetime(2026, 11, 30, 10, 9), Standing.DUE),
        ("scheduled", datetime(2026, 11, 30, 10, 10), Standing.LATE),
        ("confirmed", datetime(2026, 11, 30, 10, 50), Standing.NOT_ARRIVED),
        ("checked_in", datetime(2026, 11, 30, 10, 30), Standing.CHECKED_IN),
        ("completed", datetime(2026, 11, 30, 11, 0), Standing.COMPLETED),
        ("no_show", datetime(2026, 11, 30, 11, 0), Standing.NO_SHOW),
        ("cancelled", datetime(2026, 11, 30, 9, 0), Standing.CANCELLED),
        ("rescheduled", datetime(2026, 11, 30, 9, 0), Standing.CANCELLED),
    ],
)
def test_standing_follows_status_then_the_clock(status: str, now: datetime, expected: Standing) -> None:
    assert standing(status, START, END, now) is expected


def test_labels_say_how_late_and_when_checked_in() -> None:
    now = datetime(2026, 11, 30, 10, 17)
    assert standing_label(Standing.LATE, START, now) == "Late (17 min)"
    assert standing_label(Standing.CHECKED_IN, START, now, checked_in_at=datetime(2026, 11, 30, 9, 58)) == (
        "Checked in 9:58 AM")
    assert standing_label(Standing.EXPECTED, START, now, confirmed=True) == "Confirmed"
    assert standing_label(Standing.NOT_ARRIVED, START, now) == "No-show so far"


def test_summary_counts_what_the_desk_needs_and_skips_cancellations() -> None:
    summary = summarize([(Standing.CHECKED_IN, False), (Standing.LATE, True), (Standing.NOT_ARRIVED, False),
                         (Standing.CANCELLED, True), (Standing.EXPECTED, False)])
    assert (summary.total, summary.checked_in, summary.late, summary.not_arrived, summary.telehealth) == (4, 1, 1, 1, 1)
    assert summary.text() == "4 appointments · 1 checked in · 1 late · 1 no-show so far · 1 telehealth"
