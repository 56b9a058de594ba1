"""Turns service events (any thread) into Qt signals delivered on the UI thread."""

from __future__ import annotations

from mentalspace_desktop.gui.qt import QObject, Signal
from mentalspace_desktop.services.charting.common import ChartDidChange
from mentalspace_desktop.services.events import (
    AlertsDidChange,
    AppointmentDidChange,
    AuditDidAppend,
    ClientDidChange,
    Event,
    EventBus,
    GroupDidChange,
    MessagesDidChange,
    PracticeDidChange,
    ReminderSettingsDidChange,
    ScheduleSetupDidChange,
    UserDidChange,
    WaitlistDidChange,
)


class EventBridge(QObject):
    sig_client_did_change = Signal(str, bool)
    """A client record changed: (client id, whether it was just created)."""
    sig_user_did_change = Signal(str)
    """A staff account changed: user id."""
    sig_practice_did_change = Signal()
    """Practice settings changed."""
    sig_audit_did_append = Signal()
    """New audit entries were written."""
    sig_appointment_did_change = Signal(list, list)
    """Appointments changed: (appointment ids, provider ids) — refresh calendars showing them."""
    sig_schedule_setup_did_change = Signal(str)
    """Types, rooms, locations, hours, time off or booking guards changed: what changed."""
    sig_waitlist_did_change = Signal(str)
    """A waitlist entry or its offers changed: entry id."""
    sig_group_did_change = Signal(str)
    """A group, its members or attendance changed: group id."""
    sig_chart_did_change = Signal(str, str, str)
    """A client's clinical record changed: (client id, record type, record id)."""
    sig_alerts_did_change = Signal()
    """Alerts were acknowledged, resolved or (re)generated."""
    sig_messages_did_change = Signal(str)
    """The Messages inbox or a client's reminder consent changed: client id ("" when none)."""
    sig_reminder_settings_did_change = Signal()
    """A reminder rule or template was saved or removed."""
    _sig_event = Signal(object)

    def __init__(self, bus: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bus = bus
        self._sig_event.connect(self._dispatch)  # queued across threads: runs on the UI thread
        self._listener = self._sig_event.emit
        bus.subscribe(self._listener)

    def detach(self) -> None:
        self._bus.unsubscribe(self._listener)

    def _dispatch(self, event: Event) -> None:
        if isinstance(event, ClientDidChange):
            self.sig_client_did_change.emit(event.client_id, event.created)
        elif isinstance(event, UserDidChange):
            self.sig_user_did_change.emit(event.user_id)
        elif isinstance(event, PracticeDidChange):
            self.sig_practice_did_change.emit()
        elif isinstance(event, AuditDidAppend):
            self.sig_audit_did_append.emit()
        elif isinstance(event, AppointmentDidChange):
            self.sig_appointment_did_change.emit(list(event.appointment_ids), list(event.provider_ids))
        elif isinstance(event, ScheduleSetupDidChange):
            self.sig_schedule_setup_did_change.emit(event.what)
        elif isinstance(event, WaitlistDidChange):
            self.sig_waitlist_did_change.emit(event.entry_id)
        elif isinstance(event, GroupDidChange):
            self.sig_group_did_change.emit(event.group_id)
        elif isinstance(event, AlertsDidChange):
            self.sig_alerts_did_change.emit()
        elif isinstance(event, ChartDidChange):
            self.sig_chart_did_change.emit(event.client_id, event.record_type, event.record_id)
        elif isinstance(event, MessagesDidChange):
            self.sig_messages_did_change.emit(event.client_id or "")
        elif isinstance(event, ReminderSettingsDidChange):
            self.sig_reminder_settings_did_change.emit()
