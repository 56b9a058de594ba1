"""Sync for a signed-in session in practice mode, as Qt signals: when it runs, how it went, what came.

:class:`sync.scheduler.SyncScheduler` runs the engine on its own thread (never the UI thread) on a
timer, with backoff, and at once when asked; :class:`sync.live.LiveListener` wakes it when the hub
announces something new. Their callbacks arrive on those threads, so each one is re-emitted through
a private signal and handled here on the UI thread.

After a run that pulled rows, the service events the screens already listen to are emitted for the
changed clients, staff and practice settings, so an open chart or list refreshes itself. Those events
must not count as local writes (which trigger a sync), hence ``_announcing``.
"""

from __future__ import annotations

import enum
import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy import select

from mentalspace_desktop.gui.qt import QObject, QTimer, Signal
from mentalspace_desktop.services.events import (
    ClientDidChange,
    Event,
    PracticeDidChange,
    UserDidChange,
)
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.services.sync_status import SharedHubClient, open_shared_client
from mentalspace_desktop.store.models import Client, Consent, Insurance, Practice, User
from mentalspace_desktop.sync import state as sync_state
from mentalspace_desktop.sync.engine import Progress, SyncEngine, SyncReport
from mentalspace_desktop.sync.enroll import Connection
from mentalspace_desktop.sync.errors import (
    AuthExpired,
    DevicePending,
    DeviceRevoked,
    HubUnreachable,
    SyncError,
    UpdateRequired,
)
from mentalspace_desktop.sync.live import LiveListener
from mentalspace_desktop.sync.outbox_reader import pending_count
from mentalspace_desktop.sync.relogin import sign_in_again
from mentalspace_desktop.sync.scheduler import INTERVAL_SECONDS, SyncScheduler

log = logging.getLogger(__name__)

WRITE_DEBOUNCE_MS = 800  # a burst of saves goes out in one run


class SyncState(enum.Enum):
    STARTING = "Connecting…"
    OFFLINE = "Offline"
    SYNCING = "Syncing…"
    UP_TO_DATE = "Up to date"
    WAITING_APPROVAL = "Waiting for approval"
    SIGN_IN_NEEDED = "Hub sign-in needed"
    UPDATE_REQUIRED = "Update required"
    ERROR = "Sync problem"
    REVOKED = "Workstation removed"
    STOPPED = "Sync stopped"

    @property
    def label(self) -> str:
        return self.value


@dataclass(frozen=True)
class PulledChanges:
    """What a run brought, in the terms the screens listen for."""

    client_ids: frozenset[str] = frozenset()
    user_ids: frozenset[str] = frozenset()
    practice: bool = False
    tables: frozenset[str] = field(default_factory=frozenset)
    dropped: int = 0

    @property
    def any(self) -> bool:
        return bool(self.tables or self.dropped)


def _changed_since(session: UserSession, seq: int, tables: set[str]) -> PulledChanges:
    """Rows of the pulled tables whose hub sequence is above where this device was before the run."""
    clients: set[str] = set()
    users: set[str] = set()
    practice = False
    with session.store.read() as s:
        if "clients" in tables:
            clients |= set(s.scalars(select(Client.id).where(Client.server_seq > seq)))
        for model, table in ((Insurance, "insurances"), (Consent, "consents")):
            if table in tables:
                clients |= set(s.scalars(select(model.client_id).where(model.server_seq > seq)))
        if "users" in tables:
            users |= set(s.scalars(select(User.id).where(User.server_seq > seq)))
        if "practice" in tables:
            practice = s.scalar(select(Practice.id).where(Practice.server_seq > seq)) is not None
    return PulledChanges(frozenset(clients), frozenset(users), practice, frozenset(tables))


def state_for(failure: SyncError | None) -> SyncState:
    if failure is None:
        return SyncState.UP_TO_DATE
    if isinstance(failure, DeviceRevoked):
        return SyncState.REVOKED
    if isinstance(failure, UpdateRequired):
        return SyncState.UPDATE_REQUIRED
    if isinstance(failure, AuthExpired):
        return SyncState.SIGN_IN_NEEDED
    if isinstance(failure, DevicePending):
        return SyncState.WAITING_APPROVAL
    if isinstance(failure, HubUnreachable):
        return SyncState.OFFLINE
    return SyncState.ERROR


