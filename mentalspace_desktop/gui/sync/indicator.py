"""The sync indicator in the status bar: one glance says whether this workstation's work has left it.

Shown only in practice mode. It reads "Up to date · 14:02", "Offline · 3 unsent", "Syncing…"; its
tooltip names the hub and the last run; clicking it opens the Sync page — or, when it reads "Hub
sign-in needed", the dialog that signs in to the hub again (the one thing to do then).
"""

from __future__ import annotations

from datetime import UTC, datetime

from mentalspace_desktop.gui import theme
from mentalspace_desktop.gui.localtime import format_time
from mentalspace_desktop.gui.qt import (
    QAbstractTableModel,
    QColor,
    QHeaderView,
    QIcon,
    QPainter,
    QPixmap,
    QRectF,
    Qt,
    QTableView,
    QToolButton,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.sync.controller import SyncController, SyncState
from mentalspace_desktop.gui.widgets.forms import empty_state
from mentalspace_desktop.sync.engine import SyncReport

_DOTS = {  # tones of the current theme (theme.colour)
    SyncState.UP_TO_DATE: "good",
    SyncState.SYNCING: "info",
    SyncState.STARTING: "info",
    SyncState.OFFLINE: "warning",
    SyncState.WAITING_APPROVAL: "warning",
}
_PROBLEM = "danger"
WIDEST_COLUMN = 320


def unsent_text(count: int) -> str:
    return f"{count} unsent" if count else ""


class SyncIndicator(QToolButton):
    """A flat button in the status bar; its text and tooltip follow the controller's signals."""

    sig_open_requested = Signal()
    """The user clicked the indicator: show the Sync page."""
    sig_sign_in_opened = Signal(object)
    """The user clicked the indicator while a hub sign-in is needed: the dialog now open."""

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.last_success: datetime | None = None
        self.setAutoRaise(True)
        self.setObjectName("syncIndicator")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAccessibleName("Sync status")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setStyleSheet("QToolButton#syncIndicator { font-weight: 600; }")
        self.clicked.connect(self._clicked)
        controller.sig_state_did_change.connect(lambda _s: self.update_view())
        controller.sig_unsent_did_change.connect(lambda _n: self.update_view())
        controller.sig_run_did_finish.connect(self._run_finished)
        self.update_view()

    def _clicked(self) -> None:
        if self.controller.sign_in_needed:
            from mentalspace_desktop.gui.sync.hub_sign_in_dialog import open_hub_sign_in

            self.sig_sign_in_opened.emit(open_hub_sign_in(self.controller, self.window()))
        else:
            self.sig_open_requested.emit()

    def _run_finished(self, report: SyncReport) -> None:
        if report.ok:
            self.last_success = datetime.now(UTC)
        self.update_view()

    def text_for(self) -> str:
        state = self.controller.state
        parts = [state.label]
        if state is SyncState.UP_TO_DATE and self.last_success is not None:
            parts.append(format_time(self.last_success))
        if unsent := unsent_text(self.controller.unsent):
            parts.append(unsent)
        return " · ".join(parts)

    def update_view(self) -> None:
        state = self.controller.state
        colour = theme.colour(_DOTS.get(state, _PROBLEM if state is not SyncState.STOPPED else "muted"))
        text = self.text_for()
        # The state's colour is the dot's alone: words in a pale green or amber on the status bar's
        # ground are unreadable (1.7:1); the words keep the text colour, the dot and the words say it.
        self.setIcon(_dot(colour, self.fontMetrics().height()))
        self.setText(text)
        self.setAccessibleDescription(text)
        lines = [f"Practice hub: {self.controller.hub_url}"]
        if self.last_success is not None:
            lines.append(f"Last successful sync: {self.last_success.astimezone():%b %d, %H:%M:%S}")
        report = self.controller.last_report
        if report is not None and report.error:
            lines.append(report.error)
        if self.controller.unsent:
            lines.append(f"{self.controller.unsent} change(s) on this workstation wait to be sent.")
        if self.controller.sign_in_needed:
            lines.append("Click to sign in to the hub again")
            self.setAccessibleDescription(f"{text}. Press to sign in to the hub again.")
        else:
            lines.append("Click for details · F5 syncs now")
        self.setToolTip("\n".join(lines))


def _dot(colour: QColor, size: int) -> QIcon:
    """A filled circle in ``colour``, drawn at the screen's resolution (sharp at 1.5x too)."""
    ratio = 2.0
    pixmap = QPixmap(int(size * ratio), int(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    diameter = size * 0.55
    painter.drawEllipse(QRectF((size - diameter) / 2, (size - diameter) / 2, diameter, diameter))
    painter.end()
    return QIcon(pixmap)


def make_table(model: QAbstractTableModel, name: str, *, stretch_last: bool = True,
               empty: str = "Nothing to show yet.", stretch: int | None = None) -> QTableView:
    """A read-only, row-selecting table in the look of the other screens; ``empty`` is what it says
    while it has no rows. ``stretch``: the column that takes the width the others leave (its long
    texts end in "…"), instead of the last."""
    table = QTableView()
    table.setAccessibleName(name)
    table.setModel(model)
    empty_state(table, empty)
    table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
    table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.setShowGrid(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(stretch_last and stretch is None)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    # One long error or name never pushes the other columns out of sight at 1280 px: a cell wider than
    # this ends in "…" and says all of it in its tooltip.
    header.setMaximumSectionSize(WIDEST_COLUMN)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    return table
