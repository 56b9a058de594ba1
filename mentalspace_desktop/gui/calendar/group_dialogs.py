"""Creating a therapy group and enrolling a client in one.

New group: name, appointment type, facilitator and co-facilitator, capacity, open or closed
enrollment, whether members are screened first, and the room. Add member: find the client as the
booking dialog does (name, date of birth or phone), and — for a group that screens — record the
screening decision with its notes (clinical text: sealed by the service, offered only to roles
that hold the clinical key). The service decides who may do what; these forms only follow it.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.domain.scheduling.recurrence import Pattern, make_rule
from mentalspace_desktop.gui.calendar.booking_dialog import time_choices
from mentalspace_desktop.gui.calendar.client_picker import ClientPicker
from mentalspace_desktop.gui.calendar.common import buddy as _buddy
from mentalspace_desktop.gui.localtime import wall_today
from mentalspace_desktop.gui.qt import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDate,
    QDateEdit,
    QDialog,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.calendar_view import CalendarViewService
from mentalspace_desktop.services.scheduling.groups import GroupInput, GroupService
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.scheduling_models import TherapyGroup


class NewGroupDialog(QDialog):
    """A new therapy group (its sessions are booked afterwards, like any series)."""

    sig_created = Signal(str)
    """The new group's id."""

    def __init__(self, session: UserSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New group")
        self.setAccessibleName("New group")
        self.service = GroupService(session)
        view = CalendarViewService(session)
        res = view.resources()
        types = view.types()
        self.rooms_at = res.rooms_at
        # A clinician leads only their own groups (the service refuses any other facilitator).
        own_only = session.actor.role is Role.CLINICIAN
        providers = [(pid, name) for pid, name in res.providers if not own_only or pid == res.own_provider_id]

        self.name_edit = forms.labelled_edit("Group name", placeholder="e.g. Anxiety skills (adults)")
        self.type_box = QComboBox()
        self.type_box.setAccessibleName("Appointment type of the sessions")
        for t in types:
            self.type_box.addItem(f"{t.name} · {t.minutes} min", t.id)
        self.type_box.setCurrentIndex(max(0, next((i for i, t in enumerate(types) if t.category == "group"), 0)))
        self.facilitator = QComboBox()
        self.facilitator.setAccessibleName("Facilitator")
        for pid, name in providers:
            self.facilitator.addItem(name, pid)
        if res.own_provider_id:
            self.facilitator.setCurrentIndex(max(0, self.facilitator.findData(res.own_provider_id)))
        self.cofacilitator = QComboBox()
        self.cofacilitator.setAccessibleName("Co-facilitator")
        self.cofacilitator.addItem("No co-facilitator", None)
        for pid, name in res.providers:
            self.cofacilitator.addItem(name, pid)
        self.capacity = QSpinBox()
        self.capacity.setRange(2, 40)
        self.capacity.setValue(8)
        self.capacity.setSuffix(" members")
        self.capacity.setAccessibleName("Capacity")
        self.open_radio = QRadioButton("&Open: clients may join at any time")
        self.closed_radio = QRadioButton("C&losed: no one joins once it starts")
        self.open_radio.setChecked(True)
        self.enrollment = QButtonGroup(self)
        self.enrollment.addButton(self.open_radio)
        self.enrollment.addButton(self.closed_radio)
        self.screening = QCheckBox("&Screen each client before they join")
        self.screening.setAccessibleName("Screening required")
        self.room_box = QComboBox()
        self.room_box.setAccessibleName("Room")
        self.room_box.addItem("No room", None)
        for rid, name in res.rooms:
            self.room_box.addItem(name, rid)
        self.message = forms.MessageLabel()
        self.create_button = forms.primary(QPushButton("&Create group"))
        self.create_button.setAccessibleName("Create the group")
        cancel = QPushButton("Cancel")
        cancel.setAccessibleName("Cancel without creating a group")

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow(_buddy("&Name:", self.name_edit), self.name_edit)
        form.addRow(_buddy("T&ype:", self.type_box), self.type_box)
        form.addRow(_buddy("&Facilitator:", self.facilitator), self.facilitator)
        form.addRow(_buddy("Co-f&acilitator:", self.cofacilitator), self.cofacilitator)
        form.addRow(_buddy("Ca&pacity:", self.capacity), self.capacity)
        enrollment = QVBoxLayout()
        enrollment.setSpacing(2)
        enrollment.addWidget(self.open_radio)
        enrollment.addWidget(self.closed_radio)
        form.addRow("Enrollment:", enrollment)
        form.addRow("", self.screening)
        form.addRow(_buddy("&Room:", self.room_box), self.room_box)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 16, 18, 14)
        outer.addWidget(forms.page_header("New group", "Book its sessions afterwards, like any repeating visit."))
        outer.addLayout(form)
        outer.addWidget(self.message)
        outer.addStretch(1)
        outer.addLayout(forms.button_row(cancel, self.create_button))
        self.resize(560, 480)
        cancel.clicked.connect(self.reject)
        self.create_button.clicked.connect(self.save_group)
        self.name_edit.setFocus()

    def data(self) -> GroupInput:
        room = self.room_box.currentData()
        return GroupInput(
            name=self.name_edit.text(), type_id=str(self.type_box.currentData() or ""),
            facilitator_id=str(self.facilitator.currentData() or ""), cofacilitator_id=self.cofacilitator.currentData(),
            capacity=self.capacity.value(), enrollment="open" if self.open_radio.isChecked() else "closed",
            screening_required=self.screening.isChecked(), room_id=room,
            location_id=self.rooms_at.get(room) if room else None)

    def save_group(self) -> None:
        self.message.clear_message()
        if not self.name_edit.text().strip():
            self.message.show_error("Enter the group's name.")
            self.name_edit.setFocus()
            return
        if self.type_box.count() == 0:
            self.message.show_error("No appointment types are set up yet: an administrator adds them.")
            return
        data, service = self.data(), self.service
        self.create_button.setEnabled(False)

        def done(group_id: str) -> None:
            self.sig_created.emit(group_id)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.create_button.setEnabled(True)
            self.message.show_exception(exc)

        run_in_background(self, lambda: service.create(data), on_done=done, on_error=failed)


