"""The solo workstation's job timer: runs the due jobs of services/solo_jobs.py in a worker while the
app is open. Started only in solo mode (a workstation joined to a hub leaves jobs to the hub); never
runs anything on the UI thread, and never two checks at once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from mentalspace_desktop.gui.qt import QObject, QTimer, Signal
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services import solo_jobs
from mentalspace_desktop.services.session import UserSession

log = logging.getLogger(__name__)
CHECK_MS = 60_000  # how often due jobs are looked for (reminders are due by the minute)
FIRST_CHECK_MS = 30_000  # after signing in: let the first screen load first


class SoloJobTimer(QObject):
    sig_jobs_ran = Signal(list)
    """Jobs ran in the background: [(job name, solo_jobs.LastRun)]."""

    def __init__(self, session: UserSession, jobs: list[solo_jobs.SoloJob], parent: QObject | None = None, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), check_ms: int = CHECK_MS) -> None:
        super().__init__(parent)
        self.session = session
        self.jobs = jobs
        self.clock = clock
        self.busy = False
        self._timer = QTimer(self)
        self._timer.setInterval(check_ms)
        self._timer.timeout.connect(self.check)

    def start(self, first_check_ms: int = FIRST_CHECK_MS) -> None:
        self._timer.start()
        QTimer.singleShot(first_check_ms, self, self.check)

    def stop(self) -> None:
        self._timer.stop()

    def check(self) -> None:
        """Run the jobs due now in a worker, unless the previous check is still running."""
        if self.busy or not self._timer.isActive():
            return
        self.busy = True
        now = self.clock()
        run_in_background(self, lambda: solo_jobs.run_due(self.session, self.jobs, now),
                          on_done=self._done, on_error=self._failed)

    def _done(self, ran: list[tuple[str, solo_jobs.LastRun]]) -> None:
        self.busy = False
        if ran:
            self.sig_jobs_ran.emit(ran)

    def _failed(self, exc: BaseException) -> None:
        # The store could not be read (it was closing): the jobs stay due and are tried at the next check.
        self.busy = False
        log.warning("solo jobs could not run: %s", exc)
