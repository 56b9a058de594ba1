"""Running service calls off the UI thread and getting the answer back on it.

``run_in_background(parent, fn, on_done=..., on_error=...)`` runs ``fn`` in the global thread pool;
the callbacks run on the UI thread (queued signal), and only while ``parent`` is alive. Tests wait on
:attr:`Task.sig_finished` instead of sleeping.

A worker thread never touches the task (which its parent, a window, may delete at any moment on the
UI thread): it emits on one dispatcher that lives as long as the application, with the task's
number. The dispatcher, on the UI thread, looks the task up and hands over the answer only if the
task still exists. Emitting on a task whose window was being closed crashed the process.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from mentalspace_desktop.gui.qt import QObject, QRunnable, Qt, QThreadPool, Signal, Slot, is_alive


class Task(QObject):
    """One piece of background work; emits exactly one of ``sig_succeeded`` / ``sig_failed``."""

    sig_succeeded = Signal(object)
    """The work returned this value."""
    sig_failed = Signal(object)
    """The work raised this exception."""
    sig_finished = Signal()
    """The work is over, either way (after the callbacks ran)."""


class _Dispatcher(QObject):
    """Created on the UI thread and never deleted: the only object worker threads emit on."""

    sig_answer = Signal(int, bool, object)

    def __init__(self) -> None:
        super().__init__()
        self.waiting: dict[int, Task] = {}
        self.sig_answer.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @Slot(int, bool, object)
    def _deliver(self, number: int, ok: bool, value: object) -> None:
        task = self.waiting.pop(number, None)
        if task is None or not is_alive(task):  # its window is gone: no one is waiting
            return
        (task.sig_succeeded if ok else task.sig_failed).emit(value)


_dispatcher: _Dispatcher | None = None
_numbers = itertools.count(1)


class _Runnable(QRunnable):
    def __init__(self, dispatcher: _Dispatcher, number: int, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.dispatcher = dispatcher
        self.number = number
        self.fn = fn

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # reported to the UI thread, never swallowed
            self.dispatcher.sig_answer.emit(self.number, False, exc)
        else:
            self.dispatcher.sig_answer.emit(self.number, True, result)


def run_in_background(
    parent: QObject,
    fn: Callable[[], Any],
    *,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
) -> Task:
    global _dispatcher
    if _dispatcher is None:
        _dispatcher = _Dispatcher()
    task = Task(parent)

    if on_done is not None:
        task.sig_succeeded.connect(on_done)
    if on_error is not None:
        task.sig_failed.connect(on_error)
    else:
        from mentalspace_desktop.gui.errors import show_error

        task.sig_failed.connect(lambda exc: show_error(parent if isinstance(parent, QObject) else None, exc))
    task.sig_succeeded.connect(lambda _r: task.sig_finished.emit())
    task.sig_failed.connect(lambda _e: task.sig_finished.emit())
    number = next(_numbers)
    _dispatcher.waiting[number] = task
    QThreadPool.globalInstance().start(_Runnable(_dispatcher, number, fn))
    return task


def wait_for_background_work(msecs: int = 30000) -> bool:
    """Block until the pool is idle (for shutdown and tests)."""
    return QThreadPool.globalInstance().waitForDone(msecs)
