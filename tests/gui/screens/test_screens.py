"""The screen check: every registered screen, in each role where it differs, in both themes, at 1x and 1.5x.

For each screen it fails on text cut off without an ellipsis and tooltip, a control without an
accessible name, text below 4.5:1 contrast with its background (WCAG AA) in either theme, and a table
that is empty without an empty-state message. With ``MENTALSPACE_SCREENS_DIR`` set, each screen is
saved there as ``<screen>--<role>--<theme>[@1.5x].png`` for people to look at.

Every (screen, role) is a pytest item at each scale, so ``pytest -n 2`` spreads them over its workers.
The 1.5x items need Qt started with ``QT_SCALE_FACTOR=1.5``: each test process keeps one child process
for them (scaled.py), started at its first 1.5x item, that opens the screens at that scale and answers
with the problems it found.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mentalspace_desktop.gui.qt import QApplication
from tests.factories import PracticeTemplate
from tests.gui.screens.context import ScreenContext
from tests.gui.screens.registry import Screen, cases
from tests.gui.screens.runner import check_case, report, scale
from tests.gui.screens.scaled import ScaledChecker

pytestmark = [pytest.mark.gui, pytest.mark.slow]
CASES = cases()
IDS = [s.slug(r) for s, r in CASES]


@pytest.mark.parametrize(("shown", "role"), CASES, ids=IDS)
def test_screen(request: pytest.FixtureRequest, screen_context: ScreenContext, shown: Screen, role: str) -> None:
    assert QApplication.instance() is not None
    if shown.hub:
        screen_context.hub = request.getfixturevalue("practice_hub")
        with screen_context.hub.keyring_in_place():
            problems = check_case(screen_context, shown, role)
    else:
        problems = check_case(screen_context, shown, role)
    assert not problems, report(shown, role, problems)


@pytest.fixture(scope="session")
def scaled_checker(demo_build: Path, practice_template: PracticeTemplate,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaledChecker]:
    checker = ScaledChecker(demo_build, practice_template, tmp_path_factory.mktemp("screens-1.5x"))
    yield checker
    checker.close()


@pytest.mark.skipif(scale() != "1", reason="this process already runs at a scale of its own")
@pytest.mark.parametrize(("shown", "role"), CASES, ids=IDS)
def test_screen_at_150_percent(scaled_checker: ScaledChecker, shown: Screen, role: str) -> None:
    problems = scaled_checker.check(shown.slug(role))
    assert not problems, report(shown, role, problems, factor=ScaledChecker.FACTOR)
