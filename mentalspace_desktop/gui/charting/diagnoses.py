"""The ICD-10-CM picker: type a code or words, pick a billable code, add it to the problem list."""

from __future__ import annotations

from mentalspace_desktop.gui.clients.common import DATE_HINT, date_edit, muted, parse_date
from mentalspace_desktop.gui.qt import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.widgets.forms import MessageLabel, button_row, empty_state, primary
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.charting.diagnoses import DiagnosisService
from mentalspace_desktop.services.charting.icd10 import IcdIndex, icd_index


class DiagnosisDialog(QDialog):
    sig_added = Signal(str)
    """A diagnosis was added: its id."""

    def __init__(self, service: DiagnosisService, client_id: str, *, note_id: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.client_id, self.note_id = service, client_id, note_id
        self.index: IcdIndex | None = None
        self.setWindowTitle("Add a diagnosis")
        self.setAccessibleName("Add a diagnosis")
        self.resize(760, 560)
        layout = QVBoxLayout(self)
        self.query = QLineEdit(self)
        self.query.setAccessibleName("Search ICD-10-CM codes")
        self.query.setPlaceholderText("Code or words, e.g. F41.1, “gen anx”, ptsd")
        find = QLabel("&Search ICD-10-CM:", self)
        find.setBuddy(self.query)
        layout.addWidget(find)
        layout.addWidget(self.query)
        self.results = QListWidget(self)
        self.results.setAccessibleName("Matching codes")
        self.empty = empty_state(self.results, "Type a code or words above: the matching codes show here.")
        layout.addWidget(self.results, 1)
        self.count = muted(QLabel("Loading the code set…", self))
        layout.addWidget(self.count)
        form = QFormLayout()
        self.onset = date_edit("Onset date", self)
        self.primary = QCheckBox("&Primary diagnosis", self)
        self.notes = QPlainTextEdit(self)
        self.notes.setAccessibleName("Clinical notes on this diagnosis")
        self.notes.setFixedHeight(70)
        self.notes.setTabChangesFocus(True)
        form.addRow(f"&Onset ({DATE_HINT}):", self.onset)
        form.addRow("", self.primary)
        form.addRow("&Notes:", self.notes)
        layout.addLayout(form)
        self.message = MessageLabel(self)
        layout.addWidget(self.message)
        self.add_button = primary(QPushButton("&Add to this note" if note_id else "&Add to problem list", self))
        if note_id:  # said where it goes: the note, and the problem list unless the code is there already
            self.setWindowTitle("Add a diagnosis to this note")
            self.count.setToolTip("A code not yet on the problem list is added to it too.")
        cancel = QPushButton("Cancel", self)
        cancel.clicked.connect(self.reject)
        self.add_button.clicked.connect(self.add)
        layout.addLayout(button_row(cancel, self.add_button))
        self.query.textChanged.connect(self.search)
        self.results.itemDoubleClicked.connect(lambda _i: self.add())
        run_in_background(self, icd_index, on_done=self._index_ready, on_error=self.message.show_exception)

    def _index_ready(self, index: IcdIndex) -> None:
        self.index = index
        self.count.setText(f"{len(index):,} billable codes, searched on this computer.")
        self.search(self.query.text())

    def search(self, text: str) -> None:
        """Per keystroke, on the UI thread: the index answers in about a millisecond."""
        if self.index is None:
            return
        self.results.clear()
        hits = self.index.search(text, limit=100)
        for c in hits:
            item = QListWidgetItem(f"{c.code}   {c.description}")
            item.setData(Qt.ItemDataRole.UserRole, c.code)
            self.results.addItem(item)
        if hits:
            self.results.setCurrentRow(0)
        self.empty.setText(f"No billable code matches “{text.strip()}”." if text.strip() else
                           "Type a code or words above: the matching codes show here.")
        self.empty.update_visibility()
        if text.strip():
            more = "+" if len(hits) == 100 else ""
            self.count.setText(f"{len(hits)}{more} matching code{'' if len(hits) == 1 else 's'}.")

    def add(self) -> None:
        item = self.results.currentItem()
        code = item.data(Qt.ItemDataRole.UserRole) if item else self.query.text()
        raw = self.onset.text().strip()
        onset = parse_date(raw, self.service.today()) if raw else None
        if raw and onset is None:
            self.message.show_error(f"Type the onset date as {DATE_HINT}.")
            return
        service, client_id, notes, primary_dx, note_id = (self.service, self.client_id, self.notes.toPlainText(),
                                                          self.primary.isChecked(), self.note_id)
        run_in_background(self, lambda: service.add(client_id, code, onset_on=onset, notes=notes,
                                                    is_primary=primary_dx, note_id=note_id),
                          on_done=self._added, on_error=self.message.show_exception)

    def _added(self, diagnosis_id: str) -> None:
        self.sig_added.emit(diagnosis_id)
        self.accept()
