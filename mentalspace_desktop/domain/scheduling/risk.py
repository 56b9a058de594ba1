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
PRIOR_NO_SHOW, PRIOR_LATE, PRIOR_WEIGHT = 0.08, 0.05, 4  # the smoothing: four visits at the usual rates
NEW_CLIENT, RELIABLE = 0.6, -0.5
EARLY, EVENING, MONDAY = 0.35, 0.2, 0.15
CONFIRMED, UNCONFIRMED, BOOKED_LATELY = -0.7, 0.4, -0.3


def _history_weights(history: History) -> tuple[float, float, float, float]:
    """(new client, past no-shows, late cancellations, attends reliably): the history's log-odds."""
    visits = history.completed + history.no_shows + history.late_cancels
    if visits == 0:
        return NEW_CLIENT, 0.0, 0.0, 0.0
    ns_rate = (history.no_shows + PRIOR_NO_SHOW * PRIOR_WEIGHT) / (visits + PRIOR_WEIGHT)
    lc_rate = (history.late_cancels + PRIOR_LATE * PRIOR_WEIGHT) / (visits + PRIOR_WEIGHT)
    return (0.0, 6.0 * (ns_rate - PRIOR_NO_SHOW) if history.no_shows else 0.0,
            3.0 * (lc_rate - PRIOR_LATE) if history.late_cancels else 0.0,
            RELIABLE if history.no_shows == 0 and history.completed >= 5 else 0.0)


def _lead_weight(lead_days: float) -> float:
    if lead_days >= 21:
        return min(0.9, 0.02 * lead_days)
    return BOOKED_LATELY if lead_days < 2 else 0.0


def no_show_score(history: History, *, lead_days: float, hour: int, weekday: int, confirmed: bool) -> float:
    """:func:`no_show_risk`'s score alone, without its factors in words: what a calendar of a
    thousand visits needs for each (the words are spelled out only where a badge shows)."""
    new, no_shows, late, reliable = _history_weights(history)
    logit = (BASE + new + no_shows + late + reliable + _lead_weight(lead_days)
             + (EARLY if hour < 9 else EVENING if hour >= 17 else 0.0) + (MONDAY if weekday == 0 else 0.0)
             + (CONFIRMED if confirmed else UNCONFIRMED))
    return round(1 / (1 + math.exp(-logit)), 3)


def level_of(score: float) -> str:
    return "high" if score >= 0.25 else "medium" if score >= 0.12 else "low"


def no_show_risk(
    history: History, *, lead_days: float, hour: int, weekday: int, confirmed: bool
) -> Risk:
    """The risk that this appointment ends as a no-show, with the factors that make it."""
    factors: list[Factor] = []
    new, no_shows, late, reliable = _history_weights(history)
    visits = history.completed + history.no_shows + history.late_cancels
    if new:
        factors.append(Factor("new client (no history yet)", new))
    if history.no_shows:
        factors.append(Factor(f"{history.no_shows} past no-show{'s' * (history.no_shows > 1)} "
                              f"in {visits} visits", no_shows))
    if history.late_cancels:
        factors.append(Factor(f"{history.late_cancels} late cancellation{'s' * (history.late_cancels > 1)}", late))
    if reliable:
        factors.append(Factor("attends reliably", reliable))
    lead = _lead_weight(lead_days)
    if lead_days >= 21:
        factors.append(Factor(f"booked {int(lead_days)} days ahead", lead))
    elif lead:
        factors.append(Factor("booked within two days", lead))
    if hour < 9:
        factors.append(Factor("early morning", EARLY))
    elif hour >= 17:
        factors.append(Factor("evening", EVENING))
    if weekday == 0:
        factors.append(Factor("Monday", MONDAY))
    factors.append(Factor("confirmed", CONFIRMED) if confirmed else Factor("not confirmed", UNCONFIRMED))
    logit = BASE + sum(f.weight for f in factors)
    score = round(1 / (1 + math.exp(-logit)), 3)
    return Risk(score, level_of(score), tuple(factors))
