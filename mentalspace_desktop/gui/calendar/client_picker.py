"""Finding a client to book or enroll: type part of a name, a date of birth or a phone number and
pick from the matches, by keyboard (Up/Down, Enter) or mouse. The booking dialog and the group
forms share it."""

from __future__ import annotations

from html import escape

from mentalspace_desktop.gui.qt import (
    QEvent,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QObject,
    QSizePolicy,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.clients import ClientService, ClientSummary
from mentalspace_desktop.services.session import UserSession


class ClientPicker(QWidget):
    """Type part of a name, a date of birth or a phone number; pick from the matches (Enter or click)."""

    sig_chosen = Signal(str, str)
    """A client was chosen: id, display name."""
    sig_results = Signal()
    """Matches for the typed text are on screen."""

    def __init__(self, session: UserSession, message: forms.MessageLabel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = ClientService(session)
        self.message = message
        self.client_id = ""
        self._chosen_name = ""
        self.edit = forms.labelled_edit("Client", placeholder="Type a name, date of birth or phone")
        self.results = QListWidget()
        self.results.setAccessibleName("Matching clients")
        self.results.setMaximumHeight(110)
        self.results.hide()
        self.chosen = QLabel("No client chosen yet")
        self.chosen.setAccessibleName("Chosen client")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.edit)
        layout.addWidget(self.results)
        layout.addWidget(self.chosen)
        self.setFocusProxy(self.edit)
        # as tall as its contents: a form's spare room goes to the form, not between the matches
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self.search)
        self.edit.textEdited.connect(lambda _t: self._timer.start())
        self.edit.installEventFilter(self)
        self.results.itemActivated.connect(self._picked)
        self.results.itemClicked.connect(self._picked)

    def search(self) -> None:
        text = self.edit.text().strip()
        if len(text) < 2:
            self.results.hide()
            return
        service = self.service

        def show(found: list[ClientSummary]) -> None:
            if self.edit.text().strip() != text or (self.client_id and text == self._chosen_name):
                return  # typed on since, or a client was chosen meanwhile
            self.results.clear()
            for r in found:
                item = QListWidgetItem(f"{r.display_name} · born {r.dob:%m/%d/%Y} · {r.chart_number}")
                item.setData(Qt.ItemDataRole.UserRole, (r.id, r.display_name))
                self.results.addItem(item)
            self.results.setVisible(bool(found))
            if found:
                self.results.setCurrentRow(0)
            else:
                self.chosen.setText(f"No client matches “{escape(text)}”.")
            self.sig_results.emit()

        run_in_background(self, lambda: service.search(text, limit=8), on_done=show,
                          on_error=self.message.show_exception)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """In the search field, Enter takes the highlighted match (and does not also press the
        dialog's main button); Up and Down move through the matches."""
        if watched is self.edit and event.type() == QEvent.Type.KeyPress and self.results.isVisible():
            key = event.key()  # type: ignore[attr-defined]
            item = self.results.currentItem()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and item is not None:
                self._picked(item)
                return True
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                row = self.results.currentRow() + (1 if key == Qt.Key.Key_Down else -1)
                self.results.setCurrentRow(max(0, min(self.results.count() - 1, row)))
                return True
        return super().eventFilter(watched, event)

    def _picked(self, item: QListWidgetItem) -> None:
        client_id, name = item.data(Qt.ItemDataRole.UserRole)
        self.choose(client_id, name)

    def show_chosen(self, client_id: str, name: str) -> None:
        """Show ``name`` as the chosen client (without announcing it)."""
        self._timer.stop()  # a search typed before the choice would show the matches again
        self.client_id, self._chosen_name = client_id, name
        self.chosen.setText(f"<b>{escape(name)}</b>" if name else "No client chosen yet")
        self.edit.setText(name)
        self.results.hide()

    def stop(self) -> None:
        """No more searches (the form closed)."""
        self._timer.stop()

    def choose(self, client_id: str, name: str) -> None:
        self.show_chosen(client_id, name)
        self.sig_chosen.emit(client_id, name)
