"""Treatment plans and Stanley-Brown safety plans: their shape and their dates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

REVIEW_DAYS = 90
CRISIS_LINE_988 = "988 Suicide & Crisis Lifeline — call or text 988"


class PlanError(ValueError):
    """A plan that cannot be saved as it is; the message says what to fix."""


@dataclass
class Objective:
    text: str
    measure: str = ""  # how progress is measured ("PHQ-9 below 10")
    target_date: date | None = None


@dataclass
class Goal:
    text: str
    objectives: list[Objective] = field(default_factory=list)
    interventions: list[str] = field(default_factory=list)


@dataclass
class Problem:
    text: str
    goals: list[Goal] = field(default_factory=list)


def review_due(start: date, last_review: date | None = None) -> date:
    """Plans are reviewed every 90 days, counted from the last signed review or the start."""
    return (last_review or start) + timedelta(days=REVIEW_DAYS)


class ReviewState(StrEnum):
    CURRENT = "current"
    DUE_SOON = "due_soon"  # within 14 days
    OVERDUE = "overdue"


def review_state(due: date, today: date) -> ReviewState:
    if today > due:
        return ReviewState.OVERDUE
    if (due - today).days <= 14:
        return ReviewState.DUE_SOON
    return ReviewState.CURRENT


def check_plan(problems: Sequence[Problem]) -> None:
    """A plan has a problem, each problem a goal, each goal a measurable objective with a target date."""
    if not problems:
        raise PlanError("Add at least one problem to the plan.")
    for p in problems:
        if not p.text.strip():
            raise PlanError("Every problem needs a description.")
        if not p.goals:
            raise PlanError(f"Add a goal for the problem “{p.text}”.")
        for g in p.goals:
            if not g.text.strip():
                raise PlanError(f"A goal for “{p.text}” has no description.")
            if not g.objectives:
                raise PlanError(f"Add a measurable objective to the goal “{g.text}”.")
            for o in g.objectives:
                if not o.text.strip() or not o.measure.strip():
                    raise PlanError(f"Each objective of “{g.text}” needs a description and how it is measured.")
                if o.target_date is None:
                    raise PlanError(f"The objective “{o.text}” needs a target date.")


def plan_to_data(problems: Sequence[Problem]) -> list[dict[str, Any]]:
    return [{"text": p.text, "goals": [{
        "text": g.text, "interventions": list(g.interventions),
        "objectives": [{"text": o.text, "measure": o.measure,
                        "target_date": o.target_date.isoformat() if o.target_date else None}
                       for o in g.objectives]} for g in p.goals]} for p in problems]


def plan_from_data(data: Sequence[Mapping[str, Any]]) -> list[Problem]:
    return [Problem(p["text"], [Goal(g["text"], [
        Objective(o["text"], o.get("measure", ""),
                  date.fromisoformat(o["target_date"]) if o.get("target_date") else None)
        for o in g.get("objectives", [])], list(g.get("interventions", []))) for g in p.get("goals", [])])
        for p in data]


# -- Stanley-Brown safety plan ----------------------------------------------------------------

SAFETY_SECTIONS: tuple[tuple[str, str], ...] = (
    ("warning_signs", "1. Warning signs (thoughts, images, mood, situations, behaviour)"),
    ("coping", "2. Internal coping strategies — things I can do on my own"),
    ("distraction", "3. People and social settings that provide distraction"),
    ("help_contacts", "4. People whom I can ask for help"),
    ("professionals", "5. Professionals or agencies to contact during a crisis"),
    ("means_safety", "6. Making the environment safe (means safety)"),
    ("reason_for_living", "The one thing most important to me and worth living for"),
)

SAFETY_KEYS = tuple(k for k, _ in SAFETY_SECTIONS)


def new_safety_plan() -> dict[str, list[str]]:
    plan: dict[str, list[str]] = {k: [] for k in SAFETY_KEYS}
    plan["professionals"] = [CRISIS_LINE_988]
    return plan


def check_safety_plan(plan: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The plan as stored: every section present, blank lines dropped, 988 always among the crisis lines."""
    unknown = set(plan) - set(SAFETY_KEYS)
    if unknown:
        raise PlanError(f"A safety plan has no section(s): {', '.join(sorted(unknown))}.")
    out = {k: [line.strip() for line in plan.get(k, ()) if line.strip()] for k in SAFETY_KEYS}
    if not out["warning_signs"]:
        raise PlanError("List at least one warning sign.")
    if not out["coping"]:
        raise PlanError("List at least one coping strategy.")
    if not out["means_safety"]:
        raise PlanError("Record how the environment is made safe (means safety).")
    if not any("988" in line for line in out["professionals"]):
        out["professionals"].append(CRISIS_LINE_988)
    return out


class SafetyPlanStatus(StrEnum):
    NOT_NEEDED = "not_needed"
    MISSING = "missing"  # the client is flagged at risk and has no signed plan
    DRAFT = "draft"
    CURRENT = "current"

    @property
    def label(self) -> str:
        return {"not_needed": "Not required", "missing": "Required — none on file",
                "draft": "Draft, not signed", "current": "Signed plan on file"}[self.value]


def safety_plan_status(*, at_risk: bool, has_signed: bool, has_draft: bool) -> SafetyPlanStatus:
    if has_signed:
        return SafetyPlanStatus.CURRENT
    if has_draft:
        return SafetyPlanStatus.DRAFT
    return SafetyPlanStatus.MISSING if at_risk else SafetyPlanStatus.NOT_NEEDED
