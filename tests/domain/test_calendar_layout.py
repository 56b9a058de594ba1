"""Calendar placement: columns per view, lanes for overlaps, time to minutes, month grid, cursor."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentalspace_desktop.domain.calendar_layout import (
    CalendarView,
    Cursor,
    Span,
    TimeScale,
    assign_lanes,
    columns_for,
    layout,
    month_cells,
    month_grid,
    next_block,
    placed_at,
    step_range,
    visible_range,
)

DAY = date(2026, 3, 9)  # a Monday; DST in the US starts the day before


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)


def span(sid: str, start: datetime, minutes: int, provider: str = "p1", room: str = "r1") -> Span:
    return Span(sid, start, start + timedelta(minutes=minutes), provider, room)


def test_spans_that_do_not_overlap_each_take_the_whole_width() -> None:
    lanes = assign_lanes([span("a", at(9), 60), span("b", at(10), 60)])
    assert lanes == {"a": (0, 1), "b": (0, 1)}


def test_overlapping_spans_share_the_column_and_reuse_a_freed_lane() -> None:
    spans = [span("a", at(9), 120), span("b", at(9, 30), 30), span("c", at(10), 30), span("d", at(12), 30)]
    lanes = assign_lanes(spans)
    # a runs 9-11; b 9:30-10 beside it; c 10-10:30 reuses b's lane; d stands alone
    assert lanes["a"] == (0, 2) and lanes["b"] == (1, 2) and lanes["c"] == (1, 2)
    assert lanes["d"] == (0, 1)


def test_a_chain_of_overlaps_keeps_one_width_for_the_cluster() -> None:
    spans = [span("a", at(9), 60), span("b", at(9, 30), 60), span("c", at(10, 15), 60)]
    lanes = assign_lanes(spans)
    assert {count for _, count in lanes.values()} == {2}
    assert lanes["c"][0] == 0  # a ended at 10, so c goes back to the first lane


def test_three_at_once_make_three_lanes() -> None:
    lanes = assign_lanes([span(x, at(14), 50) for x in "abc"])
    assert sorted(lanes.values()) == [(0, 3), (1, 3), (2, 3)]


def test_week_columns_start_on_monday_and_spans_land_on_their_day() -> None:
    cols = columns_for(CalendarView.WEEK, DAY + timedelta(days=3))
    assert [c.day for c in cols][0] == DAY and len(cols) == 7
    assert cols[0].label == "Mon 9 Mar"
    placed = layout([span("x", at(9, 0, DAY + timedelta(days=2)), 50)], cols, CalendarView.WEEK, TimeScale())
    assert [(p.column, p.start_minute, p.end_minute) for p in placed] == [(2, 120.0, 170.0)]


def test_providers_side_by_side_put_each_provider_in_their_column() -> None:
    cols = columns_for(CalendarView.PROVIDERS, DAY, providers=[("p1", "Dr. Patel"), ("p2", "Sam Lee")])
    placed = layout(
        [span("a", at(9), 60, "p2"), span("b", at(9), 60, "p1"), span("c", at(9), 60, "p9")],
        cols,
        CalendarView.PROVIDERS,
        TimeScale(),
    )
    assert {p.span.id: p.column for p in placed} == {"a": 1, "b": 0}  # p9 is filtered out
    assert all(p.lanes == 1 for p in placed)  # different providers never squeeze each other


def test_room_view_groups_by_room() -> None:
    cols = columns_for(CalendarView.ROOMS, DAY, rooms=[("r1", "Room 1"), ("r2", "Room 2")])
    placed = layout(
        [span("a", at(9), 60, "p1", "r2"), span("b", at(9), 60, "p2", "r2")], cols, CalendarView.ROOMS, TimeScale()
    )
    assert [(p.span.id, p.column, p.lanes) for p in placed] == [("a", 1, 2), ("b", 1, 2)]


def test_spans_outside_the_visible_hours_stay_visible_at_the_edge() -> None:
    scale = TimeScale(first_hour=8, last_hour=18)
    cols = columns_for(CalendarView.DAY, DAY)
    early, late = span("early", at(6), 60), span("late", at(19), 60)
    placed = {p.span.id: p for p in layout([early, late], cols, CalendarView.DAY, scale)}
    assert placed["early"].clipped_before and placed["early"].start_minute == 0
    assert placed["early"].end_minute > placed["early"].start_minute
    assert placed["late"].clipped_after and placed["late"].end_minute == scale.minutes


def test_a_span_across_midnight_shows_on_both_days() -> None:
    cols = columns_for(CalendarView.WEEK, DAY)
    night = span("n", at(23), 120)
    assert [p.column for p in layout([night], cols, CalendarView.WEEK, TimeScale(0, 24))] == [0, 1]


def test_empty_or_backwards_spans_are_not_placed() -> None:
    cols = columns_for(CalendarView.DAY, DAY)
    assert layout([Span("z", at(10), at(10)), Span("y", at(11), at(10))], cols, CalendarView.DAY, TimeScale()) == []


def test_time_scale_maps_times_slots_and_snaps() -> None:
    scale = TimeScale(first_hour=7, last_hour=20, slot_minutes=15)
    assert scale.slots == 52
    assert scale.minute_of(at(9, 30), DAY) == 150
    assert scale.slot_of(at(9, 40), DAY) == 10
    assert scale.slot_start(DAY, 10) == at(9, 30)
    assert scale.snap(157) == 150 and scale.snap(158) == 165
    assert scale.snap(-40) == 0 and scale.snap(10_000) == scale.minutes
    assert scale.hour_labels()[0] == (0, "7 AM") and scale.hour_labels()[5] == (300, "12 PM")


@pytest.mark.parametrize("args", [(9, 9, 15), (20, 8, 15), (7, 20, 7), (7, 20, 0)])
def test_time_scale_refuses_impossible_grids(args: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError):
        TimeScale(*args)


def test_wall_times_ignore_the_daylight_saving_change() -> None:
    # Sunday 8 March 2026 is 23 hours long in New York; the grid still shows 9:00 at the 9:00 row.
    sunday = date(2026, 3, 8)
    assert TimeScale().minute_of(at(9, 0, sunday), sunday) == 120


def test_month_grid_covers_the_month_in_whole_weeks() -> None:
    weeks = month_grid(date(2026, 3, 17))
    assert weeks[0][0] == date(2026, 2, 23) and weeks[-1][-1] == date(2026, 4, 5)
    assert all(len(w) == 7 for w in weeks) and len(weeks) == 6
    assert len(month_grid(date(2026, 2, 1))) == 5  # February 2026 starts on a Sunday: 5 rows
    later = span("c", at(9, 0, date(2026, 4, 20)), 30)
    cells = month_cells(date(2026, 3, 1), [span("b", at(15), 30), span("a", at(9), 30), later])
    monday = next(c for w in cells for c in w if c.day == DAY)
    assert [s.id for s in monday.spans] == ["a", "b"]
    assert not cells[0][0].in_month
    shown, more = monday.shown(1)
    assert shown == [] and more == 2
    assert monday.shown(2)[1] == 0


def test_visible_range_and_paging() -> None:
    assert visible_range(CalendarView.WEEK, DAY + timedelta(days=4)) == (at(0), at(0, 0, DAY + timedelta(days=7)))
    assert visible_range(CalendarView.DAY, DAY)[1] - visible_range(CalendarView.DAY, DAY)[0] == timedelta(days=1)
    assert visible_range(CalendarView.MONTH, DAY)[0] == datetime(2026, 2, 23)
    assert step_range(CalendarView.MONTH, date(2026, 12, 15), 1) == date(2027, 1, 1)
    assert step_range(CalendarView.MONTH, date(2026, 1, 15), -1) == date(2025, 12, 1)
    assert step_range(CalendarView.WEEK, DAY, -1) == DAY - timedelta(days=7)


def test_cursor_stays_on_the_grid_and_finds_blocks() -> None:
    cursor = Cursor().moved(-1, -1, columns=3, slots=10)
    assert cursor == Cursor(0, 0)
    assert Cursor(2, 9).moved(1, 1, columns=3, slots=10) == Cursor(2, 9)
    cols = columns_for(CalendarView.DAY, DAY)
    placed = layout([span("a", at(9), 60), span("b", at(9, 30), 60)], cols, CalendarView.DAY, TimeScale())
    assert placed_at(placed, 0, 140).span.id == "a"  # type: ignore[union-attr]
    assert placed_at(placed, 0, 160).span.id == "a"  # type: ignore[union-attr]
    assert placed_at(placed, 0, 160, x_fraction=0.75).span.id == "b"  # type: ignore[union-attr]
    assert placed_at(placed, 0, 10) is None
    first = next_block(placed, None, 1)
    assert first is not None and first.span.id == "a"
    second = next_block(placed, "a", 1)
    assert second is not None and second.span.id == "b"
    assert next_block(placed, "b", 1) is None


def _lanes_by_scanning(spans: list[Span]) -> dict[str, tuple[int, int]]:
    """The rule spelled out the slow way (each span scans every lane of its cluster): the reference
    the heap-based :func:`assign_lanes` must agree with."""
    ordered = sorted(spans, key=lambda s: (s.start, s.start - s.end, s.id))
    result: dict[str, tuple[int, int]] = {}
    cluster: list[tuple[str, int]] = []
    ends: list[datetime] = []
    cluster_end: datetime | None = None
    for s in ordered:
        if cluster_end is not None and s.start >= cluster_end:
            result.update({sid: (lane, len(ends)) for sid, lane in cluster})
            cluster, ends, cluster_end = [], [], None
        lane = next((i for i, end in enumerate(ends) if end <= s.start), len(ends))
        if lane == len(ends):
            ends.append(s.end)
        else:
            ends[lane] = s.end
        cluster.append((s.id, lane))
        cluster_end = s.end if cluster_end is None else max(cluster_end, s.end)
    result.update({sid: (lane, len(ends)) for sid, lane in cluster})
    return result


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(1, 12)), max_size=40))
def test_lanes_agree_with_the_rule_spelled_out(blocks: list[tuple[int, int]]) -> None:
    # starts and lengths in quarter hours: many ties, chains and lanes freed and taken again
    spans = [span(f"s{i:02d}", at(7) + timedelta(minutes=15 * start), 15 * length)
             for i, (start, length) in enumerate(blocks)]
    assert assign_lanes(spans) == _lanes_by_scanning(spans)


def test_a_busy_week_places_every_block_in_its_own_lane() -> None:
    """20 providers at the same hours (the week benchmark's shape): 20 lanes an hour, none shared."""
    cols = columns_for(CalendarView.WEEK, DAY)
    spans = [span(f"{d}-{h}-{p}", at(h, day=DAY + timedelta(days=d)), 50, provider=f"p{p}")
             for d in range(5) for h in range(7, 19) for p in range(20)]
    placed = layout(spans, cols, CalendarView.WEEK, TimeScale())
    assert len(placed) == len(spans)
    assert {p.lanes for p in placed} == {20}
    seen = {(p.column, p.start_minute, p.lane) for p in placed}
    assert len(seen) == len(spans)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-12, 60), st.integers(1, 12)), max_size=40))
def test_the_layout_comes_in_reading_order_without_sorting_it_again(blocks: list[tuple[int, int, int]]) -> None:
    """Blocks come out in reading order (column, start, lane) as they are placed, clipped ones too
    (before 7 AM and after the last slot many starts become one): the order Tab follows."""
    cols = columns_for(CalendarView.WEEK, DAY)
    spans = [span(f"s{i:02d}", at(4, day=DAY + timedelta(days=d)) + timedelta(minutes=15 * start), 15 * length)
             for i, (d, start, length) in enumerate(blocks)]
    placed = layout(spans, cols, CalendarView.WEEK, TimeScale(first_hour=7, last_hour=16))
    assert placed == sorted(placed, key=lambda p: (p.column, p.start_minute, p.lane))
    assert sorted(p.span.id for p in placed) == sorted(s.id for s in spans)
