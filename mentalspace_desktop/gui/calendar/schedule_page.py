"""The Schedule page of the main window: the calendar over the session's services, with booking and
appointment dialogs, reloading when any workstation changes the schedule.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from mentalspace_desktop.domain.calendar_layout import CalendarView
from mentalspace_desktop.domain.roles import Action, Resource, allows_any
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.calendar.appointment_dialog import AppointmentDialog
from mentalspace_desktop.gui.calendar.booking_dialog import BookingDialog, proposal_at
from mentalspace_desktop.gui.calendar.find_slot import FindSlotDialog
from mentalspace_desktop.gui.calendar.model import CalendarEntry
from mentalspace_desktop.gui.calendar.page import CalendarPage
from mentalspace_desktop.gui.calendar.service_source import ServiceSource
from mentalspace_desktop.gui.errors import show_error
from mentalspace_desktop.gui.localtime import wall_now, wall_today
from mentalspace_desktop.gui.qt import QKeySequence, QPushButton, QShortcut, QShowEvent, Qt, QVBoxLayout, QWidget
from mentalspace_desktop.services.scheduling.finding import FoundSlot
from mentalspace_desktop.services.session import UserSession


class SchedulePage(QWidget):
    """Calendar + dialogs for the signed-in user."""

    def __init__(self, session: UserSession, bridge: EventBridge, parent: QWidget | None = None, *,
                 today: Callable[[], date] = wall_today, now: Callable[[], datetime] = wall_now) -> None:
        super().__init__(parent)
        self.session = session
        self.may_book = allows_any(session.actor.role, Resource.SCHEDULE, Action.WRITE)
        self.source = ServiceSource(session)
        self.calendar = CalendarPage(self.source, self, today=today, now=now)
        self.source.loaded = self.calendar.model.entries
        self.calendar.new_button.setVisible(self.may_book)
        self.dialog: BookingDialog | AppointmentDialog | None = None
        self.offer_dialog: QWidget | None = None
        self.find_dialog: FindSlotDialog | None = None
        self.find_button = QPushButton("F&ind a slot…")
        self.find_button.setAccessibleName("Find a free slot")
        self.find_button.setToolTip("Find free slots by provider, type, dates or in words (Ctrl+F)")
        row = self.calendar.actions_row
        row.insertWidget(row.indexOf(self.calendar.new_button), self.find_button)
        find = QShortcut(QKeySequence("Ctrl+F"), self)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(self.find_slot)
        self.find_button.clicked.connect(self.find_slot)
        self._started = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.calendar)
        self.calendar.sig_book_requested.connect(self.book)
        self.calendar.sig_open_requested.connect(self.open_appointment)
        bridge.sig_appointment_did_change.connect(self._appointments_changed)
        bridge.sig_schedule_setup_did_change.connect(self._setup_changed)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._started:
            self.start()

    def start(self, view: CalendarView | None = None, day: date | None = None) -> None:
        self._started = True
        own = self.source.resources().own_provider_id
        self.calendar.start(view or (CalendarView.DAY if own else CalendarView.PROVIDERS), day)

    def reload(self) -> None:
        self.calendar.reload()

    def _appointments_changed(self, _ids: list[str], providers: list[str]) -> None:
        shown = self.calendar.model.provider_filter
        if shown is None or not providers or shown & set(providers):
            self.calendar.reload()

    def _setup_changed(self, what: str) -> None:
        if what in ("types", "rooms", "locations", "availability", "time_off", ""):
            self.calendar.start(self.calendar.model.view, self.calendar.model.day)

    def book(self, proposal: CalendarEntry, *, client_id: str = "", client_name: str = "") -> BookingDialog | None:
        if not self.may_book:
            self.calendar.show_feedback("Your role can see the schedule but not book.", True)
            return None
        try:
            dialog = BookingDialog(self.session, proposal, self, client_id=client_id, client_name=client_name,
                                   keep_length=True)
        except Exception as exc:  # the set-up could not be read: say so, keep the calendar
            show_error(self, exc)
            return None
        dialog.sig_booked.connect(lambda ids: self._booked(ids))
        self.dialog = dialog
        dialog.open()
        return dialog

    def find_slot(self) -> FindSlotDialog | None:
        """Open Find a slot; a slot chosen there opens the booking dialog filled in."""
        try:
            dialog = FindSlotDialog(self.session, self, may_book=self.may_book)
        except Exception as exc:  # the set-up could not be read: say so, keep the calendar
            show_error(self, exc)
            return None
        dialog.sig_slot_chosen.connect(self.book_found)
        self.find_dialog = dialog
        dialog.open()
        return dialog

    def book_found(self, found: FoundSlot, type_id: str) -> BookingDialog | None:
        """The booking dialog for a slot Find a slot offered: its provider, day, time and type."""
        slot = found.slot
        minutes = int((slot.end_local - slot.start_local).total_seconds() // 60)
        if self.may_book:  # the calendar behind the dialog shows that day
            self.calendar.set_view(self.calendar.model.view, slot.start_local.date())
        dialog = self.book(proposal_at(slot.start_local.replace(tzinfo=None), minutes, slot.provider_id))
        if dialog is not None and type_id:
            dialog.type_box.setCurrentIndex(max(0, dialog.type_box.findData(type_id)))
        return dialog

    def _booked(self, ids: list[str]) -> None:
        n = len(ids)
        self.calendar.show_feedback("Booked." if n == 1 else f"Booked {n} sessions.", False)
        self.calendar.reload()

    def open_appointment(self, appointment_id: str) -> AppointmentDialog | None:
        entry = self.calendar.model.shown(appointment_id)
        if entry is not None and entry.busy_only:
            return None
        try:
            dialog = AppointmentDialog(self.session, appointment_id, self)
        except Exception as exc:
            show_error(self, exc)
            return None
        dialog.sig_changed.connect(lambda text: self.calendar.show_feedback(text, False))
        dialog.sig_changed.connect(lambda _t: self.calendar.reload())
        dialog.sig_cancelled.connect(self.offer_freed_slot)
        self.dialog = dialog
        dialog.open()
        return dialog

    def offer_freed_slot(self, entry: CalendarEntry) -> QWidget | None:
        """A cancellation freed time: show who on the waitlist fits it best (the desk may just close)."""
        if not self.may_book or entry.start <= self.calendar.grid.now():
            return None
        from mentalspace_desktop.gui.calendar.waitlist import OfferSlotDialog

        minutes = int((entry.end - entry.start).total_seconds() // 60)
        dialog = OfferSlotDialog(self.session, self, provider_id=entry.provider_id, start=entry.start,
                                 minutes=minutes, type_id=entry.type_id, freed_by=entry.client_id)
        dialog.sig_offer_did_finish.connect(lambda text: self.calendar.show_feedback(text, False))
        dialog.sig_offer_did_finish.connect(lambda _t: self.calendar.reload())
        self.offer_dialog = dialog
        dialog.open()
        return dialog
