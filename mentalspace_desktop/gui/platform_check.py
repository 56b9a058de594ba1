"""Before Qt starts on Linux: can its X11 (xcb) platform plugin load? If not, say what to install.

Qt's own message when a library of the xcb plugin is missing names the wrong one ("xcb-cursor0 is
needed" while libxcb-icccm4 is what is missing) and then aborts. This check asks the dynamic loader
(``ldd``) which libraries of the plugin are not found and turns them into one line with the install
command for this computer's package manager. It imports nothing of Qt, so it costs a few milliseconds.
Other platforms (offscreen, wayland, …) and other operating systems need nothing and are not checked.

``SYSTEM_PACKAGES`` is the list the README gives and ``.ci/run`` installs (a test keeps the three
equal): the packages the Qt wheel's xcb plugin links to that a minimal image of each distribution lacks.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

SYSTEM_PACKAGES: dict[str, tuple[str, ...]] = {
    "debian": (
        "libegl1", "libgl1", "libfontconfig1", "libfreetype6", "libglib2.0-0", "libdbus-1-3",
        "libx11-6", "libx11-xcb1", "libxcb1", "libxcb-cursor0", "libxcb-icccm4", "libxcb-image0",
        "libxcb-keysyms1", "libxcb-randr0", "libxcb-render0", "libxcb-render-util0", "libxcb-shape0",
        "libxcb-shm0", "libxcb-sync1", "libxcb-util1", "libxcb-xfixes0", "libxcb-xkb1", "libxkbcommon0",
        "libxkbcommon-x11-0",
    ),
    "fedora": (
        "libglvnd-egl", "libglvnd-glx", "fontconfig", "freetype", "glib2", "dbus-libs", "libX11",
        "libX11-xcb", "libxcb", "xcb-util-cursor", "xcb-util-wm", "xcb-util-image", "xcb-util-keysyms",
        "xcb-util-renderutil", "xcb-util", "libxkbcommon", "libxkbcommon-x11",
    ),
    "arch": (
        "libglvnd", "fontconfig", "freetype2", "glib2", "dbus", "libx11", "libxcb", "xcb-util-cursor",
        "xcb-util-wm", "xcb-util-image", "xcb-util-keysyms", "xcb-util-renderutil", "xcb-util",
        "libxkbcommon", "libxkbcommon-x11",
    ),
}

INSTALL_COMMANDS = {
    "debian": "sudo apt-get install",
    "fedora": "sudo dnf install",
    "arch": "sudo pacman -S --needed",
}


def _platform_to_check() -> bool:
    """Whether Qt will use xcb: QT_QPA_PLATFORM unset (outside a Wayland session) or naming xcb."""
    if not sys.platform.startswith("linux"):
        return False
    chosen = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0].strip().split(";")[0].lower()
    if chosen:
        return chosen == "xcb"
    return not (os.environ.get("WAYLAND_DISPLAY") and os.environ.get("XDG_SESSION_TYPE") == "wayland")


def xcb_plugin() -> Path | None:
    """The xcb platform plugin of the installed PySide6 wheel (found without importing Qt)."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        plugin = Path(folder) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.exists():
            return plugin
    return None


def missing_libraries(plugin: Path) -> list[str]:
    """The libraries ``plugin`` links to (directly or through Qt's own) that the loader cannot find."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    missing = [line.split("=>")[0].strip() for line in out.splitlines() if "not found" in line]
    return sorted(set(missing))


def distribution(os_release: Path = Path("/etc/os-release")) -> str:
    """"debian", "fedora" or "arch" from os-release (ID, then ID_LIKE); debian when unknown."""
    try:
        text = os_release.read_text(encoding="utf-8")
    except OSError:
        return "debian"
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    ids = " ".join(fields.get(k, "").strip('"').lower() for k in ("ID", "ID_LIKE")).split()
    for name in ids:
        if name in ("debian", "ubuntu"):
            return "debian"
        if name in ("fedora", "rhel", "centos"):
            return "fedora"
        if name in ("arch", "manjaro"):
            return "arch"
    return "debian"


def platform_problem() -> str | None:
    """One line naming the missing libraries and the install command, or None when Qt can start."""
    if not _platform_to_check():
        return None
    plugin = xcb_plugin()
    if plugin is None:
        return None
    missing = missing_libraries(plugin)
    if not missing:
        return None
    distro = distribution()
    command = f"{INSTALL_COMMANDS[distro]} {' '.join(SYSTEM_PACKAGES[distro])}"
    return (f"the window cannot open: this computer lacks the system libraries {', '.join(missing)}; "
            f"install them with: {command}")
