"""A client's reminders in their chart: consent per channel (when and how it was given; a STOP shown
with its date), the preferred channel and language, and every reminder and reply, newest first.

A text goes only with SMS consent on record, so recording consent always asks how it was given.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mentalspace_desktop.domain.roles import Action, Resource, allows_any
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.localtime import format_date, format_datetime, start_of_day, to_local
from mentalspace_desktop.gui.qt import (
    QComboBox,
    QDate,
    QDateEdit,
    QDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.reminders.history import HistoryTable
from mentalspace_desktop.gui.reminders.models import channel_label
from mentalspace_desktop.gui.reminders.template_editor import LANGUAGES
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.workers import Task, run_in_background
from mentalspace_desktop.services.reminders.desk import CONSENT_CHANNELS, ConsentView, ReminderDeskService
from mentalspace_desktop.services.session import UserSession

SOURCES = ("Intake form", "Verbal, in person", "Verbal, by phone", "Client portal", "Written request")
PREFERRED = (("", "Not set (the practice's rule)"), ("sms", "Text message"), ("email", "E-mail"),
             ("voice", "Voice call"), ("none", "No reminders"))


def consent_words(view: ConsentView, channel: str) -> tuple[str, str]:
    """(what the chart says about ``channel``, its tone): given on a date and how, STOP received, or none."""
    if channel == "sms" and view.sms_opted_out_at is not None:
        return f"Opted out: STOP received on {format_date(to_local(view.sms_opted_out_at).date())}", "danger"
    given, at, source = {"sms": (view.sms, view.sms_at, view.sms_source),
                         "email": (view.email, view.email_at, view.email_source),
                         "voice": (view.voice, view.voice_at, view.voice_source)}[channel]
    if given and at is not None:
        return f"Consent given {format_date(to_local(at).date())}" + (f" ({source})" if source else ""), "good"
    if given:
        return "Allowed (no date on record)", "muted"
    return "No consent on record" + (": no texts are sent" if channel == "sms" else ""), "muted"


class RecordConsentDialog(QDialog):
    """Record that the client consented to one channel: the date and how (the source is required)."""

    sig_recorded = Signal()
    """The consent was saved."""

    def __init__(self, service: ReminderDeskService, client_id: str, channel: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.client_id, self.channel = service, client_id, channel
        title = f"Record {channel_label(channel).lower()} consent"
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.source = QComboBox()
        self.source.setEditable(True)
        self.source.addItems(("", *SOURCES))
        self.source.setAccessibleName("How the client gave consent")
        line = self.source.lineEdit()
        if line is not None:
            line.setPlaceholderText("How the client gave consent")
        self.date = QDateEdit(QDate.currentDate())
        self.date.setCalendarPopup(True)
        self.date.setMaximumDate(QDate.currentDate())
        self.date.setDisplayFormat("MM/dd/yyyy")
        self.date.setAccessibleName("Date consent was given")
        note = QLabel("Texts go only to clients whose consent is on record. Giving consent again clears an earlier "
                      "STOP." if channel == "sms" else "Reminders by this channel go from now on.")
        note.setWordWrap(True)
        note.setProperty("role", "hint")
        self.message = forms.MessageLabel()
        self.save_button = forms.primary(QPushButton("&Record consent"))
        self.save_button.clicked.connect(self.save)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        form = QFormLayout()
        for text, widget in (("&How it was given:", self.source), ("&Date:", self.date)):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.message)
        layout.addLayout(forms.button_row(cancel, self.save_button))
        self.resize(460, 220)

    def save(self) -> Task | None:
        source = self.source.currentText().strip()
        if not source:
            forms.set_invalid(self.source, True)
            self.message.show_error("Say how the client gave consent (e.g. intake form, by phone).")
            self.source.setFocus()
            return None
        d = self.date.date()
        day = datetime(d.year(), d.month(), d.day()).date()
        at = datetime.now(UTC) if day == to_local(datetime.now(UTC)).date() else start_of_day(day)
        service, client_id, channel = self.service, self.client_id, self.channel

        def done(_r: object) -> None:
            self.sig_recorded.emit()
            self.accept()

        return run_in_background(self, lambda: service.record_consent(client_id, channel,  # type: ignore[arg-type]
                                                                      granted=True, source=source, at=at),
                                 on_done=done, on_error=self.message.show_exception)


class ClientRemindersPane(QWidget):
    """The chart's Reminders tab."""

    sig_loaded = Signal()
    """Consent, preferences and history of the client were read."""

    def __init__(self, session: UserSession, bridge: EventBridge | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.service = ReminderDeskService(session)
        self.client_id = ""
        self.can_edit = False
        self.reads_schedule = allows_any(session.actor.role, Resource.SCHEDULE, Action.READ)
        self.consent: ConsentView | None = None
        self.dialog: RecordConsentDialog | None = None
        self.status: dict[str, QLabel] = {}
        self.record_buttons: dict[str, QPushButton] = {}
        self.withdraw_buttons: dict[str, QPushButton] = {}
        consent_box = QGroupBox("Consent and preferences for reminders")
        grid = QGridLayout(consent_box)
        grid.setColumnStretch(1, 1)
        for row, channel in enumerate(CONSENT_CHANNELS):
            name = QLabel(channel_label(channel) + ":")
            status = QLabel()
            status.setWordWrap(True)
            status.setAccessibleName(f"{channel_label(channel)} consent")
            record = QPushButton("Record consent…")
            record.setAccessibleName(f"Record {channel_label(channel).lower()} consent")
            withdraw = QPushButton("Withdraw")
            withdraw.setAccessibleName(f"Withdraw {channel_label(channel).lower()} consent")
            record.clicked.connect(lambda _c=False, ch=channel: self.record(ch))
            withdraw.clicked.connect(lambda _c=False, ch=channel: self.withdraw(ch))
            grid.addWidget(name, row, 0)
            grid.addWidget(status, row, 1)
            grid.addWidget(record, row, 2)
            grid.addWidget(withdraw, row, 3)
            self.status[channel], self.record_buttons[channel], self.withdraw_buttons[channel] = \
                status, record, withdraw
        self.preferred = QComboBox()
        self.preferred.setAccessibleName("Preferred channel")
        for key, text in PREFERRED:
            self.preferred.addItem(text, key)
        self.language = QComboBox()
        self.language.setEditable(True)
        self.language.addItems(("", *LANGUAGES))
        self.language.setAccessibleName("Reminder language")
        line = self.language.lineEdit()
        if line is not None:
            line.setPlaceholderText("As the client's preferred language")
        self.save_prefs = QPushButton("&Save preferences")
        self.save_prefs.setAccessibleName("Save reminder preferences")
        self.save_prefs.clicked.connect(self.save_preferences)
        for row, (text, widget) in enumerate((("Preferred c&hannel:", self.preferred), ("Lan&guage:", self.language)),
                                             start=len(CONSENT_CHANNELS)):
            label = QLabel(text)
            label.setBuddy(widget)
            grid.addWidget(label, row, 0)
            grid.addWidget(widget, row, 1)
        grid.addWidget(self.save_prefs, len(CONSENT_CHANNELS) + 1, 2, 1, 2)
        self.message = forms.MessageLabel()
        self.history = HistoryTable("The client's reminder history", "No reminders or replies for this client yet.",
                                    with_text=False)
        history_title = QLabel("Reminders and replies")
        history_title.setObjectName("sectionTitle")
        layout = QVBoxLayout(self)
        layout.addWidget(consent_box)
        layout.addWidget(self.message)
        layout.addWidget(history_title)
        layout.addWidget(self.history, 1)
        history_title.setVisible(self.reads_schedule)
        self.history.setVisible(self.reads_schedule)
        if bridge is not None:
            bridge.sig_messages_did_change.connect(self._messages_changed)

    def _messages_changed(self, client_id: str) -> None:
        if self.client_id and client_id in (self.client_id, ""):
            self.reload()

    def show_client(self, client_id: str, *, can_edit: bool) -> None:
        self.client_id, self.can_edit = client_id, can_edit
        self.message.clear_message()
        self.reload()

    def reload(self) -> Task | None:
        if not self.client_id:
            return None
        service, client_id, history = self.service, self.client_id, self.reads_schedule

        def read() -> tuple[ConsentView, list]:
            return service.consent(client_id), service.client_history(client_id) if history else []

        def done(result: tuple[ConsentView, list]) -> None:
            if client_id == self.client_id:
                self._show(*result)

        return run_in_background(self, read, on_done=done, on_error=self.message.show_exception)

    def _show(self, consent: ConsentView, history: list) -> None:
        self.consent = consent
        for channel in CONSENT_CHANNELS:
            words, tone_name = consent_words(consent, channel)
            label = self.status[channel]
            label.setText(words)
            label.setProperty("role", {"danger": "danger", "good": "ok"}.get(tone_name, "hint"))
            forms.repolish(label)
            given = getattr(consent, channel)
            self.record_buttons[channel].setVisible(self.can_edit)
            self.record_buttons[channel].setText("Record consent…" if not given else "Record again…")
            self.withdraw_buttons[channel].setVisible(self.can_edit and given)
        self.preferred.setCurrentIndex(max(0, self.preferred.findData(consent.preferred_channel)))
        self.language.setCurrentText(consent.language)
        for w in (self.preferred, self.language, self.save_prefs):
            w.setEnabled(self.can_edit)
        self.history.set_items(history)
        self.sig_loaded.emit()

    def record(self, channel: str) -> RecordConsentDialog:
        self.dialog = RecordConsentDialog(self.service, self.client_id, channel, self)
        self.dialog.sig_recorded.connect(
            lambda: self.message.show_ok(f"{channel_label(channel)} consent recorded."))
        self.dialog.sig_recorded.connect(self.reload)
        self.dialog.open()
        return self.dialog

    def withdraw(self, channel: str) -> Task | None:
        if not forms.ask(self, "Withdraw consent?", f"No more {channel_label(channel).lower()} reminders go to "
                         "this client until consent is recorded again.", "Withdraw"):
            return None
        service, client_id = self.service, self.client_id

        def done(_r: object) -> None:
            self.message.show_ok(f"{channel_label(channel)} consent withdrawn {format_datetime(datetime.now(UTC))}.")
            self.reload()

        return run_in_background(self, lambda: service.record_consent(client_id, channel,  # type: ignore[arg-type]
                                                                      granted=False, source="Withdrawn at the desk"),
                                 on_done=done, on_error=self.message.show_exception)

    def save_preferences(self) -> Task:
        service, client_id = self.service, self.client_id
        channel, language = self.preferred.currentData(), self.language.currentText().strip()

        def done(_r: object) -> None:
            self.message.show_ok("Reminder preferences saved.")

        return run_in_background(self, lambda: service.set_preferences(client_id, channel=channel, language=language),
                                 on_done=done, on_error=self.message.show_exception)
