"""Working hours and time off: each provider's weekly hours, time-off requests that an administrator
approves or denies, and — on approval — the appointments inside it with covering providers (same
kind of visit, free then), moved in one step."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.calendar.booking_dialog import time_choices
from mentalspace_desktop.gui.calendar.common import buddy as _buddy
from mentalspace_desktop.gui.calendar.common import clock as _clock
from mentalspace_desktop.gui.qt import (
    QAbstractItemView,
    QComboBox,
    QDate,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QShowEvent,
    QSplitter,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.scheduling.availability import (
    AffectedAppointment,
    AvailabilityService,
    HoursInput,
    TimeOffView,
)
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.scheduling_models import ProviderAvailability

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
STATUS_WORDS = {"requested": "Waiting for a decision", "approved": "Approved", "denied": "Denied"}


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _twelve(hhmm: str) -> str:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return f"{hour % 12 or 12}:{minute:02d} {'AM' if hour < 12 else 'PM'}"


class HoursModel(RowsModel[ProviderAvailability]):
    headers = ("Day", "From", "To", "Kind")

    def cell(self, row: ProviderAvailability, column: int, role: int) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if row.is_override:
            span = f"{row.valid_from:%m/%d/%Y}–{row.valid_until:%m/%d/%Y}" if row.valid_from and row.valid_until else ""
            kind = ("Other hours " if row.available else "Away ") + span
        else:
            kind = "Every week"
        day = DAYS[row.weekday] if 0 <= row.weekday <= 6 else "Every day"
        return (day, _twelve(row.start_time), _twelve(row.end_time), kind)[column]


class TimeOffModel(RowsModel[TimeOffView]):
    headers = ("Provider", "From", "Until", "Reason", "Status")

    def cell(self, row: TimeOffView, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            by = f" by {row.decided_by_name}" if row.status != "requested" and row.decided_by_name else ""
            return (row.provider_name, f"{row.start_local:%a %m/%d/%Y} {_clock(row.start_local)}",
                    f"{row.end_local:%a %m/%d/%Y} {_clock(row.end_local)}", row.reason or "—",
                    STATUS_WORDS.get(row.status, row.status) + by)[column]
        return None


class CoverDialog(QDialog):
    """The appointments inside approved time off, each with a covering provider to choose; one step."""

    sig_moved = Signal(int)
    """This many appointments went to their covering providers."""

    def __init__(self, service: AvailabilityService, affected: list[AffectedAppointment],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.setWindowTitle("Appointments during the time off")
        self.setAccessibleName("Appointments during the time off")
        self.resize(760, 420)
        self.choices: dict[str, QComboBox] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(forms.page_header(
            "Appointments during the time off",
            "Each can go to a colleague who sees this kind of visit and is free then (best first). "
            "Choose “Leave it” to deal with one yourself (reschedule or cancel it from the calendar)."))
        form = QFormLayout()
        for a in affected:
            item = a.appointment
            box = QComboBox()
            box.setAccessibleName(f"Covering provider for {item.client_name} at {_clock(item.start_local)}")
            for pid, name in a.covering:
                box.addItem(name, pid)
            box.addItem("Leave it", "")
            if not a.covering:
                box.setToolTip("No colleague is free then for this kind of visit.")
            self.choices[item.id] = box
            form.addRow(f"{item.start_local:%a %m/%d} {_clock(item.start_local)} — {item.client_name} "
                        f"({item.type_name})", box)
        layout.addLayout(form)
        self.message = forms.MessageLabel()
        layout.addWidget(self.message)
        self.move_button = forms.primary(QPushButton("&Move to the chosen providers"))
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        layout.addStretch(1)
        layout.addLayout(forms.button_row(self.move_button, close))
        self.move_button.clicked.connect(self.move_all)

    def move_all(self) -> None:
        moves = {aid: box.currentData() for aid, box in self.choices.items() if box.currentData()}
        if not moves:
            self.message.show_hint("Nothing to move: every appointment is left as it is.")
            return
        service = self.service

        def done(ids: list[str]) -> None:
            self.sig_moved.emit(len(ids))
            self.accept()

        run_in_background(self, lambda: service.move_to_covering(moves), on_done=done,
                          on_error=self.message.show_exception)


class TimeOffPage(QWidget):
    """Hours per provider on the left, time-off requests on the right."""

    sig_loaded = Signal()
    """Hours and requests were (re)loaded."""

    def __init__(self, session: UserSession, bridge: EventBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.service = AvailabilityService(session)
        self.is_admin = session.actor.role is Role.ADMIN
        self.cover_dialog: CoverDialog | None = None
        self.provider_box = QComboBox()
        self.provider_box.setAccessibleName("Provider")
        self.hours_model = HoursModel(self)
        self.hours = _table(self.hours_model, "Working hours")
        forms.empty_state(self.hours, "No working hours set: add the days and times below.")
        self.day_box = QComboBox()
        self.day_box.setAccessibleName("Day of the week")
        for i, d in enumerate(DAYS):
            self.day_box.addItem(d, i)
        self.from_box, self.to_box = QComboBox(), QComboBox()
        for box, name, default in ((self.from_box, "From", 9 * 60), (self.to_box, "To", 17 * 60)):
            box.setAccessibleName(name)
            for label, m in time_choices():
                box.addItem(label, m)
            box.setCurrentIndex(box.findData(default))
        self.add_hours = QPushButton("&Add hours")
        self.remove_hours = QPushButton("Re&move")
        self.requests_model = TimeOffModel(self)
        self.requests = _table(self.requests_model, "Time-off requests")
        forms.empty_state(self.requests, "No time-off requests.")
        self.off_from = QDateEdit()
        self.off_until = QDateEdit()
        for edit, name in ((self.off_from, "First day off"), (self.off_until, "Last day off")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("MM/dd/yyyy")
            edit.setAccessibleName(name)
            edit.setDate(QDate.currentDate().addDays(14))
        self.off_reason = forms.labelled_edit("Reason", placeholder="Reason (optional)")
        self.request_button = QPushButton("Re&quest time off")
        self.approve_button = forms.primary(QPushButton("A&pprove"))
        self.deny_button = QPushButton("&Deny")
        self.approve_button.setVisible(self.is_admin)
        self.deny_button.setVisible(self.is_admin)
        self.message = forms.MessageLabel()

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 8, 0)
        title = QLabel("Working hours")
        title.setObjectName("sectionTitle")
        lv.addWidget(title)
        lv.addWidget(self.hours, 1)
        add = QHBoxLayout()  # the day and times on one line, their buttons under them: the page fits 1280 px
        add.addWidget(self.day_box)
        add.addWidget(self.from_box)
        add.addWidget(QLabel("to"))
        add.addWidget(self.to_box)
        add.addStretch(1)
        lv.addLayout(add)
        lv.addLayout(forms.button_row(self.remove_hours, self.add_hours))
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(8, 0, 0, 0)
        title2 = QLabel("Time off")
        title2.setObjectName("sectionTitle")
        rv.addWidget(title2)
        rv.addWidget(self.requests, 1)
        decide = QHBoxLayout()
        decide.addStretch(1)
        decide.addWidget(self.deny_button)
        decide.addWidget(self.approve_button)
        rv.addLayout(decide)
        ask = QFormLayout()
        when = QHBoxLayout()
        when.addWidget(self.off_from)
        when.addWidget(QLabel("to"))
        when.addWidget(self.off_until)
        when.addStretch(1)
        ask.addRow(_buddy("From:", self.off_from), when)
        ask.addRow(_buddy("Reason:", self.off_reason), self.off_reason)
        rv.addLayout(ask)
        rv.addLayout(forms.button_row(self.request_button))
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([480, 560])
        top = QHBoxLayout()
        top.addWidget(_buddy("&Provider:", self.provider_box))
        top.addWidget(self.provider_box)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(forms.page_header(
            "Hours and time off", "Booking outside a provider's hours or during approved time off is refused."))
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)
        self.provider_box.currentIndexChanged.connect(lambda _i: self.reload())
        self.add_hours.clicked.connect(self.add)
        self.remove_hours.clicked.connect(self.remove)
        self.request_button.clicked.connect(self.request_time_off)
        self.approve_button.clicked.connect(lambda: self.decide(True))
        self.deny_button.clicked.connect(lambda: self.decide(False))
        self.requests.selectionModel().selectionChanged.connect(lambda *_a: self._request_selected())
        bridge.sig_schedule_setup_did_change.connect(self._setup_changed)
        self._loaded_once = False
        self._request_selected()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._loaded_once:
            self._loaded_once = True
            own = self.session.actor.user_id
            self.provider_box.blockSignals(True)
            for pid, name in self.service.providers():
                self.provider_box.addItem(name, pid)
            self.provider_box.setCurrentIndex(max(0, self.provider_box.findData(own)))
            self.provider_box.blockSignals(False)
            self.reload()

    def _setup_changed(self, what: str) -> None:
        if self._loaded_once and what in ("availability", "time_off"):
            self.reload()

    def provider(self) -> str:
        return str(self.provider_box.currentData() or "")

    def reload(self) -> None:
        service, provider = self.service, self.provider()

        def work() -> tuple[list[ProviderAvailability], list[TimeOffView]]:
            return service.weekly_hours(provider), service.time_off(provider_id=provider)

        def done(result: tuple[list[ProviderAvailability], list[TimeOffView]]) -> None:
            self.hours_model.set_rows(result[0])
            self.requests_model.set_rows(result[1])
            self._request_selected()
            self.sig_loaded.emit()

        run_in_background(self, work, on_done=done, on_error=self.message.show_exception)

    def _weekly(self) -> list[HoursInput]:
        return [HoursInput(r.weekday, r.start_time, r.end_time, r.location_id)
                for r in self.hours_model.rows() if not r.is_override]

    def add(self) -> None:
        hours = self._weekly() + [HoursInput(int(self.day_box.currentData()), _hhmm(int(self.from_box.currentData())),
                                             _hhmm(int(self.to_box.currentData())))]
        self._save_hours(hours, "Hours added.")

    def remove(self) -> None:
        rows = self.hours.selectionModel().selectedRows()
        if not rows:
            self.message.show_hint("Select the hours to remove.")
            return
        row = self.hours_model.row(rows[0].row())
        if row.is_override:
            run_in_background(self, lambda: self.service.remove_hours(row.id), on_done=lambda _r: self.reload(),
                              on_error=self.message.show_exception)
            return
        hours = [HoursInput(r.weekday, r.start_time, r.end_time, r.location_id)
                 for r in self.hours_model.rows() if not r.is_override and r.id != row.id]
        self._save_hours(hours, "Hours removed.")

    def _save_hours(self, hours: list[HoursInput], words: str) -> None:
        service, provider = self.service, self.provider()

        def done(_r: object) -> None:
            self.message.show_ok(words)
            self.reload()

        run_in_background(self, lambda: service.set_weekly_hours(provider, hours), on_done=done,
                          on_error=self.message.show_exception)

    def request_time_off(self) -> None:
        a, b = self.off_from.date(), self.off_until.date()
        start = datetime(a.year(), a.month(), a.day())
        end = datetime(b.year(), b.month(), b.day(), 23, 59)
        service, provider, reason = self.service, self.provider(), self.off_reason.text()

        def done(_r: object) -> None:
            self.message.show_ok("Time off requested." + ("" if self.is_admin else " An administrator decides."))
            self.off_reason.clear()
            self.reload()

        run_in_background(self, lambda: service.request_time_off(provider, start, end, reason=reason),
                          on_done=done, on_error=self.message.show_exception)

    def selected_request(self) -> TimeOffView | None:
        rows = self.requests.selectionModel().selectedRows()
        return self.requests_model.row(rows[0].row()) if rows else None

    def _request_selected(self) -> None:
        r = self.selected_request()
        waiting = r is not None and r.status == "requested"
        self.approve_button.setEnabled(waiting)
        self.deny_button.setEnabled(waiting)

    def decide(self, approve: bool) -> None:
        r = self.selected_request()
        if r is None:
            return
        service = self.service

        def done(affected: list[AffectedAppointment]) -> None:
            self.reload()
            if not approve:
                self.message.show_ok(f"Time off for {r.provider_name} denied.")
            elif not affected:
                self.message.show_ok(f"Time off for {r.provider_name} approved. No appointments were booked then.")
            else:
                self.message.show_ok(f"Time off approved. {len(affected)} appointment(s) fall in it: choose who "
                                     "covers them.")
                self.open_cover(affected)

        run_in_background(self, lambda: service.decide_time_off(r.id, approve=approve), on_done=done,
                          on_error=self.message.show_exception)

    def open_cover(self, affected: list[AffectedAppointment]) -> CoverDialog:
        dialog = CoverDialog(self.service, affected, self)
        dialog.sig_moved.connect(lambda n: self.message.show_ok(f"{n} appointment(s) moved to covering providers."))
        self.cover_dialog = dialog
        dialog.open()
        return dialog


def _table(model: RowsModel[Any], name: str) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.verticalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    return view
