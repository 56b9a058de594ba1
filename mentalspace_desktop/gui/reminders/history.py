"""An appointment's reminders, in its detail dialog: what was sent, when, by which channel, what became
of it (the provider's error when it failed) and what the client answered; and "Preview reminders",
each coming message exactly as it will be sent, with its due time or why it will not go."""

from __future__ import annotations

from html import escape

from mentalspace_desktop.domain.reminders.timing import describe_offset
from mentalspace_desktop.gui.localtime import format_datetime
from mentalspace_desktop.gui.qt import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.reminders.models import STATE_LABELS, HistoryModel, channel_label
from mentalspace_desktop.gui.reminders.settings_page import table
from mentalspace_desktop.gui.theme import tone
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.workers import Task, run_in_background
from mentalspace_desktop.services.reminders.desk import HistoryItem, PreviewItem, ReminderDeskService
from mentalspace_desktop.services.reminders.views import appointment_history
from mentalspace_desktop.services.session import UserSession


class HistoryTable(QWidget):
    """Messages and replies, newest first, with the selected row's whole text (and error) beneath.
    ``with_text``: the text has its own column too (where there is room: the chart)."""

    def __init__(self, name: str, empty: str, parent: QWidget | None = None, *, with_text: bool = True) -> None:
        super().__init__(parent)
        self.model = HistoryModel(self)
        self.view = table(name, self.model)
        self.view.setColumnHidden(HistoryModel.TEXT, not with_text)
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)
        stretch = HistoryModel.TEXT if with_text else HistoryModel.TEXT - 1
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)  # long cells shorten, whole on hover
        forms.empty_state(self.view, empty)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setAccessibleName("The selected message")
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._chosen())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.detail)

    def set_items(self, items: list[HistoryItem]) -> None:
        self.model.set_rows(items)
        if items:
            self.view.selectRow(0)
        self._chosen()

    def _chosen(self) -> None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            self.detail.setText("")
            self.detail.hide()
            return
        item = self.model.row(rows[0].row())
        head = f"{'Sent' if item.direction == 'out' else 'Received'} {format_datetime(item.at)}"
        error = f"Why: {item.error}" if item.error else ""
        self.detail.setText("\n".join(x for x in (head, item.text, error) if x))
        self.detail.show()


class AppointmentReminders(QWidget):
    """The Reminders section of the appointment dialog."""

    sig_loaded = Signal()
    """The history was read."""

    def __init__(self, session: UserSession, appointment_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.appointment_id = appointment_id
        self.service = ReminderDeskService(session)
        self.history = HistoryTable("Reminder history", "No reminder sent for this appointment yet.", self,
                                    with_text=False)
        self.history.view.setMinimumHeight(90)
        self.history.view.setMaximumHeight(130)
        self.preview_button = QPushButton("Pre&view reminders…")
        self.preview_button.setAccessibleName("Preview reminders")
        self.preview_button.setToolTip("Each reminder this appointment will get, exactly as it will be sent")
        self.preview_button.clicked.connect(self.open_preview)
        self.message = forms.MessageLabel()
        title = QLabel("Reminders")
        title.setObjectName("sectionTitle")
        head = QHBoxLayout()
        head.addWidget(title)
        head.addStretch(1)
        head.addWidget(self.preview_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 10)  # apart from the dialog's next section
        layout.addLayout(head)
        layout.addWidget(self.history, 1)
        layout.addWidget(self.message)
        self.dialog: ReminderPreviewDialog | None = None
        self.reload()

    def reload(self) -> Task:
        service, appointment_id = self.service, self.appointment_id

        def done(items: list[HistoryItem]) -> None:
            self.history.set_items(items)
            self.sig_loaded.emit()

        return run_in_background(self, lambda: appointment_history(service, appointment_id), on_done=done,
                                 on_error=self.message.show_exception)

    def open_preview(self) -> ReminderPreviewDialog:
        self.dialog = ReminderPreviewDialog(self.session, self.appointment_id, self)
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog.open()
        return self.dialog


def _preview_html(p: PreviewItem) -> str:
    when = (f"{describe_offset(p.offset_minutes)} before · due {format_datetime(p.due_at)}"
            if p.due_at else f"{describe_offset(p.offset_minutes)} before")
    if p.moved_by_quiet_hours:
        when += " (moved to the end of the client's quiet hours)"
    head = f"<b>{escape(channel_label(p.channel))}</b> · {escape(when)}"
    if p.already:
        state = STATE_LABELS.get(p.already, p.already).lower()
        head += f" · <span style='color:{tone('info')}'>already {escape(state)}</span>"
    parts = [head]
    if p.blocked:
        parts.append(f"<span style='color:{tone('danger')}'><b>Will not be sent:</b> "
                     f"{escape('; '.join(p.blocked))}</span>")
    if p.subject:
        parts.append(f"<b>Subject:</b> {escape(p.subject)}")
    if p.text:
        parts.append(escape(p.text).replace("\n", "<br>"))
    return "<br>".join(parts)


class ReminderPreviewDialog(QDialog):
    """Every reminder the rules give one appointment, exactly as it would be sent."""

    sig_loaded = Signal()
    """The preview is on screen."""

    def __init__(self, session: UserSession, appointment_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preview reminders")
        self.setAccessibleName("Preview reminders")
        self.resize(640, 560)
        self.service = ReminderDeskService(session)
        self.items: list[PreviewItem] = []
        self.intro = QLabel("Reading the reminder rules…")
        self.intro.setWordWrap(True)
        self.body = QWidget()
        self.column = QVBoxLayout(self.body)
        self.column.setSpacing(12)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.body)
        scroll.setAccessibleName("The reminders")
        close = forms.primary(QPushButton("Close"))
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(scroll, 1)
        layout.addLayout(forms.button_row(close))
        run_in_background(self, lambda: self.service.preview(appointment_id), on_done=self._show,
                          on_error=lambda exc: self.intro.setText(forms_message(exc)))

    def _show(self, items: list[PreviewItem]) -> None:
        self.items = items
        self.intro.setText(preview_summary(items))
        for p in items:
            card = QLabel(_preview_html(p))
            card.setObjectName("card")
            card.setTextFormat(Qt.TextFormat.RichText)
            card.setWordWrap(True)
            card.setMargin(10)
            card.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            card.setAccessibleName(f"{channel_label(p.channel)} {describe_offset(p.offset_minutes)} before")
            self.column.addWidget(card)
        self.column.addStretch(1)
        self.sig_loaded.emit()


def preview_summary(items: list[PreviewItem]) -> str:
    """One line over the preview: how many reminders, how many went already, to go, and will not go."""
    if not items:
        return "No reminder rule covers this appointment: it gets no reminders."
    done = sum(1 for p in items if p.already)
    blocked = sum(1 for p in items if p.blocked and not p.already)
    to_go = len(items) - done - blocked
    parts = [f"{len(items)} reminder{'s' if len(items) != 1 else ''} for this appointment"]
    parts += [f"{done} sent or tried already"] if done else []
    parts += [f"{to_go} still to go"] if to_go else []
    parts += [f"{blocked} will not go"] if blocked else []
    return ": ".join([parts[0], ", ".join(parts[1:])]) + ". Each is shown exactly as the client gets it."


def forms_message(exc: BaseException) -> str:
    from mentalspace_desktop.gui.errors import user_message

    return user_message(exc)[1]