SCREEN_LATER, APPROVE, DECLINE = "later", "approve", "decline"


class AddMemberDialog(QDialog):
    """Enroll a client; for a group that screens, the screening decision and its notes too."""

    sig_added = Signal(str)
    """The new member's id."""

    def __init__(self, session: UserSession, group: TherapyGroup, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Add a member to {group.name}")
        self.setAccessibleName("Add a member")
        self.group = group
        self.service = GroupService(session)
        self.message = forms.MessageLabel()
        self.picker = ClientPicker(session, self.message)
        self.may_write_notes = session.clinical is not None
        self.decision: dict[str, QRadioButton] = {
            SCREEN_LATER: QRadioButton("Not screened yet: &keep as “being screened”"),
            APPROVE: QRadioButton("Screened: a&pprove and add to the group"),
            DECLINE: QRadioButton("Screened: &decline"),
        }
        self.decision[SCREEN_LATER].setChecked(True)
        self.notes = QPlainTextEdit()
        self.notes.setAccessibleName("Screening notes")
        self.notes.setPlaceholderText("What the screening found (kept encrypted; clinicians read it)")
        self.notes.setTabChangesFocus(True)
        self.add_button = forms.primary(QPushButton("&Add member"))
        self.add_button.setAccessibleName("Add the client to the group")
        cancel = QPushButton("Cancel")
        cancel.setAccessibleName("Cancel without adding anyone")

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow(_buddy("&Client:", self.picker), self.picker)
        if group.screening_required:
            choices = QVBoxLayout()
            choices.setSpacing(2)
            for button in self.decision.values():
                choices.addWidget(button)
            form.addRow("Screening:", choices)
            if self.may_write_notes:
                form.addRow(_buddy("Screening &notes:", self.notes), self.notes)
            else:
                hint = QLabel("Screening notes are clinical: the clinician who screens writes them.")
                hint.setWordWrap(True)
                hint.setProperty("role", "hint")
                form.addRow("", hint)
        else:
            hint = QLabel("This group does not screen: the client joins as a member at once.")
            hint.setWordWrap(True)
            hint.setProperty("role", "hint")
            form.addRow("", hint)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 16, 18, 14)
        places = f"{group.capacity} places · {'open' if group.enrollment == 'open' else 'closed'} enrollment"
        outer.addWidget(forms.page_header(f"Add a member to {group.name}", places))
        outer.addLayout(form)
        outer.addWidget(self.message)
        outer.addStretch(1)
        outer.addLayout(forms.button_row(cancel, self.add_button))
        self.resize(600, 460 if group.screening_required else 300)
        cancel.clicked.connect(self.reject)
        self.add_button.clicked.connect(self.add)
        self.picker.sig_chosen.connect(lambda *_a: self.message.clear_message())
        self.picker.setFocus()

    def choice(self) -> str:
        return next(key for key, button in self.decision.items() if button.isChecked())

    def add(self) -> None:
        self.message.clear_message()
        client_id = self.picker.client_id
        if not client_id:
            self.message.show_error("Choose the client first: type part of a name and pick from the list.")
            self.picker.setFocus()
            return
        choice = self.choice() if self.group.screening_required else SCREEN_LATER
        notes = self.notes.toPlainText() if self.may_write_notes and self.group.screening_required else ""
        if notes.strip() and choice == SCREEN_LATER:
            self.message.show_error("Notes go with a screening decision: choose approve or decline, "
                                    "or clear the notes and screen later.")
            self.decision[APPROVE].setFocus()
            return
        approve = None if choice == SCREEN_LATER else choice == APPROVE
        service, group_id = self.service, self.group.id
        self.add_button.setEnabled(False)

        def done(member_id: str) -> None:
            self.sig_added.emit(member_id)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.add_button.setEnabled(True)
            self.message.show_exception(exc)

        run_in_background(self, lambda: service.enroll(group_id, client_id, approve=approve, notes=notes),
                          on_done=done, on_error=failed)



