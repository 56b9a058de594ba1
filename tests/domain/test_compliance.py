"""Georgia documentation rules at their day boundaries (domain.compliance): pure, no database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mentalspace_desktop.domain.compliance import (
    DEFAULT_RULES,
    RuleSettingsError,
    Stage,
    merged_settings,
    note_signature_stage,
    plan_review_stage,
    supervision_stage,
    worst,
    yearly_stage,
)

SESSION = date(2026, 11, 2)


@pytest.mark.parametrize(("day", "stage"), [
    (0, Stage.OK), (4, Stage.OK), (5, Stage.REMINDER), (6, Stage.REMINDER), (7, Stage.ALERT),
    (13, Stage.ALERT), (14, Stage.HOLD), (60, Stage.HOLD),
])
def test_seven_day_note_signature(day: int, stage: Stage) -> None:
    rule = DEFAULT_RULES["note_signature"]
    assert note_signature_stage(SESSION, SESSION + timedelta(days=day), rule) is stage


@pytest.mark.parametrize(("day", "stage"), [
    (79, Stage.OK), (80, Stage.REMINDER), (89, Stage.REMINDER), (90, Stage.ALERT), (91, Stage.OUT_OF_COMPLIANCE),
])
def test_treatment_plan_review(day: int, stage: Stage) -> None:
    rule = DEFAULT_RULES["treatment_plan_review"]
    assert plan_review_stage(SESSION, SESSION + timedelta(days=day), rule) is stage
    assert plan_review_stage(None, SESSION, rule) is Stage.OUT_OF_COMPLIANCE


@pytest.mark.parametrize(("day", "stage"), [
    (334, Stage.OK), (335, Stage.REMINDER), (364, Stage.REMINDER), (365, Stage.OUT_OF_COMPLIANCE),
])
def test_yearly_consent_and_training(day: int, stage: Stage) -> None:
    for rule in ("informed_consent", "hipaa_training"):
        assert yearly_stage(SESSION, SESSION + timedelta(days=day), DEFAULT_RULES[rule]) is stage
    assert yearly_stage(None, SESSION, DEFAULT_RULES["informed_consent"]) is Stage.OUT_OF_COMPLIANCE


def test_supervision_hours_by_license() -> None:
    rule = DEFAULT_RULES["supervision_hours"]
    assert supervision_stage(1.5, "LPC-Associate", rule) is Stage.OUT_OF_COMPLIANCE
    assert supervision_stage(2.0, "LPC-Associate", rule) is Stage.OK
    assert supervision_stage(3.0, "LMSW", rule) is Stage.OUT_OF_COMPLIANCE
    assert supervision_stage(0.0, "LPC", rule) is Stage.OK  # a fully licensed counsellor needs none


def test_saved_settings_override_defaults() -> None:
    rules = merged_settings({"note_signature": {"reminder_day": 3}, "hipaa_training": {"enabled": False}})
    assert rules["note_signature"]["reminder_day"] == 3
    assert rules["note_signature"]["alert_day"] == 7
    assert rules["hipaa_training"]["enabled"] is False


@pytest.mark.parametrize("stored", [
    {"note_signature": {"reminder_day": 9}},  # after the alert
    {"note_signature": {"alert_day": -1}},
    {"note_signature": {"alert_day": "7"}},
    {"treatment_plan_review": {"out_of_compliance_day": 85}},
    {"informed_consent": {"reminder_days_before": 400}},
    {"supervision_hours": {"monthly_hours": {"LMSW": -2}}},
    {"minor_consent": {"enabled": "yes"}},
    {"no_such_rule": {}},
])
def test_a_setting_out_of_range_is_refused_in_words(stored: dict[str, dict[str, object]]) -> None:
    with pytest.raises(RuleSettingsError) as caught:
        merged_settings(stored)
    assert str(caught.value)


def test_worst_stage() -> None:
    assert worst([Stage.OK, Stage.ALERT, Stage.REMINDER]) is Stage.ALERT
    assert worst([]) is Stage.OK


def test_the_currency_days_end_where_the_rules_call_a_record_out_of_compliance() -> None:
    """The dashboards count a plan or a training current exactly as long as the rule keeps it in."""
    from mentalspace_desktop.domain.compliance import (
        Stage,
        merged_settings,
        plan_current_days,
        plan_review_stage,
        training_valid_days,
        yearly_stage,
    )

    today = date(2026, 11, 30)
    for stored in ({}, {"treatment_plan_review": {"reminder_day": 20, "alert_day": 25, "out_of_compliance_day": 31},
                        "hipaa_training": {"valid_days": 180, "reminder_days_before": 30}}):
        rules = merged_settings(stored)
        plan, training = plan_current_days(rules), training_valid_days(rules)
        tp, hipaa = rules["treatment_plan_review"], rules["hipaa_training"]
        assert plan_review_stage(today - timedelta(days=plan), today, tp) is not Stage.OUT_OF_COMPLIANCE
        assert plan_review_stage(today - timedelta(days=plan + 1), today, tp) is Stage.OUT_OF_COMPLIANCE
        assert yearly_stage(today - timedelta(days=training - 1), today, hipaa) is not Stage.OUT_OF_COMPLIANCE
        assert yearly_stage(today - timedelta(days=training), today, hipaa) is Stage.OUT_OF_COMPLIANCE
