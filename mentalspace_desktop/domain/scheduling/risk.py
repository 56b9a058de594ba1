"""No-show risk of an upcoming appointment, with the factors that make it.

A logistic score over what the practice knows before the visit: the client's past no-shows and late
cancellations (smoothed, so one miss in two visits does not read as 50 %), how far ahead it was
booked, the time of day, whether the client is new and whether the visit is confirmed. The weights
are set by hand from what practices report; ``benchmarks/bench_no_show_risk.py`` measures how well
they rank real no-shows on the demo history.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class History:
    """The client's past appointments, counted."""

    completed: int = 0
    no_shows: int = 0
    late_cancels: int = 0


@dataclass(frozen=True)
class Factor:
    label: str
    weight: float  # contribution to the log-odds; positive raises the risk


@dataclass(frozen=True)
class Risk:
    score: float  # probability-like, 0…1
    level: str  # low, medium, high
    factors: tuple[Factor, ...]

    def explain(self) -> str:
        """The factors in words, strongest first."""
        shown = [f.label for f in sorted(self.factors, key=lambda f: -abs(f.weight)) if abs(f.weight) >= 0.1]
        return "; ".join(shown) if shown else "nothing unusual"


BASE = -2.6  # a typical practice sees 5–10 % no-shows


def no_show_risk(
    history: History, *, lead_days: float, hour: int, weekday: int, confirmed: bool
) -> Risk:
    """The risk that this appointment ends as a no-show."""
    factors: list[Factor] = []
    visits = history.completed + history.no_shows + history.late_cancels
    if visits == 0:
        factors.append(Factor("new client (no history yet)", 0.6))
    else:
        prior = 0.08
        ns_rate = (history.no_shows + prior * 4) / (visits + 4)
        if history.no_shows:
            factors.append(Factor(f"{history.no_shows} past no-show{'s' * (history.no_shows > 1)} "
                                  f"in {visits} visits", 6.0 * (ns_rate - prior)))
        lc_rate = (history.late_cancels + 0.05 * 4) / (visits + 4)
        if history.late_cancels:
            factors.append(Factor(f"{history.late_cancels} late cancellation{'s' * (history.late_cancels > 1)}",
                                  3.0 * (lc_rate - 0.05)))
        if history.no_shows == 0 and history.completed >= 5:
            factors.append(Factor("attends reliably", -0.5))
    if lead_days >= 21:
        factors.append(Factor(f"booked {int(lead_days)} days ahead", min(0.9, 0.02 * lead_days)))
    elif lead_days < 2:
        factors.append(Factor("booked within two days", -0.3))
    if hour < 9:
        factors.append(Factor("early morning", 0.35))
    elif hour >= 17:
        factors.append(Factor("evening", 0.2))
    if weekday == 0:
        factors.append(Factor("Monday", 0.15))
    factors.append(Factor("confirmed", -0.7) if confirmed else Factor("not confirmed", 0.4))
    logit = BASE + sum(f.weight for f in factors)
    score = 1 / (1 + math.exp(-logit))
    level = "high" if score >= 0.25 else "medium" if score >= 0.12 else "low"
    return Risk(round(score, 3), level, tuple(factors))
