"""Alerts: raised from the metrics and the compliance findings, acknowledged and resolved by people.

The job (:func:`current_conditions`, then :func:`apply_conditions`) computes every condition that
holds now — a clinician's kept-visit rate past its dictionary threshold, an associate's supervision
behind what their license requires a month, an unsigned note, a client without informed consent,
an escalation rule of ``resources/alert_rules.json`` that fires — and reconciles them with the open
alerts (domain/alerts.py): one open alert per condition, re-graded when its severity moves, resolved
by itself when the condition clears. The hub runs it on its job runner
(``hub/services/jobs.py``), the app in solo mode (:func:`generate_alerts`); the two steps are apart
so the hub holds its write lock only while it writes.

People see the alerts their role reaches (own, team, practice: the ALERTS row of the permission
table) and acknowledge or resolve them, with who and when; the hub checks the same rule on push.
"""

from __future__ import annotations

import calendar
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain import compliance as compliance_rules
from mentalspace_desktop.domain import metric_rules
from mentalspace_desktop.domain.alerts import (
    ESCALATION,
    AlertRules,
    Condition,
    OpenAlert,
    Severity,
    SupervisionAlert,
    escalation_facts,
    parse_alert_rules,
    reconcile,
)
from mentalspace_desktop.domain.compliance import Stage
from mentalspace_desktop.domain.metrics import Period
from mentalspace_desktop.domain.roles import Action, Relation, Resource, Role, allows, allows_any
from mentalspace_desktop.errors import NotFound, PermissionDenied, ValidationError
from mentalspace_desktop.resources import resource_path
from mentalspace_desktop.services import audit, compliance, metrics, supervision
from mentalspace_desktop.services.events import AlertsDidChange, EventBus
from mentalspace_desktop.services.metric_facts import fetch_facts
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.alert_models import Alert
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.models import Client, Practice, User

CLEARED = "cleared by itself: the condition no longer holds"
DUPLICATE = "closed as a duplicate of an alert already open for the same condition"
STATES = ("open", "acknowledged", "resolved")
SEVERITY_LABELS = {Severity.INFO: "Info", Severity.WARNING: "Warning", Severity.CRITICAL: "Critical"}

OnWrite = Callable[[Alert, str], None]  # (row, "insert" | "update"): the hub numbers and logs each write


@cache
def alert_rules() -> AlertRules:
    data = json.loads(resource_path("alert_rules.json").read_text(encoding="utf-8"))
    return parse_alert_rules(data, rules=frozenset(compliance_rules.DEFAULT_RULES),
                             stages=frozenset(stage.value for stage in Stage))


def type_labels() -> dict[str, str]:
    return alert_rules().labels()


# -- the job --------------------------------------------------------------------------------------


def _month(today: date) -> Period:
    return Period(today.replace(day=1), today)


