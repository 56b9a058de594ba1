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
    audience: str = "clinician"  # who is asked to act: clinician, supervisor, administrator
    section: str | None = None  # the part of the record that fixes it (a client's consents)


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


# -- alert types ----------------------------------------------------------------------------------


class AlertTypeError(ValueError):
    """An alert type in the data file that cannot be used; the message names it."""


@dataclass(frozen=True)
class MetricAlert:
    """A clinician's metric past its dictionary threshold: review grades ``warning``, urgent ``critical``.

    ``window``: "days" (the trailing ``window_days``) or "month" (this calendar month so far). A rate
    over fewer than ``min_denominator`` events (say five sessions) says too little to alert on.
    Supervision hours are not a metric alert: each license needs its own hours a month, which one
    dictionary threshold for everyone cannot say (:class:`SupervisionAlert`).
    """

    alert_type: str
    metric_id: str
    title: str
    window: str
    min_denominator: float


@dataclass(frozen=True)
class SupervisionAlert:
    """An associate's signed supervision against their own license's monthly requirement (the
    compliance settings' hours by license), judged as the My Team status judges it: last month ended
    short is critical all this month; this month behind the pace the requirement asks for by today
    is a warning, below ``critical_below_pace`` of that pace critical. Before ``from_month_share`` of
    the month has gone by this month's pace says too little to alert on."""

    alert_type: str
    title: str
    from_month_share: float
    critical_below_pace: float

    def severity(self, *, required: float, hours: float, last_month_hours: float,
                 month_share: float) -> Severity | None:
        """``month_share``: how much of this month has gone by, today included (0 < share <= 1)."""
        if required <= 0:
            return None
        if last_month_hours < required:
            return Severity.CRITICAL
        pace = required * month_share
        if month_share < self.from_month_share or hours >= required or hours >= pace:
            return None
        return Severity.CRITICAL if hours < pace * self.critical_below_pace else Severity.WARNING


@dataclass(frozen=True)
class FindingAlert:
    """A compliance finding (one record against one rule) that opens an alert; ``section`` names the
    part of the record that fixes it (a client's consents, their treatment plan)."""

    alert_type: str
    rule: str
    title: str
    section: str | None


@dataclass(frozen=True)
class AlertRules:
    window_days: int
    metric_alerts: tuple[MetricAlert, ...]
    finding_alerts: tuple[FindingAlert, ...]
    severity_by_stage: dict[str, Severity]
    severity_by_status: dict[str, Severity]
    violation_stages: frozenset[str]
    escalation: tuple[EscalationRule, ...]
    escalation_severity: Severity
    supervision: SupervisionAlert | None = None

    def labels(self) -> dict[str, str]:
        """Each alert type's words, for filters and lists."""
        out = {a.alert_type: a.title for a in self.metric_alerts}
        if self.supervision is not None:
            out[self.supervision.alert_type] = self.supervision.title
        out.update({a.alert_type: a.title for a in self.finding_alerts})
        out[ESCALATION] = "Escalation"
        return out


ESCALATION = "escalation"
ESCALATION_FACTS = frozenset({"unsigned_notes", "oldest_unsigned_days", "clinicians_out_of_compliance"})


def _severity(value: Any, where: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        raise AlertTypeError(f"{where}: severity must be info, warning or critical, not {value!r}.") from None


def parse_alert_rules(data: Mapping[str, Any], *, rules: frozenset[str], stages: frozenset[str]) -> AlertRules:
    """The alert types, their severities and the escalation rules of ``resources/alert_rules.json``,
    checked against the metrics and compliance rules that exist (a metric alert whose metric is not
    computed yet is kept: it starts alerting once the metric arrives)."""
    window = data.get("window_days", 28)
    if isinstance(window, bool) or not isinstance(window, int) or not 7 <= window <= 366:
        raise AlertTypeError("window_days must be a whole number of days from 7 to 366.")
    seen: set[str] = set()

    def new_type(raw: Mapping[str, Any]) -> str:
        alert_type = str(raw.get("type", ""))
        if not alert_type.isidentifier() or alert_type in seen or alert_type == ESCALATION:
            raise AlertTypeError(f"Alert type {alert_type!r} is not a new snake_case name.")
        seen.add(alert_type)
        return alert_type

    metric_alerts = []
    for raw in data.get("metric_alerts", []):
        alert_type = new_type(raw)
        if not str(raw.get("metric", "")).isidentifier():
            raise AlertTypeError(f"Alert type {alert_type}: metric must name a metric.")
        if raw.get("window", "days") not in ("days", "month"):
            raise AlertTypeError(f"Alert type {alert_type}: window must be days or month.")
        metric_alerts.append(MetricAlert(alert_type, str(raw["metric"]), str(raw.get("title", alert_type)),
                                         str(raw.get("window", "days")), float(raw.get("min_denominator", 1))))
    supervision = None
    if "supervision_alert" in data:
        raw = data["supervision_alert"]
        alert_type = new_type(raw)
        shares = {}
        for name in ("from_month_share", "critical_below_pace"):
            value = raw.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise AlertTypeError(f"Alert type {alert_type}: {name} must be a share from 0 to 1.")
            shares[name] = float(value)
        supervision = SupervisionAlert(alert_type, str(raw.get("title", alert_type)), **shares)
    finding_alerts = []
    for raw in data.get("finding_alerts", []):
        alert_type = new_type(raw)
        if raw.get("rule") not in rules:
            raise AlertTypeError(f"Alert type {alert_type}: unknown compliance rule {raw.get('rule')!r}.")
        finding_alerts.append(FindingAlert(alert_type, str(raw["rule"]), str(raw.get("title", alert_type)),
                                           raw.get("section")))
    by_stage = {str(k): _severity(v, f"Stage {k}") for k, v in data.get("severity_by_stage", {}).items()}
    if set(by_stage) - stages:
        raise AlertTypeError(f"severity_by_stage names unknown stages: {sorted(set(by_stage) - stages)}.")
    by_status = {str(k): _severity(v, f"Status {k}") for k, v in data.get("severity_by_status", {}).items()}
    violations = frozenset(str(v) for v in data.get("violation_stages", []))
    if violations - stages:
        raise AlertTypeError(f"violation_stages names unknown stages: {sorted(violations - stages)}.")
    return AlertRules(window, tuple(metric_alerts), tuple(finding_alerts), by_stage, by_status, violations,
                      tuple(parse_escalation_rules(data, ESCALATION_FACTS)),
                      _severity(data.get("escalation_severity", "critical"), "escalation_severity"),
                      supervision)


def escalation_facts(unsigned_ages: Mapping[str, list[int]]) -> dict[str, dict[str, float]]:
    """Per clinician: how many notes are unsigned and how old the oldest is (days since the session)."""
    return {clinician: {"unsigned_notes": float(len(ages)), "oldest_unsigned_days": float(max(ages, default=0))}
            for clinician, ages in unsigned_ages.items()}
