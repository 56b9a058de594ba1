"""Finding a client by typing: the search panel used on the Clients page and in the Ctrl+K dialog.

The keyboard stays in the search box the whole time: Up/Down move through the results, Enter opens
the highlighted client (or the first one once results arrive), Esc closes the dialog.
"""

from __future__ import annotations

from datetime import date

from mentalspace_desktop.domain.search import parse_client_query
from mentalspace_desktop.gui.clients.common import muted
from mentalspace_desktop.gui.clients.search_model import (
    CLIENT_ID_ROLE,
    ClientResultsModel,
    Column,
    SearchController,
)
from mentalspace_desktop.gui.errors import show_error
from mentalspace_desktop.gui.qt import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QItemSelectionModel,
    QKeyEvent,
    QLabel,
    QLineEdit,
    QModelIndex,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.widgets.forms import empty_state
from mentalspace_desktop.services.clients import ClientService
from mentalspace_desktop.services.session import UserSession

STARTING_CAPTION = {"caseload": "Your caseload", "recent": "Recently opened"}
STARTING_EMPTY = {
    "caseload": "No clients are on your caseload yet. Type a name to find a client.",
    "recent": "Clients you open appear here. Type a name to find a client.",
}
HINT = (
    "Type a name (“smith j”), a date of birth (3/14/1988), phone digits or the last four, "
    "or a chart number (MS-7K3Q)."
)


