"""First-run pages for a workstation joining a practice's hub: sign in, wait for approval, first sync.

The work lives in :mod:`sync.first_device`; these pages run it in workers and say what is going on.
The first sync can be paused (it resumes from its last checkpoint, now or at the next start), so a
large practice's first copy never has to be taken in one sitting.
"""

from __future__ import annotations

import socket
import threading
from typing import TYPE_CHECKING, Any

from mentalspace_desktop.gui.qt import (
    QFormLayout,
    QLabel,
    QObject,
    QProgressBar,
    QPushButton,
    Qt,
    QTimer,
    QVBoxLayout,
    QWizard,
    QWizardPage,
    Signal,
)
from mentalspace_desktop.gui.widgets.forms import MessageLabel, button_row, labelled_edit
from mentalspace_desktop.gui.workers import Task, run_in_background

if TYPE_CHECKING:
    from mentalspace_desktop.gui.auth.first_run import FirstRunWizard

APPROVAL_POLL_MS = 3000


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setProperty("role", "hint")
    return label


class HubSignInPage(QWizardPage):
    """The hub's address and the staff member's own sign-in; "Connect" creates the local store."""

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Connect to your practice's hub")
        # The wizard's header has room for two short lines; the rest goes on the page, where it wraps.
        self.setSubTitle("Sign in as you do at the practice, with a code from your authenticator app.")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Connect")
        layout = QVBoxLayout(self)
        offline = QLabel("The same password will open MentalSpace on this computer, also when it is offline.")
        offline.setWordWrap(True)
        offline.setProperty("role", "hint")
        layout.addWidget(offline)
        form = QFormLayout()
        form.setSpacing(10)
        self.url = labelled_edit("Hub address", placeholder="e.g. https://hub.example-practice.org")
        self.username = labelled_edit("User name")
        self.password = labelled_edit("Password", password=True)
        self.code = labelled_edit("One-time code", placeholder="6 digits from your authenticator app")
        self.code.setMaxLength(20)
        self.device_name = labelled_edit("Workstation name")
        self.device_name.setText((socket.gethostname() or "workstation")[:100])
        form.addRow("Hub &address:", self.url)
        form.addRow("&User name:", self.username)
        form.addRow("&Password:", self.password)
        form.addRow("One-time &code:", self.code)
        form.addRow("&Workstation name:", self.device_name)
        layout.addLayout(form)
        layout.addWidget(_hint("Your administrator gives you the hub's address. The workstation name is how "
                               "administrators will see this computer when they approve it."))
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setAccessibleName("Connecting to the hub")
        self.progress.hide()
        layout.addWidget(self.progress)
        self.message = MessageLabel()
        layout.addWidget(self.message)
        layout.addStretch(1)
        for edit in (self.url, self.username, self.password, self.code, self.device_name):
            edit.textChanged.connect(self.completeChanged)
        self._busy = False

    def isComplete(self) -> bool:
        filled = all(e.text().strip() for e in (self.url, self.username, self.password, self.code,
                                                self.device_name))
        return filled and self.url.text().strip().startswith(("http://", "https://")) and not self._busy

    def validatePage(self) -> bool:
        if self._wizard.first_device is not None:
            return True
        self._set_busy(True)
        self.message.clear_message()
        self._wizard.connect_to_hub(url=self.url.text().strip(), username=self.username.text().strip(),
                                    password=self.password.text(), code=self.code.text().strip(),
                                    device_name=self.device_name.text().strip())
        return False

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.progress.setVisible(busy)
        for edit in (self.url, self.username, self.password, self.code, self.device_name):
            edit.setEnabled(not busy)
        self.completeChanged.emit()

    def connect_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.code.clear()  # a code is good once; the next try needs the next one
        self.message.show_exception(exc)

    def connected(self) -> None:
        self._set_busy(False)
        self.password.clear()


