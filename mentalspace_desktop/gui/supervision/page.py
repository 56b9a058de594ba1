"""The Supervision log page: sessions a supervisor held with their associates, recorded, corrected and
signed here; an associate sees their own (read only). Signed hours count toward the monthly
supervision requirement, shown above the list against what each license needs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from mentalspace_desktop.domain.compliance import supervision_months
from mentalspace_desktop.domain.roles import Action, Resource, Role, allows_any
from mentalspace_desktop.gui.localtime import to_local, wall_today
from mentalspace_desktop.gui.qt import (
    QAbstractItemView,
    QComboBox,
    QDate,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.widgets.forms import MessageLabel, empty_state, page_header, primary
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services import supervision
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.services.supervision import Kind, SupervisionEntry


def _now() -> datetime:
    return datetime.now().astimezone()


def _today() -> date:
    return wall_today()


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def _hours(minutes: int) -> str:
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".") + " h"


class SupervisionModel(RowsModel[SupervisionEntry]):
    headers = ("Date", "Supervisee", "Supervisor", "Kind", "Length", "Signed", "Topics")

    def cell(self, row: SupervisionEntry, column: int, role: int) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == 0:
            return f"{row.held_on:%a %b %d, %Y}"
        if column == 1:
            return row.supervisee_name
        if column == 2:
            return row.supervisor_name
        if column == 3:
            return row.kind.value.capitalize()
        if column == 4:
            return _hours(row.minutes)
        if column == 5:
            return f"{to_local(row.signed_at):%b %d}" if row.signed_at else "Not signed"
        return row.topics if row.topics is not None else "(not readable on this workstation)"


class SessionDialog(QDialog):
    """Record a session (one supervisee, or several for group supervision) or correct an unsigned one."""

    sig_saved = Signal(list)
    """The session was written: the ids of its rows."""

    def __init__(self, session: UserSession, people: list[supervision.Person], parent: QWidget | None = None, *,
                 entry: SupervisionEntry | None = None) -> None:
        super().__init__(parent)
        self.session, self.entry = session, entry
        self.setWindowTitle("Correct a supervision session" if entry else "Record a supervision session")
        self.setMinimumWidth(480)
        form = QFormLayout()
        self.people = QListWidget()
        self.people.setAccessibleName("Supervisees")
        self.people.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for p in people:
            item = QListWidgetItem(f"{p.full_name} ({p.license_type or 'no license on file'})")
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            self.people.addItem(item)
            if entry is not None and p.id == entry.supervisee_id:
                item.setSelected(True)
        self.people.setMaximumHeight(110)
        self.people.setEnabled(entry is None)
        self.day = QDateEdit()
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("MMM d, yyyy")
        self.day.setAccessibleName("Date")
        held = entry.held_on if entry else _today()
        self.day.setDate(QDate(held.year, held.month, held.day))
        self.minutes = QSpinBox()
        self.minutes.setRange(15, supervision.MAX_MINUTES)
        self.minutes.setSingleStep(15)
        self.minutes.setSuffix(" minutes")
        self.minutes.setAccessibleName("Length in minutes")
        self.minutes.setValue(entry.minutes if entry else 60)
        self.kind = QComboBox()
        self.kind.setAccessibleName("Kind of supervision")
        self.kind.addItem("Individual", Kind.INDIVIDUAL)
        self.kind.addItem("Group", Kind.GROUP)
        if entry is not None:
            self.kind.setCurrentIndex(1 if entry.kind is Kind.GROUP else 0)
        self.topics = QPlainTextEdit(entry.topics or "" if entry else "")
        self.topics.setAccessibleName("Topics")
        self.topics.setPlaceholderText("Cases and themes discussed (no client names needed)")
        self.topics.setTabChangesFocus(True)
        self.topics.setMaximumHeight(100)
        for label, widget in (("Supervisee(s)", self.people), ("&Date", self.day), ("&Length", self.minutes),
                              ("&Kind", self.kind), ("&Topics", self.topics)):
            text = QLabel(label)
            text.setBuddy(widget)
            form.addRow(text, widget)
        self.message = MessageLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = primary(QPushButton("&Save"))
        self.sign_button = QPushButton("Save and si&gn")
        self.sign_button.setToolTip("Sign now: the session's hours count toward the month and it can no longer change")
        self.sign_button.setVisible(entry is None and session.actor.role is Role.SUPERVISOR)
        buttons.addButton(self.sign_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.rejected.connect(self.reject)
        self.save_button.clicked.connect(lambda: self.save(sign=False))
        self.sign_button.clicked.connect(lambda: self.save(sign=True))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def chosen(self) -> list[str]:
        return [str(i.data(Qt.ItemDataRole.UserRole)) for i in self.people.selectedItems()]

    def save(self, *, sign: bool) -> None:
        held_on, minutes, kind = _day(self.day.date()), self.minutes.value(), Kind(self.kind.currentData())
        topics, today, now = self.topics.toPlainText(), _today(), _now()
        if self.entry is not None:
            entry_id = self.entry.id

            def work() -> list[str]:
                supervision.edit(self.session, entry_id, held_on=held_on, minutes=minutes, kind=kind, topics=topics,
                                 today=today, now=now)
                return [entry_id]
        else:
            chosen = self.chosen()

            def work() -> list[str]:
                return supervision.record(self.session, supervisee_ids=chosen, held_on=held_on, minutes=minutes,
                                          kind=kind, topics=topics, today=today, now=now, sign=sign)
        self.save_button.setEnabled(False)
        self.sign_button.setEnabled(False)
        run_in_background(self, work, on_done=self._saved, on_error=self._failed)

    def _saved(self, ids: list[str]) -> None:
        self.sig_saved.emit(ids)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.sign_button.setEnabled(True)
        self.message.show_exception(exc)


class SupervisionPage(QWidget):
    sig_loaded = Signal()
    """The list and the month's totals on screen are the latest."""

    def __init__(self, session: UserSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.can_record = allows_any(session.actor.role, Resource.SUPERVISION, Action.WRITE)
        self.people: list[supervision.Person] = []
        self.dialog: SessionDialog | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(28, 22, 28, 12)
        outer.setSpacing(10)
        subtitle = ("Supervision you held with your associates: record each session and sign it; signed hours "
                    "count toward each license's monthly requirement." if self.can_record else
                    "Your supervision sessions as your supervisor recorded them; signed hours count toward "
                    "your license's monthly requirement.")
        outer.addWidget(page_header("Supervision log", subtitle))
        controls = QHBoxLayout()
        self.from_edit, self.until_edit = QDateEdit(), QDateEdit()
        (last_start, _), _ = supervision_months(_today())
        for edit, name, day in ((self.from_edit, "&From", last_start), (self.until_edit, "&Until", _today())):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("MMM d, yyyy")
            edit.setAccessibleName(name.replace("&", ""))
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.dateChanged.connect(lambda _d: self.reload())
            label = QLabel(name)
            label.setBuddy(edit)
            controls.addWidget(label)
            controls.addWidget(edit)
        controls.addStretch(1)
        self.record_button = primary(QPushButton("&Record session…"))
        self.edit_button = QPushButton("&Correct…")
        self.sign_button = QPushButton("&Sign")
        self.sign_button.setToolTip("Sign the selected session: its hours count and it can no longer change")
        for b in (self.record_button, self.edit_button, self.sign_button):
            b.setVisible(self.can_record)
            controls.addWidget(b)
        self.record_button.clicked.connect(self.record)
        self.edit_button.clicked.connect(self.correct)
        self.sign_button.clicked.connect(self.sign)
        outer.addLayout(controls)
        self.totals = QLabel("")
        self.totals.setWordWrap(True)
        self.totals.setAccessibleName("Signed hours this month")
        outer.addWidget(self.totals)
        self.message = MessageLabel()
        outer.addWidget(self.message)
        self.model = SupervisionModel(self)
        self.table = QTableView()
        self.table.setAccessibleName("Supervision sessions")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.table.activated.connect(lambda _i: self.correct())
        outer.addWidget(self.table, 1)
        empty_state(self.table, "No supervision sessions in these dates.")
        self._update_buttons()
        self.reload()

    def selected(self) -> SupervisionEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        entry = self.selected()
        editable = entry is not None and entry.signed_at is None
        self.edit_button.setEnabled(editable)
        mine = entry is not None and entry.supervisor_id == self.session.actor.user_id
        self.sign_button.setEnabled(editable and mine)

    def reload(self) -> None:
        start, end = _day(self.from_edit.date()), _day(self.until_edit.date())
        if end < start:
            self.message.show_error("The end date is before the start date.")
            return
        self.message.clear_message()
        today = _today()
        month_start = today.replace(day=1)

        def work() -> tuple[list[SupervisionEntry], list[SupervisionEntry], list[supervision.Person]]:
            shown = supervision.entries(self.session, start=start, end=end)
            month = supervision.entries(self.session, start=month_start, end=today)
            return shown, month, supervision.supervisees(self.session)

        run_in_background(self, work, on_done=self._loaded, on_error=self.message.show_exception)

    def _loaded(self, result: tuple[list[SupervisionEntry], list[SupervisionEntry], list[supervision.Person]]) -> None:
        shown, month, self.people = result
        self.model.set_rows(shown)
        signed: dict[str, int] = {}
        for e in month:
            if e.signed_at is not None:
                signed[e.supervisee_id] = signed.get(e.supervisee_id, 0) + e.minutes
        parts = []
        for p in self.people:
            if p.required_hours is not None:
                hours = signed.get(p.id, 0) / 60
                parts.append(f"{p.full_name} {hours:g} of {p.required_hours:g} h"
                             + (" ✓" if hours >= p.required_hours else ""))
        month_name = f"{_today():%B}"
        self.totals.setText(f"Signed in {month_name} so far: " + "; ".join(parts) if parts else
                            "No one here needs monthly supervision hours by license.")
        self._update_buttons()
        self.sig_loaded.emit()

    def record(self) -> None:
        self._open(SessionDialog(self.session, self.people, self))

    def correct(self) -> None:
        entry = self.selected()
        if entry is None or entry.signed_at is not None or not self.can_record:
            return
        people = self.people or [supervision.Person(entry.supervisee_id, entry.supervisee_name, None)]
        self._open(SessionDialog(self.session, people, self, entry=entry))

    def _open(self, dialog: SessionDialog) -> None:
        self.dialog = dialog
        dialog.sig_saved.connect(lambda _ids: self.reload())
        dialog.open()

    def sign(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        now = _now()
        entry_id = entry.id
        self.sign_button.setEnabled(False)
        run_in_background(self, lambda: supervision.sign(self.session, entry_id, now=now),
                          on_done=lambda _r: self._signed(), on_error=self._sign_failed)

    def _signed(self) -> None:
        self.message.show_ok("Signed: the session's hours now count toward the month.")
        self.reload()

    def _sign_failed(self, exc: BaseException) -> None:
        self._update_buttons()
        self.message.show_exception(exc)

