"""Appointment types (administrators): name, category, length, buffers, colour, CPT code and rate,
daily maximum per provider, telehealth, supervisor co-signature — what choosing a type fills in."""

from __future__ import annotations

from typing import Any

from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.calendar.booking_dialog import money
from mentalspace_desktop.gui.calendar.common import buddy as _buddy
from mentalspace_desktop.gui.qt import (
    QAbstractItemView,
    QCheckBox,
    QColor,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QShowEvent,
    QSpinBox,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.rows_model import RowsModel
from mentalspace_desktop.gui.theme import DEFAULT_TYPE_COLOUR
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.scheduling.setup import CATEGORIES, ScheduleSetupService, TypeInput
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.scheduling_models import AppointmentType


class TypesModel(RowsModel[AppointmentType]):
    headers = ("Type", "Category", "Length", "Buffers", "CPT", "Rate", "Options")

    def cell(self, row: AppointmentType, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            buffers = f"{row.buffer_before} / {row.buffer_after} min" if row.buffer_before or row.buffer_after else "—"
            return (row.name, CATEGORIES.get(row.category, row.category), f"{row.default_minutes} min", buffers,
                    row.cpt_code or "—", money(row.rate_cents) or "—", _options(row))[column]
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return QColor(row.color)
        if role == Qt.ItemDataRole.ToolTipRole and column == 0 and row.needs_cosign:
            return "A supervisor co-signs notes of this type"
        return None


def _options(row: AppointmentType) -> str:
    """What else sets the type apart, in words (the table keeps to what fits beside the form)."""
    parts = ["in person or telehealth" if row.telehealth_allowed else "in person only"]
    if row.max_per_day:
        parts.append(f"at most {row.max_per_day} a day")
    if not row.active:
        parts.append("not offered")
    return ", ".join(parts)


class AppointmentTypesPage(QWidget):
    """The list of types and a form to add or change one."""

    sig_loaded = Signal()
    """The list was (re)loaded."""
    sig_saved = Signal(str)
    """A type was saved: its id."""

    def __init__(self, session: UserSession, bridge: EventBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = ScheduleSetupService(session)
        self.editing: str | None = None
        self.model = TypesModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Appointment types")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.name = forms.labelled_edit("Name")
        self.category = QComboBox()
        self.category.setAccessibleName("Category")
        for key, label in CATEGORIES.items():
            self.category.addItem(label, key)
        self.minutes = _spin("Default length", 5, 480, 5, " min")
        self.before = _spin("Buffer before", 0, 120, 5, " min")
        self.after = _spin("Buffer after", 0, 120, 5, " min")
        self.colour = forms.labelled_edit("Colour", placeholder=DEFAULT_TYPE_COLOUR)
        self.swatch = QLabel()
        self.swatch.setFixedSize(28, 28)
        self.cpt = forms.labelled_edit("Default CPT code", placeholder="90834")
        self.rate = forms.labelled_edit("Rate in dollars", placeholder="120.00")
        self.max_per_day = _spin("Maximum per provider per day (0: no limit)", 0, 50, 1, "")
        self.max_per_day.setSpecialValueText("No limit")
        self.telehealth = QCheckBox("May be &telehealth")
        self.cosign = QCheckBox("A supervisor must &co-sign")
        self.active = QCheckBox("&Offered when booking")
        self.message = forms.MessageLabel()
        self.save_button = forms.primary(QPushButton("&Save type"))
        self.new_button = QPushButton("&New type")
        form = QFormLayout()
        form.addRow(_buddy("&Name:", self.name), self.name)
        form.addRow(_buddy("Cate&gory:", self.category), self.category)
        form.addRow(_buddy("&Length:", self.minutes), self.minutes)
        buffers = QHBoxLayout()
        buffers.addWidget(self.before)
        buffers.addWidget(QLabel("before,"))
        buffers.addWidget(self.after)
        buffers.addWidget(QLabel("after"))
        form.addRow(_buddy("&Buffers:", self.before), buffers)
        colour = QHBoxLayout()
        colour.addWidget(self.colour, 1)
        colour.addWidget(self.swatch)
        form.addRow(_buddy("Colo&ur:", self.colour), colour)
        form.addRow(_buddy("C&PT code:", self.cpt), self.cpt)
        form.addRow(_buddy("&Rate ($):", self.rate), self.rate)
        form.addRow(_buddy("&Max a day:", self.max_per_day), self.max_per_day)
        form.addRow("", self.telehealth)
        form.addRow("", self.cosign)
        form.addRow("", self.active)
        side = QWidget()
        side.setFixedWidth(380)
        sv = QVBoxLayout(side)
        self.form_title = QLabel("New appointment type")
        self.form_title.setObjectName("sectionTitle")
        sv.addWidget(self.form_title)
        sv.addLayout(form)
        sv.addWidget(self.message)
        sv.addLayout(forms.button_row(self.new_button, self.save_button))
        sv.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.table, 1)
        body.addWidget(side)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(forms.page_header("Appointment types", "Choosing a type when booking fills its length "
                                           "and CPT code; buffers keep the time around it free."))
        layout.addLayout(body, 1)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._selected())
        self.colour.textChanged.connect(self._show_swatch)
        self.save_button.clicked.connect(self.save)
        self.new_button.clicked.connect(self.clear_form)
        bridge.sig_schedule_setup_did_change.connect(lambda what: self.reload() if what == "types" else None)
        self._loaded_once = False
        self.clear_form()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._loaded_once:
            self.reload()

    def reload(self) -> None:
        self._loaded_once = True
        service = self.service
        run_in_background(self, lambda: service.types(include_inactive=True), on_done=self._loaded,
                          on_error=self.message.show_exception)

    def _loaded(self, types: list[AppointmentType]) -> None:
        self.model.set_rows(types)
        if self.editing:
            row = self.model.row_of(self.editing)
            if row >= 0:
                self.table.selectRow(row)
        self.sig_loaded.emit()

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        t = self.model.row(rows[0].row())
        self.editing = t.id
        self.form_title.setText(f"Change “{t.name}”")
        self.name.setText(t.name)
        self.category.setCurrentIndex(max(0, self.category.findData(t.category)))
        self.minutes.setValue(t.default_minutes)
        self.before.setValue(t.buffer_before)
        self.after.setValue(t.buffer_after)
        self.colour.setText(t.color)
        self.cpt.setText(t.cpt_code or "")
        self.rate.setText("" if t.rate_cents is None else f"{t.rate_cents / 100:.2f}")
        self.max_per_day.setValue(t.max_per_day or 0)
        self.telehealth.setChecked(t.telehealth_allowed)
        self.cosign.setChecked(t.needs_cosign)
        self.active.setChecked(t.active)
        self.message.clear_message()

    def clear_form(self) -> None:
        self.editing = None
        self.table.clearSelection()
        self.form_title.setText("New appointment type")
        for edit in (self.name, self.cpt, self.rate):
            edit.clear()
        self.colour.setText(DEFAULT_TYPE_COLOUR)
        self.minutes.setValue(50)
        self.before.setValue(0)
        self.after.setValue(0)
        self.max_per_day.setValue(0)
        self.telehealth.setChecked(True)
        self.cosign.setChecked(False)
        self.active.setChecked(True)
        self.message.clear_message()
        self.name.setFocus()

    def _show_swatch(self, text: str) -> None:
        ok = QColor.isValidColorName(text.strip()) and text.strip().startswith("#")
        self.swatch.setStyleSheet(f"background: {text.strip()}; border-radius: 4px;" if ok else
                                  "border: 1px dashed gray; border-radius: 4px;")

    def form_input(self) -> TypeInput | None:
        text = self.rate.text().strip().lstrip("$").replace(",", "")
        try:
            rate = None if not text else round(float(text) * 100)
        except ValueError:
            self.message.show_error("Enter the rate in dollars, e.g. 120 or 120.00.")
            self.rate.setFocus()
            return None
        return TypeInput(
            name=self.name.text(), category=self.category.currentData(), default_minutes=self.minutes.value(),
            buffer_before=self.before.value(), buffer_after=self.after.value(), color=self.colour.text().strip(),
            cpt_code=self.cpt.text(), rate_cents=rate, max_per_day=self.max_per_day.value() or None,
            telehealth_allowed=self.telehealth.isChecked(), needs_cosign=self.cosign.isChecked(),
            active=self.active.isChecked())

    def save(self) -> None:
        data = self.form_input()
        if data is None:
            return
        service, editing = self.service, self.editing

        def done(t: AppointmentType) -> None:
            self.editing = t.id
            self.message.show_ok(f"“{t.name}” saved.")
            self.sig_saved.emit(t.id)
            self.reload()

        run_in_background(self, lambda: service.save_type(data, editing), on_done=done,
                          on_error=self.message.show_exception)


def _spin(name: str, low: int, high: int, step: int, suffix: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setSuffix(suffix)
    spin.setAccessibleName(name)
    return spin
