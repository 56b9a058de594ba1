"""Georgia documentation rules: their settings (data, each rule on or off) and the stage a record is in.

Each rule turns the age of something (an unsigned note, a treatment plan, a consent, a training)
into a stage — fine, reminder, alert, out of compliance — at day boundaries the practice can set.
The functions here decide only that; the services find the records and act on the stage (remind the
clinician, alert the supervisor, hold the claim, block a booking).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any


class Stage(StrEnum):
    OK = "ok"
    REMINDER = "reminder"
    ALERT = "alert"
    OUT_OF_COMPLIANCE = "out of compliance"
    HOLD = "billing hold"


_STAGE_RANK = {Stage.OK: 0, Stage.REMINDER: 1, Stage.ALERT: 2, Stage.OUT_OF_COMPLIANCE: 3, Stage.HOLD: 4}


def worst(stages: list[Stage]) -> Stage:
    return max(stages, key=_STAGE_RANK.__getitem__, default=Stage.OK)


DEFAULT_RULES: dict[str, dict[str, Any]] = {
    "note_signature": {"enabled": True, "reminder_day": 5, "alert_day": 7, "billing_hold_day": 14},
    "treatment_plan_review": {"enabled": True, "reminder_day": 80, "alert_day": 90, "out_of_compliance_day": 91},
    "informed_consent": {"enabled": True, "valid_days": 365, "reminder_days_before": 30},
    "supervision_hours": {"enabled": True, "monthly_hours": {"LPC-Associate": 2.0, "LMSW": 4.0}},
    "minor_consent": {"enabled": True},
    "telehealth_consent": {"enabled": True},
    "hipaa_training": {"enabled": True, "valid_days": 365, "reminder_days_before": 30},
}

RULE_LABELS = {
    "note_signature": "Notes signed within 7 days",
    "treatment_plan_review": "Treatment plans reviewed every 90 days",
    "informed_consent": "Informed consent renewed yearly",
    "supervision_hours": "Monthly supervision hours by license",
    "minor_consent": "Guardian consent for minors",
    "telehealth_consent": "Telehealth consent before telehealth sessions",
    "hipaa_training": "HIPAA training renewed yearly",
}


class RuleSettingsError(ValueError):
    """A setting out of range: the message names the rule and the setting, in plain words."""


def _days(rule: str, settings: Mapping[str, Any], name: str, *, low: int = 0, high: int = 3650) -> int:
    value = settings.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RuleSettingsError(f"{RULE_LABELS[rule]}: {name.replace('_', ' ')} must be a whole number "
                                f"of days from {low} to {high}.")
    return value


def merged_settings(stored: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The practice's saved settings over the defaults, checked. Unknown rules are refused."""
    out = copy.deepcopy(DEFAULT_RULES)
    for rule, values in stored.items():
        if rule not in out:
            raise RuleSettingsError(f"There is no rule called {rule!r}.")
        if not isinstance(values, Mapping):
            raise RuleSettingsError(f"{RULE_LABELS[rule]}: the settings must be a mapping.")
        out[rule].update(values)
    validate(out)
    return out


def settings_or_defaults(stored: str | None) -> dict[str, dict[str, Any]]:
    """The practice's saved settings (JSON text) over the defaults, or the defaults alone when they
    cannot be read: what the dashboards count by (the compliance run reports unreadable settings)."""
    try:
        loaded = json.loads(stored or "{}")
        return merged_settings(loaded if isinstance(loaded, Mapping) else {})
    except (RuleSettingsError, ValueError):
        return merged_settings({})


