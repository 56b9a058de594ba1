"""The template editor: the words of one language, channel and kind, placeholders inserted from a menu,
every problem shown beside the field that has it, and a live preview of the exact text (and, for a
text message, how many SMS parts it takes) as the administrator types.

The check and the preview are the service's own (``check_template``, ``sample``), run in the
background a moment after the last key press; an answer older than the text on screen is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from mentalspace_desktop.domain.reminders.templates import PLACEHOLDERS, TemplateKind
from mentalspace_desktop.gui.qt import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    Qt,
    QTimer,
    QToolButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.reminders.models import KIND_LABELS, channel_label
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.workers import Task, run_in_background
from mentalspace_desktop.services.reminders.settings import (
    ReminderSettingsService,
    Sample,
    TemplateInput,
    TemplateView,
)
from mentalspace_desktop.services.reminders.views import template_problems

LANGUAGES = ("English", "Spanish", "Vietnamese", "Korean", "Chinese", "Haitian Creole", "Arabic")


@dataclass(frozen=True)
class Checked:
    """The service's answer for the text on screen: problems by field, and the sample when there are none."""

    problems: dict[str, list[str]]
    sample: Sample | None


def _field_error() -> QLabel:
    label = QLabel()
    label.setProperty("role", "fieldError")
    label.setWordWrap(True)
    label.hide()
    return label


