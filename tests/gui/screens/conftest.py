"""The demo practice and the practice on a hub for the screen check.

The demo is built once per test run, even under ``pytest -n N``: the first worker to need it builds
it in the run's shared temporary folder (under a lock) and every process then works on its own copy
(sign-ins and audit entries are writes), so workers never share a file they change. The practice on
a hub (practice_hub.py) is one per process, on its own port.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mentalspace_desktop.gui import theme
from mentalspace_desktop.gui.qt import QApplication
from tests.factories import PracticeTemplate
from tests.gui.screens.context import ScreenContext, build_demo_once, copy_demo, locking
from tests.gui.screens.practice_hub import PracticeOnHub

DEMO_ENV = "MENTALSPACE_SCREENS_DEMO"


def _shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's temporary folder all xdist workers share (each worker's own is a folder inside it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") and locking() else base


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``MENTALSPACE_SCREENS_DEMO`` may name a demo built before (``mentalspace demo``), to look again
    at a screen being worked on without waiting for the build; it is copied, never changed."""
    given = os.environ.get(DEMO_ENV)
    return Path(given) if given else build_demo_once(_shared_root(tmp_path_factory))


@pytest.fixture(scope="session")
def demo_dir(demo_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_demo(demo_build, tmp_path_factory.mktemp("screens") / "demo")


@pytest.fixture(scope="session")
def screen_context(demo_dir: Path) -> Iterator[ScreenContext]:
    ctx = ScreenContext(demo_dir)
    yield ctx
    ctx.shut()


@pytest.fixture(scope="session")
def practice_hub(practice_template: PracticeTemplate,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[PracticeOnHub]:
    """Built at the first sync screen this process checks."""
    practice = PracticeOnHub(tmp_path_factory.mktemp("screens-hub"), practice_template)
    yield practice
    practice.close()


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """The screen check leaves the theme it looked at last for the next screen (one restyle per screen);
    before any other test, the default theme is back."""
    if nextitem is not None and nextitem.path == item.path:
        return
    app = QApplication.instance()
    if isinstance(app, QApplication) and app.property("mentalspace_theme") not in (None, theme.DEFAULT_THEME):
        theme.apply_theme(app, theme.DEFAULT_THEME)
