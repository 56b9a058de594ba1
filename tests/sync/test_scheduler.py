"""When sync runs: backoff with jitter and a cap, and a timer that drains the outbox on its own."""

from __future__ import annotations

import random
import statistics
import threading

from mentalspace_desktop.sync.engine import SyncReport
from mentalspace_desktop.sync.errors import HubUnreachable, UpdateRequired
from mentalspace_desktop.sync.scheduler import SyncScheduler, backoff_delay


def test_backoff_grows_jitters_and_caps() -> None:
    rng = random.Random(7)
    means = [statistics.mean(backoff_delay(n, base=2, cap=300, rng=rng) for _ in range(200))
             for n in range(1, 12)]
    assert all(later > earlier for earlier, later in zip(means[:6], means[1:7], strict=True))
    samples = [backoff_delay(4, base=2, cap=300, rng=rng) for _ in range(200)]
    assert len(set(samples)) > 150  # jittered: workstations do not come back in lockstep
    assert all(8 <= d <= 16 for d in samples)  # half fixed, half random
    assert all(150 <= backoff_delay(n, base=2, cap=300, rng=rng) <= 300 for n in range(9, 200))
    assert backoff_delay(0) == 0


def _failing(n_failures: int, done: threading.Event, calls: list[int]) -> SyncReport:
    calls.append(1)
    report = SyncReport()
    if len(calls) <= n_failures:
        report.failure = HubUnreachable("The hub cannot be reached.")
        report.error = report.failure.message
    else:
        done.set()
    return report


def test_transient_failures_retry_without_new_writes() -> None:
    done = threading.Event()
    calls: list[int] = []
    scheduler = SyncScheduler(lambda: _failing(3, done, calls), interval=60, base=0.01, cap=0.05)
    scheduler.start()
    try:
        assert done.wait(5), "the outbox must drain by retries alone, without a local write or a trigger"
    finally:
        scheduler.stop()
    assert len(calls) == 4 and scheduler.failures == 0
    assert scheduler.next_delay() == 60


def test_the_timer_runs_and_a_trigger_runs_at_once() -> None:
    runs: list[int] = []
    ran = threading.Event()

    def run() -> SyncReport:
        runs.append(1)
        ran.set()
        return SyncReport()

    scheduler = SyncScheduler(run, interval=0.05, current_seq=lambda: 10)
    scheduler.start(run_now=False)
    try:
        assert ran.wait(2)
        slow = SyncScheduler(run, interval=3600, current_seq=lambda: 10)
        slow.start(run_now=False)
        before = len(runs)
        slow.notify_seq(10)  # nothing new above the cursor
        slow.notify_seq(11)
        deadline = threading.Event()
        deadline.wait(0.3)
        slow.stop()
        assert len(runs) > before
    finally:
        scheduler.stop()


def test_an_update_required_stops_the_timer() -> None:
    stopped: list[str] = []

    def run() -> SyncReport:
        report = SyncReport()
        report.failure = UpdateRequired("Update MentalSpace Desktop.")
        report.error = report.failure.message
        return report

    scheduler = SyncScheduler(run, interval=0.01, on_stop=lambda e: stopped.append(e.message))
    scheduler.start()
    threading.Event().wait(0.3)
    assert not scheduler.running
    assert stopped == ["Update MentalSpace Desktop."]
    scheduler.stop()