class SearchBox(QLineEdit):
    """A line edit that steers a results view with the arrow keys, so focus never has to leave it."""

    sig_activate = Signal()
    """Enter was pressed: open the highlighted result."""

    def __init__(self, view: QAbstractItemView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._view = view

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = Qt.Key(event.key())
        moves = {Qt.Key.Key_Down: 1, Qt.Key.Key_Up: -1, Qt.Key.Key_PageDown: 10, Qt.Key.Key_PageUp: -10}
        if key in moves:
            self._move(moves[key])
            event.accept()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.sig_activate.emit()
            event.accept()
        else:
            super().keyPressEvent(event)

    def _move(self, step: int) -> None:
        model = self._view.model()
        count = model.rowCount() if model is not None else 0
        if count == 0:
            return
        current = self._view.currentIndex()
        row = max(0, min(count - 1, (current.row() if current.isValid() else -1) + step))
        index = model.index(row, 0)
        self._view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self._view.scrollTo(index)


class ClientSearchPanel(QWidget):
    """Search box, hint, results and the empty state, wired to a :class:`SearchController`."""

    sig_client_chosen = Signal(str)
    """The user opened this client (Enter or double-click)."""

    def __init__(self, session: UserSession, parent: QWidget | None = None, *, compact: bool = False) -> None:
        super().__init__(parent)
        self.model = ClientResultsModel(self)
        self.view = QTableView(self)
        self.controller = SearchController(ClientService(session), self.model, self)
        self._open_when_ready = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        label = QLabel("&Find client", self)
        label.setObjectName("sectionLabel")
        self.box = SearchBox(self.view, self)
        self.box.setPlaceholderText("Name, date of birth, phone or chart number")
        self.box.setClearButtonEnabled(True)
        self.box.setAccessibleName("Find client")
        self.box.setAccessibleDescription(HINT)
        self.box.setMinimumHeight(30)
        label.setBuddy(self.box)
        self.hint = QLabel(HINT, self)
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        muted(self.hint)
        self.caption = QLabel(self)  # what the list holds: "Your caseload", "Recently opened", "3 matches"
        self.caption.setObjectName("listCaption")
        muted(self.caption)
        self._setup_view(compact)
        # The "nothing" message sits inside the list, at its top, so the column does not jump about.
        self.empty = empty_state(self.view, "")
        for w in (label, self.box, self.hint, self.caption, self.view):
            layout.addWidget(w)
        layout.setStretch(4, 1)

        self.box.textChanged.connect(self._on_text)
        self.box.sig_activate.connect(self._activate_current)
        self.view.doubleClicked.connect(self._choose_index)
        self.view.activated.connect(self._choose_index)
        self.controller.sig_results_ready.connect(self._on_results)
        self.controller.sig_failed.connect(lambda exc: show_error(self, exc))
        self.controller.refresh()  # the starting list (caseload or recently opened) before any typing

    def _setup_view(self, compact: bool) -> None:
        view = self.view
        view.setModel(self.model)
        view.setAccessibleName("Matching clients")
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setAlternatingRowColors(True)
        view.setShowGrid(False)
        view.setWordWrap(False)
        view.verticalHeader().hide()
        view.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Tab goes past it; arrows in the box steer it
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(Column.NAME, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        self._compact = compact
        self.model.with_age = not compact
        self.model.status_in_name = compact
        if compact:  # the narrow list: who (with a status word when not active), born when or the phone
            for column in (Column.PHONE, Column.CHART, Column.STATUS, Column.CLINICIAN):
                view.setColumnHidden(column, True)

    # -- behaviour ---------------------------------------------------------------------------

    def set_text(self, text: str) -> None:
        self.box.setText(text)

    def refresh(self) -> None:
        self.controller.refresh()

    def _on_text(self, text: str) -> None:
        self._open_when_ready = False
        if self._compact:  # a phone search shows the phone where the date of birth was
            phone = bool(parse_client_query(text, date.today()).phone_digits)
            self.view.setColumnHidden(Column.PHONE, not phone)
            self.view.setColumnHidden(Column.DOB, phone)
        self.controller.set_text(text)

    def _on_results(self, text: str) -> None:
        count = self.model.rowCount()
        has_query = bool(text.strip())
        kind = self.controller.list_kind
        if has_query:
            self.empty.setText(f"No clients match “{text.strip()}”.")
            self.caption.setText(f"{count} match{'es' if count != 1 else ''}" if count else "")
        else:
            self.empty.setText(STARTING_EMPTY.get(kind, ""))
            self.caption.setText(STARTING_CAPTION.get(kind, ""))
        self.caption.setVisible(bool(self.caption.text()))
        self.empty.update_visibility()
        if count:
            self.box._move(0)  # highlight the first match so Enter opens it
        if self._open_when_ready:
            self._open_when_ready = False
            if count:
                self._choose_index(self.model.index(0, 0))

    def _activate_current(self) -> None:
        if self.controller.pending:
            self._open_when_ready = True  # Enter typed ahead of the answer: open the top match
            return
        index = self.view.currentIndex()
        if not index.isValid() and self.model.rowCount():
            index = self.model.index(0, 0)
        if index.isValid():
            self._choose_index(index)

    def _choose_index(self, index: QModelIndex) -> None:
        client_id = self.model.data(self.model.index(index.row(), 0), CLIENT_ID_ROLE)
        if client_id:
            self.sig_client_chosen.emit(client_id)


class ClientSearchDialog(QDialog):
    """The Ctrl+K quick-open: type, pick, and the dialog hands back a client id and closes."""

    sig_client_chosen = Signal(str)
    """The chosen client's id; the dialog closes right after."""

    def __init__(self, session: UserSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Find a client")
        self.setAccessibleName("Find a client")
        self.resize(820, 480)
        self.setMinimumSize(560, 320)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        self.panel = ClientSearchPanel(session, self)
        layout.addWidget(self.panel)
        footer = QLabel("↑ ↓ to move · Enter to open · Esc to close", self)
        muted(footer, "font-size: 11px;")
        layout.addWidget(footer)
        self.panel.sig_client_chosen.connect(self._chosen)
        self.panel.box.setFocus()

    @property
    def box(self) -> SearchBox:
        return self.panel.box

    @property
    def model(self) -> ClientResultsModel:
        return self.panel.model

    def _chosen(self, client_id: str) -> None:
        self.sig_client_chosen.emit(client_id)
        self.accept()
