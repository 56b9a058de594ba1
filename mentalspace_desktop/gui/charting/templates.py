"""Administrators edit note templates: the fields of a note type, saved as a new version (notes
already written keep theirs), or a new note type."""

from __future__ import annotations

import json

from mentalspace_desktop.domain.charting.templates import FieldKind, Template
from mentalspace_desktop.gui.clients.common import muted
from mentalspace_desktop.gui.qt import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStandardItem,
    QStandardItemModel,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from mentalspace_desktop.gui.widgets.forms import MessageLabel, button_row, labelled_edit, primary
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.charting.templates import TemplateService

COLUMNS = ("Key", "Label", "Kind", "Required", "Choices", "Hint")


class TemplateDialog(QDialog):
    """One template's fields as a table; saving adds a version."""

    def __init__(self, service: TemplateService, template: Template | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.setWindowTitle(f"Template — {template.name}" if template else "New note type")
        self.setAccessibleName("Note template")
        self.resize(1100, 620)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.note_type = labelled_edit("Note type key", placeholder="e.g. group")
        self.name = labelled_edit("Note type name", placeholder="e.g. Group therapy note")
        if template is not None:
            self.note_type.setText(template.note_type)
            self.note_type.setReadOnly(True)
            self.name.setText(template.name)
        form.addRow("Note type &key:", self.note_type)
        form.addRow("&Name:", self.name)
        layout.addLayout(form)
        if template is not None:
            layout.addWidget(muted(QLabel(f"Version {template.version}. Saving makes version {template.version + 1}; "
                                          "notes already written keep the version they were written with.")))
        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels(list(COLUMNS))
        for f in template.fields if template else ():
            self._append([f.key, f.label, f.kind.value, "yes" if f.required else "no", "; ".join(f.choices), f.hint])
        self.table = QTableView(self)
        self.table.setAccessibleName("Template fields")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((150, 220, 90, 90, 260)):
            self.table.setColumnWidth(col, width)
        layout.addWidget(self.table, 1)
        layout.addWidget(muted(QLabel("Kind: text (paragraphs), line (one line) or choice. Required: yes or no "
                                      "(a note cannot be signed with it empty). Choices: separated by ; "
                                      "(for a choice). Double-click a cell to change it.")))
        self.message = MessageLabel(self)
        layout.addWidget(self.message)
        add = QPushButton("&Add field", self)
        remove = QPushButton("&Remove field", self)
        up = QPushButton("Move &up", self)
        self.save_button = primary(QPushButton("&Save as new version", self))
        cancel = QPushButton("Close", self)
        add.clicked.connect(lambda: self._append(["", "", "text", "no", "", ""]))
        remove.clicked.connect(self._remove)
        up.clicked.connect(self._up)
        cancel.clicked.connect(self.reject)
        self.save_button.clicked.connect(self.save)
        row = QHBoxLayout()
        for b in (add, remove, up):
            row.addWidget(b)
        row.addLayout(button_row(cancel, self.save_button))
        layout.addLayout(row)

    def _append(self, values: list[str]) -> None:
        self.model.appendRow([QStandardItem(v) for v in values])

    def _remove(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self.model.removeRow(index.row())

    def _up(self) -> None:
        r = self.table.currentIndex().row()
        if r > 0:
            self.model.insertRow(r - 1, self.model.takeRow(r))
            self.table.selectRow(r - 1)

    def fields_json(self) -> str:
        out = []
        for r in range(self.model.rowCount()):
            key, label, kind, required, choices, hint = (self.model.item(r, c).text().strip()
                                                         for c in range(len(COLUMNS)))
            item: dict[str, object] = {"key": key, "label": label, "kind": kind or FieldKind.TEXT.value}
            if required.lower() in ("yes", "y", "true", "1"):
                item["required"] = True
            if choices:
                item["choices"] = [c.strip() for c in choices.split(";") if c.strip()]
            if hint:
                item["hint"] = hint
            out.append(item)
        return json.dumps(out, ensure_ascii=False)

    def save(self) -> None:
        note_type, name, fields = self.note_type.text(), self.name.text(), self.fields_json()
        service = self.service
        run_in_background(self, lambda: service.save_version(note_type, name, fields),
                          on_done=lambda v: self.message.show_ok(f"Saved as version {v}."),
                          on_error=self.message.show_exception)


class TemplatesCard(QFrame):
    """Practice settings: pick a note type to edit its template, or add a note type."""

    def __init__(self, service: TemplateService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.setObjectName("card")
        self.setMaximumWidth(640)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 18)
        layout.addWidget(QLabel("<b>Note templates</b>"))
        self.types = QComboBox(self)
        self.types.setAccessibleName("Note type")
        edit = QPushButton("&Edit template…", self)
        new = QPushButton("Add note &type…", self)
        row = QHBoxLayout()
        row.addWidget(self.types, 1)
        row.addWidget(edit)
        row.addWidget(new)
        layout.addLayout(row)
        edit.clicked.connect(self.edit_selected)
        new.clicked.connect(lambda: self._open(None))
        self.reload()

    def reload(self) -> None:
        self.types.clear()
        for t in self.service.note_types(include_addendum=True):
            self.types.addItem(f"{t.name} (version {t.version})", t.note_type)

    def edit_selected(self) -> TemplateDialog | None:
        note_type = self.types.currentData()
        if not note_type:
            return None
        return self._open(self.service.active(note_type)[1])

    def _open(self, template: Template | None) -> TemplateDialog:
        dialog = TemplateDialog(self.service, template, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _r: self.reload())
        dialog.open()
        return dialog