class ScreeningDialog(QDialog):
    """A screening decision for a member waiting on one, with what the screening found (clinical
    text, sealed by the service: offered only to those who hold the clinical key)."""

    sig_done = Signal()
    """The decision was saved."""

    def __init__(self, session: UserSession, member_id: str, client_name: str, *, approve: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        verb = "Approve" if approve else "Decline"
        self.setWindowTitle(f"{verb} {client_name}")
        self.setAccessibleName(f"{verb} after screening")
        self.service = GroupService(session)
        self.member_id, self.approve = member_id, approve
        self.notes = QPlainTextEdit()
        self.notes.setAccessibleName("Screening notes")
        self.notes.setPlaceholderText("What the screening found (kept encrypted; clinicians read it)")
        self.notes.setTabChangesFocus(True)
        self.message = forms.MessageLabel()
        self.save_button = forms.primary(QPushButton(f"&{verb}"))
        self.save_button.setAccessibleName(f"{verb} {client_name} for the group")
        cancel = QPushButton("Cancel")
        cancel.setAccessibleName("Cancel without a decision")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 16, 18, 14)
        outer.addWidget(forms.page_header(f"{verb} {client_name}",
                                          "joins the group today" if approve else "stays out of the group"))
        outer.addWidget(_buddy("Screening &notes (optional):", self.notes))
        outer.addWidget(self.notes, 1)
        outer.addWidget(self.message)
        outer.addLayout(forms.button_row(cancel, self.save_button))
        self.resize(520, 340)
        cancel.clicked.connect(self.reject)
        self.save_button.clicked.connect(self.save)
        self.notes.setFocus()

    def save(self) -> None:
        self.message.clear_message()
        service, member_id, approve, notes = self.service, self.member_id, self.approve, self.notes.toPlainText()
        self.save_button.setEnabled(False)

        def done(_r: object) -> None:
            self.sig_done.emit()
            self.accept()

        def failed(exc: BaseException) -> None:
            self.save_button.setEnabled(True)
            self.message.show_exception(exc)

        run_in_background(self, lambda: service.screen(member_id, approve=approve, notes=notes), on_done=done,
                          on_error=failed)


