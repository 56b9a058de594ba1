"""Alerts: one open alert per condition, resolved by itself when the condition clears, escalated by rules.

The alert job computes the conditions that hold now (from metrics and compliance findings) and
:func:`reconcile` compares them with the alerts already open: a condition with no open alert opens
one, an open alert whose condition still holds is kept (its severity follows the condition), and
an open alert whose condition is gone resolves itself. Running the job twice changes nothing, so two
hub processes or a retry never make duplicates.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Condition:
    """Something that should be looked at now. ``key`` names it uniquely: the same unsigned note or
    the same clinician's low kept-visit rate is always the same key, whatever the run."""

    key: str
    alert_type: str
    severity: Severity
    user_id: str | None  # the clinician it is about (who sees it first)
    title: str
    detail: str
    record_type: str | None = None
    record_id: str | None = None


@dataclass(frozen=True)
class OpenAlert:
    id: str
    key: str
    severity: Severity


@dataclass(frozen=True)
class Reconciliation:
    to_open: list[Condition]
    to_update: list[tuple[str, Condition]]  # (open alert id, the condition now)
    to_resolve: list[str]  # open alert ids whose condition cleared


def reconcile(open_alerts: Iterable[OpenAlert], now: Iterable[Condition]) -> Reconciliation:
    conditions: dict[str, Condition] = {}
    for condition in now:
        conditions.setdefault(condition.key, condition)  # the first of duplicates in one run
    by_key: dict[str, OpenAlert] = {}
    duplicates: list[str] = []
    for alert in open_alerts:
        if alert.key in by_key:
            duplicates.append(alert.id)  # two open for one condition (two offline desks): keep one
        else:
            by_key[alert.key] = alert
    to_open = [c for key, c in conditions.items() if key not in by_key]
    to_update = [(a.id, conditions[key]) for key, a in by_key.items()
                 if key in conditions and conditions[key].severity != a.severity]
    to_resolve = [a.id for key, a in by_key.items() if key not in conditions] + duplicates
    return Reconciliation(to_open, to_update, to_resolve)


# -- escalation ---------------------------------------------------------------------------------

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq,
}


class EscalationRuleError(ValueError):
    """An escalation rule in the data file that cannot be used; the message names the rule."""


@dataclass(frozen=True)
class Test:
    fact: str
    op: str
    value: float

    def holds(self, facts: Mapping[str, float]) -> bool:
        return self.fact in facts and _OPS[self.op](facts[self.fact], self.value)


@dataclass(frozen=True)
class EscalationRule:
    """Tell ``escalate_to`` (supervisor or administrator) when any of ``tests`` holds for a subject."""

    id: str
    description: str
    escalate_to: str
    level: str  # "clinician": facts per clinician; "practice": facts about the whole practice
    tests: tuple[Test, ...]

    def fires(self, facts: Mapping[str, float]) -> bool:
        return any(test.holds(facts) for test in self.tests)


def parse_escalation_rules(data: Mapping[str, Any], known_facts: frozenset[str]) -> list[EscalationRule]:
    rules = []
    for raw in data.get("escalation", []):
        rule_id = str(raw.get("id", ""))
        if raw.get("escalate_to") not in ("supervisor", "administrator"):
            raise EscalationRuleError(f"Escalation rule {rule_id}: escalate_to must be supervisor or administrator.")
        if raw.get("level") not in ("clinician", "practice"):
            raise EscalationRuleError(f"Escalation rule {rule_id}: level must be clinician or practice.")
        tests = []
        for t in raw.get("any", []):
            if t.get("fact") not in known_facts:
                raise EscalationRuleError(f"Escalation rule {rule_id}: unknown fact {t.get('fact')!r}.")
            if t.get("op") not in _OPS:
                raise EscalationRuleError(f"Escalation rule {rule_id}: unknown comparison {t.get('op')!r}.")
            tests.append(Test(str(t["fact"]), str(t["op"]), float(t["value"])))
        if not tests:
            raise EscalationRuleError(f"Escalation rule {rule_id} has no test.")
        rules.append(EscalationRule(rule_id, str(raw.get("description", "")), str(raw["escalate_to"]),
                                    str(raw["level"]), tuple(tests)))
    return rules
