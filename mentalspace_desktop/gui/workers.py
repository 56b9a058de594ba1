"""Running service calls off the UI thread and getting the answer back on it.

``run_in_background(parent, fn, on_done=..., on_error=...)`` runs ``fn`` in the global thread pool;
the callbacks run on the UI thread (queued signal), and only while ``parent`` is alive. Tests wait on
:attr:`Task.sig_finished` instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mentalspace_desktop.gui.qt import QObject, QRunnable, QThreadPool, Signal


class Task(QObject):
    """One piece of background work; emits exactly one of ``sig_succeeded`` / ``sig_failed``."""

    sig_succeeded = Signal(object)
    """The work returned this value."""
    sig_failed = Signal(object)
    """The work raised this exception."""
    sig_finished = Signal()
    """The work is over, either way (after the callbacks ran)."""


class _Runnable(QRunnable):
    def __init__(self, task: Task, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.task = task
        self.fn = fn

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # reported to the UI thread, never swallowed
            self._report(self.task.sig_failed, exc)
        else:
            self._report(self.task.sig_succeeded, result)

    def _report(self, signal: Any, value: object) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the screen that asked was closed meanwhile: no one is waiting for the answer
            _running.discard(self.task)


_running: set[Task] = set()


def run_in_background(
    parent: QObject,
    fn: Callable[[], Any],
    *,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
) -> Task:
    task = Task(parent)
    _running.add(task)

    def finished() -> None:
        _running.discard(task)
        task.sig_finished.emit()

    if on_done is not None:
        task.sig_succeeded.connect(on_done)
    if on_error is not None:
        task.sig_failed.connect(on_error)
    else:
        from mentalspace_desktop.gui.errors import show_error

        task.sig_failed.connect(lambda exc: show_error(parent if isinstance(parent, QObject) else None, exc))
    task.sig_succeeded.connect(lambda _r: finished())
    task.sig_failed.connect(lambda _e: finished())
    QThreadPool.globalInstance().start(_Runnable(task, fn))
    return task


def wait_for_background_work(msecs: int = 30000) -> bool:
    """Block until the pool is idle (for shutdown and tests)."""
    return QThreadPool.globalInstance().waitForDone(msecs)
