"""The drafting assistant's two faces: the clinician's bullet-points prompt (with the notice that the
text leaves this computer) and the administrator's settings card."""

from __future__ import annotations

from mentalspace_desktop.gui.qt import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QFrame,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.widgets.forms import MessageLabel, button_row, labelled_edit, primary
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.charting.assistant import DraftingAssistant


class DraftDialog(QDialog):
    """Bullet points in, proposed field texts out (``sig_drafted``); the editor puts them in the draft."""

    sig_drafted = Signal(dict)
    """The assistant's proposal: {field key: text}."""

    def __init__(self, assistant: DraftingAssistant, note_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.assistant, self.note_id = assistant, note_id
        host = assistant.settings().host
        self.setWindowTitle("Draft from bullet points")
        self.setAccessibleName("Draft from bullet points")
        self.resize(640, 460)
        layout = QVBoxLayout(self)
        notice = QLabel(f"<b>The text below leaves this computer.</b> It is sent to the drafting assistant at "
                        f"<b>{host}</b>, which writes a draft for you to check and edit. Leave out names and "
                        "other identifiers. Nothing is signed or saved until you do it.")
        notice.setWordWrap(True)
        notice.setObjectName("assistantNotice")
        notice.setAccessibleName("Notice: the text leaves this computer")
        layout.addWidget(notice)
        self.bullets = QPlainTextEdit(self)
        self.bullets.setAccessibleName("Session bullet points")
        self.bullets.setPlaceholderText("- slept better, 6 h most nights\n- GAD-7 9 (was 13)\n- practised breathing\n"
                                        "- plan: continue weekly CBT")
        self.bullets.setTabChangesFocus(True)
        caption = QLabel("Session &bullet points:", self)
        caption.setBuddy(self.bullets)
        layout.addWidget(caption)
        layout.addWidget(self.bullets, 1)
        self.message = MessageLabel(self)
        layout.addWidget(self.message)
        self.send = primary(QPushButton("&Send and draft", self))
        cancel = QPushButton("Cancel", self)
        cancel.clicked.connect(self.reject)
        self.send.clicked.connect(self.submit)
        layout.addLayout(button_row(cancel, self.send))

    def submit(self) -> None:
        text, assistant, note_id = self.bullets.toPlainText(), self.assistant, self.note_id
        self.send.setEnabled(False)
        self.message.show_hint("Waiting for the assistant…")
        run_in_background(self, lambda: assistant.draft(note_id, text), on_done=self._done, on_error=self._failed)

    def _done(self, proposal: dict[str, str]) -> None:
        self.sig_drafted.emit(proposal)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.send.setEnabled(True)
        self.message.show_exception(exc)


class AssistantSettingsCard(QFrame):
    """Practice settings: the drafting assistant, off unless an administrator turns it on."""

    def __init__(self, assistant: DraftingAssistant, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.assistant = assistant
        self.setObjectName("card")
        self.setMaximumWidth(640)
        form = QFormLayout(self)
        form.setContentsMargins(20, 18, 20, 18)
        self.enabled = QCheckBox("Offer the &drafting assistant in the note editor", self)
        self.url = labelled_edit("Assistant endpoint", placeholder="https://llm.example.org/v1")
        self.model = labelled_edit("Assistant model")
        self.key = labelled_edit("Assistant API key", password=True, placeholder="kept in this computer's keyring")
        form.addRow(QLabel("<b>Drafting assistant</b>"))
        form.addRow("", self.enabled)
        form.addRow("&Endpoint (OpenAI-compatible):", self.url)
        form.addRow("&Model:", self.model)
        form.addRow("API &key:", self.key)
        note = QLabel("When on, clinicians may send session bullet points to this endpoint to get a draft; the "
                      "editor tells them the text leaves the computer. Use only an endpoint your practice has a "
                      "business associate agreement with.")
        note.setProperty("role", "hint")
        note.setWordWrap(True)
        form.addRow("", note)
        self.message = MessageLabel(self)
        form.addRow("", self.message)
        self.save_button = QPushButton("Save assistant settings", self)
        self.save_button.clicked.connect(self.save)
        form.addRow("", button_row(self.save_button, stretch_first=False))
        s = assistant.settings()
        self.enabled.setChecked(s.enabled)
        self.url.setText(s.url)
        self.model.setText(s.model)

    def save(self) -> None:
        enabled, url, model = self.enabled.isChecked(), self.url.text(), self.model.text()
        key = self.key.text() or None
        run_in_background(self, lambda: self.assistant.save_settings(enabled=enabled, url=url, model=model,
                                                                     api_key=key),
                          on_done=lambda _r: self.message.show_ok("Assistant settings saved."),
                          on_error=self.message.show_exception)
