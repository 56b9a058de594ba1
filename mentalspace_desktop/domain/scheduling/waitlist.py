"""Waitlist priority and how well a freed slot suits a waiting client, each with its reasons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

URGENCY_POINTS = {"urgent": 40.0, "soon": 20.0, "routine": 0.0}
TIMES_OF_DAY = {"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 24)}


def time_of_day(hour: int) -> str:
    return next(name for name, (lo, hi) in TIMES_OF_DAY.items() if lo <= hour < hi)


@dataclass(frozen=True)
class Waiting:
    """A waitlist entry, as the rules need it."""

    id: str
    added_on: date
    urgency: str = "routine"
    provider_id: str | None = None
    type_id: str | None = None
    days: frozenset[int] = frozenset()  # preferred weekdays; empty: any
    times: frozenset[str] = frozenset()  # morning, afternoon, evening; empty: any
    telehealth_ok: bool = True
    insurance: str | None = None


@dataclass(frozen=True)
class Scored:
    score: float
    reasons: tuple[str, ...]

    def explain(self) -> str:
        return "; ".join(self.reasons)


def priority(entry: Waiting, today: date) -> Scored:
    """Priority from wait time (2 points a week, up to 40), urgency, and how open the preferences are."""
    weeks = max(0, (today - entry.added_on).days) / 7
    reasons = [f"waiting {weeks:.0f} week{'s' * (round(weeks) != 1)}"]
    score = min(40.0, 2.0 * weeks)
    points = URGENCY_POINTS.get(entry.urgency, 0.0)
    if points:
        reasons.append(f"{entry.urgency} (+{points:.0f})")
    score += points
    if not entry.days and not entry.times and entry.provider_id is None:
        score += 5
        reasons.append("any day, time and provider (+5)")
    return Scored(round(score, 1), tuple(reasons))


@dataclass(frozen=True)
class FreedSlot:
    provider_id: str
    start_local: datetime
    type_id: str | None = None
    telehealth: bool = False
    payers: frozenset[str] = frozenset()  # insurance the provider takes; empty: unknown (no one excluded)


def match(entry: Waiting, slot: FreedSlot, today: date) -> Scored | None:
    """How well ``slot`` suits ``entry`` (priority plus preferences met), or None if it cannot be offered."""
    if slot.telehealth and not entry.telehealth_ok:
        return None
    base = priority(entry, today)
    score, reasons = base.score, list(base.reasons)
    if entry.provider_id is not None:
        if entry.provider_id != slot.provider_id:
            return None
        score += 15
        reasons.append("preferred provider (+15)")
    if entry.days:
        if slot.start_local.weekday() not in entry.days:
            score -= 15
            reasons.append("not a preferred day (−15)")
        else:
            score += 10
            reasons.append("preferred day (+10)")
    if entry.times:
        if time_of_day(slot.start_local.hour) not in entry.times:
            score -= 15
            reasons.append("not a preferred time (−15)")
        else:
            score += 10
            reasons.append("preferred time (+10)")
    if entry.type_id is not None and slot.type_id is not None and entry.type_id == slot.type_id:
        score += 5
        reasons.append("same kind of visit (+5)")
    if entry.insurance and slot.payers:
        if payer_key(entry.insurance) not in {payer_key(p) for p in slot.payers}:
            return None
        score += 5
        reasons.append(f"provider sees {entry.insurance.strip()} clients (+5)")
    return Scored(round(score, 1), tuple(reasons))


def payer_key(name: str) -> str:
    """A payer's name as compared: \"Aetna \", \"AETNA\" and \"aetna\" are one payer."""
    return " ".join(name.split()).casefold()


def best_matches(entries: list[Waiting], slot: FreedSlot, today: date, limit: int = 5) -> list[tuple[Waiting, Scored]]:
    """The entries that fit ``slot``, best first (ties: longest waiting)."""
    scored = [(e, m) for e in entries if (m := match(e, slot, today)) is not None]
    scored.sort(key=lambda pair: (-pair[1].score, pair[0].added_on, pair[0].id))
    return scored[:limit]
