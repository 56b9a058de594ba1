"""One case of the screen check: open a screen in a role, look at it in both themes, close it.

Shared by the pytest items (1x, in the test process) and the 1.5x child process (scaled.py), so both
scales check exactly the same things.
"""

from __future__ import annotations

import os
from pathlib import Path

from mentalspace_desktop.gui import theme
from mentalspace_desktop.gui.qt import QApplication, QImage, QWidget
from tests.gui.screens import checks
from tests.gui.screens.context import SIZE, ScreenContext, settle
from tests.gui.screens.registry import Screen

SCREENS_DIR_ENV = "MENTALSPACE_SCREENS_DIR"


def scale() -> str:
    return os.environ.get("QT_SCALE_FACTOR", "1") or "1"


def _save(image: QImage, name: str) -> None:
    """Keep the picture for people to look at, when ``MENTALSPACE_SCREENS_DIR`` names a folder."""
    folder = os.environ.get(SCREENS_DIR_ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        suffix = "" if scale() == "1" else f"@{scale()}x"
        image.save(str(Path(folder) / f"{name}{suffix}.png"))


def look_at(widget: QWidget, name: str) -> list[str]:
    """Every problem of ``widget`` in both themes (and its PNGs saved when asked).

    The screen was opened in the default theme (check_case); it is looked at there, then in the other
    theme, and the application stays in that one until the next screen is about to open: the one
    restyle of a live screen per case (restyling every widget is the costliest step; it was three).
    Text cut off, names and empty tables do not depend on the colours: they are checked once, in the
    default theme."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    problems: list[str] = []
    for which in (theme.DEFAULT_THEME, *(t for t in theme.THEMES if t != theme.DEFAULT_THEME)):
        if _applied(app) != which:
            theme.apply_theme(app, which)
            QApplication.processEvents()
        image = widget.grab().toImage()
        _save(image, f"{name}--{which}")
        problems += checks.low_contrast(widget, checks.Pixels(image), which)
        if which == theme.DEFAULT_THEME:
            problems += checks.clipped(widget) + checks.unnamed(widget) + checks.silent_empty_tables(widget)
            problems += checks.oversized(widget, SIZE)
    return problems


def _applied(app: QApplication) -> str | None:
    """The theme applied to the application; None before any (Qt's own look, not the product's)."""
    value = app.property("mentalspace_theme")
    return value if value in theme.THEMES else None


def default_theme() -> None:
    """Back to the default theme before a screen opens: cheap then, with no window open."""
    app = QApplication.instance()
    if isinstance(app, QApplication) and _applied(app) != theme.DEFAULT_THEME:
        theme.apply_theme(app, theme.DEFAULT_THEME)
        QApplication.processEvents()


def check_case(ctx: ScreenContext, shown: Screen, role: str) -> list[str]:
    """Open ``shown`` as ``role``, look at it, close what it opened; the problems found."""
    default_theme()  # every screen opens in the default theme, as a person first sees it
    try:
        widget = shown.opener(ctx, role)
        assert isinstance(widget, QWidget), f"{shown.name} opened nothing"
        widget.show()
        settle()
        return look_at(widget, shown.slug(role))
    finally:
        ctx.close()
        settle()


def report(shown: Screen, role: str, problems: list[str], *, factor: str | None = None) -> str:
    """The failure message: the screen, the role, the scale when it is not 1x, and each problem once."""
    factor = factor or scale()
    at = "" if factor == "1" else f" at {factor}x"
    return f"{shown.name} as {role}{at}:\n  " + "\n  ".join(dict.fromkeys(problems))
