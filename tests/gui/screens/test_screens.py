"""The screen check: every registered screen, in each role where it differs, in both themes.

For each screen it fails on text cut off without an ellipsis and tooltip, a control without an
accessible name, text below 4.5:1 contrast with its background (WCAG AA) in either theme, and a table
that is empty without an empty-state message. With ``MENTALSPACE_SCREENS_DIR`` set, each screen is
saved there as ``<screen>--<role>--<theme>[@1.5x].png`` for people to look at.

The 1.5× run needs Qt started with ``QT_SCALE_FACTOR=1.5``, so it runs this same module in a child
process (reusing the demo practice built here) and fails with the child's report.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mentalspace_desktop.gui import theme
from mentalspace_desktop.gui.qt import QApplication, QWidget
from tests.gui.screens import checks
from tests.gui.screens.conftest import DEMO_ENV
from tests.gui.screens.context import ScreenContext, settle
from tests.gui.screens.registry import Screen, cases

pytestmark = [pytest.mark.gui, pytest.mark.slow]
SCREENS_DIR_ENV = "MENTALSPACE_SCREENS_DIR"
SCALE = os.environ.get("QT_SCALE_FACTOR", "1")
CASES = cases()


def _save(widget: QWidget, name: str) -> None:
    folder = os.environ.get(SCREENS_DIR_ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        suffix = "" if SCALE in ("", "1") else f"@{SCALE}x"
        widget.grab().save(str(Path(folder) / f"{name}{suffix}.png"))


def look_at(widget: QWidget, name: str) -> list[str]:
    """Every problem of ``widget`` in both themes (and its PNGs saved when asked)."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    problems: list[str] = []
    for which in theme.THEMES:
        theme.apply_theme(app, which)
        QApplication.processEvents()
        image = widget.grab().toImage()
        _save(widget, f"{name}--{which}")
        problems += checks.low_contrast(widget, checks.Pixels(image), which)
        if which == theme.DEFAULT_THEME:
            problems += checks.clipped(widget) + checks.unnamed(widget) + checks.silent_empty_tables(widget)
    theme.apply_theme(app, theme.DEFAULT_THEME)
    return problems


@pytest.mark.parametrize(("shown", "role"), CASES, ids=[s.slug(r) for s, r in CASES])
def test_screen(screen_context: ScreenContext, shown: Screen, role: str) -> None:
    try:
        widget = shown.opener(screen_context, role)
        assert isinstance(widget, QWidget), f"{shown.name} opened nothing"
        widget.show()
        settle()
        problems = look_at(widget, shown.slug(role))
    finally:
        screen_context.close()
        settle()
    assert not problems, f"{shown.name} as {role}:\n  " + "\n  ".join(dict.fromkeys(problems))


@pytest.mark.skipif(SCALE not in ("", "1"), reason="this is the parent of the scaled run")
def test_every_screen_at_150_percent(demo_dir: Path) -> None:
    env = {**os.environ, "QT_SCALE_FACTOR": "1.5", DEMO_ENV: str(demo_dir), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", __file__, "-q", "-p", "no:cacheprovider", "-x", "-k", "test_screen"],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
