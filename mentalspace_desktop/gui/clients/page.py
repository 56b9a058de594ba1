"""The Clients page: find a client on the left, their chart on the right, register and export."""

from __future__ import annotations

from pathlib import Path

from mentalspace_desktop.domain.roles import Action, Resource, allows_any
from mentalspace_desktop.gui import theme
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.clients.chart import ChartPage
from mentalspace_desktop.gui.clients.common import muted
from mentalspace_desktop.gui.clients.edit_dialog import ClientEditDialog
from mentalspace_desktop.gui.clients.search_dialog import ClientSearchPanel
from mentalspace_desktop.gui.errors import show_error
from mentalspace_desktop.gui.qt import (
    QByteArray,
    QFileDialog,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QPushButton,
    QShortcut,
    QSplitter,
    QStackedWidget,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.clients import ClientService
from mentalspace_desktop.services.session import UserSession

DEFAULT_LIST_WIDTH = 300
_SPLIT_SETTING = "clients/splitter"


class ClientsPage(QWidget):
    """Search, chart and registration for the signed-in user's clients."""

    sig_exported = Signal(int, str)
    """A CSV export finished: (number of clients, file path)."""

    def __init__(self, session: UserSession, bridge: EventBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._service = ClientService(session)
        self.register_dialog: ClientEditDialog | None = None
        self.may_register = allows_any(session.actor.role, Resource.DEMOGRAPHICS, Action.WRITE)

        self.search = ClientSearchPanel(session, self, compact=True)
        self.register_button = QPushButton("Re&gister client…", self)
        self.register_button.setAccessibleName("Register a new client")
        self.register_button.setVisible(self.may_register)
        self.export_button = QPushButton("E&xport CSV…", self)
        self.export_button.setAccessibleName("Export my clients to a CSV file")
        self.export_note = QLabel(self)
        self.export_note.setObjectName("exportNote")
        self.export_note.setWordWrap(True)
        muted(self.export_note)
        self.export_note.hide()

        left = QWidget(self)
        left.setMinimumWidth(240)
        v = QVBoxLayout(left)
        v.setContentsMargins(12, 12, 8, 12)
        buttons = QHBoxLayout()
        buttons.addWidget(self.register_button)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        v.addLayout(buttons)
        v.addWidget(self.search, 1)
        v.addWidget(self.export_note)

        self.chart = ChartPage(session, bridge, self)
        self.placeholder = QLabel(
            "<p style='font-size:15px'><b>No client open</b></p>"
            "<p>Find a client on the left, or press Ctrl+K from anywhere."
            + ("<br>New client? Choose <b>Register client…</b>.</p>" if self.may_register else "</p>"),
            self,
        )
        self.placeholder.setObjectName("emptyState")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        muted(self.placeholder)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.placeholder)
        chart_holder = QWidget(self)
        h = QVBoxLayout(chart_holder)
        h.setContentsMargins(8, 12, 12, 12)
        h.addWidget(self.chart)
        self.stack.addWidget(chart_holder)
        self._chart_holder = chart_holder

        # The chart needs the room: the list starts narrow, can be dragged shut (Ctrl+F opens it again)
        # and the split is remembered for the next sign-in.
        splitter = self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setObjectName("clientsSplitter")
        splitter.addWidget(left)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(0, True)
        splitter.setCollapsible(1, False)
        splitter.setHandleWidth(8)
        saved = theme.app_settings().value(_SPLIT_SETTING)
        if not (isinstance(saved, QByteArray | bytes) and splitter.restoreState(saved)):
            splitter.setSizes([DEFAULT_LIST_WIDTH, 1280 - DEFAULT_LIST_WIDTH])
        splitter.splitterMoved.connect(self._remember_split)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        self.search.sig_client_chosen.connect(self.open_client)
        self.chart.sig_loaded.connect(self._chart_opened)
        self.register_button.clicked.connect(self.new_client)
        self.export_button.clicked.connect(self.export_csv)
        bridge.sig_client_did_change.connect(self._client_did_change)
        find = QShortcut(QKeySequence("Ctrl+F"), self)
        find.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(self.focus_search)
        self.setFocusProxy(self.search.box)  # arriving on the page means typing a name
        self.setTabOrder(self.register_button, self.export_button)
        self.setTabOrder(self.export_button, self.search.box)

    # -- contract used by the main window ----------------------------------------------------

    def open_client(self, client_id: str, section: str | None = None) -> None:
        """Show ``client_id``'s chart (at ``section``: see ``ChartView.show_section``)."""
        self.stack.setCurrentWidget(self._chart_holder)
        self.chart.load(client_id)
        self.chart.show_section(section)

    def new_client(self) -> ClientEditDialog | None:
        """Open the registration dialog (when the role may register clients)."""
        if not self.may_register:
            return None
        if self.register_dialog is not None:
            self.register_dialog.raise_()
            self.register_dialog.activateWindow()
            return self.register_dialog
        dialog = ClientEditDialog(self._session, None, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_saved.connect(self.open_client)
        dialog.destroyed.connect(lambda *_: setattr(self, "register_dialog", None))
        self.register_dialog = dialog
        dialog.open()
        return dialog

    def has_unsaved_changes(self) -> bool:
        dialog = self.register_dialog
        registering = dialog is not None and dialog.isVisible() and dialog.has_unsaved_changes()
        return registering or self.chart.has_unsaved_changes()

    # -- behaviour ---------------------------------------------------------------------------

    def _chart_opened(self, _client_id: str) -> None:
        """A chart was opened: the "Recently opened" list (shown while nothing is typed) moves it up."""
        if self.search.controller.list_kind == "recent" and not self.search.controller.text.strip():
            self.search.refresh()

    def _remember_split(self, *_args: object) -> None:
        theme.app_settings().setValue(_SPLIT_SETTING, self.splitter.saveState())

    def list_collapsed(self) -> bool:
        return self.splitter.sizes()[0] == 0

    def focus_search(self) -> None:
        if self.list_collapsed():  # the list was dragged shut: finding someone opens it again
            total = sum(self.splitter.sizes())
            self.splitter.setSizes([DEFAULT_LIST_WIDTH, max(total - DEFAULT_LIST_WIDTH, 0)])
            self._remember_split()
        self.search.box.setFocus()
        self.search.box.selectAll()

    def _client_did_change(self, client_id: str, created: bool) -> None:
        """Re-run the search only when the change could alter what the list shows."""
        if created or self.search.model.row_of(client_id) >= 0:
            self.search.refresh()

    def ask_export_path(self) -> Path | None:
        """Where to write the CSV. Tests replace this to answer without a file dialog."""
        path, _filter = QFileDialog.getSaveFileName(
            self, "Export clients", str(Path.home() / "clients.csv"), "CSV files (*.csv)"
        )
        return Path(path) if path else None

    def export_csv(self) -> None:
        path = self.ask_export_path()
        if path is None:
            return
        service = self._service
        self.export_button.setEnabled(False)

        def done(count: int) -> None:
            self.export_button.setEnabled(True)
            self.export_note.setText(f"Exported {count} client{'s' if count != 1 else ''} to {path}.")
            self.export_note.show()
            self.sig_exported.emit(count, str(path))

        def failed(exc: BaseException) -> None:
            self.export_button.setEnabled(True)
            show_error(self, exc)

        run_in_background(self, lambda: service.export_csv(path), on_done=done, on_error=failed)
