"""Group sessions: each group's roster (screening, approval, attendance so far), its sessions, and the
attendance sheet of a session taken in one step."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from typing import Any

from mentalspace_desktop.domain.roles import Action, Resource, allows_any
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.calendar.common import clock as _clock
from mentalspace_desktop.gui.localtime import to_local
from mentalspace_desktop.gui.qt import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QShowEvent,
    QSplitter,
    Qt,
    QTableView,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.scheduling.groups import AttendanceSheet, GroupService, MemberView
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.scheduling_models import Appointment, TherapyGroup

MARKS = (("", "— not taken —"), ("attended", "Attended"), ("absent", "Absent"), ("cancelled", "Cancelled"))
AHEAD = ("", "cancelled")  # what may be marked before the session starts
OPENS_SOON = timedelta(hours=12)  # a sheet left open until its session starts reopens itself
MEMBER_WORDS = {"screening": "Screening", "approved": "Member", "declined": "Declined", "left": "Left"}


class RosterModel(RowsModel[MemberView]):
    # Short words and one attendance column ("8 of 10": sessions attended of those taken) rather than
    # two: at 1280 px the room goes to the clients' names.
    headers = ("Client", "Status", "Joined", "Attended")

    def cell(self, row: MemberView, column: int, role: int) -> Any:
        taken = row.attended + row.absent
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.client_name, MEMBER_WORDS.get(row.status, row.status),
                    f"{row.joined_on:%m/%d/%Y}" if row.joined_on else "—",
                    f"{row.attended} of {taken}" if taken else "—")[column]
        if role == Qt.ItemDataRole.ToolTipRole:  # the whole name wherever a narrowed column cuts it
            notes = f"\nScreening notes: {row.screening_notes}" if row.screening_notes else ""
            return (f"{row.client_name} · {MEMBER_WORDS.get(row.status, row.status)} · "
                    f"attended {row.attended}, absent {row.absent}{notes}")
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class GroupsPage(QWidget):
    """Groups on the left; the chosen group's roster, sessions and attendance sheet."""

    sig_loaded = Signal()
    """A group's roster and sessions were (re)loaded."""
    sig_groups_loaded = Signal()
    """The list of groups was (re)loaded."""
    sig_sheet_loaded = Signal()
    """A session's attendance sheet is on screen."""
    sig_attendance_saved = Signal()
    """The sheet was saved."""

    def __init__(self, session: UserSession, bridge: EventBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.service = GroupService(session)
        self.may_write = allows_any(session.actor.role, Resource.SCHEDULE, Action.WRITE)
        self.dialog: QDialog | None = None
        self.new_group_button = forms.primary(QPushButton("&New group…"))
        self.new_group_button.setAccessibleName("Create a new group")
        self.new_group_button.setVisible(self.may_write)
        self.add_member_button = QPushButton("Add &member…")
        self.add_member_button.setAccessibleName("Add a client to the selected group")
        self.add_member_button.setVisible(self.may_write)
        self.add_member_button.setEnabled(False)
        self.book_sessions_button = QPushButton("&Book sessions…")
        self.book_sessions_button.setAccessibleName("Book the selected group's recurring sessions")
        self.book_sessions_button.setVisible(self.may_write)
        self.book_sessions_button.setEnabled(False)
        self._select_after_reload = ""
        self.groups_list = QListWidget()
        self.groups_list.setAccessibleName("Groups")
        self.groups_list.setWordWrap(True)  # a long name wraps in the narrow list, no sideways scrolling
        self.groups_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.roster_model = RosterModel(self)
        self.roster = QTableView()
        self.roster.setModel(self.roster_model)
        self.roster.setAccessibleName("Roster")
        self.roster.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.roster.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.roster.verticalHeader().hide()
        self.roster.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.roster.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.group_info = QLabel()
        self.group_info.setWordWrap(True)
        self.history = QLabel("Select a member to see their attendance, session by session.")
        self.history.setWordWrap(True)
        self.history.setProperty("role", "hint")
        self.approve_button = QPushButton("A&pprove")
        self.approve_button.setAccessibleName("Approve the selected member after screening")
        self.decline_button = QPushButton("De&cline")
        self.sessions = QListWidget()
        self.sessions.setAccessibleName("Sessions")
        forms.empty_state(self.sessions, "No sessions booked for this group yet.")
        forms.empty_state(self.roster, "No members yet." + (" Add them with “Add member…”." if self.may_write
                                                             else ""))
        forms.empty_state(self.groups_list, "No groups yet.")
        self.sheet_box = QWidget()
        self.sheet_form = QFormLayout(self.sheet_box)
        self.sheet_combos: dict[str, QComboBox] = {}
        # A sheet opened before its session starts offers attended/absent from the start on, without
        # the front desk having to pick the session again.
        self.sheet_opens = QTimer(self)
        self.sheet_opens.setSingleShot(True)
        self.sheet_opens.timeout.connect(lambda: self.load_sheet(keep_marks=True))
        self.sheet_note = QLabel()  # why only cancellations can be marked yet
        self.sheet_note.setWordWrap(True)
        self.sheet_note.setProperty("role", "hint")
        self.sheet_note.hide()
        self.all_attended = QPushButton("&All attended")
        self.all_attended.setAccessibleName("Mark everyone not yet marked as attended")
        self.save_sheet = forms.primary(QPushButton("&Save attendance"))
        self.message = forms.MessageLabel()

        middle = QWidget()
        mv = QVBoxLayout(middle)
        mv.setContentsMargins(8, 0, 8, 0)
        mv.addWidget(self.group_info)
        mv.addWidget(self.roster, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_member_button)
        buttons.addStretch(1)
        buttons.addWidget(self.decline_button)
        buttons.addWidget(self.approve_button)
        mv.addLayout(buttons)
        mv.addWidget(self.history)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(8, 0, 0, 0)
        title = QLabel("Sessions")
        title.setObjectName("sectionTitle")
        sessions_head = QHBoxLayout()
        sessions_head.addWidget(title, 1)
        sessions_head.addWidget(self.book_sessions_button)
        rv.addLayout(sessions_head)
        rv.addWidget(self.sessions, 1)
        sheet_title = QLabel("Attendance sheet")
        sheet_title.setObjectName("sectionTitle")
        rv.addWidget(sheet_title)
        rv.addWidget(self.sheet_note)
        rv.addWidget(self.sheet_box)
        rv.addLayout(forms.button_row(self.all_attended, self.save_sheet))
        split = QSplitter()
        split.addWidget(self.groups_list)
        split.addWidget(middle)
        split.addWidget(right)
        # The roster needs the clients' names more than the group names (they wrap) or the sessions
        # need room: at 1280 px its columns fit with "Abernathy, Joshua" whole; a wider window gives
        # the roster what it gains.
        split.setSizes([150, 590, 300])
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setStretchFactor(2, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        header = QHBoxLayout()
        header.addWidget(forms.page_header("Groups", "Rosters, sessions and attendance taken from one sheet."), 1)
        header.addWidget(self.new_group_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(header)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)
        self.groups_list.currentItemChanged.connect(lambda *_a: self.load_group())
        self.sessions.currentItemChanged.connect(lambda *_a: self.load_sheet())
        self.roster.selectionModel().selectionChanged.connect(lambda *_a: self._member_selected())
        self.new_group_button.clicked.connect(self.new_group)
        self.add_member_button.clicked.connect(self.add_member)
        self.book_sessions_button.clicked.connect(self.book_sessions)
        self.approve_button.clicked.connect(lambda: self.screen_member(True))
        self.decline_button.clicked.connect(lambda: self.screen_member(False))
        self.all_attended.clicked.connect(self._mark_all)
        self.save_sheet.clicked.connect(self.save_attendance)
        bridge.sig_group_did_change.connect(self._group_changed)
        self._loaded_once = False
        self._member_selected()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._loaded_once:
            self.reload()

    def _group_changed(self, group_id: str) -> None:
        if self._loaded_once and group_id == self.group_id():
            self.load_group(keep_session=True)

    def reload(self) -> None:
        self._loaded_once = True

        def done(groups: list[TherapyGroup]) -> None:
            self.groups_list.clear()
            for g in groups:
                item = QListWidgetItem(g.name)
                item.setToolTip(g.name)  # whole when the list is narrowed
                item.setData(Qt.ItemDataRole.UserRole, g.id)
                item.setData(Qt.ItemDataRole.UserRole + 1, g)
                self.groups_list.addItem(item)
            wanted = next((i for i, g in enumerate(groups) if g.id == self._select_after_reload), 0)
            self._select_after_reload = ""
            if groups:
                self.groups_list.setCurrentRow(wanted)
            else:
                self.group_info.setText("No groups yet." + (" Create one with “New group…”." if self.may_write
                                                            else ""))
            self.add_member_button.setEnabled(False)
            self.book_sessions_button.setEnabled(False)
            self.sig_groups_loaded.emit()

        run_in_background(self, self.service.groups, on_done=done, on_error=self.message.show_exception)

    def new_group(self) -> QDialog:
        """The New group form; the group it creates is selected when the list reloads."""
        from mentalspace_desktop.gui.calendar.group_dialogs import NewGroupDialog

        dialog = NewGroupDialog(self.session, self)

        def created(group_id: str) -> None:
            self._select_after_reload = group_id
            self.message.show_ok("Group created. Add its members and book its sessions.")
            self.reload()

        dialog.sig_created.connect(created)
        self.dialog = dialog
        dialog.open()
        return dialog

    def add_member(self) -> QDialog | None:
        """Add member for the selected group."""
        from mentalspace_desktop.gui.calendar.group_dialogs import AddMemberDialog

        item = self.groups_list.currentItem()
        if item is None:
            return None
        dialog = AddMemberDialog(self.session, item.data(Qt.ItemDataRole.UserRole + 1), self)

        def added(_member_id: str) -> None:
            self.message.show_ok("Member added.")
            self.load_group(keep_session=True)

        dialog.sig_added.connect(added)
        self.dialog = dialog
        dialog.open()
        return dialog

    def book_sessions(self) -> QDialog | None:
        """Book the selected group's recurring sessions (length from its appointment type)."""
        from mentalspace_desktop.gui.calendar.group_dialogs import BookSessionsDialog
        from mentalspace_desktop.services.calendar_view import CalendarViewService

        item = self.groups_list.currentItem()
        if item is None:
            return None
        group: TherapyGroup = item.data(Qt.ItemDataRole.UserRole + 1)
        minutes = next((t.minutes for t in CalendarViewService(self.session).types() if t.id == group.type_id), 90)
        dialog = BookSessionsDialog(self.session, group, minutes, self)

        def booked(_series_id: str) -> None:
            self.message.show_ok("Sessions booked: they are on the calendar, and each has its attendance sheet.")
            self.load_group()

        dialog.sig_booked.connect(booked)
        self.dialog = dialog
        dialog.open()
        return dialog

    def group_id(self) -> str:
        item = self.groups_list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else ""

    def load_group(self, *, keep_session: bool = False) -> None:
        group_id = self.group_id()
        if not group_id:
            return
        item = self.groups_list.currentItem()
        group: TherapyGroup = item.data(Qt.ItemDataRole.UserRole + 1)
        service = self.service
        current_session = self.sessions.currentItem().data(Qt.ItemDataRole.UserRole) if (
            keep_session and self.sessions.currentItem()) else None

        def work() -> tuple[list[MemberView], list[Appointment]]:
            return service.roster(group_id), service.sessions(group_id)

        def done(result: tuple[list[MemberView], list[Appointment]]) -> None:
            members, sessions = result
            self.roster_model.set_rows(members)
            active = sum(1 for m in members if m.status == "approved")
            taken = sum(1 for m in members if m.status in ("approved", "screening"))
            self.group_info.setText(
                f"<b>{escape(group.name)}</b> · {active} of {group.capacity} places · "
                f"{'open' if group.enrollment == 'open' else 'closed'} enrollment"
                + (" · screening required" if group.screening_required else ""))
            self.book_sessions_button.setEnabled(True)
            can_add = group.enrollment == "open" and taken < group.capacity
            self.add_member_button.setEnabled(can_add)
            self.add_member_button.setToolTip("" if can_add else (
                "This group has closed enrollment." if group.enrollment != "open" else "This group is full."))
            self.sessions.blockSignals(True)
            self.sessions.clear()
            now = datetime.now().astimezone()
            pick = -1
            for i, a in enumerate(sessions):
                start = to_local(a.start_at).replace(tzinfo=None)
                entry = QListWidgetItem(f"{start:%a %m/%d/%Y} {_clock(start)}")
                entry.setData(Qt.ItemDataRole.UserRole, a.id)
                self.sessions.addItem(entry)
                if a.id == current_session or (current_session is None and a.start_at <= now):
                    pick = i  # the latest session that has begun: the one whose sheet is taken
            self.sessions.blockSignals(False)
            if sessions:
                self.sessions.setCurrentRow(max(0, pick))
            self.sig_loaded.emit()

        run_in_background(self, work, on_done=done, on_error=self.message.show_exception)

    def _member(self) -> MemberView | None:
        rows = self.roster.selectionModel().selectedRows()
        return self.roster_model.row(rows[0].row()) if rows else None

    def _member_selected(self) -> None:
        m = self._member()
        screening = m is not None and m.status == "screening"
        self.approve_button.setEnabled(screening)
        self.decline_button.setEnabled(screening)
        if m is None:
            return
        service, group_id = self.service, self.group_id()

        def done(history: list[tuple[object, str]]) -> None:
            marks = ", ".join(f"{d:%m/%d} {status}" for d, status in history) or "no sessions recorded yet"
            self.history.setText(f"{m.client_name}: {marks}")

        run_in_background(self, lambda: service.attendance_history(group_id, m.client_id), on_done=done,
                          on_error=self.message.show_exception)

    def screen_member(self, approve: bool) -> None:
        """Approve or decline a member being screened; those who may write screening notes are
        asked for them first."""
        m = self._member()
        if m is None:
            return
        if self.session.clinical is not None:
            from mentalspace_desktop.gui.calendar.group_dialogs import ScreeningDialog

            dialog = ScreeningDialog(self.session, m.id, m.client_name, approve=approve, parent=self)
            dialog.sig_done.connect(lambda: self.load_group(keep_session=True))
            self.dialog = dialog
            dialog.open()
            return
        run_in_background(self, lambda: self.service.screen(m.id, approve=approve),
                          on_done=lambda _r: self.load_group(keep_session=True), on_error=self.message.show_exception)

    def session_id(self) -> str:
        item = self.sessions.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else ""

    def load_sheet(self, *, keep_marks: bool = False) -> None:
        """Show the chosen session's sheet; ``keep_marks``: the same session again, keeping what was
        marked on screen and not saved yet."""
        appointment_id = self.session_id()
        if not appointment_id:
            return
        service = self.service

        def done(sheet: AttendanceSheet) -> None:
            kept = {cid: box.currentData() for cid, box in self.sheet_combos.items()} if keep_marks else {}
            while self.sheet_form.rowCount():
                self.sheet_form.removeRow(0)
            self.sheet_combos = {}
            self.sheet_note.setText(sheet.not_yet)
            self.sheet_opens.stop()
            if sheet.not_yet and sheet.opens_in <= OPENS_SOON:
                self.sheet_opens.start(int(sheet.opens_in.total_seconds() * 1000) + 500)
            self.sheet_note.setVisible(bool(sheet.not_yet))
            self.all_attended.setEnabled(not sheet.not_yet)
            self.all_attended.setToolTip(sheet.not_yet or "Everyone not yet marked: attended.")
            for r in sheet.rows:
                box = QComboBox()
                box.setAccessibleName(f"Attendance of {r.client_name}")
                for key, label in MARKS:
                    if not sheet.not_yet or key in AHEAD or key == r.status:  # a mark already taken stays
                        box.addItem(label, key)
                box.setCurrentIndex(max(0, box.findData(kept.get(r.client_id) or r.status)))
                box.setToolTip(sheet.not_yet)
                self.sheet_combos[r.client_id] = box
                self.sheet_form.addRow(r.client_name, box)
            if not sheet.rows:
                self.sheet_form.addRow(QLabel("No members on that day."))
            self.sig_sheet_loaded.emit()

        run_in_background(self, lambda: service.sheet(appointment_id), on_done=done,
                          on_error=self.message.show_exception)

    def _mark_all(self) -> None:
        for box in self.sheet_combos.values():
            if not box.currentData():
                box.setCurrentIndex(box.findData("attended"))

    def save_attendance(self) -> None:
        marks = {cid: str(box.currentData()) for cid, box in self.sheet_combos.items() if box.currentData()}
        if not marks:
            self.message.show_hint("Mark who attended first (or choose “All attended”).")
            return
        service, appointment_id = self.service, self.session_id()

        def done(_r: object) -> None:
            self.message.show_ok(f"Attendance saved for {len(marks)} member(s).")
            self.sig_attendance_saved.emit()

        run_in_background(self, lambda: service.record_attendance(appointment_id, marks), on_done=done,
                          on_error=self.message.show_exception)
