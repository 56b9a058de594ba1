"""The Sync page, for everyone in practice mode: where sync stands, its recent runs, refused changes.

A refused change is never dropped silently (DESIGN.md, Sync): it stays on this workstation and is
listed here, with the hub's reason, for the person who made it.
"""

from __future__ import annotations

from typing import Any

from mentalspace_desktop.gui.qt import (
    QFormLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.sync.controller import SyncController, SyncState
from mentalspace_desktop.gui.sync.indicator import make_table
from mentalspace_desktop.gui.sync.models import RejectionsModel, RunsModel, when
from mentalspace_desktop.gui.widgets.forms import MessageLabel, button_row, page_header, primary
from mentalspace_desktop.gui.workers import Task, run_in_background
from mentalspace_desktop.services.sync_status import RejectionView, RunView, SyncStatus, SyncStatusService

_STATE_HELP = {
    SyncState.OFFLINE: "The hub cannot be reached. Keep working: your changes are saved here and go out "
                       "when the connection returns.",
    SyncState.WAITING_APPROVAL: "An administrator has not approved this workstation yet.",
    SyncState.SIGN_IN_NEEDED: "This workstation's hub sign-in has ended. Sign in to the hub again to resume "
                              "syncing; your work is kept meanwhile.",
    SyncState.UPDATE_REQUIRED: "Install the MentalSpace update your administrator provides; your work here "
                               "is kept and syncs afterwards.",
    SyncState.UP_TO_DATE: "Changes made here and on other workstations are exchanged automatically.",
    SyncState.SYNCING: "Exchanging changes with the hub…",
}
DEVICE_STATUS = {"pending": "waiting for approval", "approved": "approved", "revoked": "revoked"}


def _section(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionTitle")
    label.setStyleSheet("font-weight: 600; margin-top: 8px;")
    return label


class SyncPage(QWidget):
    sig_loaded = Signal()
    """The page shows the latest status, runs and refused changes."""

    def __init__(self, session: Any, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.service = SyncStatusService(session)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 18)
        layout.setSpacing(10)
        layout.addWidget(page_header(
            "Sync", "This workstation keeps its own encrypted copy of the records and exchanges changes "
                    "with your practice's hub."))
        form = QFormLayout()
        form.setHorizontalSpacing(18)
        form.setVerticalSpacing(6)
        self.state_label = QLabel()
        self.state_label.setStyleSheet("font-weight: 600;")
        self.help_label = QLabel()
        self.help_label.setWordWrap(True)
        self.help_label.setProperty("role", "hint")
        self.hub_label = QLabel(controller.hub_url)
        self.device_label = QLabel()
        self.unsent_label = QLabel()
        self.last_label = QLabel()
        self.last_label.setWordWrap(True)
        for label, name in ((self.state_label, "Sync state"), (self.hub_label, "Practice hub"),
                            (self.device_label, "This workstation"), (self.unsent_label, "Unsent changes"),
                            (self.last_label, "Last sync")):
            label.setAccessibleName(name)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # the help sits under the state it explains, in the same row (a row of its own with no label
        # left a gap above and below it)
        state = QWidget()
        state_column = QVBoxLayout(state)
        state_column.setContentsMargins(0, 0, 0, 0)
        state_column.setSpacing(2)
        state_column.addWidget(self.state_label)
        state_column.addWidget(self.help_label)
        form.addRow("State:", state)
        form.addRow("Practice hub:", self.hub_label)
        form.addRow("This workstation:", self.device_label)
        form.addRow("Unsent changes:", self.unsent_label)
        form.addRow("Last sync:", self.last_label)
        layout.addLayout(form)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Sync progress")
        self.progress.setRange(0, 0)
        self.progress.setMaximumHeight(10)
        self.progress.setTextVisible(False)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.sync_button = QPushButton("Sync now")
        self.sync_button.setToolTip("Exchange changes with the hub now (F5)")
        self.sync_button.clicked.connect(self.sync_now)
        primary(self.sync_button)
        self.sign_in_button = QPushButton("Sign in to the hub…")
        self.sign_in_button.setToolTip("Sign this workstation in to the practice hub again to resume syncing")
        self.sign_in_button.clicked.connect(self.sign_in)
        primary(self.sign_in_button)
        layout.addLayout(button_row(self.sync_button, self.sign_in_button, stretch_first=False))
        layout.addWidget(_section("Recent sync runs on this workstation"))
        self.runs_model = RunsModel(self)
        self.runs_table = make_table(self.runs_model, "Recent sync runs", stretch=self.runs_model.result_column,
                                     empty="No sync runs yet: the first starts within a minute.")
        layout.addWidget(self.runs_table, 3)
        layout.addWidget(_section("Your changes the hub refused"))
        self.rejections_hint = QLabel()
        self.rejections_hint.setWordWrap(True)
        self.rejections_hint.setProperty("role", "hint")
        layout.addWidget(self.rejections_hint)
        self.rejections_model = RejectionsModel(self)
        self.rejections_table = make_table(self.rejections_model, "Your refused changes",
                                           empty="None: the hub accepted all your changes.")
        layout.addWidget(self.rejections_table, 2)
        self.message = MessageLabel()
        layout.addWidget(self.message)
        controller.sig_state_did_change.connect(self._state_changed)
        controller.sig_run_did_finish.connect(lambda _r: self.reload())
        controller.sig_unsent_did_change.connect(lambda n: self.unsent_label.setText(self._unsent(n)))
        controller.sig_progress.connect(self._progress)
        self._state_changed(controller.state)
        self.reload()

    @staticmethod
    def _unsent(count: int) -> str:
        return "None: everything made here has reached the hub." if count == 0 else \
            f"{count} change{'s' if count != 1 else ''} waiting to be sent"

    def sync_now(self) -> None:
        self.message.clear_message()
        self.controller.sync_now()

    def sign_in(self) -> QWidget:
        """The hub sign-in dialog (only offered while the state is "Hub sign-in needed")."""
        from mentalspace_desktop.gui.sync.hub_sign_in_dialog import open_hub_sign_in

        self.message.clear_message()
        return open_hub_sign_in(self.controller, self.window())

    def reload(self) -> Task:
        service = self.service
        return run_in_background(
            self, lambda: (service.status(), service.recent_runs(limit=100), service.my_rejections()),
            on_done=self._loaded, on_error=self.message.show_exception)

    def _loaded(self, result: tuple[SyncStatus, list[RunView], list[RejectionView]]) -> None:
        status, runs, refused = result
        device = DEVICE_STATUS.get(status.device_status or "", status.device_status or "unknown")
        self.device_label.setText(f"{status.device_id} ({device})")
        self.unsent_label.setText(self._unsent(status.unsent))
        last = status.last_run
        if last is None:
            self.last_label.setText("No sync has run on this workstation yet.")
        else:
            if last.ok:
                outcome = f"succeeded ({last.error.rstrip('.')})" if last.error else "succeeded"
            else:
                outcome = f"failed: {(last.error or '').rstrip('.')}"
            success = "" if last.ok else f" Last success: {when(status.last_success_at)}."
            n = status.waiting
            waiting = ("" if not n else " 1 received record waits for a record it refers to, still to come from "
                       "the hub." if n == 1 else f" {n} received records wait for records they refer to, still to "
                       "come from the hub.")
            self.last_label.setText(f"{when(last.started_at)}, {outcome}.{success}{waiting}")
        self.runs_model.set_rows(runs)
        self.rejections_model.set_rows(refused)
        self.rejections_table.setVisible(bool(refused))
        self.rejections_hint.setText(
            "None: the hub accepted every change you made." if not refused else
            "These changes stay on this workstation but were not applied for everyone. Make the change again "
            "the way the reason says, or ask an administrator.")
        self.sig_loaded.emit()

    def _state_changed(self, new: SyncState) -> None:
        self.state_label.setText(new.label)
        help_text = _STATE_HELP.get(new, "")
        report = self.controller.last_report
        if new in (SyncState.ERROR, SyncState.REVOKED, SyncState.STOPPED) and report and report.error:
            help_text = report.error
        self.help_label.setText(help_text)
        self.help_label.setVisible(bool(help_text))
        self.progress.setVisible(new is SyncState.SYNCING)
        self.sync_button.setEnabled(new not in (SyncState.REVOKED, SyncState.UPDATE_REQUIRED,
                                                SyncState.STOPPED, SyncState.SIGN_IN_NEEDED))
        self.sign_in_button.setVisible(self.controller.sign_in_needed)  # "Sync now" is disabled meanwhile

    def _progress(self, done: int, total: int) -> None:
        if total < 0:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(done)
