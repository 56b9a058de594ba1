"""Messaging settings (administrators): the e-mail server and the Twilio account reminders go out through.

Two cards side by side, each with its own Save and its own "Send a test…" that reports, in words,
what the server or Twilio answered. Secrets are write-only: a saved password or auth token shows as
"set" and stays unless something new is typed. In practice mode everything is read, saved and tested
on the hub (which sends the reminders); in solo mode in this workstation's encrypted store. Every
call runs in a worker: a mail server or a hub may take seconds to answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mentalspace_desktop.gui.qt import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.widgets.forms import MessageLabel, button_row, labelled_edit, page_header, set_invalid
from mentalspace_desktop.gui.workers import Task, run_in_background
from mentalspace_desktop.services.messaging_settings import (
    MessagingSettingsService,
    MessagingView,
    SmtpInput,
    TestResult,
    TwilioInput,
)

SET = "set — type a new one to replace it"
NOT_SET = "not set"


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "hint")
    label.setWordWrap(True)
    return label


class _Card(QFrame):
    """A form with its Save button, a message line, and a test row; it tracks unsaved changes."""

    sig_saved = Signal()
    """The settings of this card were saved."""

    save_button: QPushButton
    test_to: QLineEdit
    test_button: QPushButton

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.form = QFormLayout(self)
        self.form.setContentsMargins(20, 18, 20, 18)
        self.form.setSpacing(10)
        heading = QLabel(f"<b>{title}</b>")
        heading.setAccessibleName(title)
        self.form.addRow(heading)
        self.message = MessageLabel(self)
        self.dirty = False
        self.loaded = False

    def watch(self, *edits: QLineEdit | QSpinBox | QCheckBox) -> None:
        for edit in edits:
            if isinstance(edit, QLineEdit):
                edit.textChanged.connect(self._changed)
            elif isinstance(edit, QSpinBox):
                edit.valueChanged.connect(self._changed)
            else:
                edit.toggled.connect(self._changed)

    def _changed(self, *_args: object) -> None:
        if self.loaded:
            self.dirty = True

    def add_actions(self, save: QPushButton, test_label: str, test_edit: QLineEdit, test: QPushButton) -> None:
        self.form.addRow("", button_row(save, stretch_first=False))
        self.form.addRow(test_label, test_edit)
        self.form.addRow("", button_row(test, stretch_first=False))
        self.form.addRow("", self.message)

    def present(self, view: MessagingView) -> None:
        """Show the saved settings (secrets only as set or not set)."""
        raise NotImplementedError


class SmtpCard(_Card):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("E-mail (SMTP)", parent)
        self.host = labelled_edit("E-mail server", placeholder="smtp.office365.com")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(587)
        self.port.setAccessibleName("E-mail server port")
        self.username = labelled_edit("E-mail user name", placeholder="frontdesk@riverside.example")
        self.password = labelled_edit("E-mail password", password=True, placeholder=NOT_SET)
        self.sender_edit = labelled_edit("Sender", placeholder="Riverside Counseling <frontdesk@riverside.example>")
        self.starttls = QCheckBox("Encrypt with S&TARTTLS")
        self.starttls.setChecked(True)
        self.starttls.setAccessibleName("Encrypt with STARTTLS")
        self.form.addRow("&Server:", self.host)
        self.form.addRow("P&ort:", self.port)
        self.form.addRow("&User name:", self.username)
        self.form.addRow("Pass&word:", self.password)
        self.form.addRow("Sen&der:", self.sender_edit)
        self.form.addRow("", self.starttls)
        self.form.addRow("", _hint("Reminders and weekly reports come from the sender's address. Use your mail "
                                   "provider's SMTP relay (port 587, encrypted); only a server on this computer "
                                   "may go without encryption."))
        self.save_button = QPushButton("Save e-mail settings")
        self.test_to = labelled_edit("Send a test e-mail to", placeholder="you@riverside.example")
        self.test_button = QPushButton("Send a test e-mail")
        self.add_actions(self.save_button, "Test &e-mail to:", self.test_to, self.test_button)
        self.watch(self.host, self.port, self.username, self.password, self.sender_edit, self.starttls)

    def present(self, view: MessagingView) -> None:
        self.loaded = False
        smtp = view.smtp
        if smtp is not None:
            self.host.setText(smtp.host)
            self.port.setValue(smtp.port)
            self.username.setText(smtp.username)
            self.sender_edit.setText(smtp.sender)
            self.starttls.setChecked(smtp.starttls)
        self.password.clear()
        self.password.setPlaceholderText(SET if smtp is not None and smtp.password_set else NOT_SET)
        self.loaded, self.dirty = True, False

    def value(self) -> SmtpInput:
        return SmtpInput(host=self.host.text(), port=self.port.value(), username=self.username.text(),
                         password=self.password.text() or None, sender=self.sender_edit.text(),
                         starttls=self.starttls.isChecked())


class TwilioCard(_Card):
    def __init__(self, on_hub: bool, parent: QWidget | None = None) -> None:
        super().__init__("Text messages and calls (Twilio)", parent)
        self.on_hub = on_hub
        self.account_sid = labelled_edit("Twilio account SID", placeholder="AC followed by 32 letters and digits")
        self.auth_token = labelled_edit("Twilio auth token", password=True, placeholder=NOT_SET)
        self.from_number = labelled_edit("Sending number", placeholder="+1 404 555 0100")
        self.webhook_base = labelled_edit("Hub's public address", placeholder="https://hub.riverside.example")
        self.form.addRow("&Account SID:", self.account_sid)
        self.form.addRow("Auth to&ken:", self.auth_token)
        self.form.addRow("Sending &number:", self.from_number)
        if on_hub:
            self.form.addRow("Hub's public add&ress:", self.webhook_base)
            self.form.addRow("", _hint("Where Twilio reaches the hub from the internet: delivery reports, replies "
                                       "(Y, C, STOP) and key presses arrive there, signed by Twilio."))
        else:
            self.form.addRow("", _hint("Without a practice hub, Twilio cannot reach this workstation, so while the "
                                       "app is open it asks Twilio every minute for replies (Y, C, STOP) and "
                                       "delivery reports. Key presses on reminder calls cannot be asked for: "
                                       "clients who want to answer a call must text or phone the practice."))
        self.save_button = QPushButton("Save text and voice settings")
        self.test_to = labelled_edit("Send a test text to", placeholder="+1 404 555 0123")
        self.test_button = QPushButton("Send a test text")
        self.add_actions(self.save_button, "Test te&xt to:", self.test_to, self.test_button)
        self.watch(self.account_sid, self.auth_token, self.from_number, self.webhook_base)

    def present(self, view: MessagingView) -> None:
        self.loaded = False
        twilio = view.twilio
        if twilio is not None:
            self.account_sid.setText(twilio.account_sid)
            self.from_number.setText(twilio.from_number)
            self.webhook_base.setText(twilio.webhook_base)
        self.auth_token.clear()
        self.auth_token.setPlaceholderText(SET if twilio is not None and twilio.auth_token_set else NOT_SET)
        self.loaded, self.dirty = True, False

    def value(self) -> TwilioInput:
        return TwilioInput(account_sid=self.account_sid.text(), auth_token=self.auth_token.text() or None,
                           from_number=self.from_number.text(),
                           webhook_base=self.webhook_base.text() if self.on_hub else "")


class MessagingSettingsPage(QWidget):
    """The administrator's messaging settings; ``client`` is the store's hub client in practice mode."""

    sig_loaded = Signal()
    """The settings were read (from the hub or the store) and shown."""

    def __init__(self, session: Any, client: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = MessagingSettingsService(session, client)
        on_hub = self.service.on_hub
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 18)
        layout.setSpacing(12)
        where = ("Kept on the practice hub, which sends every reminder; passwords never leave it."
                 if on_hub else
                 "Kept in this workstation's encrypted store: reminders go out while MentalSpace is open here.")
        layout.addWidget(page_header("Messaging settings", "How appointment reminders and report e-mails are "
                                                           "sent. " + where))
        self.status = MessageLabel(self)
        layout.addWidget(self.status)
        cards = QHBoxLayout()
        cards.setSpacing(16)
        self.smtp = SmtpCard(self)
        self.twilio = TwilioCard(on_hub, self)
        for card in (self.smtp, self.twilio):
            # Equal halves whatever their texts: a long sender address must not squeeze the other card.
            card.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Maximum)
            card.setMinimumWidth(380)
            cards.addWidget(card, 1, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(cards)
        layout.addStretch(1)
        self.smtp.save_button.clicked.connect(self.save_smtp)
        self.twilio.save_button.clicked.connect(self.save_twilio)
        self.smtp.test_button.clicked.connect(self.test_email)
        self.twilio.test_button.clicked.connect(self.test_text)
        self.smtp.test_to.returnPressed.connect(self.test_email)
        self.twilio.test_to.returnPressed.connect(self.test_text)
        self._set_enabled(False)
        self.load()

    def _set_enabled(self, enabled: bool) -> None:
        self.smtp.setEnabled(enabled)
        self.twilio.setEnabled(enabled)

    def load(self) -> Task:
        self.status.show_hint("Reading the settings from the hub…" if self.service.on_hub else "Reading the settings…")
        return run_in_background(self, self.service.view, on_done=self._loaded, on_error=self._load_failed)

    def _loaded(self, view: MessagingView) -> None:
        self.smtp.present(view)
        self.twilio.present(view)
        if view.problem:
            self.status.show_error(view.problem)
        else:
            self.status.clear_message()
        self._set_enabled(True)
        self.sig_loaded.emit()

    def _load_failed(self, exc: BaseException) -> None:
        self.status.show_exception(exc)

    def _run(self, card: _Card, busy: QPushButton, fn: Callable[[], Any], done: Callable[[Any], None]) -> Task:
        card.message.show_hint("Working…")
        busy.setEnabled(False)

        def finished(result: Any) -> None:
            busy.setEnabled(True)
            done(result)

        def failed(exc: BaseException) -> None:
            busy.setEnabled(True)
            card.message.show_exception(exc)

        return run_in_background(self, fn, on_done=finished, on_error=failed)

    def _saved(self, card: _Card, what: str) -> Callable[[MessagingView], None]:
        def done(view: MessagingView) -> None:
            card.present(view)
            card.message.show_ok(f"{what} saved.")
            card.sig_saved.emit()
        return done

    def save_smtp(self) -> Task:
        value = self.smtp.value()
        return self._run(self.smtp, self.smtp.save_button, lambda: self.service.save_smtp(value),
                         self._saved(self.smtp, "E-mail settings"))

    def save_twilio(self) -> Task:
        value = self.twilio.value()
        return self._run(self.twilio, self.twilio.save_button, lambda: self.service.save_twilio(value),
                         self._saved(self.twilio, "Text and voice settings"))

    def _test(self, card: _Card, to: str, what: str, fn: Callable[[str], TestResult]) -> Task | None:
        set_invalid(card.test_to, False)
        if card.dirty:
            card.message.show_error("Save your changes first: the test uses the saved settings.")
            return None
        if not to.strip():
            set_invalid(card.test_to, True)
            card.message.show_error(f"Enter where to send the test {what}.")
            card.test_to.setFocus()
            return None

        def done(result: TestResult) -> None:
            (card.message.show_ok if result.ok else card.message.show_error)(result.message)

        return self._run(card, card.test_button, lambda: fn(to.strip()), done)

    def test_email(self) -> Task | None:
        return self._test(self.smtp, self.smtp.test_to.text(), "e-mail", self.service.test_email)

    def test_text(self) -> Task | None:
        return self._test(self.twilio, self.twilio.test_to.text(), "text", self.service.test_text)
