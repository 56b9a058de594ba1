"""Performance goals on the dashboards: the list with each goal's standing, and the dialog that sets one.

A clinician sees their own goals; a supervisor their team's (and sets them); an administrator
everyone's. Active goals say whether the value so far meets the target; ended ones read achieved or
missed (services/goals.py).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from mentalspace_desktop.domain import goals as goal_rules
from mentalspace_desktop.domain.goals import GoalState
from mentalspace_desktop.domain.metrics import MetricDefinition, PeriodKind, period_for
from mentalspace_desktop.gui.dashboards.widgets import record_table
from mentalspace_desktop.gui.localtime import date_pattern, format_date, to_local
from mentalspace_desktop.gui.qt import (
    QColor,
    QComboBox,
    QDate,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.theme import tone
from mentalspace_desktop.gui.widgets.forms import MessageLabel, ask, empty_state
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services import goals, metrics
from mentalspace_desktop.services.goals import STATE_LABELS, GoalView
from mentalspace_desktop.services.session import UserSession

STATE_TONES = {GoalState.ACTIVE: "info", GoalState.ACHIEVED: "good", GoalState.MISSED: "danger"}


def _now() -> datetime:
    return datetime.now().astimezone()


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class GoalsModel(RowsModel[GoalView]):
    headers = ("Clinician", "Goal", "Period", "Standing", "State")

    def cell(self, row: GoalView, column: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if column == 0:
                return row.clinician
            if column == 1:
                return f"{row.definition.name} {'≥' if row.definition.direction.value == 'higher' else '≤'} " \
                       f"{row.definition.format(row.target)}"
            if column == 2:
                return f"{format_date(row.period.start)} – {format_date(row.period.end)}"
            if column == 3:
                return row.progress()
            return STATE_LABELS[row.state]
        if role == Qt.ItemDataRole.DecorationRole and column == 4:
            return QColor(tone(STATE_TONES[row.state]))
        if role == Qt.ItemDataRole.ToolTipRole and column == 1:
            return row.note or row.definition.formula
        return None


class GoalsPanel(QGroupBox):
    """The goals a dashboard shows (one clinician's, or a team's), with Set/Edit/Remove for those who may."""

    sig_changed = Signal()
    """A goal was set, changed or removed here."""

    def __init__(self, session: UserSession, parent: QWidget | None = None) -> None:
        super().__init__("Performance goals", parent)
        self.session = session
        layout = QVBoxLayout(self)
        self.message = MessageLabel()
        layout.addWidget(self.message)
        self.model = GoalsModel(self)
        self.table = record_table("Performance goals", self.model, stretch=3)
        self.table.setMinimumHeight(150)
        editable = goals.may_set_goals(session)
        empty_state(self.table, "No goals yet." + (" Set one for a clinician with “Set a goal…”." if editable
                                                   else " Your supervisor sets them with you."))
        layout.addWidget(self.table)
        self.new_button = self.edit_button = self.remove_button = None
        if editable:
            buttons = QHBoxLayout()
            buttons.addStretch(1)
            self.new_button = QPushButton("Set a &goal…")
            self.edit_button = QPushButton("Change goal…")
            self.remove_button = QPushButton("Remove goal")
            self.new_button.clicked.connect(lambda: self.edit(None))
            self.edit_button.clicked.connect(lambda: self.edit(self.selected()))
            self.remove_button.clicked.connect(self.remove_selected)
            self.table.activated.connect(lambda _i: self.edit(self.selected()))
            for b in (self.new_button, self.edit_button, self.remove_button):
                buttons.addWidget(b)
            layout.addLayout(buttons)
            self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection())
            self._selection()
        self.default_clinician: str | None = None

    def show_goals(self, rows: list[GoalView]) -> None:
        self.model.set_rows(rows)
        self.table.setVisible(True)
        self._selection()

    def selected(self) -> GoalView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def _selection(self) -> None:
        chosen = self.selected() is not None
        for b in (self.edit_button, self.remove_button):
            if b is not None:
                b.setEnabled(chosen)

    def edit(self, goal: GoalView | None) -> GoalDialog | None:
        if self.new_button is None:
            return None
        dialog = GoalDialog(self.session, goal, self, clinician_id=self.default_clinician)
        dialog.sig_saved.connect(self.sig_changed)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def remove_selected(self) -> None:
        goal = self.selected()
        if goal is None or not ask(self, "Remove goal", f"Remove the goal “{goal.definition.name}” for "
                                   f"{goal.clinician}?", "Remove"):
            return
        session, now = self.session, _now()
        run_in_background(self, lambda: goals.delete_goal(session, goal.id, now=now),
                          on_done=lambda _r: self.sig_changed.emit(), on_error=self.message.show_exception)


class GoalDialog(QDialog):
    """Set (or change) one clinician's target for one metric over a period."""

    sig_saved = Signal(str)
    """The goal was saved: its id."""

    def __init__(self, session: UserSession, goal: GoalView | None, parent: QWidget | None = None, *,
                 clinician_id: str | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.goal = goal
        self.setWindowTitle("Change goal" if goal else "Set a goal")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        intro = QLabel("A target for one clinician and one metric over a period. While the period runs the "
                       "goal is active; at its end it is achieved or missed.")
        intro.setWordWrap(True)
        intro.setProperty("role", "hint")
        layout.addWidget(intro)
        form = QFormLayout()
        self.clinician = QComboBox()
        self.clinician.setAccessibleName("Clinician")
        for c in metrics.measurable_clinicians(session):
            if c.id != session.actor.user_id or session.actor.role.value == "admin":
                self.clinician.addItem(c.full_name, c.id)
        self.metric_box = QComboBox()
        self.metric_box.setAccessibleName("Metric")
        self.definitions = metrics.definitions()
        for d in sorted(self.definitions.values(), key=lambda d: d.name):
            self.metric_box.addItem(d.name, d.id)
        self.target = QDoubleSpinBox()
        self.target.setAccessibleName("Target")
        self.target.setDecimals(1)
        self.direction = QLabel("")
        self.direction.setProperty("role", "hint")
        self.direction.setWordWrap(True)
        self.start, self.end = QDateEdit(), QDateEdit()
        for edit, name in ((self.start, "From"), (self.end, "Until")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat(date_pattern())
            edit.setAccessibleName(name)
        self.note = QLineEdit()
        self.note.setAccessibleName("Note")
        self.note.setPlaceholderText("What the goal is for (optional)")
        self.note.setMaxLength(300)
        form.addRow("&Clinician", self.clinician)
        form.addRow("&Metric", self.metric_box)
        form.addRow("&Target", self.target)
        form.addRow("", self.direction)
        form.addRow("&From", self.start)
        form.addRow("&Until", self.end)
        form.addRow("&Note", self.note)
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label is not None and field is not None and isinstance(label.widget(), QLabel):
                label.widget().setBuddy(field.widget())  # type: ignore[union-attr]
        layout.addLayout(form)
        self.message = MessageLabel()
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.metric_box.currentIndexChanged.connect(lambda _i: self._metric_changed())
        today = to_local(_now()).date()
        month = period_for(PeriodKind.MONTH, today)
        if goal is not None:
            if self.clinician.findData(goal.clinician_id) < 0:  # no longer measured (left): still theirs
                self.clinician.addItem(goal.clinician, goal.clinician_id)
            self.clinician.setCurrentIndex(max(0, self.clinician.findData(goal.clinician_id)))
            self.metric_box.setCurrentIndex(max(0, self.metric_box.findData(goal.metric_id)))
            self._metric_changed()
            self.target.setValue(goal.target / goal_rules.limits(goal.definition).scale)
            self.start.setDate(_qdate(goal.period.start))
            self.end.setDate(_qdate(goal.period.end))
            self.note.setText(goal.note)
        else:
            if clinician_id is not None:
                self.clinician.setCurrentIndex(max(0, self.clinician.findData(clinician_id)))
            self.metric_box.setCurrentIndex(max(0, self.metric_box.findData("kept_visit_rate")))
            self._metric_changed()
            self.start.setDate(_qdate(month.start))
            self.end.setDate(_qdate(month.end))

    def _definition(self) -> MetricDefinition:
        return self.definitions[self.metric_box.currentData()]

    def _metric_changed(self) -> None:
        d = self._definition()
        bounds = goal_rules.limits(d)
        self.target.setRange(bounds.low, bounds.high)
        self.target.setSuffix(" %" if d.unit == "percent" else ("" if d.unit in ("count", "number")
                                                                else f" {d.unit}"))
        self.target.setValue(d.benchmark / bounds.scale)
        better = "higher" if d.direction.value == "higher" else "lower"
        self.direction.setText(f"Met at this value or {better}. Practice benchmark: {d.format(d.benchmark)}.")

    def save(self) -> None:
        clinician_id = self.clinician.currentData()
        if clinician_id is None:
            self.message.show_error("Choose a clinician.")
            return
        session, goal_id, now = self.session, self.goal.id if self.goal else None, _now()
        metric_id, target = self.metric_box.currentData(), self.target.value()
        start, end, note = _day(self.start.date()), _day(self.end.date()), self.note.text()
        self.buttons.setEnabled(False)
        run_in_background(
            self, lambda: goals.save_goal(session, clinician_id=clinician_id, metric_id=metric_id,
                                          typed_target=target, start=start, end=end, note=note,
                                          goal_id=goal_id, now=now),
            on_done=self._saved, on_error=self._failed)

    def _saved(self, goal_id: str) -> None:
        self.sig_saved.emit(goal_id)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.message.show_exception(exc)
