"""Practice settings: the name staff see everywhere, the time zone, and how soon idle screens lock."""

from __future__ import annotations

from typing import Any

from mentalspace_desktop.gui.qt import (
    QComboBox,
    QFormLayout,
    QFrame,
    QLabel,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.widgets.forms import (
    MessageLabel,
    button_row,
    labelled_edit,
    page_header,
    primary,
)
from mentalspace_desktop.gui.workers import Task, run_in_background
from mentalspace_desktop.services.accounts import PracticeService

IDLE_CHOICES = (1, 2, 5, 10, 15, 20, 30, 45, 60)


class PracticeSettingsPage(QWidget):
    sig_saved = Signal()
    """The settings were saved."""

    def __init__(self, session: Any, bridge: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from mentalspace_desktop.gui.auth.first_run import time_zones

        self.service = PracticeService(session)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 18)
        layout.setSpacing(12)
        layout.addWidget(
            page_header("Practice settings", "These apply to everyone who signs in on this store.")
        )
        card = QFrame()
        card.setObjectName("card")
        card.setMaximumWidth(640)
        form = QFormLayout(card)
        form.setContentsMargins(20, 18, 20, 18)
        form.setSpacing(12)
        self.name = labelled_edit("Practice name")
        self.zone = QComboBox()
        self.zone.setAccessibleName("Time zone")
        self.zone.setEditable(True)
        self.zone.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        completer = self.zone.completer()
        assert completer is not None
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self._zones = time_zones()
        self.zone.addItems(self._zones)
        self.idle = QComboBox()
        self.idle.setAccessibleName("Idle lock minutes")
        for minutes in IDLE_CHOICES:
            self.idle.addItem(f"{minutes} minute{'s' if minutes > 1 else ''}", minutes)
        form.addRow("Practice &name:", self.name)
        form.addRow("&Time zone:", self.zone)
        form.addRow("&Lock idle screens after:", self.idle)
        note = QLabel(
            "Screens lock after this long without keyboard or mouse use. HIPAA guidance favours "
            "15 minutes or less on shared workstations."
        )
        note.setProperty("role", "hint")
        note.setWordWrap(True)
        form.addRow("", note)
        layout.addWidget(card)
        self.message = MessageLabel()
        self.message.setMaximumWidth(640)
        layout.addWidget(self.message)
        self.save_button = primary(QPushButton("Save settings"))
        self.save_button.clicked.connect(self.save)
        row = button_row(self.save_button, stretch_first=False)
        layout.addLayout(row)
        from mentalspace_desktop.gui.charting.assistant import AssistantSettingsCard
        from mentalspace_desktop.services.charting.assistant import DraftingAssistant

        self.assistant_card = AssistantSettingsCard(DraftingAssistant(session), self)
        layout.addWidget(self.assistant_card)
        layout.addStretch(1)
        bridge.sig_practice_did_change.connect(self.load)
        self.load()

    def load(self) -> None:
        """A single row: read directly."""
        practice = self.service.practice()
        self.name.setText(practice.name)
        self.zone.setCurrentText(practice.time_zone)
        minutes = practice.idle_lock_minutes
        if self.idle.findData(minutes) < 0:  # a value set elsewhere (e.g. the command line) stays choosable
            self.idle.addItem(f"{minutes} minutes", minutes)
        self.idle.setCurrentIndex(self.idle.findData(minutes))

    def save(self) -> Task | None:
        name, zone, minutes = self.name.text().strip(), self.zone.currentText(), int(self.idle.currentData())
        if not name:
            self.message.show_error("Enter the practice's name.")
            return None
        if zone not in self._zones:
            self.message.show_error("Choose a time zone from the list.")
            return None
        return run_in_background(
            self,
            lambda: self.service.update(name=name, time_zone=zone, idle_lock_minutes=minutes),
            on_done=self._saved,
            on_error=self.message.show_exception,
        )

    def _saved(self, _r: object) -> None:
        self.message.show_ok("Settings saved.")
        self.sig_saved.emit()
