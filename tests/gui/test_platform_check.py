"""The launcher's check of Qt's X11 plugin, and the one list of system packages (README, CI, message)."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from mentalspace_desktop import cli
from mentalspace_desktop.gui import platform_check
from mentalspace_desktop.gui.platform_check import INSTALL_COMMANDS, SYSTEM_PACKAGES

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check runs on Linux only")


def _readme_list(distro: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith(INSTALL_COMMANDS[distro] + " "))
    return line[len(INSTALL_COMMANDS[distro]) + 1:].split()


@pytest.mark.parametrize("distro", sorted(SYSTEM_PACKAGES))
def test_readme_lists_the_packages_the_check_names(distro: str) -> None:
    assert _readme_list(distro) == list(SYSTEM_PACKAGES[distro])


def test_ci_installs_exactly_the_readme_list_and_opens_make_demo_before_make_test() -> None:
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "qt-packages:debian" in run and "README.md" in run  # the list is read from the README itself
    for name in SYSTEM_PACKAGES["debian"]:
        assert not re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])", run), f"{name} is listed twice"
    assert run.index("make demo") < run.index("\nmake test")
    assert "MENTALSPACE_EXIT_AFTER_FIRST_WINDOW=1" in run and "xvfb-run" in run
    assert run.rstrip().endswith("make test")


def test_a_plugin_whose_libraries_do_not_load_is_named_with_the_install_command(tmp_path: Path,
                                                                              monkeypatch) -> None:
    real = platform_check.xcb_plugin()
    if real is None or shutil.which("ldd") is None:
        pytest.skip("no xcb plugin or no ldd here")
    # A copy of the real plugin away from its wheel: the Qt libraries it finds through $ORIGIN are gone.
    moved = tmp_path / "libqxcb.so"
    shutil.copy(real, moved)
    missing = platform_check.missing_libraries(moved)
    assert "libQt6XcbQpa.so.6" in missing
    monkeypatch.setattr(platform_check, "xcb_plugin", lambda: moved)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    problem = platform_check.platform_problem()
    assert problem is not None and "\n" not in problem
    assert "libQt6XcbQpa.so.6" in problem
    assert INSTALL_COMMANDS[platform_check.distribution()] in problem

    for other in ("offscreen", "wayland", "minimal"):
        monkeypatch.setenv("QT_QPA_PLATFORM", other)
        assert platform_check.platform_problem() is None, other


def test_the_launcher_prints_one_line_instead_of_starting_qt(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(platform_check, "platform_problem", lambda: "the window cannot open: lacks libx")
    assert cli.main(["--data-dir", str(tmp_path)]) == cli.EXIT_FAILURE
    err = capsys.readouterr().err.strip()
    assert err == "mentalspace: the window cannot open: lacks libx"


@pytest.mark.parametrize(("text", "expected"), [
    ('ID=ubuntu\nID_LIKE=debian\n', "debian"),
    ('ID="fedora"\n', "fedora"),
    ('ID=manjaro\nID_LIKE=arch\n', "arch"),
    ('ID=rocky\nID_LIKE="rhel centos fedora"\n', "fedora"),
])
def test_distribution_from_os_release(tmp_path: Path, text: str, expected: str) -> None:
    release = tmp_path / "os-release"
    release.write_text(text)
    assert platform_check.distribution(release) == expected
