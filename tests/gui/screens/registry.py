"""The registry of screens the screen check opens: every screen and dialog of the app joins with one line.

How a new screen joins (calendar, notes, dashboards, billing, reminders …): in
``tests/gui/screens/catalogue.py`` (or any module it imports) write a function that opens the screen
the way a person reaches it and returns the top-level widget to look at, and decorate it::

    @screen("Calendar: week", roles=("clinician", "front_desk"))
    def calendar_week(ctx: ScreenContext, role: str) -> QWidget:
        return ctx.main_window(role, page="calendar")

``roles`` lists the roles in which the screen differs (each is checked and saved); leave it out for
a screen that looks the same to everyone (it is opened as the administrator). ``ctx`` gives the demo
practice (built once per test session): signed-in sessions by role, a main window at 1280×800 on a
page, a client each role may open, and ``ctx.keep(widget)`` for dialogs so they are closed afterwards.
A practice-mode screen (sync) passes ``hub=True`` and opens on ``ctx.hub``: a small practice on a real
hub process whose workstations have synced (see practice_hub.py).
Open dialogs with ``show()`` (never ``exec()``). The check (``test_screens.py``) then looks at the
widget in the light and the dark theme, at 1× and (in a child process) 1.5× scaling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.gui.screens.context import ScreenContext

ROLES = ("admin", "supervisor", "clinician", "billing", "front_desk")
Opener = Callable[["ScreenContext", str], Any]


@dataclass(frozen=True)
class Screen:
    name: str
    opener: Opener
    roles: tuple[str, ...]
    hub: bool = False  # opened on workstations joined to a real hub (``ctx.hub``)

    def slug(self, role: str) -> str:
        base = "".join(ch if ch.isalnum() else "-" for ch in self.name.lower()).strip("-")
        while "--" in base:
            base = base.replace("--", "-")
        return f"{base}--{role}"


SCREENS: dict[str, Screen] = {}


def screen(name: str, *, roles: tuple[str, ...] = ("admin",), hub: bool = False) -> Callable[[Opener], Opener]:
    """Register ``name``, opened by the decorated function in each of ``roles``; ``hub``: a practice-mode
    screen, opened on a workstation of ``ctx.hub`` (practice_hub.py) rather than on the solo demo."""

    def add(opener: Opener) -> Opener:
        if name in SCREENS:
            raise ValueError(f"a screen is already registered as {name!r}")
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles {sorted(unknown)} for {name!r}")
        SCREENS[name] = Screen(name, opener, tuple(roles), hub)
        return opener

    return add


def cases() -> list[tuple[Screen, str]]:
    """Every (screen, role) the check opens."""
    from tests.gui.screens import catalogue  # noqa: F401  (registers the screens)

    return [(s, role) for s in SCREENS.values() for role in s.roles]
