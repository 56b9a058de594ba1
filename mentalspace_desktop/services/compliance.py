"""Running the Georgia documentation rules now: every rule, its status and the records behind it.

The rules and their day boundaries are domain/compliance.py; their settings are the practice's
``rule_settings`` (data, each rule on or off). A run reads the records in a few queries, decides
each record's stage, and keeps the run and its findings (``compliance_runs``,
``compliance_findings``) so a report can always show what was found when. Administrators and
supervisors run it; a supervisor's run covers their team.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain import compliance as rules
from mentalspace_desktop.domain.clients import ConsentKind, is_minor
from mentalspace_desktop.domain.compliance import Finding, Stage
from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.metric_rules import KEPT
from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.errors import PermissionDenied, ValidationError
from mentalspace_desktop.services import audit, metrics, supervision
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.chart_models import PlanReview, TreatmentPlan
from mentalspace_desktop.store.compliance_models import ComplianceFinding, ComplianceRun
from mentalspace_desktop.store.models import Client, Consent, Note, Practice, User
from mentalspace_desktop.store.scheduling_models import Appointment

CLINICAL_ROLES = (Role.CLINICIAN.value, Role.SUPERVISOR.value)


@dataclass(frozen=True)
class RuleSummary:
    rule: str
    label: str
    enabled: bool
    stages: dict[Stage, int]
    checked: int  # records looked at

    @property
    def worst(self) -> Stage:
        return rules.worst([s for s, n in self.stages.items() if n])

    def line(self) -> str:
        if not self.enabled:
            return f"{self.label}: off"
        problems = ", ".join(f"{n} {stage.value}" for stage, n in self.stages.items() if n and stage is not Stage.OK)
        return f"{self.label}: {problems or 'OK'} ({self.checked} checked)"


@dataclass(frozen=True)
class ComplianceResult:
    run_id: str
    ran_at: datetime
    today: date
    summaries: list[RuleSummary]
    findings: list[Finding]  # every record not OK


def settings(session: UserSession) -> dict[str, dict]:
    with session.store.read() as s:
        return settings_in(s)


def settings_in(s: Session) -> dict[str, dict]:
    """The practice's rule settings as read in ``s`` (a store's or the hub's session)."""
    practice = s.scalar(select(Practice))
    stored = json.loads(practice.rule_settings or "{}") if practice else {}
    try:
        return rules.merged_settings(stored)
    except rules.RuleSettingsError as exc:
        raise ValidationError({"rule_settings": str(exc)}) from None


def _scope(session: UserSession) -> set[str] | None:
    """The staff a run covers: None for the whole practice (administrators), a supervisor's team."""
    role = session.actor.role
    if role is Role.ADMIN:
        return None
    if role is Role.SUPERVISOR:
        return set(session.team_clinician_ids()) | {session.actor.user_id}
    raise PermissionDenied(f"Your role ({role.label}) does not run compliance checks. Ask an administrator.")


def run(session: UserSession, *, today: date, now: datetime) -> ComplianceResult:
    """Check every enabled rule now; keep the run and its findings; audit it."""
    scope = _scope(session)
    conf = settings(session)
    with session.store.read() as s:
        summaries, findings = _evaluate(s, scope, conf, today)
    run_id = new_id()
    with session.store.write(session.actor.user_id) as s:
        _keep(s, run_id, now=now, ran_by=session.actor.user_id, scope=scope, summaries=summaries, findings=findings)
        audit.append(s, session.store, user_id=session.actor.user_id, username=session.actor.username,
                     action="compliance_run", record_type="compliance_run", record_id=run_id,
                     summary=f"compliance checked: {len(findings)} finding(s)", at=now)
    return ComplianceResult(run_id, now, today, summaries, findings)


def run_nightly(transaction: Callable[[], AbstractContextManager[Session]], *, today: date,
                now: datetime) -> ComplianceResult:
    """The scheduled run over the whole practice (the hub's nightly job, or the app's solo timer):
    the same rules, kept as a run by no one (``ran_by`` empty). Out-of-range settings raise
    ValidationError, which the job runner records as a failed run."""
    with transaction() as s:
        conf = settings_in(s)
        summaries, findings = _evaluate(s, None, conf, today)
        run_id = new_id()
        _keep(s, run_id, now=now, ran_by=None, scope=None, summaries=summaries, findings=findings)
    return ComplianceResult(run_id, now, today, summaries, findings)


def _keep(s: Session, run_id: str, *, now: datetime, ran_by: str | None, scope: set[str] | None,
          summaries: list[RuleSummary], findings: list[Finding]) -> None:
    s.add(ComplianceRun(id=run_id, ran_at=now, ran_by=ran_by, scope="practice" if scope is None else "team",
                        summary=json.dumps({x.rule: x.line() for x in summaries})))
    s.flush()  # the run before its findings (no ORM relationship orders them)
    s.add_all(ComplianceFinding(run_id=run_id, rule=f.rule, stage=f.stage.value, subject=f.subject,
                                record_type=f.record_type, record_id=f.record_id,
                                responsible_user_id=f.responsible_user_id, detail=f.detail) for f in findings)


