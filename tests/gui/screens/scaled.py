"""The screen check at 1.5x: a child process with Qt started at ``QT_SCALE_FACTOR=1.5``.

Qt takes its scale once, when it starts, so the 1.5x cases cannot run in the test process. Each test
process keeps one child (:class:`ScaledChecker`), started at its first 1.5x case: the child copies
the demo for itself, signs in once, and then answers one case at a time — the parent writes a case's
name on the child's input, the child opens that screen, looks at it exactly as the 1x item does
(runner.py) and writes back the problems it found. So every 1.5x case is a pytest item of its own
that xdist can give to either worker, and the child's start is paid once per worker, not per case.

The child keeps the test run's strictness: a Qt warning while a screen is open is a problem of that
screen (as pytest-qt's ``qt_log_level_fail``), and Python warnings are errors (as ``filterwarnings``).

Run as ``python -m tests.gui.screens.scaled DEMO_BUILD TEMPLATE_PICKLE WORK_DIR``.
"""

from __future__ import annotations

import json
import os
import pickle
import queue
import re
import subprocess
import sys
import threading
import traceback
import warnings
from pathlib import Path
from typing import IO, Any

from tests.factories import PracticeTemplate

ANSWER = "@@screen-check@@ "  # the child's answer lines start so; anything else it prints is not one
CASE_TIMEOUT = 300.0
ROOT = Path(__file__).resolve().parents[3]


class ScaledChecker:
    """The parent's side: starts the child at the first case and asks it case by case."""

    FACTOR = "1.5"

    def __init__(self, demo_build: Path, template: PracticeTemplate, work: Path) -> None:
        self.demo_build = demo_build
        self.template = template
        self.work = work
        self.process: subprocess.Popen[str] | None = None
        self.reader: threading.Thread | None = None
        self.answers: queue.Queue[str | None] = queue.Queue()
        self.log = work / "child.log"

    def _start(self) -> subprocess.Popen[str]:
        template_file = self.work / "template.pickle"
        template_file.write_bytes(pickle.dumps(self.template))
        env = {**os.environ, "QT_SCALE_FACTOR": self.FACTOR, "QT_QPA_PLATFORM": "offscreen",
               "PYTHONUNBUFFERED": "1"}
        with open(self.log, "w", encoding="utf-8") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.gui.screens.scaled", str(self.demo_build), str(template_file),
                 str(self.work)], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=log, text=True, encoding="utf-8")
        self.reader = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
        self.reader.start()
        return process

    def _read(self, stream: IO[str] | None) -> None:
        assert stream is not None
        for line in stream:
            if line.startswith(ANSWER):
                self.answers.put(line[len(ANSWER):])
        self.answers.put(None)  # the child ended

    def _child_log(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-4000:] if self.log.exists() else ""

    def check(self, slug: str) -> list[str]:
        """The problems of one case at 1.5x (an exception in the child is one problem, with its traceback)."""
        if self.process is None:
            self.process = self._start()
        if self.process.poll() is not None:
            raise AssertionError("the 1.5x process has ended:\n" + self._child_log())
        assert self.process.stdin is not None
        self.process.stdin.write(slug + "\n")
        self.process.stdin.flush()
        try:
            line = self.answers.get(timeout=CASE_TIMEOUT)
        except queue.Empty:
            self.close()
            raise AssertionError(f"the 1.5x process did not answer in {CASE_TIMEOUT:.0f} s:\n"
                                 + self._child_log()) from None
        if line is None:
            self.process.wait(10)
            raise AssertionError("the 1.5x process ended:\n" + self._child_log())
        answer = json.loads(line)
        assert answer["slug"] == slug, answer
        return list(answer["problems"])

    def close(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.stdin is not None:
            process.stdin.close()  # the child shuts its windows, hub and stores, then ends
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        if self.reader is not None:
            self.reader.join(10)  # it has read to the end of the child's output
        if process.stdout is not None:
            process.stdout.close()


# -- the child ---------------------------------------------------------------------------------------

_OFFSCREEN_NOISE = re.compile(r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)")


def _strict_warnings() -> None:
    """As the test run's ``filterwarnings`` (pyproject.toml): every warning is an error."""
    warnings.simplefilter("error")
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="keyring.*")


def main(argv: list[str]) -> int:
    demo_build, template_file, work = Path(argv[0]), Path(argv[1]), Path(argv[2])
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever else is printed goes to the log, never into the answers
    sys.stdout = sys.stderr
    _strict_warnings()

    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    from mentalspace_desktop.gui.qt import QApplication, QSettings
    from tests.gui.screens.context import ScreenContext, copy_demo, tidy
    from tests.gui.screens.registry import cases
    from tests.gui.screens.runner import check_case

    qt_messages: list[str] = []

    def on_qt_message(kind: QtMsgType, _context: Any, text: str) -> None:
        if kind != QtMsgType.QtDebugMsg and kind != QtMsgType.QtInfoMsg and not _OFFSCREEN_NOISE.search(text):
            qt_messages.append(f"Qt: {text}")

    qInstallMessageHandler(on_qt_message)
    app = QApplication(["screen-check-1.5x"])
    settings = work / "settings"
    settings.mkdir(exist_ok=True)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(settings))
    by_slug = {shown.slug(role): (shown, role) for shown, role in cases()}
    ctx = ScreenContext(copy_demo(demo_build, work / "demo"))
    hub: Any = None
    try:
        for line in sys.stdin:
            slug = line.strip()
            if not slug:
                continue
            qt_messages.clear()
            try:
                shown, role = by_slug[slug]
                if shown.hub and hub is None:
                    from tests.gui.screens.practice_hub import PracticeOnHub

                    template = pickle.loads(template_file.read_bytes())
                    hub = PracticeOnHub(work / "hub", template)
                if shown.hub:
                    ctx.hub = hub
                    with hub.keyring_in_place():
                        problems = check_case(ctx, shown, role)
                else:
                    problems = check_case(ctx, shown, role)
            except Exception:
                problems = [traceback.format_exc()]
            tidy()  # as the test run's _drain_background_work after each test
            answers.write(ANSWER + json.dumps({"slug": slug, "problems": problems + qt_messages}) + "\n")
            answers.flush()
    finally:
        ctx.shut()
        if hub is not None:
            hub.close()
        app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