def validate(rules: Mapping[str, Mapping[str, Any]]) -> None:
    for rule, settings in rules.items():
        if not isinstance(settings.get("enabled"), bool):
            raise RuleSettingsError(f"{RULE_LABELS[rule]}: 'enabled' must be true or false.")
    ns = rules["note_signature"]
    if not (_days("note_signature", ns, "reminder_day", low=1) < _days("note_signature", ns, "alert_day", low=1)
            <= _days("note_signature", ns, "billing_hold_day", low=1)):
        raise RuleSettingsError("Notes signed within 7 days: the reminder must come before the alert, "
                                "and the alert no later than the billing hold.")
    tp = rules["treatment_plan_review"]
    if not (_days("treatment_plan_review", tp, "reminder_day", low=1)
            < _days("treatment_plan_review", tp, "alert_day", low=1)
            <= _days("treatment_plan_review", tp, "out_of_compliance_day", low=1)):
        raise RuleSettingsError("Treatment plans: the reminder must come before the alert, and the alert "
                                "no later than the day the plan is out of compliance.")
    for rule in ("informed_consent", "hipaa_training"):
        valid = _days(rule, rules[rule], "valid_days", low=1)
        if _days(rule, rules[rule], "reminder_days_before") >= valid:
            raise RuleSettingsError(f"{RULE_LABELS[rule]}: the reminder must come before it expires.")
    hours = rules["supervision_hours"].get("monthly_hours")
    if not isinstance(hours, Mapping) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 40 for v in hours.values()
    ):
        raise RuleSettingsError("Monthly supervision hours: each license needs a number of hours from 0 to 40.")


def note_signature_stage(service_date: date, today: date, settings: Mapping[str, Any]) -> Stage:
    """An unsigned note's stage: reminder on day 5, supervisor alert on day 7, billing hold on day 14
    (days counted from the session; the session day is day 0)."""
    age = (today - service_date).days
    if age >= settings["billing_hold_day"]:
        return Stage.HOLD
    if age >= settings["alert_day"]:
        return Stage.ALERT
    if age >= settings["reminder_day"]:
        return Stage.REMINDER
    return Stage.OK


def plan_review_stage(last_review: date | None, today: date, settings: Mapping[str, Any]) -> Stage:
    """A treatment plan's stage by days since it was signed or last reviewed (no plan at all: out)."""
    if last_review is None:
        return Stage.OUT_OF_COMPLIANCE
    age = (today - last_review).days
    if age >= settings["out_of_compliance_day"]:
        return Stage.OUT_OF_COMPLIANCE
    if age >= settings["alert_day"]:
        return Stage.ALERT
    if age >= settings["reminder_day"]:
        return Stage.REMINDER
    return Stage.OK


def yearly_stage(done_on: date | None, today: date, settings: Mapping[str, Any]) -> Stage:
    """A yearly renewal (informed consent, HIPAA training): a reminder in the last 30 days, out of
    compliance from the day it expires."""
    if done_on is None:
        return Stage.OUT_OF_COMPLIANCE
    expires = done_on + timedelta(days=settings["valid_days"])
    if today >= expires:
        return Stage.OUT_OF_COMPLIANCE
    if today >= expires - timedelta(days=settings["reminder_days_before"]):
        return Stage.REMINDER
    return Stage.OK


def plan_current_days(rules: Mapping[str, Mapping[str, Any]]) -> int:
    """How many days after its signature (or its latest signed review) a treatment plan counts as
    current on the dashboards: up to the day before :func:`plan_review_stage` calls it out of
    compliance, so the treatment-plan currency metric and the compliance report never disagree."""
    return int(rules["treatment_plan_review"]["out_of_compliance_day"]) - 1


def training_valid_days(rules: Mapping[str, Mapping[str, Any]]) -> int:
    """How many days a HIPAA training stays current (it expires that many days after, as
    :func:`yearly_stage` counts it)."""
    return int(rules["hipaa_training"]["valid_days"])


def supervision_stage(hours_logged: float, license_type: str | None, settings: Mapping[str, Any], *,
                      month_over: bool = True) -> Stage:
    """A month's supervision hours against what the license requires (no requirement: fine). A month
    still running and short so far is a reminder; a finished month short is out of compliance."""
    required = settings["monthly_hours"].get(license_type or "")
    if required is None or hours_logged >= required:
        return Stage.OK
    return Stage.OUT_OF_COMPLIANCE if month_over else Stage.REMINDER


def supervision_months(today: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """The last finished month and the current one up to ``today``: (first day, last day) each."""
    first = today.replace(day=1)
    last_month_end = first - timedelta(days=1)
    return (last_month_end.replace(day=1), last_month_end), (first, today)


@dataclass(frozen=True)
class Finding:
    """One record's standing against one rule, kept with the run that found it (the evidence)."""

    rule: str
    stage: Stage
    subject: str  # what the finding is about, in words a supervisor reads ("Note of 3 Nov, J. Smith")
    record_type: str
    record_id: str
    responsible_user_id: str | None
    detail: str
    since: date | None = None  # the day its age counts from (a note's session), for rules that count days