class ResumePage(QWizardPage):
    """After an interrupted setup: the password opens the store so the first sync can continue."""

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Finish setting up this workstation")
        self.setSubTitle("This computer was connected to your practice's hub but has not received all of "
                         "its records yet. Sign in to continue where it stopped.")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Continue")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.username = labelled_edit("User name")
        self.password = labelled_edit("Password", password=True)
        form.addRow("&User name:", self.username)
        form.addRow("&Password:", self.password)
        layout.addLayout(form)
        self.message = MessageLabel()
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.username.textChanged.connect(self.completeChanged)
        self.password.textChanged.connect(self.completeChanged)
        self._busy = False

    def isComplete(self) -> bool:
        return bool(self.username.text().strip() and self.password.text()) and not self._busy

    def validatePage(self) -> bool:
        if self._wizard.first_device is not None:
            return True
        self._busy = True
        self.completeChanged.emit()
        self._wizard.resume_setup(username=self.username.text().strip(), password=self.password.text())
        return False

    def failed(self, exc: BaseException) -> None:
        self._busy = False
        self.completeChanged.emit()
        self.message.show_exception(exc)

    def opened(self) -> None:
        self._busy = False
        self.password.clear()


class ApprovalPage(QWizardPage):
    """Asks the hub every few seconds whether an administrator has approved this workstation."""

    sig_status_did_change = Signal(str)
    """The hub answered: pending, approved or revoked."""

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.poll_ms = APPROVAL_POLL_MS
        self.status = "pending"
        self.setTitle("Waiting for approval")
        self.setSubTitle("An administrator approves every new workstation before it receives any "
                         "records.")
        layout = QVBoxLayout(self)
        self.waiting = QLabel()
        self.waiting.setWordWrap(True)
        self.waiting.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.waiting.setAccessibleName("Approval status")
        layout.addWidget(self.waiting)
        layout.addWidget(_hint("The administrator opens Devices in MentalSpace on their computer and "
                               "approves this workstation by its name and device id. This page notices "
                               "by itself."))
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setAccessibleName("Waiting for approval")
        self.busy.setMaximumHeight(10)
        self.busy.setTextVisible(False)
        layout.addWidget(self.busy)
        self.message = MessageLabel()
        layout.addWidget(self.message)
        layout.addStretch(1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.poll)

    def initializePage(self) -> None:
        device = self._wizard.first_device
        assert device is not None
        self.waiting.setText(f"Waiting for an administrator to approve this workstation "
                             f"(device id <b>{device.device_id}</b>).")
        self.status = device.status
        if self.status == "approved":
            QTimer.singleShot(0, self._wizard.next)
        else:
            self.poll()

    def cleanupPage(self) -> None:
        self._timer.stop()

    def isComplete(self) -> bool:
        return self.status == "approved"

    def poll(self) -> Task | None:
        device = self._wizard.first_device
        if device is None:
            return None
        from mentalspace_desktop.sync.first_device import check_approval

        return run_in_background(self, lambda: check_approval(device), on_done=self._answered,
                                 on_error=self._failed)

    def _answered(self, status: str) -> None:
        self.status = status
        self.message.clear_message()
        self.sig_status_did_change.emit(status)
        self.completeChanged.emit()
        if status == "approved":
            self._timer.stop()
            if self._wizard.currentPage() is self:
                self._wizard.next()
        elif self.isVisible():
            self._timer.start(self.poll_ms)

    def _failed(self, exc: BaseException) -> None:
        from mentalspace_desktop.sync.errors import DeviceRevoked

        self.message.show_exception(exc)
        if isinstance(exc, DeviceRevoked):
            self.status = "revoked"
            self.busy.hide()
            self.sig_status_did_change.emit("revoked")
            return
        if self.isVisible():  # the hub may be briefly away: keep asking
            self._timer.start(self.poll_ms)


class _ProgressRelay(QObject):
    """Carries the engine's progress callback (a worker thread) to the page (the UI thread)."""

    sig_progress = Signal(object)


