"""The note editor: template fields, autosave, signing, and the signed note with its addenda.

Autosave: a change starts a 3-second timer (not restarted by further typing, so steady typing saves
every 3 seconds), and leaving a field, the window losing focus (the idle lock covering it, another
window) and closing all save at once. Saves run off the UI thread, one at a time; the indicator says
what is stored. A crash loses at most the last 3 seconds; the idle lock only covers the window, so
the text on screen stays, and it is saved as the lock takes focus.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from pathlib import Path

from mentalspace_desktop.domain.charting.lifecycle import NoteStatus
from mentalspace_desktop.domain.charting.templates import FieldKind, FieldSpec
from mentalspace_desktop.gui.charting.assistant import DraftDialog
from mentalspace_desktop.gui.charting.diagnoses import DiagnosisDialog
from mentalspace_desktop.gui.charting.history import HistoryDialog
from mentalspace_desktop.gui.charting.sign_dialog import SignDialog
from mentalspace_desktop.gui.clients.common import Badge, format_date, muted
from mentalspace_desktop.gui.errors import show_error
from mentalspace_desktop.gui.localtime import to_local
from mentalspace_desktop.gui.qt import (
    QApplication,
    QCloseEvent,
    QComboBox,
    QDialog,
    QEvent,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.widgets.forms import MessageLabel, primary
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.charting.assistant import DraftingAssistant
from mentalspace_desktop.services.charting.diagnoses import DiagnosisService, DiagnosisView
from mentalspace_desktop.services.charting.notes import NoteLine, NoteService, NoteView

AUTOSAVE_MS = 3000
FieldWidget = QLineEdit | QPlainTextEdit | QComboBox


def _line_of(v: NoteView) -> NoteLine:
    return NoteLine(v.id, v.client_id, v.client_name, v.note_type, v.template.name, v.service_date, v.status,
                    v.author_name, 0, None, "", v.appointment_id is not None, v.addendum_to is not None)


def _fit_height(edit: QPlainTextEdit, lines: int, *, editable: bool) -> None:
    """A fixed height for a field: room for three lines and one more than written while a draft (the
    style sheet's minimum height would otherwise let a long form squeeze every box to one line), and
    exactly the text once signed (a signed note reads like a document)."""
    shown = max(3, min(12, lines + 1)) if editable else max(1, min(20, lines))
    fit_lines(edit, shown)


def fit_lines(edit: QPlainTextEdit, lines: int) -> None:
    """Give ``edit`` the height of ``lines`` lines of text. Said in the widget's own style sheet: the
    theme's ``min-height`` would override a fixed height set in code, and a long form in a scroll
    area then squeezes every box to one line (the sheet adds its padding and border around this)."""
    text = lines * edit.fontMetrics().lineSpacing() + 2 * round(edit.document().documentMargin())
    edit.setStyleSheet(f"QPlainTextEdit {{ min-height: {text}px; max-height: {text}px; }}")


class NoteEditor(QDialog):
    """One note, editable while a draft (or returned), read-only once submitted or signed."""

    sig_loaded = Signal()
    """The note is on screen."""
    sig_saved = Signal(bool)
    """An autosave finished: whether anything changed."""
    sig_note_did_change = Signal(str)
    """The note was signed, co-signed, returned or amended: its id."""

    def __init__(self, session_service: NoteService, note_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.note_id = session_service, note_id
        self.view: NoteView | None = None
        self.fields: dict[str, FieldWidget] = {}
        self._dirty = False
        self._saving = False
        self.setWindowTitle("Note")
        self.setAccessibleName("Note editor")
        self.resize(1000, 720)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(AUTOSAVE_MS)
        self.timer.timeout.connect(self.save_now)

        layout = QVBoxLayout(self)
        self.title = QLabel(self)
        self.title.setStyleSheet("font-size: 18px; font-weight: 600;")
        self.meta = muted(QLabel(self))
        self.meta.setWordWrap(True)  # chart, birth date, service date and session wrap rather than widen the window
        self.status_badge = Badge("noteStatus", self)
        self.flag_badge = Badge("noteFlag", self)
        self.flag_badge.set_tone("warning")
        self.flag_badge.hide()
        self.indicator = muted(QLabel("", self))
        self.indicator.setAccessibleName("Autosave status")
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.status_badge)
        top.addWidget(self.flag_badge)
        top.addStretch(1)
        top.addWidget(self.indicator)
        layout.addLayout(top)
        layout.addWidget(self.meta)
        self.dx_line = muted(QLabel(self))
        self.dx_line.setAccessibleName("Diagnoses on this note")
        self.dx_line.setWordWrap(True)
        layout.addWidget(self.dx_line)
        self.body_area = QScrollArea(self)
        self.body_area.setWidgetResizable(True)
        self.body_area.setFrameShape(QFrame.Shape.NoFrame)
        layout.addWidget(self.body_area, 1)
        self.message = MessageLabel(self)
        layout.addWidget(self.message)
        self.buttons = QHBoxLayout()
        self.assistant = DraftingAssistant(session_service.session)
        self.assist_button = QPushButton("&Draft from bullet points…", self)
        self.assist_button.setAccessibleName("Draft from bullet points with the assistant")
        self.history_button = QPushButton("&History…", self)
        self.history_button.setAccessibleName("Version history")
        self.save_button = QPushButton("&Save", self)
        self.save_button.setAccessibleName("Save the draft now")
        self.sign_button = primary(QPushButton("Sig&n…", self))
        self.sign_button.setAccessibleName("Sign the note")
        self.addendum_button = QPushButton("Add &addendum", self)
        self.export_button = QPushButton("&Export PDF…", self)
        self.dx_button = QPushButton("Add dia&gnosis…", self)
        self.dx_button.setAccessibleName("Add a diagnosis to this note")
        self.comment_button = QPushButton("Co&mment…", self)
        self.return_button = QPushButton("&Return to author…", self)
        self.cosign_button = QPushButton("&Co-sign…", self)
        self.close_button = QPushButton("Close", self)
        # The note's tools on one line, what is done with it on the line under them (eleven buttons in
        # one row would widen the window past a laptop's screen).
        tools = QHBoxLayout()
        for b in (self.history_button, self.export_button, self.addendum_button, self.dx_button, self.assist_button):
            tools.addWidget(b)
        tools.addStretch(1)
        layout.addLayout(tools)
        self.buttons.addStretch(1)
        for b in (self.comment_button, self.return_button, self.cosign_button, self.save_button, self.sign_button,
                  self.close_button):
            self.buttons.addWidget(b)
        layout.addLayout(self.buttons)
        self.history_button.clicked.connect(self.show_history)
        self.assist_button.clicked.connect(self.draft_from_bullets)
        self.save_button.clicked.connect(lambda: self.save_now(keep_version=True))
        self.sign_button.clicked.connect(self.sign)
        self.addendum_button.clicked.connect(self.add_addendum)
        self.export_button.clicked.connect(self.export_pdf)
        self.dx_button.clicked.connect(self.add_diagnosis)
        self.comment_button.clicked.connect(self.comment)
        self.return_button.clicked.connect(self.return_note)
        self.cosign_button.clicked.connect(self.cosign)
        self.close_button.clicked.connect(self.close)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)
        self.load()

    # -- loading -----------------------------------------------------------------------------

    def load(self) -> None:
        service, note_id = self.service, self.note_id
        run_in_background(self, lambda: service.open(note_id), on_done=self._loaded,
                          on_error=lambda exc: show_error(self, exc))

    def _loaded(self, view: NoteView) -> None:
        self.view = view
        self.setWindowTitle(f"{view.template.name} — {view.client_name}")
        self.title.setText(f"{view.template.name}: {view.client_name}")
        self.meta.setText(f"Chart {view.chart_number} · DOB {format_date(view.client_dob)} · Date of service "
                          f"{format_date(view.service_date)} · Clinician {view.author_name}"
                          + (" · Needs co-signature" if view.requires_cosign else ""))
        tone = {"signed": "good", "in_review": "info", "returned": "warning"}.get(view.status.value, "muted")
        self.status_badge.show_text(view.status_label, tone)
        self.flag_badge.setVisible(bool(view.flags))
        self.flag_badge.show_text(" · ".join(view.flags))
        self.body_area.setWidget(self._body(view))
        editable = view.can_edit
        self.save_button.setVisible(editable)
        self.sign_button.setVisible(editable)
        self.assist_button.setVisible(editable and self.assistant.settings().enabled)
        self.sign_button.setText("Sig&n and send for co-signature…" if view.requires_cosign and
                                 not view.addendum_to else "Sig&n…")
        signed = view.status is NoteStatus.SIGNED
        self.addendum_button.setVisible(signed and view.addendum_to is None)
        self.export_button.setVisible(signed)
        for b in (self.comment_button, self.return_button, self.cosign_button):
            b.setVisible(view.can_cosign)
        self.indicator.setText("Draft — changes save automatically" if editable else "")
        self.dx_button.setVisible(editable and view.addendum_to is None)
        self._load_diagnoses()
        self.sig_loaded.emit()

    def _load_diagnoses(self) -> None:
        service, note_id = DiagnosisService(self.service.session), self.note_id
        run_in_background(self, lambda: service.for_note(note_id), on_done=self._show_diagnoses,
                          on_error=lambda _exc: self.dx_line.setText(""))

    def _show_diagnoses(self, found: list[DiagnosisView]) -> None:
        if self.view is not None and self.view.addendum_to:
            self.dx_line.setText("")
            return
        self.dx_line.setText("Diagnoses on this note: " + "; ".join(f"{d.code} {d.description}" for d in found)
                             if found else "No diagnosis on this note yet.")

    def add_diagnosis(self) -> DiagnosisDialog | None:
        """Pick a code for this note (it goes on the problem list too, unless it is there already)."""
        if self.view is None:
            return None
        dialog = DiagnosisDialog(DiagnosisService(self.service.session), self.view.client_id, note_id=self.note_id,
                                 parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_added.connect(lambda _id: self._load_diagnoses())
        dialog.open()
        self.dx_dialog = dialog
        return dialog

    def _body(self, view: NoteView) -> QWidget:
        body = QWidget()
        form = QFormLayout(body)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        self.fields = {}
        for spec in view.template.fields:
            widget = self._field(spec, view.content.get(spec.key, ""), view.can_edit)
            label = QLabel(f"{spec.label}{' *' if spec.required and view.can_edit else ''}")
            label.setBuddy(widget)
            label.setStyleSheet("font-weight: 600;")
            form.addRow(label, widget)
            self.fields[spec.key] = widget
        if view.status is not NoteStatus.DRAFT and view.submitted_at or view.signed_at:
            form.addRow(self._signature_block(view))
        for a in view.addenda:
            form.addRow(self._addendum_block(a))
        if view.comments:
            text = "".join(f"<p><b>{escape(c.author)}</b>, {to_local(c.at):%m/%d/%Y %I:%M %p} "
                           f"({'returned the note' if c.kind == 'return' else c.kind}):<br>{escape(c.text)}</p>"
                           for c in view.comments)
            box = QLabel(f"<h4>Supervisor comments</h4>{text}")
            box.setWordWrap(True)
            box.setAccessibleName("Supervisor comments")
            form.addRow(box)
        return body

    def _field(self, spec: FieldSpec, value: str, editable: bool) -> FieldWidget:
        widget: FieldWidget
        if spec.kind is FieldKind.CHOICE:
            widget = QComboBox()
            widget.addItem("")
            widget.addItems(list(spec.choices))
            widget.setCurrentText(value)
            widget.setEnabled(editable)
            widget.currentTextChanged.connect(self._changed)
        elif spec.kind is FieldKind.LINE:
            widget = QLineEdit(value)
            widget.setReadOnly(not editable)
            widget.setPlaceholderText(spec.hint)
            widget.textEdited.connect(self._changed)
        else:
            widget = QPlainTextEdit(value)
            widget.setReadOnly(not editable)
            widget.setPlaceholderText(spec.hint)
            widget.setTabChangesFocus(True)
            _fit_height(widget, value.count("\n") + 1 + len(value) // 120, editable=editable)
            widget.textChanged.connect(self._changed)
            if editable:  # the box grows as the clinician writes (wrapped lines counted as laid out)
                widget.textChanged.connect(lambda w=widget: _fit_height(w, int(w.document().size().height()),
                                                                        editable=True))
        widget.setAccessibleName(spec.label)
        if spec.hint:
            widget.setToolTip(spec.hint)
        return widget

    def _signature_block(self, v: NoteView) -> QLabel:
        lines = []
        if v.signed_at:
            lines.append(f"Electronically signed by <b>{escape(v.signed_by_name)}</b> on "
                         f"{to_local(v.signed_at):%m/%d/%Y at %I:%M %p}.")
        elif v.submitted_at:
            lines.append(f"Signed by {escape(v.author_name)} on {to_local(v.submitted_at):%m/%d/%Y at %I:%M %p}; "
                         "awaiting the supervisor's co-signature.")
        if v.cosigned_at:
            lines.append(f"Co-signed by <b>{escape(v.cosigned_by_name)}</b> on "
                         f"{to_local(v.cosigned_at):%m/%d/%Y at %I:%M %p}.")
        if v.content_hash:
            lines.append(f"<span style='font-family: monospace; font-size: 11px'>Content SHA-256: "
                         f"{v.content_hash}</span>")
        label = QLabel("<br>".join(lines))
        label.setObjectName("signatureBlock")
        label.setFrameShape(QFrame.Shape.StyledPanel)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setAccessibleName("Signature")
        label.setContentsMargins(8, 6, 8, 6)
        return label

    def _addendum_block(self, a: NoteView) -> QWidget:
        box = QFrame()
        box.setFrameShape(QFrame.Shape.StyledPanel)
        col = QVBoxLayout(box)
        state = (f"signed by {a.signed_by_name} on {to_local(a.signed_at):%m/%d/%Y %I:%M %p}" if a.signed_at
                 else f"draft by {a.author_name}")
        head = QLabel(f"<b>Addendum</b> — {escape(state)}")
        text = QLabel(escape(a.content.get("text", "")))
        text.setWordWrap(True)
        col.addWidget(head)
        col.addWidget(text)
        if a.content_hash and a.signed_at:
            col.addWidget(muted(QLabel(f"Content SHA-256: {a.content_hash}")))
        if a.status is not NoteStatus.SIGNED and a.author_id == self.service.session.actor.user_id:
            open_button = QPushButton("Open addendum draft")
            open_button.clicked.connect(lambda: self._open_other(a.id))
            col.addWidget(open_button, 0, Qt.AlignmentFlag.AlignLeft)
        box.setAccessibleName("Addendum")
        return box

    # -- autosave ----------------------------------------------------------------------------

    def content(self) -> dict[str, str]:
        out = {}
        for key, w in self.fields.items():
            if isinstance(w, QComboBox):
                out[key] = w.currentText()
            elif isinstance(w, QLineEdit):
                out[key] = w.text()
            else:
                out[key] = w.toPlainText()
        return out

    def _changed(self, *_: object) -> None:
        if self.view is None or not self.view.can_edit:
            return
        self._dirty = True
        self.indicator.setText("Unsaved changes…")
        if not self.timer.isActive():
            self.timer.start()

    def _focus_changed(self, old: QWidget | None, _new: QWidget | None) -> None:
        if self._dirty and old is not None and any(old is w or w.isAncestorOf(old) for w in self.fields.values()):
            self.save_now()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.ActivationChange and not self.isActiveWindow() and self._dirty:
            self.save_now()  # another window, or the idle lock, took the focus
        super().changeEvent(event)

    def has_unsaved_changes(self) -> bool:
        return self._dirty or self._saving

    def save_now(self, *, keep_version: bool = False) -> None:
        """Save in the background, one save at a time; a change made meanwhile is saved next."""
        if self.view is None or not self.view.can_edit:
            return
        if self._saving:
            self._dirty = True
            if not self.timer.isActive():
                self.timer.start()
            return
        self.timer.stop()
        content, service, note_id = self.content(), self.service, self.note_id
        self._dirty, self._saving = False, True
        self.indicator.setText("Saving…")
        run_in_background(self, lambda: service.autosave(note_id, content, keep_version=keep_version),
                          on_done=self._saved, on_error=self._save_failed)

    def _saved(self, changed: bool) -> None:
        self._saving = False
        self.indicator.setText(f"All changes saved {datetime.now().astimezone():%I:%M:%S %p}"
                               if not self._dirty else "Unsaved changes…")
        self.sig_saved.emit(changed)

    def _save_failed(self, exc: BaseException) -> None:
        self._saving = False
        self._dirty = True
        self.indicator.setText("Not saved — see the message below")
        self.message.show_exception(exc)

    def flush(self) -> None:
        """Save what is on screen now, on this thread (closing, signing): nothing typed is left behind."""
        if self.view is not None and self.view.can_edit and self._dirty and not self._saving:
            self.timer.stop()
            self.service.autosave(self.note_id, self.content(), keep_version=True)
            self._dirty = False
            self.indicator.setText(f"All changes saved {datetime.now().astimezone():%I:%M:%S %p}")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        try:
            self.flush()
        except Exception as exc:  # the text stays on screen: say why it was not saved
            self.message.show_exception(exc)
            event.ignore()
            return
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.disconnect(self._focus_changed)
        super().closeEvent(event)

    # -- actions -----------------------------------------------------------------------------

    def sign(self) -> SignDialog | None:
        if self.view is None:
            return None
        try:
            self.flush()
        except Exception as exc:
            self.message.show_exception(exc)
            return None
        service, note_id = self.service, self.note_id
        dialog = SignDialog([_line_of(self.view)], lambda secret: service.sign(note_id, secret), parent=self)
        dialog.sig_signed.connect(lambda _r: self._after_change())
        dialog.open()
        return dialog

    def cosign(self) -> SignDialog | None:
        if self.view is None:
            return None
        service, note_id = self.service, self.note_id
        dialog = SignDialog([_line_of(self.view)], lambda secret: service.cosign(note_id, secret),
                            verb="Co-sign", parent=self)
        dialog.sig_signed.connect(lambda _r: self._after_change())
        dialog.open()
        return dialog

    def _ask_text(self, title: str, label: str) -> str | None:
        text, ok = QInputDialog.getMultiLineText(self, title, label)
        return text if ok and text.strip() else None

    def return_note(self) -> None:
        text = self._ask_text("Return to author", "What should the author change?")
        if text:
            run_in_background(self, lambda: self.service.return_note(self.note_id, text),
                              on_done=lambda _r: self._after_change(), on_error=self.message.show_exception)

    def comment(self) -> None:
        text = self._ask_text("Comment", "Your comment for the author:")
        if text:
            run_in_background(self, lambda: self.service.comment(self.note_id, text),
                              on_done=lambda _r: self.load(), on_error=self.message.show_exception)

    def _after_change(self) -> None:
        self.sig_note_did_change.emit(self.note_id)
        self.load()

    def add_addendum(self) -> None:
        run_in_background(self, lambda: self.service.add_addendum(self.note_id),
                          on_done=self._addendum_started, on_error=self.message.show_exception)

    def _addendum_started(self, note_id: str) -> None:
        self._open_other(note_id)

    def _open_other(self, note_id: str) -> NoteEditor:
        editor = NoteEditor(self.service, note_id, self.parentWidget())
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.sig_note_did_change.connect(self.load)  # dropped by Qt if this editor closes first
        editor.show()
        self.addendum_editor = editor
        return editor

    def draft_from_bullets(self) -> DraftDialog:
        dialog = DraftDialog(self.assistant, self.note_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_drafted.connect(self.apply_proposal)
        dialog.open()
        return dialog

    def apply_proposal(self, proposal: dict[str, str]) -> None:
        """Put the assistant's texts in the empty fields (what the clinician typed stays) and save the draft."""
        for key, text in proposal.items():
            w = self.fields.get(key)
            if isinstance(w, QComboBox):
                if not w.currentText():
                    w.setCurrentText(text)
            elif isinstance(w, QLineEdit):
                if not w.text().strip():
                    w.setText(text)
            elif w is not None and not w.toPlainText().strip():
                w.setPlainText(text)
        self._changed()
        self.save_now()
        self.message.show_hint("The assistant's draft is in the empty fields. Check and edit it before signing.")

    def show_history(self) -> HistoryDialog:
        self.flush()
        dialog = HistoryDialog(self.service, self.note_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def export_pdf(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export note as PDF", "note.pdf", "PDF (*.pdf)")
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        from mentalspace_desktop.services.charting.export import ChartExportService

        session = self.service.session
        run_in_background(self, lambda: ChartExportService(session).export_note(self.note_id, path),
                          on_done=lambda r: self.message.show_ok(f"Saved {r.pages} page(s) to {r.path}."),
                          on_error=self.message.show_exception)
