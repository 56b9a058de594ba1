"""The text on an appointment block reads at 4.5:1 (WCAG AA) whatever the type's colour."""

from __future__ import annotations

import pytest

from mentalspace_desktop.gui.calendar.model import text_colour_on
from tests.gui.screens.checks import ratio

pytestmark = pytest.mark.gui


@pytest.mark.parametrize("fill", ["#5b8def", "#5ea4e0", "#3a78d8", "#c9a227", "#2f9e7a", "#8e5bd6", "#e06c9f",
                                  "#7a8591", "#ffffff", "#000000", "#ef8f00", "#1f6f8b"])
def test_the_ink_on_a_block_reaches_aa(fill: str) -> None:
    ink = text_colour_on(fill).rgb() & 0xFFFFFF
    assert ratio(ink, int(fill[1:], 16)) >= 4.5, f"{text_colour_on(fill).name()} on {fill}"
