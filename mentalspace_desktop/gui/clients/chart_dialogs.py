"""Small dialogs the chart opens: recording a consent and changing a client's status."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from mentalspace_desktop.domain.clients import CONSENT_LABELS, ClientStatus, ConsentKind
from mentalspace_desktop.errors import ValidationError
from mentalspace_desktop.gui.clients.common import FieldBox, date_edit, format_date, parse_date, plain_label
from mentalspace_desktop.gui.errors import show_error
from mentalspace_desktop.gui.qt import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.workers import Task, run_in_background
from mentalspace_desktop.services.clients import ClientService
from mentalspace_desktop.services.session import UserSession


class _ServiceDialog(QDialog):
    """A dialog whose OK runs one service call off the UI thread and shows refusals next to fields."""

    sig_saved = Signal(str)
    """The change was saved: the client's id."""
    sig_save_failed = Signal(object)
    """The change was refused: the exception (already shown)."""

    def __init__(self, session: UserSession, client_id: str, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.service = ClientService(session)
        self.client_id = client_id
        self.boxes: dict[str, FieldBox] = {}
        self._task: Task | None = None
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setMinimumWidth(460)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(18, 14, 18, 14)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.layout_.addLayout(self.form)
        self.buttons = QDialogButtonBox(self)
        self.ok_button = QPushButton("&Save", self)
        self.ok_button.setDefault(True)
        self.buttons.addButton(self.ok_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

    def finish_layout(self) -> None:
        self.layout_.addStretch(1)
        self.layout_.addWidget(self.buttons)

    def add_field(self, key: str, label: str, widget: QWidget) -> QWidget:
        caption = QLabel(label, self)
        caption.setBuddy(widget)
        widget.setAccessibleName(plain_label(label))
        box = FieldBox(widget, self)
        self.form.addRow(caption, box)
        self.boxes[key] = box
        return widget

    def show_errors(self, fields: dict[str, str]) -> None:
        for key, box in self.boxes.items():
            box.set_error(fields.get(key))
        first = next((k for k in self.boxes if k in fields), None)
        if first:
            self.boxes[first].target.setFocus()

    def error_for(self, key: str) -> str:
        box = self.boxes[key]
        return box.error.text() if box.error.isVisibleTo(self) else ""

    def run(self, work: Callable[[], Any], local: dict[str, str]) -> None:
        if local:
            self.show_errors(local)
            self.sig_save_failed.emit(ValidationError(local))
            return
        if self._task is not None:
            return
        self.ok_button.setEnabled(False)
        self._task = run_in_background(self, work, on_done=self._done, on_error=self._failed)

    def _done(self, _result: object) -> None:
        self._task = None
        self.ok_button.setEnabled(True)
        self.sig_saved.emit(self.client_id)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._task = None
        self.ok_button.setEnabled(True)
        if isinstance(exc, ValidationError) and set(exc.fields) <= set(self.boxes):
            self.show_errors(exc.fields)
        else:
            show_error(self, exc)
        self.sig_save_failed.emit(exc)

    def submit(self) -> None:
        raise NotImplementedError


def _date_or_error(
    edit: QLineEdit, key: str, today: date, errors: dict[str, str], *, required: bool
) -> date | None:
    text = edit.text().strip()
    if not text:
        if required:
            errors[key] = "Enter the date as MM/DD/YYYY."
        return None
    value = parse_date(text, today)
    if value is None:
        errors[key] = "Enter the date as MM/DD/YYYY, such as 03/14/2025."
    return value


class RecordConsentDialog(_ServiceDialog):
    """Record a signed consent form; releases of information name who may receive records."""

    def __init__(
        self,
        session: UserSession,
        client_id: str,
        *,
        kind: ConsentKind | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(session, client_id, "Record consent", parent)
        self.kind = QComboBox(self)
        for k, label in CONSENT_LABELS.items():
            self.kind.addItem(label, k)
        if kind is not None:
            self.kind.setCurrentIndex(self.kind.findData(kind))
        self.add_field("kind", "&Consent", self.kind)
        self.signed_on = date_edit("Signed on", self)
        self.signed_on.setText(format_date(self.service.today()))
        self.add_field("signed_on", "Si&gned on *", self.signed_on)
        self.expires_on = date_edit("Expires on", self)
        self.expires_on.setPlaceholderText("MM/DD/YYYY (optional)")
        self.expires_on.setMaximumWidth(190)
        self.add_field("expires_on", "&Expires on", self.expires_on)
        self.recipient = QLineEdit(self)
        self.recipient.setPlaceholderText("Who may receive the records")
        self.add_field("recipient", "&Recipient", self.recipient)
        self.signed_by = QLineEdit(self)
        self.signed_by.setPlaceholderText("Client, or the guardian's name")
        self.add_field("signed_by", "Signed &by", self.signed_by)
        self.finish_layout()
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()
        self.kind.setFocus()

    def _kind_changed(self) -> None:
        release = self.kind.currentData() == ConsentKind.RELEASE_OF_INFORMATION
        self.recipient.setEnabled(release)
        self.recipient.setPlaceholderText("Who may receive the records" if release else "Only for releases")

    def submit(self) -> None:
        today = self.service.today()
        errors: dict[str, str] = {}
        signed = _date_or_error(self.signed_on, "signed_on", today, errors, required=True)
        expires = _date_or_error(self.expires_on, "expires_on", today, errors, required=False)
        kind = ConsentKind(self.kind.currentData())
        recipient = self.recipient.text() if kind is ConsentKind.RELEASE_OF_INFORMATION else None
        service, client_id, signed_by = self.service, self.client_id, self.signed_by.text()
        if signed is None:  # the field's message is already in ``errors``
            self.run(lambda: None, errors)
            return
        self.run(
            lambda: service.add_consent(
                client_id,
                kind,
                signed_on=signed,
                expires_on=expires,
                recipient=recipient,
                signed_by=signed_by,
            ),
            errors,
        )


STATUS_CHOICES = (
    (ClientStatus.ACTIVE, "&Active", "In care; appears in schedules and caseloads."),
    (ClientStatus.INACTIVE, "&Inactive", "On a break; the record stays open."),
    (ClientStatus.DISCHARGED, "&Discharged", "Care has ended, on the date below."),
)


class StatusDialog(_ServiceDialog):
    """Set a client active, inactive, or discharged on a given date."""

    def __init__(
        self, session: UserSession, client_id: str, current: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, client_id, "Change status", parent)
        self.group = QButtonGroup(self)
        self.radios: dict[ClientStatus, QRadioButton] = {}
        column = QVBoxLayout()
        for status, label, note in STATUS_CHOICES:
            radio = QRadioButton(label, self)  # the explanation wraps underneath, never cut off
            radio.setAccessibleName(plain_label(label))
            radio.setAccessibleDescription(note)
            radio.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
            explained = QLabel(note, self)
            explained.setWordWrap(True)
            explained.setProperty("role", "hint")
            explained.setContentsMargins(26, 0, 0, 4)
            self.group.addButton(radio)
            self.radios[status] = radio
            column.addWidget(radio)
            column.addWidget(explained)
        self.radios.get(ClientStatus(current), self.radios[ClientStatus.ACTIVE]).setChecked(True)
        self.form.addRow(QLabel("Status:", self), _wrap(column, self))
        self.discharged_on = date_edit("Discharge date", self)
        self.discharged_on.setText(format_date(self.service.today()))
        self.add_field("discharged_on", "Discharge da&te", self.discharged_on)
        self.finish_layout()
        self.group.buttonToggled.connect(lambda *_: self._toggled())
        self._toggled()

    def _toggled(self) -> None:
        self.discharged_on.setEnabled(self.radios[ClientStatus.DISCHARGED].isChecked())

    def chosen(self) -> ClientStatus:
        return next(s for s, r in self.radios.items() if r.isChecked())

    def choose(self, status: ClientStatus) -> None:
        self.radios[status].setChecked(True)

    def submit(self) -> None:
        status = self.chosen()
        errors: dict[str, str] = {}
        on = None
        if status is ClientStatus.DISCHARGED:
            on = _date_or_error(
                self.discharged_on, "discharged_on", self.service.today(), errors, required=True
            )
            if on is not None and on > self.service.today():
                errors["discharged_on"] = "The discharge date is in the future."
        service, client_id = self.service, self.client_id
        self.run(lambda: service.set_status(client_id, status, on=on), errors)


def _wrap(layout: QVBoxLayout, parent: QWidget) -> QWidget:
    holder = QWidget(parent)
    layout.setContentsMargins(0, 0, 0, 0)
    holder.setLayout(layout)
    return holder
