"""The schedule's events reach the UI thread as Qt signals (what open calendars refresh on)."""

from __future__ import annotations

from datetime import datetime

import pytest

from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.services.scheduling.appointments import AppointmentService, BookingRequest
from mentalspace_desktop.services.scheduling.waitlist import WaitlistInput, WaitlistService
from tests.factories import PracticeFixture
from tests.services.scheduling_fixtures import build, clock

pytestmark = pytest.mark.gui


def test_booking_and_waitlist_changes_become_signals(qtbot, practice: PracticeFixture) -> None:  # type: ignore[no-untyped-def]
    sched = build(practice)
    bridge = EventBridge(practice.admin.events)
    try:
        svc = AppointmentService(practice.admin, now=clock)
        with qtbot.waitSignal(bridge.sig_appointment_did_change, timeout=2000) as blocker:
            item = svc.book(BookingRequest(provider_id=practice.users["clinician"], type_id=sched.individual,
                                           start_local=datetime(2026, 3, 3, 10), client_id=sched.client))
        assert blocker.args == [[item.id], [practice.users["clinician"]]]
        with qtbot.waitSignal(bridge.sig_waitlist_did_change, timeout=2000) as blocker:
            entry = WaitlistService(practice.admin, now=clock).add(WaitlistInput(sched.other_client))
        assert blocker.args == [entry]
    finally:
        bridge.detach()
