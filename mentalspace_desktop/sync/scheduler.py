"""When to sync: on a timer, at once when asked, and with backoff after the hub could not be reached.

The timer keeps running whether or not the user writes anything, so changes left waiting by a
network failure still go out (several offline-sync systems retried only on the next local write and
stranded their queues). After a transient failure the wait grows exponentially, with jitter so a
clinic's workstations do not all return at the same second, up to a cap. A live event above the
cursor, a reconnect or a local write triggers a run at once.

Plain ``threading``: the GUI wraps this in its own signals later; nothing here knows about Qt.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

from mentalspace_desktop.sync.engine import SyncReport
from mentalspace_desktop.sync.errors import (
    AuthExpired,
    DevicePending,
    DeviceRevoked,
    SyncError,
    UpdateRequired,
)

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 30.0
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 300.0
STOPPING = (UpdateRequired, AuthExpired, DeviceRevoked)  # a person must act; retrying cannot help


def backoff_delay(failures: int, *, base: float = BACKOFF_BASE_SECONDS, cap: float = BACKOFF_CAP_SECONDS,
                  rng: random.Random | None = None) -> float:
    """The wait after ``failures`` transient failures in a row: base·2ⁿ⁻¹ capped, half of it jittered."""
    if failures <= 0:
        return 0.0
    ceiling = min(cap, base * 2 ** min(failures - 1, 30))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


class SyncScheduler:
    """Runs ``run`` (normally ``SyncEngine.run_once``) on one background thread."""

    def __init__(self, run: Callable[[], SyncReport], *, interval: float = INTERVAL_SECONDS,
                 base: float = BACKOFF_BASE_SECONDS, cap: float = BACKOFF_CAP_SECONDS,
                 on_report: Callable[[SyncReport], None] | None = None,
                 on_stop: Callable[[SyncError], None] | None = None,
                 current_seq: Callable[[], int] | None = None, rng: random.Random | None = None) -> None:
        self._run = run
        self.interval = interval
        self.base = base
        self.cap = cap
        self.on_report = on_report
        self.on_stop = on_stop
        self.current_seq = current_seq
        self.rng = rng or random.Random()
        self.failures = 0
        self.last_report: SyncReport | None = None
        self.stopped_by: SyncError | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- control ------------------------------------------------------------------------------

    def start(self, *, run_now: bool = True) -> None:
        if self._thread is not None:
            return
        if run_now:
            self._wake.set()
        self._thread = threading.Thread(target=self._loop, name="mentalspace-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def trigger(self) -> None:
        """Sync as soon as possible (a local write, a reconnect, a button)."""
        self._wake.set()

    def notify_seq(self, seq: int) -> None:
        """A live event: sync when the hub has something above this device's cursor."""
        if self.current_seq is None or seq > self.current_seq():
            self.trigger()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def next_delay(self) -> float:
        return backoff_delay(self.failures, base=self.base, cap=self.cap, rng=self.rng) if self.failures \
            else self.interval

    # -- the loop -----------------------------------------------------------------------------

    def run_now(self) -> SyncReport | None:
        """One run on the calling thread, with the scheduler's bookkeeping; None once stopped."""
        try:
            report = self._run()
        except STOPPING as exc:
            self._halt(exc)
            return None
        except Exception:  # a bug must not kill the timer: log it and count it as a failure
            log.exception("sync run failed unexpectedly")
            self.failures += 1
            return None
        self.last_report = report
        failure = report.failure
        if failure is not None and isinstance(failure, STOPPING):
            self._halt(failure)
        elif failure is not None and (failure.transient or isinstance(failure, DevicePending)):
            self.failures += 1 if failure.transient else 0
        else:
            self.failures = 0
        if self.on_report is not None:
            self.on_report(report)
        return report

    def _halt(self, failure: SyncError) -> None:
        self.stopped_by = failure
        self._stop.set()
        log.warning("sync stopped: %s", failure.message)
        if self.on_stop is not None:
            self.on_stop(failure)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.next_delay())
            if self._stop.is_set():
                return
            self._wake.clear()
            self.run_now()
