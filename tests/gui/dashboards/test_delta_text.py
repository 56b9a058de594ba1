"""The comparison line under each dashboard figure: never "0 pts worse"."""

from __future__ import annotations

from mentalspace_desktop.domain.metrics import Direction, MetricDefinition, MetricValue
from mentalspace_desktop.gui.dashboards.widgets import delta_text

KVR = MetricDefinition("kept_visit_rate", "Kept visit rate", "engagement", "percent", "", Direction.HIGHER,
                       0.9, 0.85, 0.75)
LEAD = MetricDefinition("average_lead_time", "Average appointment lead time", "capacity", "days", "",
                        Direction.LOWER, 7, 14, 21)


def value(numerator: float, denominator: float = 1000) -> MetricValue:
    return MetricValue("m", "all", numerator, denominator)


def test_changes_in_points_and_days() -> None:
    assert delta_text(KVR, value(880), value(840)) == "▲ 4 pts better than the previous period"
    assert delta_text(KVR, value(880), value(870)) == "▲ 1 pt better than the previous period"
    assert delta_text(KVR, value(880), value(881)) == "▼ under 1 pt worse than the previous period"
    assert delta_text(KVR, value(880), value(880)) == "same as the previous period"
    assert delta_text(LEAD, value(3.71, 1), value(3.7, 1)) == "about the same as the previous period"
    assert delta_text(LEAD, value(4.2, 1), value(3.7, 1)).endswith("worse than the previous period")
    assert delta_text(KVR, value(1, 0), value(880)) == "no earlier figure to compare"
