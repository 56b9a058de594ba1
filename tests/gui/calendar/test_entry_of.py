"""What the calendar shows of a service item (``entry_of``, made without the constructor's per-field
cost): every field set, the place, the busy kinds, late cancellations and group sessions as before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mentalspace_desktop.domain.records import fields_of
from mentalspace_desktop.domain.scheduling.risk import History, no_show_risk
from mentalspace_desktop.gui.calendar.model import CalendarEntry
from mentalspace_desktop.gui.calendar.service_source import entry_of
from mentalspace_desktop.services.scheduling.appointments import CalendarItem

pytestmark = pytest.mark.gui

START = datetime(2026, 3, 10, 14, tzinfo=UTC)
WALL = datetime(2026, 3, 10, 10)


def item(**kw: object) -> CalendarItem:
    values: dict[str, object] = {
        "id": "a1", "kind": "appointment", "provider_id": "p1", "provider_name": "Dr. Patel", "start_at": START,
        "end_at": START.replace(hour=15), "start_local": WALL, "end_local": WALL.replace(hour=11),
        "room_id": "r1", "room_name": "Room 1", "location_id": "l1", "location_name": "Midtown office",
        "client_id": "c1", "client_name": "Rivera, Ana", "type_id": "t1", "type_name": "Individual therapy",
        "color": "#4a7bd0", "status": "scheduled", "confirmation": "unconfirmed", "editable": True}
    values.update(kw)
    return CalendarItem(**values)  # type: ignore[arg-type]


def test_an_entry_has_every_field_and_says_what_the_item_says() -> None:
    risky = no_show_risk(History(completed=2, no_shows=3), lead_days=30, hour=8, weekday=0, confirmed=False)
    entry = entry_of(item(risk=risky, checked_in_at=START))
    assert set(vars(entry)) >= fields_of(CalendarEntry)
    assert (entry.room_name, entry.client_name, entry.status, entry.busy_only, entry.editable) == (
        "Room 1, Midtown office", "Rivera, Ana", "scheduled", False, True)
    assert entry.risk == risky.score and entry.risk_factors == risky.explain()
    assert entry.checked_in_at is not None and entry.checked_in_at.tzinfo is None
    assert entry == CalendarEntry(**{name: getattr(entry, name) for name in fields_of(CalendarEntry)})


@pytest.mark.parametrize(("kw", "expected"), [
    ({"telehealth": True}, ("", "scheduled", "Rivera, Ana", "Individual therapy")),
    ({"room_name": "", "location_name": "Midtown office"}, ("Midtown office", "scheduled", "Rivera, Ana",
                                                              "Individual therapy")),
    ({"status": "cancelled", "late_cancel": True}, ("Room 1, Midtown office", "late_cancelled", "Rivera, Ana",
                                                    "Individual therapy")),
    ({"client_id": None, "client_name": "", "group_id": "g1"}, ("Room 1, Midtown office", "scheduled",
                                                                 "Group session", "Individual therapy")),
    ({"kind": "time_off", "type_name": "Time off", "client_id": None, "client_name": ""},
     ("Room 1, Midtown office", "scheduled", "", "Time off")),
    ({"kind": "imported", "type_name": "Busy", "client_id": None, "client_name": ""},
     ("Room 1, Midtown office", "scheduled", "", "Busy (other calendar)")),
])
def test_places_statuses_and_busy_kinds(kw: dict[str, object], expected: tuple[str, str, str, str]) -> None:
    entry = entry_of(item(**kw))
    assert (entry.room_name, entry.status, entry.client_name, entry.type_name) == expected
    assert entry.busy_only == (kw.get("kind", "appointment") != "appointment")
    assert not (entry.busy_only and entry.editable)