def current_conditions(s: Session, *, now: datetime) -> list[Condition]:
    """Every condition that holds at ``now``, read from ``s`` (a store's or the hub's session)."""
    conf = alert_rules()
    practice = s.scalar(select(Practice))
    zone = metrics.zone_of(practice)
    today = now.astimezone(zone).date()
    staff = s.execute(select(User.id, User.full_name, User.role, User.license_type).where(
        User.deleted.is_(False), User.active.is_(True))).all()
    names = {u.id: u.full_name for u in staff}
    providers = frozenset(u.id for u in staff if u.role in metrics.PROVIDER_ROLES)
    definitions = metrics.definitions()
    conditions: list[Condition] = []
    window = Period(today - timedelta(days=conf.window_days - 1), today)
    recent = fetch_facts(s, period=window, today=today, subjects=providers, zone=zone)
    month_facts = None
    for alert in conf.metric_alerts:
        definition = definitions.get(alert.metric_id)
        if definition is None:
            continue  # a metric not computed yet (it starts alerting once it is)
        if alert.window == "month":
            month_facts = month_facts or fetch_facts(
                s, period=_month(today), today=today, subjects=providers, zone=zone,
                supervised_licenses=metrics.supervised_licenses(practice))  # whose license requires supervision
        facts = month_facts if alert.window == "month" else recent
        assert facts is not None
        for value in metric_rules.evaluate(facts, [alert.metric_id]):
            if value.denominator < alert.min_denominator or value.subject_id not in names:
                continue
            severity = conf.severity_by_status.get(definition.status(value.value).value)
            if severity is None:
                continue
            name = names[value.subject_id]
            side = "below" if definition.direction.value == "higher" else "above"
            conditions.append(Condition(
                f"{alert.alert_type}:{value.subject_id}", alert.alert_type, severity, value.subject_id,
                f"{alert.title}: {name}",
                f"{definition.name} {definition.format(value.value)} from {facts.period.start:%b %d} to "
                f"{facts.period.end:%b %d} (review {side} {definition.format(definition.warning)}, urgent {side} "
                f"{definition.format(definition.critical)})",
                "clinician", value.subject_id))
    try:
        settings = compliance.settings_in(s)
    except ValidationError:
        settings = compliance_rules.merged_settings({})  # a bad saved setting must not silence every alert
    if conf.supervision is not None and settings["supervision_hours"]["enabled"]:
        licenses = {u.id: u.license_type for u in staff if u.id in providers and u.license_type}
        conditions += _supervision(s, conf.supervision, settings["supervision_hours"], licenses, names, today)
    found = compliance.collect(s, scope=None, conf=settings, today=today)
    violators: set[str] = set()
    for alert_type in conf.finding_alerts:
        if not settings[alert_type.rule]["enabled"]:
            continue
        for stage, finding in found[alert_type.rule]:
            if finding is None or stage is Stage.OK:
                continue
            responsible = finding.responsible_user_id
            if stage.value in conf.violation_stages and responsible is not None and responsible in providers:
                violators.add(responsible)
            severity = conf.severity_by_stage.get(stage.value)
            if severity is None:
                continue
            conditions.append(Condition(
                f"{alert_type.alert_type}:{finding.record_id}", alert_type.alert_type, severity,
                finding.responsible_user_id if finding.responsible_user_id in names else None,
                f"{alert_type.title}: {finding.subject}",
                f"{compliance_rules.RULE_LABELS[alert_type.rule]}: {stage.value}", finding.record_type,
                finding.record_id, section=alert_type.section))
    # Unsigned notes and sessions with no note at all, as the 7-day rule found them, by their age.
    ages: dict[str, list[int]] = defaultdict(list)
    for _stage, finding in found["note_signature"]:
        if finding is not None and finding.responsible_user_id and finding.since and finding.since <= today:
            ages[finding.responsible_user_id].append((today - finding.since).days)
    conditions += _escalations(conf, ages, names, providers, violators)
    return conditions


def _supervision(s: Session, alert: SupervisionAlert, rule: dict, licenses: dict[str, str], names: dict[str, str],
                 today: date) -> list[Condition]:
    """Each associate against the hours a month their own license requires (the compliance settings),
    this month's pace counted as the My Team status counts it (days gone by ÷ days in the month)."""
    required = {lic: float(hours) for lic, hours in rule["monthly_hours"].items() if hours}
    supervisees = sorted(uid for uid, lic in licenses.items() if lic in required)
    if not supervisees:
        return []
    (last_start, last_end), (this_start, _) = compliance_rules.supervision_months(today)
    this_month = supervision.signed_minutes(s, start=this_start, end=today, supervisee_ids=supervisees)
    last_month = supervision.signed_minutes(s, start=last_start, end=last_end, supervisee_ids=supervisees)
    share = today.day / calendar.monthrange(today.year, today.month)[1]
    out = []
    for uid in supervisees:
        need, hours, before = required[licenses[uid]], this_month.get(uid, 0) / 60, last_month.get(uid, 0) / 60
        severity = alert.severity(required=need, hours=hours, last_month_hours=before, month_share=share)
        if severity is None:
            continue
        # Short last month: said without today's pace, so the alert is not rewritten every day of the month.
        standing = (f"Last month ended short: {before:.1f} h. This month {hours:.1f} h so far." if before < need
                    else f"This month {hours:.1f} h so far (about {need * share:.1f} h due by today); "
                         f"last month {before:.1f} h.")
        out.append(Condition(f"{alert.alert_type}:{uid}", alert.alert_type, severity, uid,
                             f"{alert.title}: {names[uid]}",
                             f"{licenses[uid]}: {need:g} h of signed supervision a month. {standing}",
                             "clinician", uid))
    return out


