"""Fixtures for the client screens: an event bridge on the practice's bus, a date of birth of a minor.

Draining background work and muting the offscreen platform's noise are done for every GUI test by
``tests/gui/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from mentalspace_desktop.gui.bridge import EventBridge
from tests.factories import PracticeFixture


@pytest.fixture
def bridge(practice: PracticeFixture, qtbot: object) -> Iterator[EventBridge]:
    """Service events of every session in the practice (they share one bus), as Qt signals."""
    b = EventBridge(practice.admin.events)
    yield b
    b.detach()


@pytest.fixture
def minor_dob() -> date:
    """Twelve years old whatever today is."""
    today = date.today()
    return date(today.year - 12, 1, 1)
