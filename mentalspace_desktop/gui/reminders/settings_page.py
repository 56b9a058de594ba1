"""The administrator's Reminders screen: when reminders go (rules per practice and appointment type),
what they say (templates per language, channel and kind, with a live preview of the exact text), and
what they cost and what followed them (``figures.py``: messages per month, the provider's charges,
and the no-shows after reminders confirmed, cancelled or left unanswered).

Every read and save runs in the background; the service checks the administrator's rights again.
"""

from __future__ import annotations

from typing import Any

from mentalspace_desktop.domain.reminders.rules import CHANNELS
from mentalspace_desktop.domain.reminders.templates import TemplateKind
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.localtime import time_pattern
from mentalspace_desktop.gui.qt import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    Qt,
    QTableView,
    QTabWidget,
    QTime,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.reminders.figures import ReminderFiguresTab
from mentalspace_desktop.gui.reminders.models import RulesModel, TemplatesModel, channel_label
from mentalspace_desktop.gui.reminders.template_editor import TemplateEditor
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.workers import Task, run_in_background
from mentalspace_desktop.services.calendar_view import CalendarViewService
from mentalspace_desktop.services.reminders.desk import ReminderDeskService
from mentalspace_desktop.services.reminders.settings import ReminderSettingsService, RuleInput, RuleView
from mentalspace_desktop.services.reminders.views import format_offsets, parse_offsets
from mentalspace_desktop.services.session import UserSession

STORED_TIME = "HH:mm"  # how quiet hours are kept ("21:00"); shown in the practice's 12-hour form


def quiet_time_edit(name: str, default: str) -> QTimeEdit:
    """A quiet-hours time shown and typed as the practice shows times elsewhere ("9:00 PM"), in
    half-hour steps with the arrow keys."""
    edit = QTimeEdit(QTime.fromString(default, STORED_TIME))
    edit.setDisplayFormat(time_pattern())
    edit.setAccessibleName(name)
    edit.setCurrentSection(QTimeEdit.Section.HourSection)
    edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance("12:00 AM") + 48)
    return edit


def stored_time(edit: QTimeEdit) -> str:
    return edit.time().toString(STORED_TIME)


def show_stored_time(edit: QTimeEdit, value: str) -> None:
    parsed = QTime.fromString(value, STORED_TIME)
    if parsed.isValid():
        edit.setTime(parsed)


def table(name: str, model: Any) -> QTableView:
    """A read-only, row-selecting table as every reminder screen shows them."""
    view = QTableView()
    view.setModel(model)
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return view


def _card() -> tuple[QFrame, QVBoxLayout]:
    card = QFrame()
    card.setObjectName("card")
    layout = QVBoxLayout(card)
    layout.setContentsMargins(16, 14, 16, 14)
    layout.setSpacing(8)
    return card, layout


