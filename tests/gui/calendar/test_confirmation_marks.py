"""Whether a client confirmed shows at a glance: a mark and a word on the calendar's blocks and a
coloured column in Today, readable in both themes; once the client has come it no longer shows."""

from __future__ import annotations

from datetime import datetime

import pytest

from mentalspace_desktop.gui.calendar.model import CONFIRMATIONS, CalendarEntry, block_lines
from mentalspace_desktop.gui.calendar.today import TodayModel
from mentalspace_desktop.gui.qt import QApplication, QColor, QPalette, Qt
from mentalspace_desktop.gui.theme import apply_theme, current_theme
from tests.gui.screens.checks import ratio

pytestmark = [pytest.mark.gui]
NOON = datetime(2026, 3, 3, 12)


def entry(confirmation: str, status: str = "scheduled") -> CalendarEntry:
    return CalendarEntry(id=confirmation + status, start=NOON, end=NOON.replace(hour=13), provider_id="p",
                         client_name="Rivera, Ana", type_name="Individual therapy", status=status,
                         confirmation=confirmation, confirmed=confirmation == "confirmed")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_each_confirmation_reads_on_blocks_and_in_today(qapp: QApplication, theme: str) -> None:
    before = current_theme(qapp)
    apply_theme(qapp, theme)
    try:
        model = TodayModel(lambda: NOON.replace(hour=9))
        rows = [entry(key) for key in CONFIRMATIONS] + [entry("confirmed", status="checked_in")]
        model.set_rows(rows)
        base = qapp.palette().color(QPalette.ColorRole.Base)
        words, colours = [], set()
        for i, (mark, word, _tone) in enumerate(CONFIRMATIONS.values()):
            assert block_lines(rows[i])[2].startswith(f"{mark} {word}")  # the block's third line
            assert word in rows[i].describe()  # tooltips and screen readers
            assert model.data(model.index(i, 6)) == f"{mark} {word}"
            ink = model.data(model.index(i, 6), Qt.ItemDataRole.ForegroundRole)
            assert isinstance(ink, QColor) and ratio(ink.rgb(), base.rgb()) >= 4.5, (theme, word, ink.name())
            words.append(word)
            colours.add(ink.name())
        assert words == ["Confirmed", "Not confirmed", "No answer", "Declined"] and len(colours) == 4
        assert model.data(model.index(len(rows) - 1, 6)) == ""  # checked in: the answer no longer matters
        assert block_lines(rows[-1])[2].startswith("Checked in")
    finally:
        apply_theme(qapp, before)