def _escalations(conf: AlertRules, ages: dict[str, list[int]], names: dict[str, str],
                 providers: frozenset[str], violators: set[str]) -> list[Condition]:
    per_clinician = escalation_facts({c: ages.get(c, []) for c in providers})
    practice = {"clinicians_out_of_compliance": float(len(violators))}
    out = []
    for rule in conf.escalation:
        audience = rule.escalate_to
        if rule.level == "practice":
            if rule.fires(practice):
                who = ", ".join(sorted(names.get(v, "?") for v in violators))
                out.append(Condition(f"{ESCALATION}:{rule.id}:practice", ESCALATION, conf.escalation_severity,
                                     None, f"Escalated to the administrator: {rule.description}",
                                     f"Clinicians with compliance violations: {who}", "compliance", None,
                                     audience=audience))
            continue
        for clinician, fact in sorted(per_clinician.items()):
            if rule.fires(fact):
                out.append(Condition(
                    f"{ESCALATION}:{rule.id}:{clinician}", ESCALATION, conf.escalation_severity, clinician,
                    f"Escalated to the supervisor: {names.get(clinician, '?')}",
                    f"{rule.description}. Now {int(fact['unsigned_notes'])} unsigned, the oldest "
                    f"{int(fact['oldest_unsigned_days'])} days old.", "clinician", clinician, audience=audience))
    return out


@dataclass(frozen=True)
class JobResult:
    opened: int
    updated: int
    resolved: int

    def line(self) -> str:
        return f"alerts: {self.opened} opened, {self.updated} updated, {self.resolved} resolved"


def apply_conditions(s: Session, conditions: Iterable[Condition], *, now: datetime,
                     on_write: OnWrite = lambda _row, _op: None) -> JobResult:
    """Open, re-grade and resolve alerts in ``s`` (inside the caller's write transaction) so that
    exactly the conditions given have one open alert each."""
    conditions = list(conditions)
    open_rows = list(s.scalars(select(Alert).where(Alert.resolved_at.is_(None), Alert.deleted.is_(False))
                               .order_by(Alert.opened_at, Alert.id)))
    plan = reconcile([OpenAlert(a.id, a.condition_key, Severity(a.severity)) for a in open_rows], conditions)
    current: dict[str, Condition] = {}
    for c in conditions:
        current.setdefault(c.key, c)
    for c in plan.to_open:
        row = Alert(condition_key=c.key, alert_type=c.alert_type, severity=c.severity.value, user_id=c.user_id,
                    audience=c.audience, title=c.title[:200], detail=c.detail, record_type=c.record_type,
                    record_id=c.record_id, section=c.section, opened_at=now)
        s.add(row)
        on_write(row, "insert")
    resolving = set(plan.to_resolve)
    updated = 0
    for row in open_rows:
        if row.id in resolving:
            kept = current.get(row.condition_key)
            row.resolved_at, row.resolved_by = now, None
            row.resolution = CLEARED if kept is None else DUPLICATE
            on_write(row, "update")
            continue
        c = current[row.condition_key]
        # Whom it is about follows the record too: a client given to a colleague takes the alert along.
        fresh = (c.severity.value, c.title[:200], c.detail, c.audience, c.user_id)
        if (row.severity, row.title, row.detail, row.audience, row.user_id) != fresh:
            row.severity, row.title, row.detail, row.audience, row.user_id = fresh
            on_write(row, "update")
            updated += 1
    return JobResult(len(plan.to_open), updated, len(resolving))


