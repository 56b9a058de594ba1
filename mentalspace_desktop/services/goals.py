"""Performance goals: set by a supervisor for their team or by an administrator, seen by the clinician.

Each goal is evaluated from the metric engine over its own period — goals sharing a period are
measured together, in one pass for all their clinicians — and reads active, achieved or missed
(domain/goals.py). Reach follows the GOALS row of the permission table.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from mentalspace_desktop.domain import goals as rules
from mentalspace_desktop.domain.goals import GoalState
from mentalspace_desktop.domain.metrics import MetricDefinition, Period
from mentalspace_desktop.domain.roles import Action, Relation, Resource, Role, allows, allows_any
from mentalspace_desktop.errors import NotFound, PermissionDenied, ValidationError
from mentalspace_desktop.services import audit, metrics
from mentalspace_desktop.services.events import AlertsDidChange
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.alert_models import PerformanceGoal
from mentalspace_desktop.store.models import User

STATE_LABELS = {GoalState.ACTIVE: "Active", GoalState.ACHIEVED: "Achieved", GoalState.MISSED: "Missed"}


@dataclass(frozen=True)
class GoalView:
    id: str
    clinician_id: str
    clinician: str
    metric_id: str
    definition: MetricDefinition
    target: float
    period: Period
    value: float | None
    state: GoalState
    set_by: str
    note: str

    @property
    def meets(self) -> bool:
        return rules.meets(self.definition, self.target, self.value)

    def progress(self) -> str:
        """One line: "82% of 85% — behind" while active; the outcome after."""
        d = self.definition
        now = d.format(self.value)
        if self.state is GoalState.ACTIVE:
            course = "on course" if self.meets else ("no data yet" if self.value is None else "behind")
            return f"{now} (target {d.format(self.target)}) — {course}"
        return f"{now} (target {d.format(self.target)})"


def _relation(session: UserSession, clinician_id: str, team: frozenset[str]) -> Relation:
    if clinician_id == session.actor.user_id:
        return Relation.OWN
    if session.actor.role is Role.SUPERVISOR and clinician_id in team:
        return Relation.TEAM
    return Relation.OTHER


def may_set_goals(session: UserSession) -> bool:
    return allows_any(session.actor.role, Resource.GOALS, Action.WRITE)


def list_goals(session: UserSession, *, today: date, clinician_id: str | None = None) -> list[GoalView]:
    """The goals this user may see (or one clinician's), each measured over its own period."""
    role = session.actor.role
    if not allows_any(role, Resource.GOALS, Action.READ):
        raise PermissionDenied(f"Your role ({role.label}) has no performance goals.")
    team = session.team_clinician_ids()
    query = select(PerformanceGoal).where(PerformanceGoal.deleted.is_(False))
    if role is Role.SUPERVISOR:
        query = query.where(PerformanceGoal.clinician_id.in_(team | {session.actor.user_id}))
    elif role is not Role.ADMIN:
        query = query.where(PerformanceGoal.clinician_id == session.actor.user_id)
    if clinician_id is not None:
        query = query.where(PerformanceGoal.clinician_id == clinician_id)
    with session.store.read() as s:
        rows = list(s.scalars(query.order_by(PerformanceGoal.period_end.desc(), PerformanceGoal.metric_id)))
        names = {uid: name for uid, name in s.execute(select(User.id, User.full_name))}
    definitions = metrics.definitions()
    rows = [g for g in rows if g.metric_id in definitions]  # a metric no longer computed: not shown
    by_period: dict[tuple[date, date], list[PerformanceGoal]] = defaultdict(list)
    for g in rows:
        by_period[(g.period_start, g.period_end)].append(g)
    measured: dict[str, float | None] = {}
    for (start, end), group in by_period.items():
        who = {g.clinician_id for g in group}
        try:
            table = metrics.compute(session, Period(start, end), today=today,
                                    clinician=next(iter(who)) if len(who) == 1 else None,
                                    metric_ids=sorted({g.metric_id for g in group}))
        except NotFound:  # their one clinician is measured no more (deactivated): "no data", not a failed list
            continue
        for g in group:
            value = table.of(g.clinician_id).get(g.metric_id)
            measured[g.id] = None if value is None else value.value
    views = []
    for g in rows:
        period, definition = Period(g.period_start, g.period_end), definitions[g.metric_id]
        views.append(GoalView(g.id, g.clinician_id, names.get(g.clinician_id, "?"), g.metric_id, definition,
                              g.target, period, measured.get(g.id),
                              rules.state(definition, g.target, measured.get(g.id), period, today),
                              names.get(g.set_by, "?"), g.note))
    return views


def _check_write(session: UserSession, clinician_id: str) -> None:
    relation = _relation(session, clinician_id, session.team_clinician_ids())
    if not allows(session.actor.role, Resource.GOALS, Action.WRITE, relation):
        if session.actor.role is Role.SUPERVISOR:
            raise PermissionDenied("You can set goals only for the clinicians you supervise.")
        raise PermissionDenied("Goals are set by a supervisor or an administrator.")


def save_goal(session: UserSession, *, clinician_id: str, metric_id: str, typed_target: float, start: date,
              end: date, note: str = "", goal_id: str | None = None, now: datetime) -> str:
    """Create (or change) a goal. ``typed_target`` is in the units a person types: 85 for 85 %."""
    definition = metrics.definitions().get(metric_id)
    if definition is None:
        raise ValidationError({"metric": "Choose a metric."})
    if end < start:
        raise ValidationError({"period": "The period ends before it starts: choose an end after the start."})
    period = Period(start, end)
    problems = rules.check(definition, typed_target, period)
    if len(note.strip()) > 300:
        problems["note"] = "Keep the note under 300 characters."
    if problems:
        raise ValidationError(problems)
    _check_write(session, clinician_id)
    target = typed_target * rules.limits(definition).scale
    with session.store.write(session.actor.user_id) as s:
        clinician = s.get(User, clinician_id)
        if clinician is None or clinician.deleted:
            raise NotFound("That clinician no longer exists.")
        if goal_id is None:
            goal = PerformanceGoal(clinician_id=clinician_id, metric_id=metric_id, target=target,
                                   period_start=start, period_end=end, set_by=session.actor.user_id,
                                   note=note.strip())
            s.add(goal)
            s.flush()
        else:
            found = s.get(PerformanceGoal, goal_id)
            if found is None or found.deleted:
                raise NotFound("That goal no longer exists.")
            _check_write(session, found.clinician_id)
            goal = found
            goal.clinician_id, goal.metric_id, goal.target = clinician_id, metric_id, target
            goal.period_start, goal.period_end, goal.note = start, end, note.strip()
        audit.append(s, session.store, user_id=session.actor.user_id, username=session.actor.username,
                     action="goal_set", record_type="performance_goal", record_id=goal.id,
                     summary=f"goal for {clinician.full_name}: {definition.name} {definition.format(target)}, "
                             f"{start} to {end}", at=now)
        goal_id = goal.id
    session.events.emit(AlertsDidChange())
    return goal_id


def delete_goal(session: UserSession, goal_id: str, *, now: datetime) -> None:
    with session.store.write(session.actor.user_id) as s:
        goal = s.get(PerformanceGoal, goal_id)
        if goal is None or goal.deleted:
            raise NotFound("That goal no longer exists.")
        _check_write(session, goal.clinician_id)
        goal.deleted = True
        audit.append(s, session.store, user_id=session.actor.user_id, username=session.actor.username,
                     action="goal_delete", record_type="performance_goal", record_id=goal.id,
                     summary=f"goal removed: {goal.metric_id}", at=now)
    session.events.emit(AlertsDidChange())
