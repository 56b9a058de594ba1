"""What changed between two versions of a note, field by field, line by line (difflib)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class LineChange(StrEnum):
    SAME = " "
    ADDED = "+"
    REMOVED = "-"


@dataclass(frozen=True)
class FieldDiff:
    key: str
    label: str
    lines: tuple[tuple[LineChange, str], ...]

    @property
    def changed(self) -> bool:
        return any(tag is not LineChange.SAME for tag, _ in self.lines)


def diff_versions(old: Mapping[str, str], new: Mapping[str, str],
                  labels: Sequence[tuple[str, str]]) -> list[FieldDiff]:
    """One entry per field that changed; ``labels`` gives the order and names ((key, label), …).

    Fields of either version that ``labels`` does not name (a template changed since) come last,
    under their key.
    """
    order = list(labels)
    named = {k for k, _ in order}
    order += [(k, k) for k in sorted((set(old) | set(new)) - named)]
    out = []
    for key, label in order:
        a, b = old.get(key, "").splitlines(), new.get(key, "").splitlines()
        if a == b:
            continue
        lines = []
        for line in difflib.ndiff(a, b):
            tag = line[:1]
            if tag == "?":
                continue  # intraline hints: not shown
            lines.append((LineChange(tag), line[2:]))
        out.append(FieldDiff(key, label, tuple(lines)))
    return out