class TemplateEditor(QWidget):
    sig_saved = Signal(str)
    """A template was saved (its id) or removed (empty)."""
    sig_checked = Signal()
    """The check and preview of the text on screen arrived."""

    def __init__(self, service: ReminderSettingsService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.template_id: str | None = None
        self.valid = False
        self._serial = 0
        self._loading = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self.check)

        self.language = QComboBox()
        self.language.setEditable(True)
        self.language.addItems(LANGUAGES)
        self.language.setAccessibleName("Language")
        self.channel = QComboBox()
        self.channel.setAccessibleName("Channel")
        for name in ("sms", "email", "voice"):
            self.channel.addItem(channel_label(name), name)
        self.kind = QComboBox()
        self.kind.setAccessibleName("Kind of message")
        for kind in TemplateKind:
            self.kind.addItem(KIND_LABELS.get(kind.value, kind.value), kind.value)
        self.subject = forms.labelled_edit("Subject", placeholder="E-mail subject")
        self.subject_error = _field_error()
        self.subject_error.setAccessibleName("Problems with the subject")
        self.body = QPlainTextEdit()
        self.body.setAccessibleName("Message text")
        self.body.setTabChangesFocus(True)
        self.body.setMinimumHeight(110)
        self.body_error = _field_error()
        self.body_error.setAccessibleName("Problems with the text")
        self.insert_button = QToolButton()
        self.insert_button.setText("&Insert placeholder")
        self.insert_button.setAccessibleName("Insert placeholder")
        self.insert_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.insert_menu = QMenu(self.insert_button)
        for name, description in PLACEHOLDERS.items():
            action = self.insert_menu.addAction(f"{{{name}}} — {description}")
            action.triggered.connect(lambda _c=False, n=name: self.insert_placeholder(n))
        self.insert_button.setMenu(self.insert_menu)
        self.allow_last_name = QCheckBox("Allow the client's &last name")
        self.allow_last_name.setAccessibleName("Allow the client's last name")
        self.allow_last_name.setToolTip("Off by default: a reminder says as little as it can.")

        self.preview_subject = QLabel()
        self.preview_subject.setAccessibleName("Preview subject")
        self.preview_subject.setWordWrap(True)
        self.preview_text = QLabel()
        self.preview_text.setObjectName("card")  # framed: the message as the client's phone shows it
        self.preview_text.setMargin(10)
        self.preview_text.setAccessibleName("Preview of the exact text")
        self.preview_text.setWordWrap(True)
        self.preview_text.setTextFormat(Qt.TextFormat.PlainText)
        self.preview_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview_text.setMinimumHeight(60)
        self.preview_text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.segments = QLabel()
        self.segments.setAccessibleName("Text message parts")
        self.segments.setProperty("role", "hint")
        self.message = forms.MessageLabel()
        self.save_button = forms.primary(QPushButton("&Save template"))
        self.save_button.setAccessibleName("Save the template")
        self.save_button.setEnabled(False)
        self.remove_button = QPushButton("Use the &built-in words")
        self.remove_button.setAccessibleName("Remove the practice's template and use the built-in words")
        self.save_button.clicked.connect(self.save)
        self.remove_button.clicked.connect(self.remove)
        self._build()
        for signal in (self.subject.textChanged, self.body.textChanged, self.allow_last_name.toggled):
            signal.connect(lambda *_a: self._edited())
        for box in (self.channel, self.kind):
            box.currentIndexChanged.connect(lambda *_a: self._choice_changed())
        self.language.currentTextChanged.connect(lambda *_a: self._choice_changed())
        self.new_template()

    def _build(self) -> None:
        form = QFormLayout()
        form.setSpacing(8)
        for combo in (self.language, self.channel, self.kind):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(6)
        which = QHBoxLayout()
        which.addWidget(self.language, 1)
        which.addWidget(self.channel, 1)
        which.addWidget(self.kind, 1)
        label = QLabel("&For:")
        label.setBuddy(self.language)
        form.addRow(label, which)
        subject_col = QVBoxLayout()
        subject_col.setSpacing(2)
        subject_col.addWidget(self.subject)
        subject_col.addWidget(self.subject_error)
        self.subject_label = QLabel("S&ubject:")
        self.subject_label.setBuddy(self.subject)
        form.addRow(self.subject_label, subject_col)
        body_col = QVBoxLayout()
        body_col.setSpacing(2)
        tools = QHBoxLayout()
        tools.addWidget(self.insert_button)
        tools.addWidget(self.allow_last_name)
        tools.addStretch(1)
        body_col.addWidget(self.body)
        body_col.addWidget(self.body_error)
        body_col.addLayout(tools)
        body_label = QLabel("&Text:")
        body_label.setBuddy(self.body)
        form.addRow(body_label, body_col)
        self.title = QLabel()
        self.title.setObjectName("sectionTitle")
        preview_title = QLabel("Preview (sample client, your practice's name and phone)")
        preview_title.setObjectName("sectionTitle")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.title)
        layout.addLayout(form)
        layout.addWidget(preview_title)
        layout.addWidget(self.preview_subject)
        layout.addWidget(self.preview_text)
        layout.addWidget(self.segments)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addLayout(forms.button_row(self.remove_button, self.save_button))

    # -- what is on screen -----------------------------------------------------------------------

    def data(self) -> TemplateInput:
        channel = self.channel.currentData()
        return TemplateInput(language=self.language.currentText().strip() or "English", channel=channel,
                             body=self.body.toPlainText(), kind=TemplateKind(self.kind.currentData()),
                             subject=self.subject.text() if channel == "email" else "",
                             allow_last_name=self.allow_last_name.isChecked())

    def _set(self, language: str, channel: str, kind: str, subject: str, body: str, allow_last_name: bool) -> None:
        self._loading = True
        try:
            self.language.setCurrentText(language)
            self.channel.setCurrentIndex(max(0, self.channel.findData(channel)))
            self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
            self.subject.setText(subject)
            self.body.setPlainText(body)
            self.allow_last_name.setChecked(allow_last_name)
        finally:
            self._loading = False
        self._channel_shown()
        self.message.clear_message()
        self._edited()

    def show_template(self, view: TemplateView) -> None:
        """Edit one of the practice's own templates."""
        self.template_id = view.id
        self._set(view.language, view.channel, view.kind, view.subject, view.body, view.allow_last_name)
        self.remove_button.setVisible(True)
        self.title.setText(f"The practice's {view.language} {channel_label(view.channel).lower()} template")

    def new_template(self, *, language: str = "English", channel: str = "sms",
                     kind: TemplateKind = TemplateKind.REMINDER) -> None:
        """Start from the words in use for this language, channel and kind (the built-in ones)."""
        self.template_id = None
        self._set(language, channel, kind.value, "", "", False)
        self._load_effective()

    def _choice_changed(self) -> None:
        if self._loading:
            return
        self._channel_shown()
        if self.template_id is None:
            self._load_effective()
        else:
            self._edited()

    def _channel_shown(self) -> None:
        email = self.channel.currentData() == "email"
        self.subject.setVisible(email)
        self.subject_label.setVisible(email)
        self.preview_subject.setVisible(email and bool(self.preview_subject.text()))
        if not email:
            self.subject_error.hide()

    def _load_effective(self) -> None:
        """A new template begins with the words a client would get today, for the administrator to adapt."""
        data = self.data()
        service = self.service
        self.remove_button.setVisible(False)
        self.title.setText(f"New {data.language} {channel_label(data.channel).lower()} template")
        self._serial += 1
        serial = self._serial

        def loaded(found: tuple[str, str] | None) -> None:
            if serial != self._serial or self.template_id is not None:
                return
            self._loading = True
            try:
                self.subject.setText(found[0] if found else "")
                self.body.setPlainText(found[1] if found else "")
            finally:
                self._loading = False
            self._edited()

        run_in_background(self, lambda: service.effective_template(data.language, data.channel, data.kind),
                          on_done=loaded, on_error=self.message.show_exception)

    def insert_placeholder(self, name: str) -> None:
        """Type ``{name}`` where the cursor is in the text (the menu's action)."""
        self.body.insertPlainText(f"{{{name}}}")
        self.body.setFocus()

    # -- checking and preview ----------------------------------------------------------------------

    def _edited(self) -> None:
        if self._loading:
            return
        self.valid = False
        self.save_button.setEnabled(False)
        self._timer.start()

    def check(self) -> Task:
        """Ask the service what is wrong with the text on screen, and for its sample when nothing is."""
        data, service = self.data(), self.service
        self._serial += 1
        serial = self._serial

        def work() -> Checked:
            problems = template_problems(service, data)
            ok = not any(problems.values())
            return Checked(problems, service.sample(data) if ok else None)

        def done(result: Checked) -> None:
            if serial == self._serial:
                self._show(result)

        def failed(exc: BaseException) -> None:
            if serial == self._serial:
                self.message.show_exception(exc)

        return run_in_background(self, work, on_done=done, on_error=failed)

    def _show(self, result: Checked) -> None:
        for field, label, widget in (("body", self.body_error, self.body), ("subject", self.subject_error,
                                                                             self.subject)):
            problems = result.problems.get(field, [])
            label.setText("\n".join(f"• {p}" for p in problems))
            label.setAccessibleDescription(label.text())
            label.setVisible(bool(problems) and not widget.isHidden())
            forms.set_invalid(widget, bool(problems))
        sample = result.sample
        self.valid = sample is not None
        self.save_button.setEnabled(self.valid)
        if sample is None:
            self.preview_subject.setText("")
            self.preview_subject.hide()
            self.preview_text.setText("The preview appears when the problems above are fixed.")
            self.preview_text.setProperty("role", "hint")
            self.segments.setText("")
        else:
            self.preview_subject.setText(f"Subject: {sample.subject}" if sample.subject else "")
            self.preview_subject.setVisible(bool(sample.subject))
            self.preview_text.setText(sample.text)
            self.preview_text.setProperty("role", "")
            n = len(sample.text)
            self.segments.setText(f"{n} characters · {sample.segments} text message part"
                                  f"{'s' if sample.segments != 1 else ''} (each part is charged)"
                                  if sample.segments else f"{n} characters")
        forms.repolish(self.preview_text)
        self.sig_checked.emit()

    # -- saving ------------------------------------------------------------------------------------

    def save(self) -> Task | None:
        if not self.valid:
            return None
        data, service, template_id = self.data(), self.service, self.template_id

        def done(saved: str) -> None:
            self.template_id = saved
            self.remove_button.setVisible(True)
            self.message.show_ok("Template saved. Reminders not yet sent use it.")
            self.sig_saved.emit(saved)

        return run_in_background(self, lambda: service.save_template(data, template_id=template_id),
                                 on_done=done, on_error=self.message.show_exception)

    def remove(self) -> Task | None:
        if self.template_id is None or not forms.ask(
                self, "Use the built-in words?", "The practice's own words for this language, channel and kind "
                "are removed; the built-in template applies again.", "Remove"):
            return None
        service, template_id = self.service, self.template_id

        def done(_r: object) -> None:
            self.new_template(language=self.language.currentText(), channel=self.channel.currentData(),
                              kind=TemplateKind(self.kind.currentData()))
            self.message.show_ok("The built-in words apply again.")
            self.sig_saved.emit("")

        return run_in_background(self, lambda: service.remove_template(template_id), on_done=done,
                                 on_error=self.message.show_exception)
