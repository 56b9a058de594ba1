"""Announcements of what changed, from services to whoever listens (the GUI's bridge, jobs, sync).

Services never touch widgets: they emit one of these typed events and the GUI's bridge turns it
into a Qt signal on the UI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Base of every event."""


@dataclass(frozen=True)
class ClientDidChange(Event):
    client_id: str
    created: bool = False


@dataclass(frozen=True)
class UserDidChange(Event):
    user_id: str


@dataclass(frozen=True)
class PracticeDidChange(Event):
    """The practice's name, time zone or idle-lock time changed."""


@dataclass(frozen=True)
class AuditDidAppend(Event):
    count: int = 1


@dataclass(frozen=True)
class AppointmentDidChange(Event):
    """Appointments were booked, moved, resized or changed status (one event per user action).

    ``provider_ids`` lets an open calendar skip a refresh for columns it does not show.
    """

    appointment_ids: tuple[str, ...]
    provider_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScheduleSetupDidChange(Event):
    """Appointment types, locations, rooms, working hours or time off changed."""

    what: str = ""  # types, rooms, locations, availability, time_off, guards


@dataclass(frozen=True)
class WaitlistDidChange(Event):
    entry_id: str


@dataclass(frozen=True)
class GroupDidChange(Event):
    group_id: str


@dataclass(frozen=True)
class AlertsDidChange(Event):
    """Alerts were acknowledged or resolved here (the job's own writes arrive by sync or its run)."""

    alert_ids: tuple[str, ...] = ()


Listener = Callable[[Event], None]


class EventBus:
    """A small synchronous publish/subscribe hub; listeners must be quick and must not raise."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.remove(listener)

    def emit(self, event: Event) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must not undo a committed write
                log.exception("event listener failed for %s", type(event).__name__)


@dataclass(frozen=True)
class ReminderSettingsDidChange(Event):
    """A reminder rule or template was saved or removed."""


@dataclass(frozen=True)
class MessagesDidChange(Event):
    """The Messages inbox or a client's reminder consent changed (counts in the navigation refresh)."""

    client_id: str | None = None
