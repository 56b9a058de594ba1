"""Alert deduplication, auto-resolve and escalation rules (domain.alerts): pure, no database."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mentalspace_desktop.domain.alerts import (
    AlertTypeError,
    Condition,
    EscalationRuleError,
    OpenAlert,
    Severity,
    SupervisionAlert,
    escalation_facts,
    parse_alert_rules,
    parse_escalation_rules,
    reconcile,
)
from mentalspace_desktop.resources import resource_path

FACTS = frozenset({"unsigned_notes", "oldest_unsigned_days", "clinicians_out_of_compliance"})


def cond(key: str, severity: Severity = Severity.WARNING) -> Condition:
    return Condition(key, "unsigned_note", severity, "u1", key, "")


def test_a_new_condition_opens_one_alert_and_a_held_one_is_kept() -> None:
    result = reconcile([OpenAlert("a1", "k1", Severity.WARNING)], [cond("k1"), cond("k2"), cond("k2")])
    assert [c.key for c in result.to_open] == ["k2"]
    assert result.to_update == [] and result.to_resolve == []


def test_a_cleared_condition_resolves_itself_and_a_changed_severity_updates() -> None:
    result = reconcile(
        [OpenAlert("a1", "k1", Severity.WARNING), OpenAlert("a2", "k2", Severity.WARNING)],
        [cond("k1", Severity.CRITICAL)],
    )
    assert result.to_open == []
    assert [(i, c.severity) for i, c in result.to_update] == [("a1", Severity.CRITICAL)]
    assert result.to_resolve == ["a2"]


def test_two_open_alerts_for_one_condition_collapse_to_one() -> None:
    result = reconcile([OpenAlert("a1", "k1", Severity.WARNING), OpenAlert("a2", "k1", Severity.WARNING)],
                       [cond("k1")])
    assert result.to_resolve == ["a2"]


@given(st.lists(st.sampled_from("abcdef"), max_size=12), st.lists(st.sampled_from("abcdef"), max_size=12))
def test_reconciling_twice_changes_nothing_the_second_time(open_keys: list[str], now_keys: list[str]) -> None:
    first = reconcile([OpenAlert(f"id{i}", k, Severity.WARNING) for i, k in enumerate(open_keys)],
                      [cond(k) for k in now_keys])
    resolved = set(first.to_resolve)
    still_open = [OpenAlert(f"id{i}", k, Severity.WARNING) for i, k in enumerate(open_keys)
                  if f"id{i}" not in resolved]
    still_open += [OpenAlert(f"new{c.key}", c.key, c.severity) for c in first.to_open]
    second = reconcile(still_open, [cond(k) for k in now_keys])
    assert second.to_open == [] and second.to_resolve == [] and second.to_update == []
    assert sorted(a.key for a in still_open) == sorted(set(now_keys))


def test_shipped_escalation_rules() -> None:
    rules = {r.id: r for r in parse_escalation_rules(
        json.loads(resource_path("alert_rules.json").read_text(encoding="utf-8")), FACTS)}
    clinician = rules["unsigned_notes_to_supervisor"]
    assert clinician.escalate_to == "supervisor"
    assert clinician.fires({"unsigned_notes": 6, "oldest_unsigned_days": 0})
    assert clinician.fires({"unsigned_notes": 1, "oldest_unsigned_days": 8})
    assert not clinician.fires({"unsigned_notes": 5, "oldest_unsigned_days": 7})
    practice = rules["compliance_to_administrator"]
    assert practice.fires({"clinicians_out_of_compliance": 3})
    assert not practice.fires({"clinicians_out_of_compliance": 2})


GOOD_TEST = {"fact": "unsigned_notes", "op": ">", "value": 1}
GOOD_RULE = {"id": "x", "level": "clinician", "escalate_to": "supervisor", "any": [GOOD_TEST]}


@pytest.mark.parametrize("edit", [
    {"escalate_to": "ceo"},
    {"any": [GOOD_TEST | {"fact": "mood"}]},
    {"any": [GOOD_TEST | {"op": "~"}]},
    {"any": []},
    {"level": "team"},
])
def test_a_bad_escalation_rule_is_refused(edit: dict[str, object]) -> None:
    with pytest.raises(EscalationRuleError):
        parse_escalation_rules({"escalation": [GOOD_RULE | edit]}, FACTS)


# -- alert types from the data file --------------------------------------------------------------

STAGES = frozenset({"ok", "reminder", "alert", "out of compliance", "billing hold"})
RULES = frozenset({"note_signature", "treatment_plan_review", "informed_consent", "supervision_hours",
                   "minor_consent", "telehealth_consent", "hipaa_training"})


def test_the_shipped_alert_types_parse() -> None:
    data = json.loads(resource_path("alert_rules.json").read_text(encoding="utf-8"))
    parsed = parse_alert_rules(data, rules=RULES, stages=STAGES)
    types = parsed.labels()
    assert {"unsigned_note", "kept_visit_rate_low", "no_show_rate_high", "treatment_plan_overdue",
            "supervision_hours_low", "consent_missing", "escalation"} <= set(types)
    assert parsed.severity_by_stage["reminder"] is Severity.INFO
    assert parsed.severity_by_status["urgent"] is Severity.CRITICAL
    assert parsed.supervision is not None and parsed.supervision.alert_type == "supervision_hours_low"
    assert all(a.metric_id != "supervision_hours" for a in parsed.metric_alerts)  # by license, not one threshold


@pytest.mark.parametrize(("change", "words"), [
    ({"window_days": 3}, "window_days"),
    ({"finding_alerts": [{"type": "x", "rule": "no_such_rule"}]}, "unknown compliance rule"),
    ({"metric_alerts": [{"type": "unsigned_note", "metric": "m"}, {"type": "unsigned_note", "metric": "m"}]},
     "not a new snake_case name"),
    ({"severity_by_stage": {"reminder": "loud"}}, "severity must be"),
    ({"violation_stages": ["late"]}, "unknown stages"),
    ({"supervision_alert": {"type": "supervision_hours_low", "from_month_share": 2, "critical_below_pace": 0.5}},
     "from_month_share must be a share"),
])
def test_a_bad_alert_type_is_refused_with_its_name(change: dict, words: str) -> None:
    data = json.loads(resource_path("alert_rules.json").read_text(encoding="utf-8"))
    with pytest.raises(AlertTypeError, match=words):
        parse_alert_rules({**data, **change}, rules=RULES, stages=STAGES)


def test_escalation_facts_count_and_age() -> None:
    assert escalation_facts({"c1": [1, 9, 3], "c2": []}) == {
        "c1": {"unsigned_notes": 3.0, "oldest_unsigned_days": 9.0},
        "c2": {"unsigned_notes": 0.0, "oldest_unsigned_days": 0.0}}


SUPERVISION = SupervisionAlert("supervision_hours_low", "Supervision hours low", 0.5, 0.5)


@pytest.mark.parametrize(("required", "hours", "last_month", "share", "expected"), [
    (4.0, 0.0, 4.0, 0.4, None),  # too early in the month to judge this month's pace
    (4.0, 0.0, 3.5, 0.1, Severity.CRITICAL),  # last month ended short: critical from day one
    (4.0, 2.0, 4.0, 0.5, None),  # on pace half-way
    (4.0, 1.9, 4.0, 0.5, Severity.WARNING),  # just behind pace
    (4.0, 2.0, 4.0, 1.0, Severity.WARNING),  # exactly half the pace on the last day: behind, not far behind
    (4.0, 1.9, 4.0, 1.0, Severity.CRITICAL),  # under half the pace
    (2.0, 2.0, 2.0, 0.6, None),  # the month's requirement met early
    (0.0, 0.0, 0.0, 1.0, None),  # no requirement
])
def test_supervision_is_judged_against_the_licenses_own_hours_and_pace(
        required: float, hours: float, last_month: float, share: float, expected: Severity | None) -> None:
    assert SUPERVISION.severity(required=required, hours=hours, last_month_hours=last_month,
                                month_share=share) is expected
