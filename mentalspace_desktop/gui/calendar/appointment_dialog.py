"""One appointment: what it is, its life cycle in one click each (check in, confirm, completed,
no-show, cancel), and changing its time, length, provider or room — for a recurring series this
session, this and following, or all, each affected session checked before saving.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.gui.calendar.booking_dialog import _problem, minutes_of, time_choices
from mentalspace_desktop.gui.calendar.common import buddy as _buddy
from mentalspace_desktop.gui.calendar.common import clock as _clock
from mentalspace_desktop.gui.calendar.common import copy_meeting_link, open_meeting
from mentalspace_desktop.gui.calendar.model import CalendarEntry
from mentalspace_desktop.gui.calendar.service_source import entry_of
from mentalspace_desktop.gui.qt import (
    QButtonGroup,
    QComboBox,
    QDate,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHideEvent,
    QLabel,
    QListWidget,
    QPushButton,
    QRadioButton,
    QSpinBox,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.theme import tone
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.calendar_view import CalendarViewService
from mentalspace_desktop.services.scheduling.appointments import CalendarItem, StatusHistoryItem
from mentalspace_desktop.services.scheduling.series import EditScope, OccurrenceCheck, SeriesChange, SeriesService
from mentalspace_desktop.services.session import UserSession

SCOPES = (
    (EditScope.THIS, "This &session only"),
    (EditScope.FOLLOWING, "This and &following sessions"),
    (EditScope.ALL, "&All sessions of the series"),
)


class AppointmentDialog(QDialog):
    """Open an appointment; every action reports through :attr:`sig_changed`."""

    sig_changed = Signal(str)
    """The appointment (or its series) changed: a few words for the status line."""
    sig_checked = Signal()
    """The preview of a change is on screen."""
    sig_cancelled = Signal(object)
    """The appointment was cancelled: the :class:`CalendarEntry` whose time is free now."""

    def __init__(self, session: UserSession, appointment_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.service = SeriesService(session)
        self.item: CalendarItem = self.service.get(appointment_id)
        self.entry: CalendarEntry = entry_of(self.item)
        self.history: list[StatusHistoryItem] = self.service.history(appointment_id)
        self.setWindowTitle(f"Appointment — {self.entry.title}")
        self.setAccessibleName("Appointment")
        self.resize(760, 720)
        self.is_admin = session.actor.role is Role.ADMIN
        self.resources = CalendarViewService(session).resources()
        self._serial = 0
        self._build()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.preview)

    # -- building ----------------------------------------------------------------------------------

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        """A closed dialog starts no more checks (their answers would find no one to show them to)."""
        self._timer.stop()
        super().hideEvent(event)

    def _build(self) -> None:
        e = self.entry
        self.summary = QLabel(self._summary_html())
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Appointment details")
        self.join_button = QPushButton("&Join")
        self.join_button.setAccessibleName("Join the telehealth meeting")
        self.copy_button = QPushButton("Copy &link")
        self.copy_button.setAccessibleName("Copy the telehealth meeting link")
        has_link = e.telehealth and bool(e.join_url)
        self.join_button.setVisible(has_link)
        self.copy_button.setVisible(has_link)
        self.join_button.clicked.connect(lambda: open_meeting(e.join_url))
        self.copy_button.clicked.connect(self._copy)

        self.status_buttons: dict[str, QPushButton] = {}
        status_row = QHBoxLayout()
        for key, text in (("check_in", "Check &in"), ("confirm", "C&onfirmed"), ("complete", "Co&mpleted"),
                          ("no_show", "&No-show"), ("cancel", "&Cancel appointment…")):
            button = QPushButton(text)
            button.setAccessibleName(text.replace("&", "").rstrip("…"))
            button.clicked.connect(lambda _c=False, k=key: self.set_status(k))
            self.status_buttons[key] = button
            status_row.addWidget(button)
        status_row.addStretch(1)
        self.status_buttons["cancel"].setProperty("danger", True)
        self._enable_status_buttons()
        self.cancel_reason = forms.labelled_edit("Cancellation reason", placeholder="Reason (optional)")
        self.cancel_reason.hide()

        self.date_edit = QDateEdit(QDate(e.start.year, e.start.month, e.start.day))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd MM/dd/yyyy")
        self.date_edit.setAccessibleName("Date")
        self.time_box = QComboBox()
        self.time_box.setAccessibleName("Start time")
        for label, clock in time_choices():
            self.time_box.addItem(label, clock)
        self.time_box.setCurrentIndex(max(0, self.time_box.findData(minutes_of(e.start))))
        self.minutes = QSpinBox()
        self.minutes.setRange(5, 600)
        self.minutes.setSingleStep(5)
        self.minutes.setSuffix(" min")
        self.minutes.setAccessibleName("Length in minutes")
        self.minutes.setValue(int((e.end - e.start).total_seconds() // 60))
        self.provider_box = QComboBox()
        self.provider_box.setAccessibleName("Provider")
        for pid, name in self.resources.providers:
            self.provider_box.addItem(name, pid)
        self.provider_box.setCurrentIndex(max(0, self.provider_box.findData(e.provider_id)))
        self.room_box = QComboBox()
        self.room_box.setAccessibleName("Room")
        self.room_box.addItem("No room", "")
        for rid, name in self.resources.rooms:
            self.room_box.addItem(name, rid)
        self.room_box.setCurrentIndex(max(0, self.room_box.findData(e.room_id)))
        self.room_box.setEnabled(not e.telehealth)
        self.scope_group = QButtonGroup(self)
        scope_row = QHBoxLayout()
        for i, (_scope, text) in enumerate(SCOPES):
            radio = QRadioButton(text)
            self.scope_group.addButton(radio, i)
            scope_row.addWidget(radio)
        scope_row.addStretch(1)
        self.scope_group.button(0).setChecked(True)
        self.scope_box = QWidget()
        self.scope_box.setLayout(scope_row)
        scope_row.setContentsMargins(0, 0, 0, 0)
        self.scope_box.setVisible(bool(e.series_id))
        self.check_label = QLabel()
        self.check_label.setWordWrap(True)
        self.check_label.setTextFormat(Qt.TextFormat.RichText)
        self.check_label.setAccessibleName("Check of the change")
        self.sessions = QListWidget()
        self.sessions.setAccessibleName("Sessions the change affects")
        self.sessions.setMaximumHeight(140)
        self.sessions.hide()
        self.override_reason = forms.labelled_edit("Reason for the override", placeholder="Administrator: reason "
                                                   "to change despite the conflict (audited)")
        self.override_reason.setVisible(self.is_admin)
        self.save_button = forms.primary(QPushButton("&Save change"))
        self.save_button.setAccessibleName("Save the change of time")
        self.save_button.setEnabled(False)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        self.message = forms.MessageLabel()

        change = QFormLayout()
        when = QHBoxLayout()
        when.addWidget(self.date_edit)
        when.addWidget(_buddy("&at", self.time_box))
        when.addWidget(self.time_box)
        when.addWidget(_buddy("fo&r", self.minutes))
        when.addWidget(self.minutes)
        when.addStretch(1)
        change.addRow(_buddy("&Date:", self.date_edit), when)
        change.addRow(_buddy("&Provider:", self.provider_box), self.provider_box)
        change.addRow(_buddy("&Room:", self.room_box), self.room_box)
        change.addRow("Apply to:", self.scope_box)
        if not e.series_id:
            scope_label = change.labelForField(self.scope_box)
            if scope_label is not None:
                scope_label.hide()

        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 16, 18, 14)
        head = QHBoxLayout()
        head.addWidget(self.summary, 1)
        links = QVBoxLayout()
        links.addWidget(self.join_button)
        links.addWidget(self.copy_button)
        links.addStretch(1)
        head.addLayout(links)
        outer.addLayout(head)
        outer.addLayout(status_row)
        outer.addWidget(self.cancel_reason)
        from mentalspace_desktop.gui.reminders.history import AppointmentReminders

        self.reminders = AppointmentReminders(self.session, e.id, self)  # what was sent, replies, preview
        outer.addWidget(self.reminders)
        title = QLabel("Change time, provider or room")
        title.setObjectName("sectionTitle")
        outer.addWidget(title)
        outer.addLayout(change)
        outer.addWidget(self.check_label)
        outer.addWidget(self.sessions)
        outer.addWidget(self.override_reason)
        outer.addWidget(self.message)
        outer.addStretch(1)
        outer.addLayout(forms.button_row(self.save_button, self.close_button))
        editable = e.editable and e.status in ("scheduled", "confirmed", "checked_in")
        for w in (self.date_edit, self.time_box, self.minutes, self.provider_box, self.scope_box):
            w.setEnabled(editable)
        for signal in (self.date_edit.dateChanged, self.time_box.currentIndexChanged, self.minutes.valueChanged,
                       self.provider_box.currentIndexChanged, self.room_box.currentIndexChanged,
                       self.scope_group.idClicked):
            signal.connect(lambda *_a: self._changed())
        self.save_button.clicked.connect(self.save)

    def _summary_html(self) -> str:
        e = self.entry
        where = ("Telehealth" + ("" if e.join_url else " — no meeting link yet")) if e.telehealth else (
            e.room_name or "No room")
        rows = [
            f"<span style='font-size:14pt; font-weight:600'>{escape(e.title)}</span>",
            f"<span style='color:{escape(e.colour)}'>■</span> {escape(e.type_name)} with {escape(e.provider_name)}",
            f"{e.start:%A, %B} {e.start.day}, {e.start.year} · {escape(e.time_label())} · {escape(where)}",
            f"Status: <b>{escape(e.status_label())}</b>" + (" · confirmed by the client" if e.confirmed else ""),
        ]
        if e.series_id:
            rows.append("Part of a recurring series")
        if e.risk_label():
            rows.append(f"<b>{escape(e.risk_label())}</b>: {escape(e.risk_factors)}")
        if self.history:
            last = self.history[-1]
            rows.append(f"<small>Last change: {escape(last.status.replace('_', ' '))} by {escape(last.by_name)}"
                        f"</small>")
        return "<br>".join(rows)

    def _enable_status_buttons(self) -> None:
        status = self.entry.status
        allowed = {
            "scheduled": {"check_in", "confirm", "complete", "no_show", "cancel"},
            "confirmed": {"check_in", "complete", "no_show", "cancel"},
            "checked_in": {"complete", "no_show"},
            "no_show": {"check_in"},
        }.get(status, set())
        for key, button in self.status_buttons.items():
            button.setEnabled(key in allowed and self.entry.editable)

    def _copy(self) -> None:
        copy_meeting_link(self.entry.join_url, self.message)

    # -- status ------------------------------------------------------------------------------------

    def set_status(self, key: str) -> None:
        e = self.entry
        if key == "cancel" and not self.cancel_reason.isVisible():
            self.cancel_reason.show()
            self.cancel_reason.setFocus()
            self.status_buttons["cancel"].setText("Confirm &cancellation")
            return
        service = self.service
        reason = self.cancel_reason.text()
        scope = self.scope()
        words = {"check_in": "checked in", "confirm": "marked confirmed", "complete": "marked completed",
                 "no_show": "marked a no-show", "cancel": "cancelled"}[key]

        def work() -> object:
            if key == "cancel" and e.series_id and scope is not EditScope.THIS:
                return service.cancel_occurrences(e.id, scope, reason=reason)
            fn = {"check_in": service.check_in, "confirm": service.confirm, "complete": service.complete,
                  "no_show": service.no_show}.get(key)
            return fn(e.id) if fn else service.cancel(e.id, reason=reason)

        def done(_r: object) -> None:
            self.sig_changed.emit(f"{e.title} {words}.")
            if key == "cancel":
                self.sig_cancelled.emit(e)
            self.accept()

        run_in_background(self, work, on_done=done, on_error=self.message.show_exception)

    # -- changing time -----------------------------------------------------------------------------

    def scope(self) -> EditScope:
        return SCOPES[max(0, self.scope_group.checkedId())][0] if self.entry.series_id else EditScope.THIS

    def new_start(self) -> datetime:
        d = self.date_edit.date()
        hour, minute = divmod(int(self.time_box.currentData()), 60)
        return datetime(d.year(), d.month(), d.day(), hour, minute)

    def change(self) -> SeriesChange:
        e = self.entry
        start = self.new_start()
        provider = self.provider_box.currentData()
        room = self.room_box.currentData()
        return SeriesChange(
            start_time_local=(start.hour, start.minute),
            shift_days=(start.date() - e.start.date()).days,
            minutes=self.minutes.value(),
            provider_id=provider if provider != e.provider_id else None,
            room_id=room if room != e.room_id and not e.telehealth else None,
        )

    def is_changed(self) -> bool:
        e = self.entry
        return (self.new_start() != e.start or self.minutes.value() != int((e.end - e.start).total_seconds() // 60)
                or self.provider_box.currentData() != e.provider_id
                or (self.room_box.currentData() or "") != e.room_id)

    def _changed(self) -> None:
        self.save_button.setEnabled(self.is_changed())
        self._timer.start()

    def preview(self) -> None:
        """Check each affected session at its new time (off the UI thread)."""
        if not self.is_changed():
            self.check_label.setText("")
            self.sessions.hide()
            return
        service, change, scope, entry_id = self.service, self.change(), self.scope(), self.entry.id
        self._serial += 1
        serial = self._serial

        def done(checks: list[OccurrenceCheck]) -> None:
            if serial == self._serial:
                self._show(checks)

        def failed(exc: BaseException) -> None:
            if serial == self._serial:
                self.check_label.setText(_problem(str(getattr(exc, "message", exc))))
                self.sig_checked.emit()

        run_in_background(self, lambda: service.preview_edit(entry_id, scope, change), on_done=done,
                          on_error=failed)

    def _show(self, checks: list[OccurrenceCheck]) -> None:
        bad = [c for c in checks if not c.ok]
        self.sessions.clear()
        for c in checks:
            words = "; ".join(c.problems) if c.problems else "free"
            self.sessions.addItem(f"{'✗' if c.problems else '✓'}  {c.start_local:%a %m/%d/%Y} "
                                  f"{_clock(c.start_local)}–{_clock(c.end_local)} — {words}")
        self.sessions.setVisible(len(checks) > 1 or bool(bad))
        n = len(checks)
        if not bad:
            self.check_label.setText(f"<span style='color:{tone('good')}'><b>✓ Free.</b></span> "
                                     f"{n} session{'s' if n != 1 else ''} will change.")
        else:
            self.check_label.setText(_problem(f"{len(bad)} of {n} session{'s' if n != 1 else ''} would collide: "
                                              + "; ".join(bad[0].problems)))
        self.sig_checked.emit()

    def save(self) -> None:
        self.message.clear_message()
        service, change, scope, e = self.service, self.change(), self.scope(), self.entry
        reason = self.override_reason.text().strip() or None if self.is_admin else None
        start, minutes = self.new_start(), self.minutes.value()
        provider = self.provider_box.currentData()
        room = self.room_box.currentData() or None

        def work() -> object:
            if e.series_id:
                return service.edit(e.id, scope, change, override_reason=reason)
            if start != e.start or provider != e.provider_id or (room or "") != e.room_id:
                service.move(e.id, start, provider_id=provider if provider != e.provider_id else None,
                             room_id=room if (room or "") != e.room_id else None, override_reason=reason)
            if minutes != int((e.end - e.start).total_seconds() // 60):
                service.resize(e.id, start + timedelta(minutes=minutes), override_reason=reason)
            return None

        def done(_r: object) -> None:
            what = {EditScope.THIS: "", EditScope.FOLLOWING: " and the following sessions",
                    EditScope.ALL: " and every session of the series"}[scope]
            self.sig_changed.emit(f"{e.title}: moved to {start:%a} {start.day} {start:%b}, {_clock(start)}{what}.")
            self.accept()

        self.save_button.setEnabled(False)

        def failed(exc: BaseException) -> None:
            self.save_button.setEnabled(True)
            self.message.show_exception(exc)

        run_in_background(self, work, on_done=done, on_error=failed)