def generate_alerts(store: Store, *, now: datetime, events: EventBus | None = None) -> JobResult:
    """The alert job on one store (solo mode: the app runs it on its timer). Read first, then write
    in one short transaction; running it twice changes nothing. ``events``: the signed-in session's
    bus, told when anything changed so the open screens and the navigation's count follow."""
    with store.read() as s:
        conditions = current_conditions(s, now=now)
    with store.write(None) as s:
        result = apply_conditions(s, conditions, now=now)
    if events is not None and (result.opened or result.updated or result.resolved):
        events.emit(AlertsDidChange())
    return result


# -- people and their alerts ----------------------------------------------------------------------


@dataclass(frozen=True)
class AlertView:
    id: str
    alert_type: str
    type_label: str
    severity: Severity
    user_id: str | None
    clinician: str  # the clinician's name, or "Practice"
    audience: str
    title: str
    detail: str
    record_type: str | None
    record_id: str | None
    section: str | None
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None  # a name
    resolved_at: datetime | None
    resolved_by: str | None  # a name; None with resolved_at: it cleared by itself
    resolution: str | None
    client: str | None = None  # "Last, First" of the client a client's alert is about (not synced: looked up)

    @property
    def heading(self) -> str:
        """The title with the client's name, for those who may read it (the row itself names the chart)."""
        return f"{self.title} — {self.client}" if self.client else self.title

    @property
    def state(self) -> str:
        if self.resolved_at is not None:
            return "resolved"
        return "acknowledged" if self.acknowledged_at is not None else "open"


def _require_read(session: UserSession) -> None:
    if not allows_any(session.actor.role, Resource.ALERTS, Action.READ):
        raise PermissionDenied(f"Your role ({session.actor.role.label}) has no alerts. Ask an administrator if you "
                               "need them.")


def _relation(session: UserSession, user_id: str | None, team: frozenset[str]) -> Relation:
    if user_id is not None and user_id == session.actor.user_id:
        return Relation.OWN
    if session.actor.role is Role.SUPERVISOR and user_id in team:
        return Relation.TEAM
    return Relation.OTHER


def _scoped(session: UserSession, query: Select[Alert], team: frozenset[str]) -> Select[Alert]:
    role = session.actor.role
    if role is Role.ADMIN:
        return query
    if role is Role.SUPERVISOR:
        return query.where(Alert.user_id.in_(team | {session.actor.user_id}))
    return query.where(Alert.user_id == session.actor.user_id)


def list_alerts(session: UserSession, *, states: Iterable[str] = ("open", "acknowledged"),
                severity: Severity | None = None, alert_type: str | None = None,
                clinician_id: str | None = None) -> list[AlertView]:
    """The alerts this user may see, filtered; the most severe and oldest first."""
    _require_read(session)
    wanted = set(states)
    if not wanted <= set(STATES):
        raise ValidationError({"state": f"Unknown state(s): {', '.join(sorted(wanted - set(STATES)))}."})
    team = session.team_clinician_ids()
    query = _scoped(session, select(Alert).where(Alert.deleted.is_(False)), team)
    if "resolved" not in wanted:
        query = query.where(Alert.resolved_at.is_(None))
    if severity is not None:
        query = query.where(Alert.severity == severity.value)
    if alert_type is not None:
        query = query.where(Alert.alert_type == alert_type)
    if clinician_id is not None:
        query = query.where(Alert.user_id == clinician_id)
    with session.store.read() as s:
        rows = list(s.scalars(query))
        names: dict[str, str] = {uid: name for uid, name in s.execute(select(User.id, User.full_name))}
        client_ids = sorted({a.record_id for a in rows if a.record_type == "client" and a.record_id})
        clients = {cid: f"{last}, {first}" for cid, last, first in s.execute(
            select(Client.id, Client.last_name, Client.first_name).where(Client.id.in_(client_ids)))}
    labels = type_labels()
    views = [_view(a, names, labels, clients.get(a.record_id or "")) for a in rows]
    rank = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}
    views = [v for v in views if v.state in wanted]
    views.sort(key=lambda v: (v.state == "resolved", rank[v.severity], v.opened_at, v.clinician, v.heading))
    return views


