"""My notes: the clinician's drafts, returned notes, notes awaiting co-signature and, for supervisors,
the co-sign queue — each with its age against the 7-day rule; one click (Enter) opens a note."""

from __future__ import annotations

from typing import Any

from mentalspace_desktop.domain.charting.lifecycle import Timeliness
from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.errors import MentalSpaceError
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.charting.editor import NoteEditor
from mentalspace_desktop.gui.charting.models import DueSessionsModel, NoteLinesModel, note_table
from mentalspace_desktop.gui.charting.sign_dialog import SignDialog
from mentalspace_desktop.gui.errors import show_error
from mentalspace_desktop.gui.qt import (
    QHBoxLayout,
    QLabel,
    QModelIndex,
    QPushButton,
    Qt,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.widgets.forms import page_header
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.charting.notes import DueSession, MyNotes, NoteLine, NoteService
from mentalspace_desktop.services.session import UserSession


class MyNotesPage(QWidget):
    sig_loaded = Signal()
    """The lists are filled."""

    def __init__(self, session: UserSession, bridge: EventBridge | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.service = NoteService(session)
        self.editors: list[NoteEditor] = []
        self._rows: dict[str, list[NoteLine]] = {}
        self._due: list[DueSession] = []
        self._opened_once = False
        layout = QVBoxLayout(self)
        layout.addWidget(page_header("My notes", "Notes are due within 7 days of the session. Double-click or "
                                                 "press Enter to open a note; select several to sign them at once."))
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Note lists")
        self.models: dict[str, NoteLinesModel] = {}
        self.views: dict[str, QTableView] = {}
        sections = [("drafts", "&Drafts", "No drafts: every note you started is signed."),
                    ("returned", "&Returned to me", "No notes returned to you."),
                    ("awaiting", "&Awaiting co-signature", "None of your notes is waiting for a co-signature.")]
        if session.actor.role is Role.SUPERVISOR:
            sections.append(("queue", "&Co-sign queue", "Nothing to co-sign: your supervisees' notes are all signed."))
        # Sessions held without a note come first: starting the note is the usual next step.
        self.due_model = DueSessionsModel(self)
        self.due_view = note_table("Notes due", self.due_model,
                                   empty="No session is waiting for a note: every session you held has one.")
        self.due_view.doubleClicked.connect(lambda index: self.start_from_session(self.due_model.row(index.row()).id))
        self.due_view.activated.connect(lambda index: self.start_from_session(self.due_model.row(index.row()).id))
        self.tabs.addTab(self.due_view, "Notes d&ue")
        for key, title, empty in sections:
            model = NoteLinesModel(self)
            view = note_table(title.replace("&", ""), model, multi=True, empty=empty)
            view.doubleClicked.connect(lambda index, m=model: self.open_note(m.row(index.row()).id))
            view.activated.connect(lambda index, m=model: self.open_note(m.row(index.row()).id))
            self.models[key], self.views[key] = model, view
            self.tabs.addTab(view, title)
        layout.addWidget(self.tabs, 1)
        self.summary = QLabel(self)
        self.sign_button = QPushButton("Sign &selected…", self)
        self.sign_button.setAccessibleName("Sign the selected notes")
        self.sign_button.clicked.connect(self.sign_selected)
        self.refresh_button = QPushButton("Re&fresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        row = QHBoxLayout()
        row.addWidget(self.summary, 1)
        row.addWidget(self.refresh_button)
        row.addWidget(self.sign_button)
        layout.addLayout(row)
        self.tabs.currentChanged.connect(lambda _i: self._update_buttons())
        if bridge is not None:
            bridge.sig_chart_did_change.connect(lambda *_: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        service = self.service
        run_in_background(self, service.my_notes, on_done=self._loaded, on_error=lambda e: show_error(self, e))

    def _loaded(self, mine: MyNotes) -> None:
        rows = {"drafts": mine.drafts, "returned": mine.returned, "awaiting": mine.awaiting_cosign,
                "queue": mine.cosign_queue}
        for key, model in self.models.items():
            model.set_rows(rows[key])
        self.due_model.set_rows(mine.due)
        self.tabs.setTabText(0, f"Notes d&ue ({len(mine.due)})")
        titles = {"drafts": "Drafts", "returned": "Returned to me", "awaiting": "Awaiting co-signature",
                  "queue": "Co-sign queue"}
        for i, key in enumerate(self.models, 1):
            self.tabs.setTabText(i, f"&{titles[key]} ({len(rows[key])})")
        self._rows = rows
        self._due = mine.due
        if not self._opened_once:  # open on the first list with something to do (a supervisor's queue)
            self._opened_once = True
            counts = [len(mine.due), *(len(rows[key]) for key in self.models)]
            busy = [i for i, n in enumerate(counts) if n]
            if busy and not counts[self.tabs.currentIndex()]:
                self.tabs.setCurrentIndex(busy[0])
        self._update_buttons()
        self.sig_loaded.emit()

    def select_list(self, key: str) -> None:
        """Show the list ``key`` ("due", "drafts", "returned", "awaiting" or "queue")."""
        self.tabs.setCurrentIndex(0 if key == "due" else list(self.models).index(key) + 1)

    def current_key(self) -> str:
        index = self.tabs.currentIndex()
        return "due" if index == 0 else list(self.models)[index - 1]

    def start_from_session(self, appointment_id: str) -> NoteEditor | None:
        """Start the note of a session held (linked to it), and open it."""
        try:
            note_id = self.service.start_from_appointment(appointment_id)
        except MentalSpaceError as exc:
            show_error(self, exc)
            return None
        self.refresh()
        return self.open_note(note_id)

    def _update_buttons(self) -> None:
        key = self.current_key()
        rows: list[Any] = self._due if key == "due" else self._rows.get(key, [])
        overdue = sum(1 for n in rows if n.timeliness is Timeliness.OVERDUE)
        verb = "is" if overdue == 1 else "are"
        self.summary.setText(f"{overdue} of these notes {verb} past the 7-day limit." if overdue
                             else "None of these notes is past the 7-day limit.")
        self.sign_button.setVisible(key in ("drafts", "queue"))
        self.sign_button.setText("Co-sign &selected…" if key == "queue" else "Sign &selected…")

    def open_note(self, note_id: str) -> NoteEditor:
        editor = NoteEditor(self.service, note_id, self.window())
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        # bound methods, not lambdas: Qt drops the connection if this page goes first
        editor.sig_note_did_change.connect(self.refresh)
        editor.destroyed.connect(self.refresh)
        self.editors = [e for e in self.editors if e is not editor] + [editor]
        editor.show()
        return editor

    def selected_ids(self) -> list[str]:
        key = self.current_key()
        view, model = self.views[key], self.models[key]
        rows = sorted({i.row() for i in view.selectionModel().selectedRows()})
        return [model.row(r).id for r in rows]

    def sign_selected(self) -> SignDialog | None:
        ids = self.selected_ids()
        if not ids:
            self.summary.setText("Select the notes to sign first (Ctrl+click or Shift+click for several).")
            return None
        service = self.service
        lines = service.bulk_preview(ids)
        verb = "Co-sign" if self.current_key() == "queue" else "Sign"
        dialog = SignDialog(lines, lambda secret: service.bulk_sign(ids, secret), verb=verb, parent=self)
        dialog.sig_signed.connect(lambda results: self._signed(len(results)))
        dialog.open()
        return dialog

    def _signed(self, count: int) -> None:
        self.refresh()
        self.summary.setText(f"Signed {count} note(s).")

    def has_unsaved_changes(self) -> bool:
        alive = []
        for e in self.editors:
            try:
                e.isVisible()
            except RuntimeError:  # closed and deleted
                continue
            alive.append(e)
        self.editors = alive
        return any(e.isVisible() and e.has_unsaved_changes() for e in alive)

    def index_of(self, key: str, note_id: str) -> QModelIndex:
        model = self.models[key]
        for r in range(model.rowCount()):
            if model.row(r).id == note_id:
                return model.index(r, 0)
        return QModelIndex()
