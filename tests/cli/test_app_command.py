"""``mentalspace [--data-dir DIR]`` with no command opens the app through ``gui.app.run``."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from mentalspace_desktop import cli
from mentalspace_desktop.cli_signin import default_data_dir


def test_no_command_opens_the_app_on_the_given_folder(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    seen: list[Path] = []
    fake = types.ModuleType("mentalspace_desktop.gui.app")
    fake.run = lambda data_dir: seen.append(data_dir) or 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mentalspace_desktop.gui.app", fake)
    assert cli.main(["--data-dir", str(tmp_path)]) == 0
    assert seen == [tmp_path]


def test_the_default_folder_is_the_users_data_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Path] = []
    fake = types.ModuleType("mentalspace_desktop.gui.app")
    fake.run = lambda data_dir: seen.append(data_dir) or 3  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "mentalspace_desktop.gui.app", fake)
    assert cli.main([]) == 3
    assert seen == [default_data_dir()]
    assert "MentalSpace" in str(seen[0])