class SyncController(QObject):
    """Owns the store's hub client, scheduler and live listener for one signed-in session."""

    sig_state_did_change = Signal(object)
    """The sync state changed: a :class:`SyncState`."""
    sig_run_did_finish = Signal(object)
    """A run ended (ok, failed or interrupted): its :class:`SyncReport`."""
    sig_progress = Signal(int, int)
    """During a run: (rows so far, total or -1 while more pages are coming)."""
    sig_unsent_did_change = Signal(int)
    """How many local changes wait to be sent."""
    sig_data_did_change = Signal(object)
    """A run brought rows from the hub: :class:`PulledChanges` (after the service events went out)."""
    sig_device_revoked = Signal(str)
    """The hub revoked this workstation; its key slots are gone. The words to show the user."""

    _sig_started = Signal()
    _sig_progress = Signal(object)
    _sig_report = Signal(object, object)
    _sig_stopped = Signal(object)
    _sig_unsent = Signal(int)
    _sig_local_write = Signal()

    def __init__(self, session: UserSession, parent: QObject | None = None, *,
                 client: SharedHubClient | None = None, interval: float = INTERVAL_SECONDS,
                 live: bool = True, backoff_base: float = 2.0, backoff_cap: float = 300.0) -> None:
        super().__init__(parent)
        self.session = session
        self.client = client or open_shared_client(session.store)
        self.hub_url = self.client.base_url
        self.state = SyncState.STARTING
        self.last_report: SyncReport | None = None
        self.stop_reason: SyncError | None = None
        self.unsent = 0
        self._interrupt = threading.Event()
        self._announcing = False
        self._stopped = False
        self._live_enabled = live
        self._timing = {"interval": interval, "base": backoff_base, "cap": backoff_cap}
        self._generation = 0  # bumped when sync resumes: callbacks of the stopped threads are ignored
        self._run_lock = threading.Lock()  # a stopped scheduler's last run never overlaps the next one's
        self.scheduler, self.live = self._make_threads()
        self._sig_started.connect(self._on_started)
        self._asked = False  # the user pressed Sync now: show "Syncing…" even while offline
        self._sig_progress.connect(self._on_progress)
        self._sig_report.connect(self._on_report)
        self._sig_stopped.connect(self._on_stopped)
        self._sig_unsent.connect(self._on_unsent)
        self._sig_local_write.connect(self._local_write)
        self._run_local = threading.local()  # the cursor before a run, per scheduler thread
        self._write_timer = QTimer(self)
        self._write_timer.setSingleShot(True)
        self._write_timer.setInterval(WRITE_DEBOUNCE_MS)
        self._write_timer.timeout.connect(self._sync_soon)
        session.events.subscribe(self._on_event)

    def _make_threads(self) -> tuple[SyncScheduler, LiveListener | None]:
        """A scheduler and a live listener whose stop reports count only while they are the current ones."""
        generation = self._generation

        def stopped(failure: SyncError) -> None:
            if generation == self._generation:
                self._sig_stopped.emit(failure)

        scheduler = SyncScheduler(self._run, interval=self._timing["interval"], base=self._timing["base"],
                                  cap=self._timing["cap"], on_report=self._report_from_thread, on_stop=stopped,
                                  current_seq=self._current_seq)
        live = (LiveListener(self.client, scheduler.notify_seq, on_reconnect=scheduler.trigger, on_stop=stopped)
                if self._live_enabled else None)
        return scheduler, live

    # -- control (UI thread) -------------------------------------------------------------------

    def start(self) -> None:
        """Sync at once, then on the timer; listen for the hub's live announcements."""
        self.scheduler.start(run_now=True)
        if self.live is not None:
            self.live.start()

    def sync_now(self) -> None:
        """The user asked (button, F5): run at once and show it."""
        self._asked = True
        self._sync_soon()

    def _sync_soon(self) -> None:
        if not self._stopped:
            self._interrupt.clear()
            self.scheduler.trigger()

    @property
    def running(self) -> bool:
        return self.scheduler.running

    # -- signing in to the hub again -----------------------------------------------------------

    @property
    def sign_in_needed(self) -> bool:
        return self.state is SyncState.SIGN_IN_NEEDED and not self._stopped

    def sign_in_to_hub(self, *, password: str, code: str) -> Connection:
        """Sign this workstation in to the hub again as the signed-in user (any thread: it waits on the hub).

        The person signs in as themselves only: it is their session that syncs, and a colleague who
        needs the hub signs in to MentalSpace here under their own name. The shared client takes the
        new tokens, so everything using it carries on; call :meth:`resume` afterwards (UI thread).
        """
        return sign_in_again(self.session.store, username=self.session.actor.username, password=password,
                             code=code, client=self.client, signing_key=self.session.signing_key)

    def resume(self) -> None:
        """After a successful hub sign-in: sync again at once, then on the timer, with live updates.

        The scheduler and listener that stopped on the expired sign-in are spent (each stops for
        good); fresh ones take over, and anything the old ones still report is ignored.
        """
        if self._stopped or not isinstance(self.stop_reason, AuthExpired | None):
            return
        old_scheduler, old_live = self.scheduler, self.live
        self._generation += 1
        old_scheduler.stop(timeout=0)  # its thread ended with the failure, or ends after its current run
        if old_live is not None:
            old_live.stop(timeout=0)
        self.stop_reason = None
        self.scheduler, self.live = self._make_threads()
        self._asked = True
        self._set_state(SyncState.SYNCING)
        self._interrupt.clear()
        self.start()

    def device_revoked(self, failure: DeviceRevoked) -> None:
        """The hub refused a sign-in because this workstation was revoked (its keys are already gone)."""
        self.stop_reason = None
        self._on_stopped(failure)

    def stop(self) -> None:
        """Sign-out or quit: end the threads and release the hub client. Safe to call twice.

        A run in the middle of a page ends after it (each page is a checkpoint); one waiting on the
        network is not waited for long: its thread is a daemon and the next start resumes.
        """
        if self._stopped:
            return
        self._stopped = True
        self._write_timer.stop()
        self.session.events.unsubscribe(self._on_event)
        self._interrupt.set()
        if self.live is not None:
            self.live.stop(timeout=0.2)
        self.scheduler.stop(timeout=5.0)
        self.client.close()
        if self.state not in (SyncState.REVOKED, SyncState.UPDATE_REQUIRED):
            self._set_state(SyncState.STOPPED)

    def refresh_unsent(self) -> None:
        """Count the waiting changes off the UI thread (a quick query, but the store may be busy)."""
        from mentalspace_desktop.gui.workers import run_in_background

        run_in_background(self, lambda: pending_count(self.session.store), on_done=self._on_unsent,
                          on_error=lambda exc: log.debug("unsent count failed: %s", exc))

    # -- the sync thread -----------------------------------------------------------------------

    def _current_seq(self) -> int:
        return sync_state.cursor_seq(sync_state.current_cursor(self.session.store))

    def _run(self) -> SyncReport:
        with self._run_lock:
            self._sig_started.emit()
            self._run_local.seq_before = self._current_seq()  # read back by _report_from_thread
            engine = SyncEngine(self.session.store, self.client, self.session.actor.user_id,
                                progress=self._sig_progress.emit, interrupt=self._interrupt)
            return engine.run_once()

    def _report_from_thread(self, report: SyncReport) -> None:
        changes = PulledChanges(dropped=report.rows_dropped)
        if report.tables_pulled:
            try:
                seq = getattr(self._run_local, "seq_before", 0)
                changes = _changed_since(self.session, seq, set(report.tables_pulled))
                changes = PulledChanges(changes.client_ids, changes.user_ids, changes.practice,
                                        changes.tables, report.rows_dropped)
            except Exception:  # announcing is a courtesy; the rows are in the store either way
                log.exception("could not work out what the sync changed")
        self._sig_unsent.emit(pending_count(self.session.store))
        self._sig_report.emit(report, changes)

    # -- back on the UI thread -----------------------------------------------------------------

    def _set_state(self, new: SyncState) -> None:
        if new is not self.state:
            self.state = new
            self.sig_state_did_change.emit(new)

    def _on_started(self) -> None:
        """Quiet retries while offline (every few seconds with backoff) do not flicker the indicator. A
        start announced after sync stopped is stale (the live listener's stop can overtake the
        scheduler's start on the way to this thread): it must not cover "Hub sign-in needed"."""
        if self.stop_reason is not None or self._stopped:
            return
        quiet = self.state in (SyncState.OFFLINE, SyncState.WAITING_APPROVAL, SyncState.ERROR)
        if self._asked or not quiet:
            self._set_state(SyncState.SYNCING)

    def _on_progress(self, progress: Progress) -> None:
        self.sig_progress.emit(progress.rows, -1 if progress.more else progress.rows)

    def _on_unsent(self, count: int) -> None:
        if count != self.unsent:
            self.unsent = count
            self.sig_unsent_did_change.emit(count)

    def _on_report(self, report: SyncReport, changes: PulledChanges) -> None:
        self.last_report = report
        self._asked = False
        if self.stop_reason is None and not self._stopped:
            self._set_state(state_for(report.failure))
        self.sig_run_did_finish.emit(report)
        if changes.any:
            self._announce(changes)

    def _announce(self, changes: PulledChanges) -> None:
        events: list[Event] = [ClientDidChange(c, created=True) for c in sorted(changes.client_ids)]
        events += [UserDidChange(u) for u in sorted(changes.user_ids)]
        events += [PracticeDidChange()] if changes.practice else []
        self._announcing = True
        try:
            for event in events:
                self.session.events.emit(event)
        finally:
            self._announcing = False
        self.sig_data_did_change.emit(changes)

    def _on_stopped(self, failure: SyncError) -> None:
        if self.stop_reason is not None:
            return
        self.stop_reason = failure
        self._set_state(state_for(failure))
        if isinstance(failure, DeviceRevoked):
            self.sig_device_revoked.emit(failure.message)

    def _on_event(self, event: Event) -> None:
        """A service wrote something here (any thread): send it soon, and recount what waits."""
        if self._announcing or self._stopped:
            return
        if isinstance(event, ClientDidChange | UserDidChange | PracticeDidChange):
            self._sig_local_write.emit()

    def _local_write(self) -> None:
        if not self._stopped:
            self.refresh_unsent()
            self._write_timer.start()


def describe(report: SyncReport | None) -> str:
    """One short line for the status bar tooltip and the Sync page."""
    if report is None:
        return "No sync has run yet on this workstation."
    return report.log_line()


__all__ = ["PulledChanges", "SyncController", "SyncState", "describe", "state_for"]