class FirstSyncPage(QWizardPage):
    """The first copy of the practice's records, with counts; "Pause" stops after the current page."""

    sig_sync_did_finish = Signal(object)
    """A first-sync run ended (finished, paused or failed): its SyncReport."""

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.page_size: int | None = None
        self.done = False
        self._running = False
        self._interrupt = threading.Event()
        self._relay = _ProgressRelay(self)
        self._relay.sig_progress.connect(self._progress)
        self.setTitle("Receiving your practice's records")
        self.setSubTitle("This workstation now takes its own encrypted copy of the records you may see. "
                         "You can pause and continue later: nothing already received is fetched again.")
        layout = QVBoxLayout(self)
        self.bar = QProgressBar()
        self.bar.setAccessibleName("First sync progress")
        self.bar.setRange(0, 0)
        self.bar.setTextVisible(False)
        layout.addWidget(self.bar)
        self.counts = QLabel("Starting…")
        self.counts.setAccessibleName("Records received")
        layout.addWidget(self.counts)
        self.note = QLabel()
        self.note.setAccessibleName("First sync status")
        self.note.setWordWrap(True)
        self.note.setMinimumHeight(self.note.fontMetrics().lineSpacing() * 2 + 4)
        layout.addWidget(self.note)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setAccessibleName("Pause the first sync")
        self.pause_button.clicked.connect(self.toggle)
        layout.addLayout(button_row(self.pause_button, stretch_first=False))
        self.message = MessageLabel()
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.setFinalPage(True)

    def initializePage(self) -> None:
        self._wizard.setButtonText(QWizard.WizardButton.FinishButton, "Sign in")
        if not self.done:
            self.start()

    def isComplete(self) -> bool:
        return self.done

    def toggle(self) -> None:
        if self._running:
            self.pause()
        else:
            self.start()

    def pause(self) -> None:
        self._interrupt.set()
        self.pause_button.setEnabled(False)
        self.note.setText("Pausing after the part that is arriving now…")

    def start(self) -> Task | None:
        device = self._wizard.first_device
        if device is None or self._running:
            return None
        from mentalspace_desktop.sync.first_device import first_sync

        self._interrupt.clear()
        self._running = True
        self.message.clear_message()
        self.note.setText("")
        self.bar.setRange(0, 0)
        self.pause_button.setText("Pause")
        self.pause_button.setEnabled(True)
        interrupt, relay, size = self._interrupt, self._relay, self.page_size
        return run_in_background(self, lambda: first_sync(device, progress=relay.sig_progress.emit,
                                                          interrupt=interrupt, page_size=size),
                                 on_done=self._finished, on_error=self._failed)

    def _progress(self, progress: Any) -> None:
        if progress.phase == "pull":
            self.counts.setText(f"Received {progress.rows:,} records in {progress.pages} "
                                f"part{'s' if progress.pages != 1 else ''}.")

    def _finished(self, report: Any) -> None:
        self._running = False
        from mentalspace_desktop.sync.first_device import unfinished

        device = self._wizard.first_device
        if report.ok and not report.interrupted and device is not None and not unfinished(device.files):
            self.done = True
            self.bar.setRange(0, 1)
            self.bar.setValue(1)
            self.note.setText("All records received. Sign in to start working.")
            self.pause_button.hide()
            self.completeChanged.emit()
        elif report.interrupted:
            self.bar.setRange(0, 1)
            self.bar.setValue(0)
            self.note.setText("Paused. Continue now, or close MentalSpace: the next start continues from "
                              "here.")
            self.pause_button.setText("Continue")
            self.pause_button.setEnabled(True)
        else:
            self.message.show_error(report.error or "The first sync did not finish.")
            self.pause_button.setText("Try again")
            self.pause_button.setEnabled(True)
        self.sig_sync_did_finish.emit(report)

    def _failed(self, exc: BaseException) -> None:
        self._running = False
        self.message.show_exception(exc)
        self.pause_button.setText("Try again")
        self.pause_button.setEnabled(True)

    def stop(self) -> None:
        """The wizard is closing: stop after the current page (it is a checkpoint)."""
        self._interrupt.set()