Found = dict[str, list[tuple[Stage, Finding | None]]]  # rule -> each record checked: its stage, the finding


def _evaluate(s: Session, scope: set[str] | None, conf: dict[str, dict],
              today: date) -> tuple[list[RuleSummary], list[Finding]]:
    """Every enabled rule over the records of ``scope`` (None: the practice): summaries and findings."""
    found = collect(s, scope=scope, conf=conf, today=today)
    summaries = []
    findings: list[Finding] = []
    for rule, results in found.items():
        enabled = bool(conf[rule]["enabled"])
        counts = Counter(stage for stage, _ in results) if enabled else Counter()
        summaries.append(RuleSummary(rule, rules.RULE_LABELS[rule], enabled,
                                     {st: counts.get(st, 0) for st in Stage}, len(results) if enabled else 0))
        if enabled:  # the worst first; within a stage the oldest first (notes and note-less sessions mixed)
            findings += sorted((f for stage, f in results if f is not None and stage is not Stage.OK),
                               key=lambda f: (-list(Stage).index(f.stage), f.since or date.min))
    return summaries, findings


def collect(s: Session, *, scope: set[str] | None, conf: dict[str, dict], today: date) -> Found:
    """Every record's stage under every rule, read in a few queries from ``s`` (a store's or the
    hub's session: the alert job runs this without a signed-in user). ``scope``: the staff covered,
    None for the whole practice."""
    found: Found = {rule: [] for rule in rules.DEFAULT_RULES}

    def add(rule: str, stage: Stage, finding: Finding | None) -> None:
        found[rule].append((stage, finding))

    staff = s.execute(select(User.id, User.full_name, User.role, User.hipaa_training_on, User.license_type).where(
        User.deleted.is_(False), User.active.is_(True))).all()
    names = {u.id: u.full_name for u in staff}
    mine = (lambda uid: True) if scope is None else (lambda uid: uid in scope)
    # Unsigned notes, by the session's age, the oldest first (an associate's note awaiting co-signature
    # is signed by them).
    for n in s.execute(select(Note.id, Note.author_id, Note.service_date, Note.note_type).where(
            Note.deleted.is_(False), Note.signed_at.is_(None), Note.submitted_at.is_(None),
            Note.addendum_to.is_(None)).order_by(Note.service_date, Note.id)):
        if mine(n.author_id):
            stage = rules.note_signature_stage(n.service_date, today, conf["note_signature"])
            add("note_signature", stage, Finding(
                "note_signature", stage, f"{n.note_type.replace('_', ' ').capitalize()} note of "
                f"{n.service_date:%b %d, %Y} ({names.get(n.author_id, 'unknown')})", "note", n.id, n.author_id,
                f"unsigned {(today - n.service_date).days} days after the session", n.service_date))
    zone = metrics.zone_of(s.scalar(select(Practice)))
    # Sessions held with no note at all: the same 7 days run from the session, which no note row dates.
    a = Appointment
    for v in s.execute(select(a.id, a.provider_id, a.start_at).where(
            a.deleted.is_(False), a.client_id.is_not(None), a.status.in_(KEPT),
            ~exists().where(Note.appointment_id == a.id, Note.deleted.is_(False))).order_by(a.start_at, a.id)):
        if mine(v.provider_id):
            day = v.start_at.astimezone(zone).date()
            stage = rules.note_signature_stage(day, today, conf["note_signature"])
            add("note_signature", stage, Finding(
                "note_signature", stage, f"Session of {day:%b %d, %Y} ({names.get(v.provider_id, 'unknown')})",
                "appointment", v.id, v.provider_id, f"no note {(today - day).days} days after the session", day))
    clients = s.execute(select(Client.id, Client.chart_number, Client.dob, Client.primary_clinician_id).where(
        Client.deleted.is_(False), Client.status == "active").order_by(Client.chart_number)).all()
    clients = [c for c in clients if scope is None or c.primary_clinician_id in scope]
    ids = [c.id for c in clients]
    last_plan: dict[str, date] = {}  # the day in the practice's calendar, as the rule counts days
    for client_id, signed_at in s.execute(select(TreatmentPlan.client_id, TreatmentPlan.signed_at).where(
            TreatmentPlan.client_id.in_(ids), TreatmentPlan.signed_at.is_not(None),
            TreatmentPlan.deleted.is_(False))):
        if signed_at is not None:
            day = signed_at.astimezone(zone).date()
            last_plan[client_id] = max(last_plan.get(client_id, day), day)
    for client_id, reviewed in s.execute(select(PlanReview.client_id, PlanReview.reviewed_on).where(
            PlanReview.client_id.in_(ids), PlanReview.signed_at.is_not(None), PlanReview.deleted.is_(False))):
        last_plan[client_id] = max(last_plan.get(client_id, reviewed), reviewed)
    consents: dict[str, dict[str, date]] = {}
    for k in s.execute(select(Consent.client_id, Consent.kind, Consent.signed_on, Consent.expires_on,
                              Consent.revoked_on).where(Consent.client_id.in_(ids), Consent.deleted.is_(False))):
        if (k.revoked_on is None or k.revoked_on > today) and (k.expires_on is None or k.expires_on >= today):
            kinds = consents.setdefault(k.client_id, {})
            kinds[k.kind] = max(kinds.get(k.kind, k.signed_on), k.signed_on)
    telehealth = set(s.scalars(select(Appointment.client_id).where(
        Appointment.client_id.in_(ids), Appointment.telehealth.is_(True), Appointment.deleted.is_(False),
        Appointment.status.in_(("scheduled", "confirmed", "checked_in", "completed")))))
    (last_start, last_end), (this_start, _) = rules.supervision_months(today)
    required = conf["supervision_hours"]["monthly_hours"]
    associates = [u for u in staff if u.license_type in required and mine(u.id)]
    ids_supervised = [u.id for u in associates]
    minutes_last = supervision.signed_minutes(s, start=last_start, end=last_end, supervisee_ids=ids_supervised)
    minutes_this = supervision.signed_minutes(s, start=this_start, end=today, supervisee_ids=ids_supervised)
    for c in clients:
        label = f"Client {c.chart_number}"
        held = consents.get(c.id, {})
        stage = rules.plan_review_stage(last_plan.get(c.id), today, conf["treatment_plan_review"])
        add("treatment_plan_review", stage, Finding("treatment_plan_review", stage, label, "client", c.id,
                                                    c.primary_clinician_id, "no signed plan" if c.id not in last_plan
                                                    else f"last signed or reviewed {last_plan[c.id]:%b %d, %Y}"))
        stage = rules.yearly_stage(held.get(ConsentKind.INFORMED_CONSENT), today, conf["informed_consent"])
        add("informed_consent", stage, Finding("informed_consent", stage, label, "client", c.id,
                                               c.primary_clinician_id, "informed consent"))
        if is_minor(c.dob, today):
            stage = Stage.OK if ConsentKind.GUARDIAN_CONSENT in held else Stage.OUT_OF_COMPLIANCE
            add("minor_consent", stage, Finding("minor_consent", stage, label, "client", c.id,
                                                c.primary_clinician_id, "a minor without guardian consent in force"))
        if c.id in telehealth:
            stage = Stage.OK if ConsentKind.TELEHEALTH_CONSENT in held else Stage.OUT_OF_COMPLIANCE
            add("telehealth_consent", stage, Finding("telehealth_consent", stage, label, "client", c.id,
                                                     c.primary_clinician_id, "telehealth sessions without consent"))
    for u in staff:
        if scope is None or u.id in scope:
            stage = rules.yearly_stage(u.hipaa_training_on, today, conf["hipaa_training"])
            add("hipaa_training", stage, Finding("hipaa_training", stage, u.full_name, "user", u.id, u.id,
                                                 "no training recorded" if u.hipaa_training_on is None
                                                 else f"trained {u.hipaa_training_on:%b %d, %Y}"))
    for u in associates:
        for month_start, minutes, over in ((last_start, minutes_last, True), (this_start, minutes_this, False)):
            hours = minutes.get(u.id, 0) / 60
            stage = rules.supervision_stage(hours, u.license_type, conf["supervision_hours"], month_over=over)
            add("supervision_hours", stage, Finding(
                "supervision_hours", stage, f"{u.full_name}, {month_start:%B %Y}", "user", u.id, u.id,
                f"{hours:.1f} of {required[u.license_type]:g} h signed ({u.license_type})"
                + ("" if over else ", month so far")))
    return found


def write_report(session: UserSession, result: ComplianceResult, path: Path) -> None:
    """The PDF report of a run: owner-only, named only once its audit entry is committed."""
    from mentalspace_desktop.integrations.pdf_compliance import write_compliance_report

    with session.store.read() as s:
        practice = s.scalar(select(Practice))
    lines = [(x.label, "off" if not x.enabled else ("met" if x.worst is Stage.OK else x.worst.value),
              x.line().split(": ", 1)[1]) for x in result.summaries]
    audit.write_private(path, lambda part: write_compliance_report(
        part, practice_name=practice.name if practice else "",
        ran_at=f"{result.ran_at.astimezone(metrics.zone_of(practice)):%b %d, %Y %H:%M}",  # the practice's clock
        ran_by=session.actor.full_name, summary_lines=lines, findings=result.findings), audited=(session, {
            "action": "export", "record_type": "compliance_run", "record_id": result.run_id,
            "summary": f"compliance report written ({len(result.findings)} finding(s))"}))