class RuleEditor(QWidget):
    """One rule: what it applies to, how long before, by which channels, and the client's quiet hours."""

    sig_saved = Signal(str)
    """A rule was saved (its id) or removed (empty)."""

    def __init__(self, service: ReminderSettingsService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.rule_id: str | None = None
        self.applies = QComboBox()
        self.applies.setAccessibleName("Applies to")
        self.offsets = forms.labelled_edit("Times before the appointment", placeholder="e.g. 48 h, 2 h")
        self.offsets.setToolTip("Hours before the appointment, separated by commas: 48 h, 2 h. "
                                "Also 1 day or 90 min.")
        self.channels: dict[str, QCheckBox] = {}
        channel_row = QHBoxLayout()
        channel_row.setSpacing(16)
        for name, text in (("sms", "&Text message"), ("email", "E-&mail"), ("voice", "&Voice call")):
            box = QCheckBox(text)
            box.setAccessibleName(f"Send by {channel_label(name).lower()}")
            box.setMinimumWidth(box.sizeHint().width() + 8)
            self.channels[name] = box
            channel_row.addWidget(box)
        channel_row.addStretch(1)
        self.quiet = QCheckBox("&Quiet hours (the client's own clock)")
        self.quiet.setAccessibleName("Quiet hours")
        self.quiet_start = quiet_time_edit("Quiet hours start", "21:00")
        self.quiet_end = quiet_time_edit("Quiet hours end", "08:00")
        self.quiet.toggled.connect(self._quiet_toggled)
        quiet_row = QHBoxLayout()
        quiet_row.addWidget(self.quiet)
        quiet_row.addWidget(self.quiet_start)
        until = QLabel("&until")
        until.setBuddy(self.quiet_end)
        quiet_row.addWidget(until)
        quiet_row.addWidget(self.quiet_end)
        quiet_row.addStretch(1)
        self.hint = QLabel("A reminder due in quiet hours goes when they end, or is skipped when that would "
                           "leave too little notice.")
        self.hint.setProperty("role", "hint")
        self.hint.setWordWrap(True)
        self.message = forms.MessageLabel()
        self.save_button = forms.primary(QPushButton("&Save rule"))
        self.save_button.setAccessibleName("Save the reminder rule")
        self.remove_button = QPushButton("&Remove rule")
        self.remove_button.setAccessibleName("Remove the reminder rule")
        self.save_button.clicked.connect(self.save)
        self.remove_button.clicked.connect(self.remove)

        form = QFormLayout()
        form.setSpacing(10)
        for text, widget in (("&Applies to:", self.applies), ("&Before the appointment:", self.offsets)):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        form.addRow("Channels:", channel_row)
        form.addRow("", quiet_row)
        form.addRow("", self.hint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("New rule")
        self.title.setObjectName("sectionTitle")
        layout.addWidget(self.title)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(forms.button_row(self.remove_button, self.save_button))
        layout.addStretch(1)
        self._quiet_toggled(False)
        self.show_rule(None)

    def set_types(self, types: list[tuple[str, str]]) -> None:
        current = self.applies.currentData()
        self.applies.clear()
        self.applies.addItem("Every appointment type", "")
        for type_id, name in types:
            self.applies.addItem(name, type_id)
        self.applies.setCurrentIndex(max(0, self.applies.findData(current)))

    def _quiet_toggled(self, on: bool) -> None:
        self.quiet_start.setEnabled(on)
        self.quiet_end.setEnabled(on)

    def show_rule(self, rule: RuleView | None) -> None:
        self.rule_id = rule.id if rule else None
        self.title.setText(f"Rule: {rule.type_name}" if rule else "New rule")
        self.applies.setCurrentIndex(max(0, self.applies.findData(rule.type_id or "" if rule else "")))
        self.applies.setEnabled(rule is None)
        self.offsets.setText(format_offsets(rule.offsets_minutes) if rule else "48 h, 2 h")
        for name, box in self.channels.items():
            box.setChecked(name in rule.channels if rule else name == "sms")
        self.quiet.setChecked(bool(rule and rule.quiet_start))
        if rule and rule.quiet_start:
            show_stored_time(self.quiet_start, rule.quiet_start)
            show_stored_time(self.quiet_end, rule.quiet_end)
        self.remove_button.setVisible(rule is not None)
        self.message.clear_message()
        forms.set_invalid(self.offsets, False)

    def data(self) -> RuleInput:
        """The rule as typed; ValidationError when the times cannot be read."""
        offsets = parse_offsets(self.offsets.text())
        return RuleInput(offsets_minutes=offsets,
                         channels=tuple(c for c in CHANNELS if self.channels[c].isChecked()),
                         type_id=self.applies.currentData() or None,
                         quiet_start=stored_time(self.quiet_start) if self.quiet.isChecked() else "",
                         quiet_end=stored_time(self.quiet_end) if self.quiet.isChecked() else "")

    def save(self) -> Task | None:
        from mentalspace_desktop.errors import ValidationError

        try:
            data = self.data()
        except ValidationError as exc:
            forms.set_invalid(self.offsets, True)
            self.message.show_exception(exc)
            self.offsets.setFocus()
            return None
        forms.set_invalid(self.offsets, False)
        service, rule_id = self.service, self.rule_id
        return run_in_background(self, lambda: service.save_rule(data, rule_id=rule_id),
                                 on_done=self._saved, on_error=self.message.show_exception)

    def _saved(self, rule_id: str) -> None:
        self.message.show_ok("Rule saved. Appointments not yet reminded follow it from now on.")
        self.sig_saved.emit(rule_id)

    def remove(self) -> Task | None:
        if self.rule_id is None or not forms.ask(self, "Remove this rule?", "Appointments it covered follow the "
                                                 "practice's rule instead (or get no reminders).", "Remove"):
            return None
        service, rule_id = self.service, self.rule_id
        return run_in_background(self, lambda: service.remove_rule(rule_id),
                                 on_done=lambda _r: self.sig_saved.emit(""), on_error=self.message.show_exception)


class ReminderSettingsPage(QWidget):
    """Rules, templates and monthly figures on three tabs (administrators)."""

    sig_loaded = Signal()
    """Rules, templates and figures were (re)read."""

    def __init__(self, session: UserSession, bridge: EventBridge | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.service = ReminderSettingsService(session)
        self.desk = ReminderDeskService(session)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 18)
        layout.setSpacing(8)
        layout.addWidget(forms.page_header(
            "Reminders", "When appointment reminders go, what they say, and what they cost. Reminders carry "
                         "no diagnosis, note, appointment type or group name; the last name only where you allow it."))
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Reminder settings")
        self.tabs.addTab(self._rules_tab(), "&Rules")
        self.templates_tab = self._templates_tab()
        self.tabs.addTab(self.templates_tab, "T&emplates")
        self.tabs.addTab(self._figures_tab(), "&Messages, cost and outcomes")
        layout.addWidget(self.tabs, 1)
        if bridge is not None:
            bridge.sig_reminder_settings_did_change.connect(self.reload)
            bridge.sig_messages_did_change.connect(lambda _c: self._load_figures())
        self.reload()

    # -- building ------------------------------------------------------------------------------

    def _rules_tab(self) -> QWidget:
        tab = QWidget()
        self.rules_model = RulesModel(tab)
        self.rules_view = table("Reminder rules", self.rules_model)
        forms.empty_state(self.rules_view, "No reminder rules: no reminders are sent. Add the practice's rule.")
        self.rules_view.selectionModel().selectionChanged.connect(lambda *_: self._rule_chosen())
        self.new_rule_button = QPushButton("&New rule")
        self.new_rule_button.setAccessibleName("New reminder rule")
        self.new_rule_button.clicked.connect(self.new_rule)
        self.rule_editor = RuleEditor(self.service)
        self.rule_editor.sig_saved.connect(lambda _id: self.reload())
        self.rules_view.setMinimumHeight(140)
        self.rules_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        card, card_layout = _card()
        card.setMaximumWidth(820)
        card_layout.addWidget(self.rule_editor)
        outer = QVBoxLayout(tab)
        outer.addWidget(self.rules_view, 1)
        outer.addLayout(forms.button_row(self.new_rule_button, stretch_first=False))
        outer.addWidget(card, 2)
        return tab

    def _templates_tab(self) -> QWidget:
        tab = QWidget()
        self.templates_model = TemplatesModel(tab)
        self.templates_view = table("The practice's templates", self.templates_model)
        forms.empty_state(self.templates_view, "The built-in words are used for every language and channel. "
                                               "Choose a language and channel on the right to write your own.")
        self.templates_view.selectionModel().selectionChanged.connect(lambda *_: self._template_chosen())
        self.new_template_button = QPushButton("Ne&w template")
        self.new_template_button.setAccessibleName("New template")
        self.editor = TemplateEditor(self.service)
        self.new_template_button.clicked.connect(self.new_template)
        self.editor.sig_saved.connect(lambda _id: self.reload())
        left = QVBoxLayout()
        left.addWidget(self.templates_view, 1)
        left.addLayout(forms.button_row(self.new_template_button, stretch_first=False))
        left_box = QWidget()
        left_box.setLayout(left)
        left_box.setMinimumWidth(250)
        self.templates_view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        card, card_layout = _card()
        card_layout.addWidget(self.editor)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left_box)
        split.addWidget(card)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        outer = QVBoxLayout(tab)
        outer.addWidget(split)
        return tab

    def _figures_tab(self) -> QWidget:
        self.figures = ReminderFiguresTab(self.desk, table)
        return self.figures

    # -- loading -------------------------------------------------------------------------------

    def reload(self) -> Task:
        service, session = self.service, self.session

        def read() -> tuple[Any, Any, Any]:
            types = [(t.id, t.name) for t in CalendarViewService(session).types()]
            return service.rules(), service.templates(), types

        self._load_figures()
        return run_in_background(self, read, on_done=self._loaded)

    def _loaded(self, result: tuple[Any, Any, Any]) -> None:
        rules, templates, types = result
        self.rule_editor.set_types(types)
        chosen_rule, chosen_template = self.rule_editor.rule_id, self.editor.template_id
        self.rules_model.set_rows(rules)
        self.templates_model.set_rows(templates)
        self._select(self.rules_view, self.rules_model.row_of(chosen_rule or ""))
        self._select(self.templates_view, self.templates_model.row_of(chosen_template or ""))
        if self.rules_model.rowCount() and chosen_rule is None and not self.rule_editor.offsets.isModified():
            self._select(self.rules_view, 0)
        self.sig_loaded.emit()

    def _load_figures(self) -> None:
        self.figures.reload()

    @staticmethod
    def _select(view: QTableView, row: int) -> None:
        if row >= 0:
            view.selectRow(row)

    # -- actions -------------------------------------------------------------------------------

    def _rule_chosen(self) -> None:
        rows = self.rules_view.selectionModel().selectedRows()
        self.rule_editor.show_rule(self.rules_model.row(rows[0].row()) if rows else None)

    def new_rule(self) -> None:
        self.rules_view.clearSelection()
        self.rule_editor.show_rule(None)
        self.rule_editor.applies.setFocus()

    def _template_chosen(self) -> None:
        rows = self.templates_view.selectionModel().selectedRows()
        if rows:
            self.editor.show_template(self.templates_model.row(rows[0].row()))

    def new_template(self) -> None:
        self.templates_view.clearSelection()
        self.editor.new_template()
        self.editor.language.setFocus()

    def open_template_kind(self, language: str, channel: str, kind: TemplateKind = TemplateKind.REMINDER) -> None:
        """Show the templates tab with the editor on ``language``/``channel``/``kind`` (the words in use)."""
        self.tabs.setCurrentWidget(self.templates_tab)
        self.templates_view.clearSelection()
        self.editor.new_template(language=language, channel=channel, kind=kind)
