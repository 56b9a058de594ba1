"""The demo practice for the screen check: built once per test session (or taken from
``MENTALSPACE_SCREENS_DEMO``, which the 1.5× child process receives from its parent)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mentalspace_desktop.services.demo import create_demo_practice, write_logins_file
from tests.gui.screens.context import ScreenContext

DEMO_ENV = "MENTALSPACE_SCREENS_DEMO"


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get(DEMO_ENV)
    if given:
        return Path(given)
    data_dir = tmp_path_factory.mktemp("screens") / "demo"
    write_logins_file(data_dir, create_demo_practice(data_dir))
    return data_dir


@pytest.fixture(scope="session")
def screen_context(demo_dir: Path) -> Iterator[ScreenContext]:
    ctx = ScreenContext(demo_dir, later=60.0 if os.environ.get(DEMO_ENV) else 0.0)
    yield ctx
    ctx.shut()
