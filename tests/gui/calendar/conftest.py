"""Fixtures for the schedule screens: a practice set up for booking on a weekday a few weeks ahead."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from mentalspace_desktop.gui.bridge import EventBridge
from tests.factories import PracticeFixture
from tests.gui.calendar.helpers import Schedule, seed_schedule


@pytest.fixture
def bridge(practice: PracticeFixture, qtbot: object) -> Iterator[EventBridge]:
    b = EventBridge(practice.admin.events)
    yield b
    b.detach()


@pytest.fixture
def day() -> date:
    """A Tuesday three weeks ahead: bookable, and never in the past whatever day the tests run."""
    today = date.today()
    return today + timedelta(days=21 + (1 - today.weekday()) % 7)


@pytest.fixture
def schedule(practice: PracticeFixture, day: date) -> Schedule:
    return seed_schedule(practice, day)
