"""The solo job timer runs due jobs in a worker, never on the UI thread, one check at a time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from mentalspace_desktop.gui.job_timer import SoloJobTimer
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.services.solo_jobs import SoloJob
from tests.factories import PracticeFixture


def test_due_jobs_run_off_the_ui_thread_and_are_not_rerun(qtbot, practice: PracticeFixture) -> None:  # type: ignore[no-untyped-def]
    threads: list[threading.Thread] = []
    now = datetime(2026, 11, 30, 15, tzinfo=UTC)

    def job(session: UserSession, at: datetime) -> str:
        threads.append(threading.current_thread())
        return "done"

    timer = SoloJobTimer(practice.admin, [SoloJob("probe", timedelta(hours=1), job)], clock=lambda: now,
                         check_ms=50)
    with qtbot.waitSignal(timer.sig_jobs_ran, timeout=10_000) as ran:
        timer.start(first_check_ms=0)
    [(name, outcome)] = ran.args[0]
    assert name == "probe" and outcome.ok and outcome.detail == "done"
    assert threads and threads[0] is not threading.main_thread()
    qtbot.wait(300)  # several more checks: the job is not due again within its hour
    timer.stop()
    assert len(threads) == 1


def test_a_stopped_timer_runs_nothing(qtbot, practice: PracticeFixture) -> None:  # type: ignore[no-untyped-def]
    calls: list[datetime] = []
    timer = SoloJobTimer(practice.admin, [SoloJob("probe", timedelta(hours=1),
                                                  lambda s, at: calls.append(at) or "x")], check_ms=20)
    timer.start(first_check_ms=0)
    timer.stop()
    qtbot.wait(200)
    assert calls == []