SESSION_REPEATS = (("Every week", 1), ("Every 2 weeks", 2))


class BookSessionsDialog(QDialog):
    """The group's recurring sessions: first date and time, length, how often and how many. A
    session that would collide refuses the whole series, naming each collision (nothing is booked)."""

    sig_booked = Signal(str)
    """The sessions' series id."""

    def __init__(self, session: UserSession, group: TherapyGroup, default_minutes: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Book sessions of {group.name}")
        self.setAccessibleName("Book group sessions")
        self.group = group
        self.service = GroupService(session)
        start = datetime.combine(wall_today() + timedelta(days=7), time(17))
        self.date_edit = QDateEdit(QDate(start.year, start.month, start.day))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd MM/dd/yyyy")
        self.date_edit.setAccessibleName("First session's date")
        self.time_box = QComboBox()
        self.time_box.setAccessibleName("Start time")
        for label, minutes in time_choices():
            self.time_box.addItem(label, minutes)
        self.time_box.setCurrentIndex(max(0, self.time_box.findData(17 * 60)))
        self.minutes = QSpinBox()
        self.minutes.setRange(15, 300)
        self.minutes.setSingleStep(15)
        self.minutes.setSuffix(" min")
        self.minutes.setValue(default_minutes)
        self.minutes.setAccessibleName("Length of each session")
        self.repeat_box = QComboBox()
        self.repeat_box.setAccessibleName("How often")
        for label, interval in SESSION_REPEATS:
            self.repeat_box.addItem(label, interval)
        self.count = QSpinBox()
        self.count.setRange(1, 52)
        self.count.setValue(8)
        self.count.setSuffix(" sessions")
        self.count.setAccessibleName("Number of sessions")
        self.message = forms.MessageLabel()
        self.book_button = forms.primary(QPushButton("&Book sessions"))
        self.book_button.setAccessibleName("Book the group's sessions")
        cancel = QPushButton("Cancel")
        cancel.setAccessibleName("Cancel without booking")
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow(_buddy("&First session:", self.date_edit), self.date_edit)
        form.addRow(_buddy("&At:", self.time_box), self.time_box)
        form.addRow(_buddy("&Length:", self.minutes), self.minutes)
        form.addRow(_buddy("&Repeat:", self.repeat_box), self.repeat_box)
        form.addRow(_buddy("&How many:", self.count), self.count)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 16, 18, 14)
        outer.addWidget(forms.page_header(f"Book sessions of {group.name}",
                                          "With its facilitator, in its room; checked like any booking."))
        outer.addLayout(form)
        outer.addWidget(self.message)
        outer.addStretch(1)
        outer.addLayout(forms.button_row(cancel, self.book_button))
        self.resize(520, 380)
        cancel.clicked.connect(self.reject)
        self.book_button.clicked.connect(self.book)
        self.date_edit.setFocus()

    def start_local(self) -> datetime:
        d = self.date_edit.date()
        hour, minute = divmod(int(self.time_box.currentData()), 60)
        return datetime(d.year(), d.month(), d.day(), hour, minute)

    def book(self) -> None:
        self.message.clear_message()
        start = self.start_local()
        rule = make_rule(Pattern.WEEKLY, start, interval=int(self.repeat_box.currentData()),
                         count=self.count.value())
        service, group_id, minutes = self.service, self.group.id, self.minutes.value()
        self.book_button.setEnabled(False)

        def done(series_id: str) -> None:
            self.sig_booked.emit(series_id)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.book_button.setEnabled(True)
            self.message.show_exception(exc)

        run_in_background(self, lambda: service.schedule_sessions(group_id, start, rule, minutes=minutes),
                          on_done=done, on_error=failed)
