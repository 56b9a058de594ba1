"""A full week paints every block: narrow ones (many lanes) as their type's colour with its darker edge
(the narrowest, a few pixels, their colour alone), batched by colour on whole pixels; the selected one
as a full block; blocks of one kind share colours."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from mentalspace_desktop.domain.calendar_layout import CalendarView
from mentalspace_desktop.gui.calendar.grid import GUTTER, CalendarGrid
from mentalspace_desktop.gui.calendar.model import CalendarEntry, CalendarModel
from mentalspace_desktop.gui.qt import QApplication, QColor, QEvent, QHelpEvent, QPoint, QToolTip

pytestmark = pytest.mark.gui

MONDAY = date(2026, 3, 9)
COLOURS = ("#4a7bd0", "#8e5cc4", "#d9822b", "#2e9e6b")


def _week() -> list[CalendarEntry]:
    """20 providers booked every hour from 8 to 17, Monday to Friday: 20 lanes an hour."""
    out = []
    for d in range(5):
        for hour in range(8, 18):
            for p in range(20):
                start = datetime.combine(MONDAY + timedelta(days=d), datetime.min.time()).replace(hour=hour)
                out.append(CalendarEntry(f"{d}-{hour}-{p:02d}", start, start + timedelta(minutes=50), f"p{p:02d}",
                                         f"Provider {p}", client_name=f"Client {p}", type_name="Individual therapy",
                                         colour=COLOURS[p % 4]))
    return out


@pytest.fixture
def grid(qtbot) -> CalendarGrid:
    model = CalendarModel()
    model.set_view(CalendarView.WEEK, MONDAY)
    model.set_entries(_week())
    grid = CalendarGrid(model)
    grid.now = lambda: datetime(2020, 1, 1)  # no "now" line in the way
    qtbot.addWidget(grid)
    grid.resize(780, 780)
    return grid


@pytest.mark.parametrize("providers", [20, 10])
def test_every_narrow_block_shows_its_colour_and_its_edge(grid: CalendarGrid, providers: int) -> None:
    model = grid.model
    model.set_entries([e for e in _week() if int(e.provider_id[1:]) < providers])
    image = grid.grab().toImage()
    placed = model.placed()
    assert len(placed) == 50 * providers and {p.lanes for p in placed} == {providers}
    for p in placed:
        entry = model.entry(p.span.id)
        assert entry is not None
        rect = grid.block_rect(p)
        assert rect.width() < 14  # too narrow for words: the batched path
        fill, edge = model.colours_of(entry)
        middle = image.pixelColor(round(rect.left()) + 3, round(rect.center().y()))
        left = image.pixelColor(round(rect.left()), round(rect.center().y()))
        assert middle.name() == fill.name(), p.span.id
        # 20 lanes in a day leave 4-5 px a block: colour alone; 10 leave 12 px: with the edge
        assert left.name() == (edge if providers == 10 else fill).name(), p.span.id


def test_the_selected_block_is_drawn_in_full_and_outlined(grid: CalendarGrid) -> None:
    placed = grid.model.placed()[0]
    before = grid.grab().toImage()
    grid.select(placed.span.id)
    after = grid.grab().toImage()
    rect = grid.block_rect(placed)
    changed = [(x, y) for x in range(int(rect.left()), int(rect.right()) + 1)
               for y in range(int(rect.top()), int(rect.bottom()) + 1)
               if before.pixelColor(x, y) != after.pixelColor(x, y)]
    assert changed  # the outline of the selection
    outside = after.pixelColor(GUTTER - 10, int(rect.bottom()) + 30)
    assert outside == before.pixelColor(GUTTER - 10, int(rect.bottom()) + 30)


def test_blocks_of_one_kind_share_one_pair_of_colours(grid: CalendarGrid) -> None:
    model = grid.model
    pairs = {id(model.colours_of(e)) for e in model.entries()}
    assert len(pairs) == len(COLOURS)
    cancelled = model.entries()[0]
    model.upsert(CalendarEntry(cancelled.id, cancelled.start, cancelled.end, cancelled.provider_id,
                               colour=cancelled.colour, status="cancelled"))
    washed = model.fill_of(model.entry(cancelled.id))  # type: ignore[arg-type]
    assert washed != QColor(cancelled.colour) and washed.lightnessF() > 0.8


def _brief(entry: CalendarEntry) -> CalendarEntry:
    return replace(entry, client_name="", detailed=False)


def test_a_week_of_twenty_providers_side_by_side_is_crowded_a_few_are_not(grid: CalendarGrid) -> None:
    model = grid.model
    model.set_resources([(f"p{p:02d}", f"Provider {p}") for p in range(20)], [])
    assert grid.crowded()  # 20 lanes in a day's 140 px: slivers, whatever is booked
    model.set_filters(providers={"p01", "p02", "p03"}, location=None)
    assert not grid.crowded()
    model.set_filters(providers=None, location=None)
    model.set_view(CalendarView.PROVIDERS, MONDAY)  # one provider a column
    assert not grid.crowded()
    model.set_view(CalendarView.MONTH, MONDAY)
    assert not grid.crowded()


def test_slivers_read_brief_need_no_details_a_wide_block_asks_for_its_own(qtbot, grid: CalendarGrid) -> None:
    model = grid.model
    wanted: list[list[CalendarEntry]] = []
    grid.sig_details_wanted.connect(wanted.append)
    model.set_entries([_brief(e) for e in _week()])
    before = grid.grab().toImage()
    qtbot.wait(20)
    assert wanted == []  # every block a sliver: colour is all they show
    lone = _brief(CalendarEntry("lone", datetime(2026, 3, 14, 9), datetime(2026, 3, 14, 10), "p00",
                                "Provider 0", client_name="Client 0", type_name="Individual therapy"))
    model.set_entries([*model.entries(), lone])  # a Saturday visit alone in its column: room for words
    grid.grab()
    qtbot.waitUntil(lambda: bool(wanted), timeout=2000)
    assert [e.id for e in wanted[0]] == ["lone"]
    first = next(p for p in model.placed() if p.span.id == "0-8-00")
    shown = model.shown("0-8-00")
    assert shown is not None and not shown.detailed
    rect = grid.block_rect(first)  # a brief sliver wears its type's colour as a full one does
    assert before.pixelColor(round(rect.left()) + 3, round(rect.center().y())).name() == COLOURS[0]


def test_the_model_reads_a_brief_entry_in_full_once_when_asked_for_it() -> None:
    model = CalendarModel()
    model.set_view(CalendarView.WEEK, MONDAY)
    full = _week()[:3]
    model.set_entries([_brief(e) for e in full])
    asked: list[str] = []

    def details(brief: list[CalendarEntry]) -> list[CalendarEntry]:
        asked.extend(e.id for e in brief)
        return [e for e in full if e.id in {b.id for b in brief} and e.id != full[2].id]  # the third is gone

    model.details_of = details
    layout_before = [(p.span.id, *p[1:]) for p in model.placed()]
    assert model.shown(full[0].id) == _brief(full[0]) and asked == []  # painting never reads
    assert model.entry(full[0].id) == full[0] and model.entry(full[0].id) == full[0]
    assert asked == [full[0].id]  # once
    assert [(p.span.id, *p[1:]) for p in model.placed()] == layout_before  # not placed anew
    assert next(p.span for p in model.placed() if p.span.id == full[0].id) == full[0]  # painted in full
    assert model.entry(full[2].id) == _brief(full[2]) and model.entry(full[2].id) == _brief(full[2])
    assert asked == [full[0].id, full[2].id]  # what could not be read is not asked again until the next load
    moved = replace(full[1], start=full[1].start + timedelta(hours=1), end=full[1].end + timedelta(hours=1))
    model.add_details([moved])  # read in full after it moved: placed anew
    assert next(p for p in model.placed() if p.span.id == moved.id).start_minute == 120


def test_a_tooltip_reads_the_block_it_rests_on_in_full_and_only_that_one(qtbot, grid: CalendarGrid) -> None:
    model = grid.model
    full = {e.id: e for e in _week()}
    model.set_entries([_brief(e) for e in full.values()])
    asked: list[str] = []

    def details(brief: list[CalendarEntry]) -> list[CalendarEntry]:
        asked.extend(e.id for e in brief)
        return [full[e.id] for e in brief]

    model.details_of = details
    target = next(p for p in model.placed() if p.span.id == "2-10-07")
    centre = grid.block_rect(target).center().toPoint()
    for x in range(GUTTER + 2, centre.x(), 3):  # the pointer crosses a day's blocks: nothing is read
        qtbot.mouseMove(grid, QPoint(x, centre.y()))
    assert asked == []
    help_event = QHelpEvent(QEvent.Type.ToolTip, centre, grid.mapToGlobal(centre))
    QApplication.sendEvent(grid, help_event)
    assert asked == ["2-10-07"]
    assert "Client 7" in QToolTip.text()
    QToolTip.hideText()


def test_details_go_only_to_an_entry_still_as_it_was_asked_for() -> None:
    """A brief block moved on screen (its move being saved) is a new entry: details read for the one
    asked before are not put in its place, even though it is still brief."""
    model = CalendarModel()
    model.set_view(CalendarView.WEEK, MONDAY)
    full = _week()[0]
    asked = _brief(full)
    model.set_entries([asked])
    moving = asked.moved(start=asked.start + timedelta(hours=2), end=asked.end + timedelta(hours=2))
    model.upsert(moving)
    model.add_details([full], asked=[asked])
    assert model.shown(full.id) is moving
    model.set_entries([asked])
    model.add_details([full], asked=[asked])
    assert model.shown(full.id) == full
