"""Cold start: process launch to the first painted window, our app vs a bare PySide6 QWidget.

Both are measured in the same run, alternating, several times; the medians and their ratio are
printed (goal: the app within 2x of bare Qt). The app is started on an existing store, so its first
window is the sign-in dialog; with ``MENTALSPACE_EXIT_AFTER_FIRST_WINDOW=1`` it prints a line once
that window has painted and exits. The time is taken in this process, from just before launching the
child to reading that line, so both figures include interpreter start-up and imports alike.

    python benchmarks/bench_cold_start.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE_QT = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication(sys.argv)
window = QWidget()
window.resize(460, 420)
class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, lambda: (print("first-window", flush=True), app.exit(0)))
        return False
hook = FirstPaint()
window.installEventFilter(hook)
window.show()
sys.exit(app.exec())
"""

APP = """
import sys
from pathlib import Path
from mentalspace_desktop.gui.app import run
sys.exit(run(Path(sys.argv[1])))
"""


def make_store(data_dir: Path) -> None:
    from mentalspace_desktop.domain.roles import Role
    from mentalspace_desktop.services import totp
    from mentalspace_desktop.services.accounts import Authenticator, NewUser
    from mentalspace_desktop.store.files import StoreFiles

    enrollment = Authenticator(StoreFiles(data_dir)).create_practice(
        practice_name="Benchmark Counseling",
        time_zone="America/New_York",
        admin=NewUser("admin", "Bench Admin", Role.ADMIN, "Quiet-Maple-Orchard-17"),
        totp_secret=totp.new_secret(),
    )
    enrollment.session.close()


def time_to_first_window(code: str, args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith("first-window"):
            elapsed = time.perf_counter() - started
            break
    else:
        raise RuntimeError("the child exited without showing a window")
    child.wait(timeout=30)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "store"
        make_store(data_dir)
        env = dict(
            os.environ,
            QT_QPA_PLATFORM="offscreen",
            XDG_CONFIG_HOME=str(Path(tmp) / "config"),
            MENTALSPACE_EXIT_AFTER_FIRST_WINDOW="1",
            QT_LOGGING_RULES="*.warning=false",
        )
        bare: list[float] = []
        app: list[float] = []
        time_to_first_window(BARE_QT, [], env)  # warm the OS file cache for both
        time_to_first_window(APP, [str(data_dir)], env)
        for _ in range(options.runs):
            bare.append(time_to_first_window(BARE_QT, [], env))
            app.append(time_to_first_window(APP, [str(data_dir)], env))
    bare_median, app_median = statistics.median(bare), statistics.median(app)
    print(f"bare PySide6 QWidget : {bare_median * 1000:7.1f} ms (median of {options.runs})")
    print(f"MentalSpace sign-in  : {app_median * 1000:7.1f} ms (median of {options.runs})")
    print(f"ratio                : {app_median / bare_median:7.2f}x (goal <= 2.00x)")


if __name__ == "__main__":
    main()
