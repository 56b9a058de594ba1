"""The dialog around :class:`ClientForm` that registers a new client or saves an edited one."""

from __future__ import annotations

from mentalspace_desktop.domain.clients import format_phone
from mentalspace_desktop.errors import ValidationError
from mentalspace_desktop.gui.clients.common import muted
from mentalspace_desktop.gui.clients.form import PHONE_KEYS, ClientForm
from mentalspace_desktop.gui.errors import show_error
from mentalspace_desktop.gui.qt import (
    QCloseEvent,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.workers import Task, run_in_background
from mentalspace_desktop.services.clients import ClientService, display_name
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.models import Client


class ClientEditDialog(QDialog):
    """Register (``client`` is None) or edit a client; saving runs off the UI thread."""

    sig_saved = Signal(str)
    """The record was saved: the client's id. The dialog closes right after."""
    sig_save_failed = Signal(object)
    """Saving was refused or failed: the exception (already shown to the user)."""

    def __init__(
        self, session: UserSession, client: Client | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = ClientService(session)
        self._client_id = client.id if client else None
        self.saved_client: Client | None = None
        self._task: Task | None = None
        title = f"Edit client — {display_name(client)}" if client else "Register client"
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.resize(980, 720)
        self.setMinimumSize(760, 480)

        self.form = ClientForm(
            clinicians=self._service.clinicians(),
            role=session.actor.role,
            user_id=session.actor.user_id,
            today=self._service.today,
            parent=self,
        )
        if client is not None:
            self.form.load(client)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.form)
        self._scroll = scroll

        heading = QLabel(title, self)
        heading.setObjectName("dialogTitle")
        heading.setStyleSheet("font-size: 17px; font-weight: 600;")
        required = QLabel("Fields marked * are required.", self)
        muted(required)
        self.save_button = QPushButton("&Save" if client else "&Register", self)
        self.save_button.setDefault(True)
        self.save_button.setAccessibleName("Save client" if client else "Register client")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setAutoDefault(False)
        buttons = QHBoxLayout()
        buttons.addWidget(required)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.addWidget(heading)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        first = self.form.inputs["first_name"]
        assert isinstance(first, QLineEdit)
        first.setFocus()

    # -- saving ------------------------------------------------------------------------------

    def has_unsaved_changes(self) -> bool:
        return self.form.has_unsaved_changes()

    def save(self) -> None:
        if self._task is not None:
            return  # already saving
        data, local = self.form.to_input()
        service, client_id = self._service, self._client_id
        self.save_button.setEnabled(False)
        self.save_button.setText("Saving…")

        def work() -> Client:
            return service.register(data) if client_id is None else service.update(client_id, data)

        self._task = run_in_background(
            self, work, on_done=self._saved, on_error=lambda exc: self._failed(exc, local)
        )

    def _restore_button(self) -> None:
        self._task = None
        self.save_button.setEnabled(True)
        self.save_button.setText("&Save" if self._client_id else "&Register")

    def _saved(self, client: Client) -> None:
        self._restore_button()
        self.saved_client = client
        self._client_id = client.id
        for key in PHONE_KEYS:  # show what was stored: (404) 555-0123, not whatever was typed
            edit = self.form.inputs[key]
            if isinstance(edit, QLineEdit):
                edit.setText(format_phone(getattr(client, key)))
        self.form.show_errors({})
        self.form.mark_saved()
        self.sig_saved.emit(client.id)
        self.accept()

    def _failed(self, exc: BaseException, local: dict[str, str]) -> None:
        self._restore_button()
        if isinstance(exc, ValidationError):
            self.form.show_errors({**exc.fields, **local})
            focused = self.focusWidget()
            if focused is not None and self.form.isAncestorOf(focused):
                self._scroll.ensureWidgetVisible(focused, 50, 80)
        elif local:
            self.form.show_errors(local)
            show_error(self, exc)
        else:
            show_error(self, exc)
        self.sig_save_failed.emit(exc)

    # -- closing -----------------------------------------------------------------------------

    def confirm_discard(self) -> bool:
        """Ask before throwing typed work away. Tests replace this to answer without a modal box."""
        answer = QMessageBox.question(
            self,
            "Discard changes?",
            "This client has changes that are not saved. Close and lose them?",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard

    def reject(self) -> None:
        if self.has_unsaved_changes() and not self.confirm_discard():
            return
        self.form.mark_saved()  # the user chose to drop the edits
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.has_unsaved_changes() and not self.confirm_discard():
            event.ignore()
            return
        self.form.mark_saved()
        super().closeEvent(event)