def _view(a: Alert, names: dict[str, str], labels: dict[str, str], client: str | None = None) -> AlertView:
    return AlertView(a.id, a.alert_type, labels.get(a.alert_type, a.alert_type.replace("_", " ")),
                     Severity(a.severity), a.user_id, names.get(a.user_id, "?") if a.user_id else "Practice",
                     a.audience, a.title, a.detail, a.record_type, a.record_id, a.section, a.opened_at,
                     a.acknowledged_at, names.get(a.acknowledged_by or "") if a.acknowledged_by else None,
                     a.resolved_at, names.get(a.resolved_by or "") if a.resolved_by else None, a.resolution, client)


def open_counts(session: UserSession) -> dict[Severity, int]:
    """How many alerts this user has open (not yet resolved), by severity: the navigation's badge."""
    counts = dict.fromkeys(Severity, 0)
    if not allows_any(session.actor.role, Resource.ALERTS, Action.READ):
        return counts
    for view in list_alerts(session):
        counts[view.severity] += 1
    return counts


def _act(session: UserSession, alert_id: str, *, verb: str, now: datetime,
         change: Callable[[Alert], None]) -> AlertView:
    _require_read(session)
    team = session.team_clinician_ids()
    with session.store.write(session.actor.user_id) as s:
        alert = s.get(Alert, alert_id)
        if alert is None or alert.deleted:
            raise NotFound("That alert no longer exists.")
        relation = _relation(session, alert.user_id, team)
        if not allows(session.actor.role, Resource.ALERTS, Action.WRITE, relation):
            raise PermissionDenied(f"You can {verb} only alerts about yourself"
                                   + (" or your team." if session.actor.role is Role.SUPERVISOR else "."))
        if alert.resolved_at is not None:
            raise ValidationError({"alert": "This alert is already resolved."})
        change(alert)
        audit.append(s, session.store, user_id=session.actor.user_id, username=session.actor.username,
                     action=f"alert_{verb}", record_type="alert", record_id=alert.id,
                     summary=f"{verb}d alert: {alert.title}", at=now)
        s.flush()
        names: dict[str, str] = {uid: name for uid, name in s.execute(select(User.id, User.full_name))}
        view = _view(alert, names, type_labels())
    session.events.emit(AlertsDidChange((alert_id,)))
    return view


def acknowledge(session: UserSession, alert_id: str, *, now: datetime) -> AlertView:
    """Say "I have seen this": the alert stays open until its condition clears or someone resolves it."""
    def change(alert: Alert) -> None:
        if alert.acknowledged_at is None:
            alert.acknowledged_at, alert.acknowledged_by = now, session.actor.user_id

    return _act(session, alert_id, verb="acknowledge", now=now, change=change)


def resolve(session: UserSession, alert_id: str, *, now: datetime, note: str = "") -> AlertView:
    """Close the alert by hand (with an optional word on what was done). If its condition still holds,
    the next run opens it again: resolving says the problem is fixed, not that it may be ignored."""
    note = note.strip()
    if len(note) > 300:
        raise ValidationError({"note": "Keep the note under 300 characters."})

    def change(alert: Alert) -> None:
        alert.resolved_at, alert.resolved_by = now, session.actor.user_id
        alert.resolution = note or "resolved"
        if alert.acknowledged_at is None:
            alert.acknowledged_at, alert.acknowledged_by = now, session.actor.user_id

    return _act(session, alert_id, verb="resolve", now=now, change=change)
