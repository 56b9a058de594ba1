"""GUI test fixtures: settings kept in the test's own folder, background work drained, fast sign-ins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mentalspace_desktop.gui.qt import QApplication, QCoreApplication, QEvent, QSettings
from mentalspace_desktop.gui.workers import wait_for_background_work

_GUI_DIR = Path(__file__).resolve().parent

# The offscreen platform cannot resize native windows to hints or raise them; it says so as a
# warning each time a window is shown. That is the test platform talking, not the application.
_OFFSCREEN_NOISE = r"This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _GUI_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.qt_log_ignore(_OFFSCREEN_NOISE))


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """QSettings (theme, one-time notices) go to a temporary folder, never the developer's own."""
    folder: Path = tmp_path_factory.mktemp("settings")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield


@pytest.fixture(autouse=True)
def _drain_background_work(qtbot: object) -> Iterator[None]:
    """Let background checks and saves finish before widgets are torn down."""
    yield
    wait_for_background_work(20_000)
    QApplication.processEvents()
    # Nothing a test built may outlive it: a half-destroyed window left behind crashes the next
    # test that restyles every widget (a theme change).
    for window in QApplication.topLevelWidgets():
        window.hide()
        window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
