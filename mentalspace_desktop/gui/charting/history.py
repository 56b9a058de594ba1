"""A note's version history and the difference between any two versions."""

from __future__ import annotations

from html import escape

from mentalspace_desktop.domain.charting.diff import FieldDiff, LineChange
from mentalspace_desktop.gui.charting.models import VersionsModel
from mentalspace_desktop.gui.qt import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QEvent,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    Qt,
    QTableView,
    QTextEdit,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from mentalspace_desktop.gui.theme import tone
from mentalspace_desktop.gui.widgets.forms import MessageLabel, button_row
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.charting.notes import NoteService, VersionInfo


def diff_html(diffs: list[FieldDiff]) -> str:
    if not diffs:
        return "<p>These two versions are the same.</p>"
    added, removed = tone("diff_added"), tone("diff_removed")
    parts = []
    for d in diffs:
        parts.append(f"<h4>{escape(d.label)}</h4>")
        for tag, text in d.lines:
            if tag is LineChange.ADDED:
                parts.append(f'<div style="background:{added}">+ {escape(text) or "&nbsp;"}</div>')
            elif tag is LineChange.REMOVED:
                parts.append(f'<div style="background:{removed}; text-decoration: line-through">'
                             f'− {escape(text) or "&nbsp;"}</div>')
            else:
                parts.append(f"<div>&nbsp;&nbsp;{escape(text)}</div>")
    return "".join(parts)


class HistoryDialog(QDialog):
    def __init__(self, service: NoteService, note_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.note_id = service, note_id
        self.setWindowTitle("Note history")
        self.setAccessibleName("Note history")
        self.resize(1120, 620)
        self._diffs: list[FieldDiff] | None = None
        layout = QVBoxLayout(self)
        self.model = VersionsModel(self)
        self.table = QTableView(self)
        self.table.setAccessibleName("Saved versions")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        picker = QHBoxLayout()
        self.older = QComboBox(self)
        self.older.setAccessibleName("Compare from version")
        self.newer = QComboBox(self)
        self.newer.setAccessibleName("Compare to version")
        from_label, to_label = QLabel("Compare &version", self), QLabel("&with", self)
        from_label.setBuddy(self.older)
        to_label.setBuddy(self.newer)
        for combo in (self.older, self.newer):
            combo.setMinimumWidth(210)
        for w in (from_label, self.older, to_label, self.newer):
            picker.addWidget(w)
        picker.addStretch(1)
        self.diff_view = QTextEdit(self)
        self.diff_view.setReadOnly(True)
        self.diff_view.setAccessibleName("Differences")
        self.message = MessageLabel(self)
        left = QWidget(self)
        col = QVBoxLayout(left)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(QLabel("Every saved version of this note:"))
        col.addWidget(self.table)
        right = QWidget(self)
        col2 = QVBoxLayout(right)
        col2.setContentsMargins(0, 0, 0, 0)
        col2.addLayout(picker)
        col2.addWidget(self.diff_view, 1)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([480, 620])  # the versions' columns in full beside the two choosers
        layout.addWidget(split, 1)
        layout.addWidget(self.message)
        close = QPushButton("Close", self)
        close.clicked.connect(self.accept)
        layout.addLayout(button_row(close))
        self.older.currentIndexChanged.connect(self.compare)
        self.newer.currentIndexChanged.connect(self.compare)
        run_in_background(self, lambda: service.history(note_id), on_done=self._loaded,
                          on_error=self.message.show_exception)

    def _loaded(self, versions: list[VersionInfo]) -> None:
        self.model.set_rows(versions)
        for combo in (self.older, self.newer):
            combo.blockSignals(True)
            combo.clear()
            for v in versions:
                combo.addItem(f"{v.number} — {self.model.cell(v, 1, Qt.ItemDataRole.DisplayRole)}", v.number)
            combo.blockSignals(False)
        if len(versions) >= 2:
            self.older.setCurrentIndex(len(versions) - 2)
            self.newer.setCurrentIndex(len(versions) - 1)
        self.compare()

    def _show_diff(self, diffs: list[FieldDiff]) -> None:
        self._diffs = diffs
        self.diff_view.setHtml(diff_html(diffs))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        """A theme change redraws the differences in the new theme's colours (they are HTML, drawn once)."""
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange) and self._diffs is not None:
            QTimer.singleShot(0, self._redraw)  # once the theme switch is complete (is_dark() follows it)
        super().changeEvent(event)

    def _redraw(self) -> None:
        if self._diffs is not None:
            self.diff_view.setHtml(diff_html(self._diffs))

    def compare(self) -> None:
        a, b = self.older.currentData(), self.newer.currentData()
        if a is None or b is None:
            self.diff_view.setHtml("<p>Only one version has been saved so far.</p>")
            return
        lo, hi = min(a, b), max(a, b)
        run_in_background(self, lambda: self.service.diff(self.note_id, lo, hi),
                          on_done=self._show_diff,
                          on_error=self.message.show_exception)
