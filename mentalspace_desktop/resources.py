"""Finding the files in ``resources/`` and ``ui/`` whether run from a checkout or a bundle."""

from __future__ import annotations

import gzip
import sys
from functools import cache
from pathlib import Path


def _root() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)  # a PyInstaller bundle unpacks next to the executable
    return Path(bundle) if bundle else Path(__file__).resolve().parent.parent


def resource_path(*parts: str) -> Path:
    return _root().joinpath("resources", *parts)


def ui_path(*parts: str) -> Path:
    return _root().joinpath("ui", *parts)


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(resource_path("common-passwords.txt.gz"), "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())
