"""Booking an appointment: client, provider, type (fills duration and CPT), time, room or telehealth
link, repeat rule — with a live check that says what the time collides with, session by session
for a series, and an administrator's override with a reason.

The check runs off the UI thread a moment after the last change; Book asks the service again (the
service is the judge: another workstation may have booked the time meanwhile).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from html import escape

from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.domain.scheduling.recurrence import Pattern, RecurrenceError, make_rule
from mentalspace_desktop.gui.calendar.client_picker import ClientPicker
from mentalspace_desktop.gui.calendar.common import buddy as _buddy
from mentalspace_desktop.gui.calendar.common import clock as _clock
from mentalspace_desktop.gui.calendar.common import copy_meeting_link, open_meeting
from mentalspace_desktop.gui.calendar.model import CalendarEntry
from mentalspace_desktop.gui.qt import (
    QCheckBox,
    QComboBox,
    QDate,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHideEvent,
    QLabel,
    QListWidget,
    QListWidgetItem,
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
from mentalspace_desktop.services.calendar_view import CalendarViewService, TypeChoice
from mentalspace_desktop.services.scheduling.appointments import BookingRequest
from mentalspace_desktop.services.scheduling.series import SeriesService
from mentalspace_desktop.services.session import UserSession

REPEATS = (
    ("Does not repeat", None, 1),
    ("Every week", Pattern.WEEKLY, 1),
    ("Every 2 weeks", Pattern.WEEKLY, 2),
    ("Every few weeks…", Pattern.WEEKLY, 0),
    ("Every month on this date", Pattern.MONTHLY_BY_DATE, 1),
    ("Every month on this weekday", Pattern.MONTHLY_BY_WEEKDAY, 1),
)
FIRST_HOUR, LAST_HOUR, STEP = 6, 22, 5


def time_choices() -> list[tuple[str, int]]:
    """("9:05 AM", minutes after midnight) every 5 minutes of the bookable day (typing "9:3" jumps)."""
    out = []
    for minutes in range(FIRST_HOUR * 60, LAST_HOUR * 60, STEP):
        hour, minute = divmod(minutes, 60)
        out.append((f"{hour % 12 or 12}:{minute:02d} {'AM' if hour < 12 else 'PM'}", minutes))
    return out


def minutes_of(moment: datetime | time) -> int:
    return moment.hour * 60 + moment.minute


def money(cents: int | None) -> str:
    return "" if cents is None else f"${cents / 100:,.2f}"


@dataclass(frozen=True)
class Verdict:
    """What the check found: per occurrence for a series (one row for a single visit)."""

    rows: list[tuple[datetime, list[str]]]
    description: str = ""

    @property
    def problems(self) -> int:
        return sum(1 for _, p in self.rows if p)


class BookingDialog(QDialog):
    """New appointment (or series)."""

    sig_booked = Signal(list)
    """Saved: the new appointment ids (a series: its ids are loaded by the calendar)."""
    sig_checked = Signal()
    """A live check finished and its words are on screen."""

    def __init__(self, session: UserSession, proposal: CalendarEntry, parent: QWidget | None = None, *,
                 client_id: str = "", client_name: str = "", keep_length: bool = False) -> None:
        super().__init__(parent)
        self._keep_length = keep_length
        self.session = session
        self.service = SeriesService(session)
        self.setWindowTitle("New appointment")
        self.setAccessibleName("New appointment")
        self.resize(880, 660)
        self.is_admin = session.actor.role is Role.ADMIN
        view = CalendarViewService(session)
        res = view.resources()
        self.types: list[TypeChoice] = view.types()
        self.client_id = client_id
        self.verdict: Verdict | None = None
        self._check_serial = 0
        self._build(res.providers, res.rooms, proposal, client_name)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.check_now)
        self._type_changed()
        self._where_changed()
        self._repeat_changed()
        self.schedule_check()

    # -- building ----------------------------------------------------------------------------------

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        """A closed dialog starts no more checks (their answers would find no one to show them to)."""
        self._timer.stop()
        self.client_picker.stop()
        super().hideEvent(event)

    def _build(self, providers: list[tuple[str, str]], rooms: list[tuple[str, str]], proposal: CalendarEntry,
               client_name: str) -> None:
        self.message = forms.MessageLabel()
        self.client_picker = ClientPicker(self.session, self.message)
        self.client_picker.show_chosen(self.client_id, client_name)
        self.provider_box = QComboBox()
        self.provider_box.setAccessibleName("Provider")
        for pid, name in providers:
            self.provider_box.addItem(name, pid)
        self.provider_box.setCurrentIndex(max(0, self.provider_box.findData(proposal.provider_id)))
        self.type_box = QComboBox()
        self.type_box.setAccessibleName("Appointment type")
        for t in self.types:
            self.type_box.addItem(t.name, t.id)
        usual = next((i for i, t in enumerate(self.types) if t.category == "individual"), 0)
        self.type_box.setCurrentIndex(usual)  # the visit most bookings are
        self.type_info = QLabel()
        self.type_info.setProperty("role", "hint")
        self.date_edit = QDateEdit()
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd MM/dd/yyyy")
        self.date_edit.setAccessibleName("Date")
        self.date_edit.setDate(QDate(proposal.start.year, proposal.start.month, proposal.start.day))
        self.time_box = QComboBox()
        self.time_box.setAccessibleName("Start time")
        for label, clock in time_choices():
            self.time_box.addItem(label, clock)
        start = minutes_of(proposal.start)
        self.time_box.setCurrentIndex(max(0, next((i for i, (_l, m) in enumerate(time_choices()) if m >= start), 0)))
        self.minutes = QSpinBox()
        self.minutes.setRange(5, 600)
        self.minutes.setSingleStep(5)
        self.minutes.setSuffix(" min")
        self.minutes.setAccessibleName("Length in minutes")
        self._proposal_minutes = int((proposal.end - proposal.start).total_seconds() // 60)
        self.office_radio = QRadioButton("In the &office")
        self.tele_radio = QRadioButton("&Telehealth")
        self.office_radio.setChecked(not proposal.telehealth)
        self.tele_radio.setChecked(proposal.telehealth)
        self.room_box = QComboBox()
        self.room_box.setAccessibleName("Room")
        self.room_box.addItem("No room", None)
        for rid, name in rooms:
            self.room_box.addItem(name, rid)
        if proposal.room_id:
            self.room_box.setCurrentIndex(max(0, self.room_box.findData(proposal.room_id)))
        self.link_edit = forms.labelled_edit("Meeting link", placeholder="https://…")
        self.join_button = QPushButton("&Join")
        self.join_button.setAccessibleName("Open the meeting link")
        self.copy_button = QPushButton("Cop&y link")
        self.copy_button.setAccessibleName("Copy the meeting link")
        self.repeat_box = QComboBox()
        self.repeat_box.setAccessibleName("Repeat")
        for label, _p, _n in REPEATS:
            self.repeat_box.addItem(label)
        self.interval = QSpinBox()
        self.interval.setRange(1, 52)
        self.interval.setValue(3)
        self.interval.setPrefix("every ")
        self.interval.setSuffix(" weeks")
        self.interval.setAccessibleName("Repeat every how many weeks")
        self.count_radio = QRadioButton("After")
        self.count = QSpinBox()
        self.count.setRange(1, 104)
        self.count.setValue(10)
        self.count.setSuffix(" sessions")
        self.count.setAccessibleName("Number of sessions")
        self.until_radio = QRadioButton("On")
        self.until = QDateEdit()
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("MM/dd/yyyy")
        self.until.setAccessibleName("Last date of the series")
        self.until.setDate(self.date_edit.date().addMonths(3))
        self.count_radio.setChecked(True)
        self.skip_box = QCheckBox("Book the free sessions and &skip the ones that collide")
        self.check_label = QLabel()
        self.check_label.setWordWrap(True)
        self.check_label.setTextFormat(Qt.TextFormat.RichText)
        self.check_label.setAccessibleName("Booking check")
        self.occurrences = QListWidget()
        self.occurrences.setAccessibleName("Sessions of the series")
        self.override_box = QCheckBox("Book anyway (administrator override)")
        self.override_reason = forms.labelled_edit("Reason for the override", placeholder="Why, for the audit log")

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow(_buddy("&Client:", self.client_picker.edit), self.client_picker)
        form.addRow(_buddy("&Provider:", self.provider_box), self.provider_box)
        type_row = QHBoxLayout()
        type_row.addWidget(self.type_box, 1)
        type_row.addWidget(self.type_info)
        form.addRow(_buddy("T&ype:", self.type_box), type_row)
        when = QHBoxLayout()
        when.addWidget(self.date_edit)
        when.addWidget(_buddy("&at", self.time_box))
        when.addWidget(self.time_box)
        when.addWidget(_buddy("&for", self.minutes))
        when.addWidget(self.minutes)
        when.addStretch(1)
        form.addRow(_buddy("&Date:", self.date_edit), when)
        where = QHBoxLayout()
        where.addWidget(self.office_radio)
        where.addWidget(self.room_box, 1)
        where.addSpacing(12)
        where.addWidget(self.tele_radio)
        form.addRow("Where:", where)
        link = QHBoxLayout()
        link.addWidget(self.link_edit, 1)
        link.addWidget(self.join_button)
        link.addWidget(self.copy_button)
        self.link_row = QWidget()
        self.link_row.setLayout(link)
        link.setContentsMargins(0, 0, 0, 0)
        form.addRow(_buddy("Meeting &link:", self.link_edit), self.link_row)
        repeat = QHBoxLayout()
        repeat.addWidget(self.repeat_box)
        repeat.addWidget(self.interval)
        repeat.addSpacing(12)
        self.ends_label = QLabel("Ends:")
        repeat.addWidget(self.ends_label)
        repeat.addWidget(self.count_radio)
        repeat.addWidget(self.count)
        repeat.addWidget(self.until_radio)
        repeat.addWidget(self.until)
        repeat.addStretch(1)
        form.addRow(_buddy("&Repeat:", self.repeat_box), repeat)

        self.book_button = forms.primary(QPushButton("&Book"))
        self.book_button.setAccessibleName("Book the appointment")
        buttons = QDialogButtonBox()
        buttons.addButton(self.book_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 16, 18, 14)
        outer.addWidget(forms.page_header("New appointment"))
        outer.addLayout(form)
        outer.addWidget(self.check_label)
        outer.addWidget(self.occurrences, 1)
        outer.addStretch(0)  # a single visit: the spare room below the form, not between its rows
        outer.addWidget(self.skip_box)
        override = QHBoxLayout()
        override.addWidget(self.override_box)
        override.addWidget(self.override_reason, 1)
        outer.addLayout(override)
        outer.addWidget(self.message)
        outer.addStretch(0)  # a single session (no list of dates): the room goes below, not between rows
        outer.addWidget(buttons)
        self.override_box.setVisible(self.is_admin)
        self.override_reason.setVisible(False)

        self.client_picker.sig_chosen.connect(self._client_chosen)
        self.type_box.currentIndexChanged.connect(lambda _i: self._type_changed())
        self.office_radio.toggled.connect(lambda _c: self._where_changed())
        self.repeat_box.currentIndexChanged.connect(lambda _i: self._repeat_changed())
        self.count_radio.toggled.connect(lambda _c: self._repeat_changed())
        self.override_box.toggled.connect(self.override_reason.setVisible)
        self.join_button.clicked.connect(lambda: open_meeting(self.link_edit.text().strip()))
        self.copy_button.clicked.connect(self._copy_link)
        self.link_edit.textChanged.connect(lambda _t: self._link_buttons())
        for signal in (self.provider_box.currentIndexChanged, self.type_box.currentIndexChanged,
                       self.time_box.currentIndexChanged, self.minutes.valueChanged, self.date_edit.dateChanged,
                       self.room_box.currentIndexChanged, self.office_radio.toggled,
                       self.repeat_box.currentIndexChanged,
                       self.interval.valueChanged, self.count.valueChanged, self.until.dateChanged,
                       self.count_radio.toggled):
            signal.connect(lambda *_a: self.schedule_check())
        self.book_button.clicked.connect(self.book)
        (self.type_box if self.client_id else self.client_picker.edit).setFocus()

    # -- reacting ----------------------------------------------------------------------------------

    def current_type(self) -> TypeChoice | None:
        i = self.type_box.currentIndex()
        return self.types[i] if 0 <= i < len(self.types) else None

    def _type_changed(self) -> None:
        t = self.current_type()
        if t is None:
            self.type_info.setText("No appointment types yet: an administrator adds them.")
            return
        if self._keep_length:  # the length dragged out on the calendar wins once, over the type's
            self._keep_length = False
            self.minutes.setValue(self._proposal_minutes)
        else:
            self.minutes.setValue(t.minutes)
        self.type_info.setText(" · ".join(p for p in (f"{t.minutes} min",
                                                      f"CPT {t.cpt_code}" if t.cpt_code else "",
                                                      money(t.rate_cents)) if p))
        self.tele_radio.setEnabled(t.telehealth_allowed)
        if not t.telehealth_allowed:
            self.office_radio.setChecked(True)

    def _where_changed(self) -> None:
        tele = self.tele_radio.isChecked()
        self.room_box.setEnabled(not tele)
        self.link_row.setEnabled(tele)
        self._link_buttons()

    def _link_buttons(self) -> None:
        ok = self.tele_radio.isChecked() and self.link_edit.text().strip().startswith("https://")
        self.join_button.setEnabled(ok)
        self.copy_button.setEnabled(ok)

    def _copy_link(self) -> None:
        copy_meeting_link(self.link_edit.text().strip(), self.message)

    def _repeat_changed(self) -> None:
        _label, pattern, n = REPEATS[self.repeat_box.currentIndex()]
        repeating = pattern is not None
        self.interval.setVisible(n == 0)
        for w in (self.ends_label, self.count_radio, self.count, self.until_radio, self.until):
            w.setVisible(repeating)
        self.count.setEnabled(self.count_radio.isChecked())
        self.until.setEnabled(not self.count_radio.isChecked())
        self.occurrences.setVisible(repeating)
        self.skip_box.setVisible(False)
        self.book_button.setText("&Book series" if repeating else "&Book")

    def choose_client(self, client_id: str, name: str) -> None:
        self.client_picker.choose(client_id, name)

    def _client_chosen(self, client_id: str, _name: str) -> None:
        self.client_id = client_id
        self.schedule_check()
        self.type_box.setFocus()

    # -- the request -------------------------------------------------------------------------------

    def start_local(self) -> datetime:
        d = self.date_edit.date()
        hour, minute = divmod(int(self.time_box.currentData()), 60)
        return datetime(d.year(), d.month(), d.day(), hour, minute)

    def request(self, override: str | None = None) -> BookingRequest:
        t = self.current_type()
        tele = self.tele_radio.isChecked()
        return BookingRequest(
            provider_id=self.provider_box.currentData() or "", type_id=t.id if t else "",
            start_local=self.start_local(), client_id=self.client_id or None, minutes=self.minutes.value(),
            room_id=None if tele else self.room_box.currentData(), telehealth=tele,
            meeting_link=self.link_edit.text().strip() or None if tele else None, override_reason=override,
        )

    def rule(self) -> str | None:
        """The RRULE for the repeat choice, or None for a single visit (raises on impossible choices)."""
        _label, pattern, n = REPEATS[self.repeat_box.currentIndex()]
        if pattern is None:
            return None
        interval = self.interval.value() if n == 0 else n
        until = None
        if not self.count_radio.isChecked():
            u = self.until.date()
            until = date(u.year(), u.month(), u.day())
        return make_rule(pattern, self.start_local(), interval=interval,
                         count=self.count.value() if self.count_radio.isChecked() else None, until=until)

    def schedule_check(self) -> None:
        self._timer.start()

    def check_now(self) -> None:
        """Ask the service what this booking would run into (off the UI thread)."""
        if not self.client_id:
            self.check_label.setText("Choose the client to check the time.")
            return
        if self.current_type() is None:
            return
        try:
            rule = self.rule()
        except RecurrenceError as exc:
            self.check_label.setText(_problem(str(exc)))
            return
        request = self.request()
        service = self.service
        self._check_serial += 1
        serial = self._check_serial

        def work() -> Verdict:
            if rule is None:
                check = service.check(request)
                return Verdict([(request.start_local, list(check.messages))])
            preview = service.preview_series(request, rule)
            return Verdict([(o.start_local, list(o.problems)) for o in preview.occurrences], preview.description)

        def done(verdict: Verdict) -> None:
            if serial == self._check_serial:
                self._show_verdict(verdict)

        def failed(exc: BaseException) -> None:
            if serial == self._check_serial:
                self.verdict = None
                self.check_label.setText(_problem(str(getattr(exc, "message", exc))))
                self.sig_checked.emit()

        run_in_background(self, work, on_done=done, on_error=failed)

    def _show_verdict(self, verdict: Verdict) -> None:
        self.verdict = verdict
        series = self.rule() is not None
        self.occurrences.clear()
        if series:
            for start, problems in verdict.rows:
                mark = "✗" if problems else "✓"
                words = "; ".join(problems) if problems else "free"
                item = QListWidgetItem(f"{mark}  {start:%a %m/%d/%Y} {_clock(start)} — {words}")
                item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{start:%A %B %d} {_clock(start)}: {words}")
                if problems:
                    item.setForeground(Qt.GlobalColor.red)
                self.occurrences.addItem(item)
        bad = verdict.problems
        described = verdict.description[:1].upper() + verdict.description[1:]
        if not bad:
            text = (f"<span style='color:{tone('good')}'><b>✓ Free.</b></span> {escape(described)}"
                    if series else f"<span style='color:{tone('good')}'><b>✓ This time is free.</b></span>")
        elif series:
            text = _problem(f"{bad} of {len(verdict.rows)} sessions collide ({verdict.description}). "
                            "Change the time, skip those sessions, or ask an administrator.")
        else:
            text = _problem("Cannot book: " + "; ".join(verdict.rows[0][1]))
        self.check_label.setText(text)
        self.skip_box.setVisible(series and 0 < bad < len(verdict.rows))
        self.sig_checked.emit()

    # -- saving ------------------------------------------------------------------------------------

    def book(self) -> None:
        self.message.clear_message()
        if not self.client_id:
            self.message.show_error("Choose the client first: type part of a name and pick from the list.")
            self.client_picker.edit.setFocus()
            return
        override = None
        if self.override_box.isChecked():
            override = self.override_reason.text().strip()
            if not override:
                self.message.show_error("Say why you book over the conflict: the reason goes in the audit log.")
                self.override_reason.setFocus()
                return
        try:
            rule = self.rule()
        except RecurrenceError as exc:
            self.message.show_error(str(exc))
            return
        request = self.request(override)
        skip: frozenset[date] = frozenset()
        if rule is not None and self.skip_box.isVisible() and self.skip_box.isChecked() and self.verdict:
            skip = frozenset(start.date() for start, problems in self.verdict.rows if problems)
        service = self.service
        self.book_button.setEnabled(False)

        def work() -> list[str]:
            if rule is None:
                return [service.book(request).id]
            series_id = service.book_series(request, rule, skip_dates=skip)
            return service.series_occurrences(series_id)

        def done(ids: list[str]) -> None:
            self.sig_booked.emit(ids)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.book_button.setEnabled(True)
            self.message.show_exception(exc)
            self.schedule_check()

        run_in_background(self, work, on_done=done, on_error=failed)


def _problem(text: str) -> str:
    return f"<span style='color:{tone('danger')}'><b>✗</b> {escape(text)}</span>"


def proposal_at(start: datetime, minutes: int = 50, provider_id: str = "") -> CalendarEntry:
    """A blank proposal (for booking from a chart or a waitlist offer)."""
    return CalendarEntry("", start, start + timedelta(minutes=minutes), provider_id)
