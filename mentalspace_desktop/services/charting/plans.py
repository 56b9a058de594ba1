"""Treatment plans (reviewed every 90 days, reviews signed) and Stanley-Brown safety plans."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.charting import chain
from mentalspace_desktop.domain.charting import plans as rules
from mentalspace_desktop.domain.roles import Action
from mentalspace_desktop.errors import NotFound, PermissionDenied, ValidationError
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.charting.common import (
    ChartDidChange,
    now,
    open_json,
    open_text,
    reauthenticate,
    require_clinical,
    seal_json,
    seal_of,
    seal_text,
    user_name,
)
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.chart_models import PlanReview, RiskFlag, SafetyPlan, TreatmentPlan


@dataclass(frozen=True)
class ReviewView:
    reviewed_on: date
    text: str
    signed_by: str
    next_review_on: date


@dataclass(frozen=True)
class TreatmentPlanView:
    id: str
    client_id: str
    starts_on: date
    review_due_on: date
    review_state: rules.ReviewState
    problems: list[rules.Problem]
    status: str
    author: str
    signed_at: datetime | None
    signed_by: str
    content_hash: str | None
    reviews: list[ReviewView]


@dataclass(frozen=True)
class SafetyPlanView:
    id: str
    client_id: str
    sections: dict[str, list[str]]
    status: str
    author: str
    updated_at: datetime
    signed_at: datetime | None
    signed_by: str
    content_hash: str | None


@dataclass(frozen=True)
class PlanSummary:
    """What the chart header shows: plan review and safety-plan status (no clinical text)."""

    review_due_on: date | None
    review_state: rules.ReviewState | None
    at_risk: bool
    safety: rules.SafetyPlanStatus


def _refused(exc: rules.PlanError) -> ValidationError:
    return ValidationError({"plan": str(exc)}, f"The plan was not saved: {exc}")


class PlanService:
    def __init__(self, session: UserSession, *, today: Callable[[], date] = date.today) -> None:
        self.session = session
        self.today = today

    @property
    def _me(self) -> str:
        return self.session.actor.user_id

    # -- treatment plans ---------------------------------------------------------------------

    def save_treatment_plan(self, client_id: str, problems: Sequence[rules.Problem], *, plan_id: str | None = None,
                            starts_on: date | None = None) -> str:
        """Save a draft plan (new, or the given unsigned one); signed plans are replaced, never edited."""
        try:
            rules.check_plan(problems)
        except rules.PlanError as exc:
            raise _refused(exc) from None
        seal_of(self.session)
        with self.session.store.write(self._me) as s:
            require_clinical(self.session, s, client_id, Action.WRITE)
            if plan_id:
                plan = self._plan(s, plan_id)
                if plan.signed_at is not None:
                    raise PermissionDenied("A signed plan cannot change; start a new plan to replace it.")
            else:
                start = starts_on or self.today()
                plan = TreatmentPlan(client_id=client_id, author_id=self._me, starts_on=start,
                                     review_due_on=rules.review_due(start), content="")
                s.add(plan)
                s.flush()
            plan.content = seal_json(self.session, rules.plan_to_data(problems), "treatment_plans", "content", plan.id)
            audit.record(self.session, s, action="plan_saved", record_type="treatment_plan", record_id=plan.id,
                         client_id=client_id)
        self.session.events.emit(ChartDidChange(client_id, "treatment_plan", plan.id))
        return plan.id

    def _plan(self, s: Session, plan_id: str) -> TreatmentPlan:
        plan = s.get(TreatmentPlan, plan_id)
        if plan is None or plan.deleted:
            raise NotFound("That treatment plan does not exist.")
        require_clinical(self.session, s, plan.client_id, Action.READ)
        return plan

    def sign_treatment_plan(self, plan_id: str, secret: str) -> str:
        reauthenticate(self.session, secret, purpose="a treatment plan")
        with self.session.store.write(self._me) as s:
            plan = self._plan(s, plan_id)
            require_clinical(self.session, s, plan.client_id, Action.WRITE)
            if plan.signed_at is not None:
                raise PermissionDenied("This plan is already signed.")
            data = open_text(self.session, plan.content, "treatment_plans", "content", plan.id)
            plan.content_hash = chain.content_hash({"plan": data})
            plan.status, plan.signed_at, plan.signed_by = "signed", now(), self._me
            audit.record(self.session, s, action="plan_signed", record_type="treatment_plan", record_id=plan.id,
                         client_id=plan.client_id, summary=f"sha256 {plan.content_hash}")
        self.session.events.emit(ChartDidChange(plan.client_id, "treatment_plan", plan_id))
        return plan.content_hash or ""

    def review_plan(self, plan_id: str, summary: str, secret: str, *, reviewed_on: date | None = None) -> date:
        """Record and sign a review; the next review falls 90 days later. Returns that date."""
        if not summary.strip():
            raise ValidationError({"summary": "Summarise the client's progress on the plan."})
        reauthenticate(self.session, secret, purpose="a plan review")
        on = reviewed_on or self.today()
        with self.session.store.write(self._me) as s:
            plan = self._plan(s, plan_id)
            require_clinical(self.session, s, plan.client_id, Action.WRITE)
            if plan.signed_at is None:
                raise PermissionDenied("Sign the plan before reviewing it.")
            nxt = rules.review_due(plan.starts_on, on)
            review = PlanReview(plan_id=plan.id, client_id=plan.client_id, reviewed_on=on, next_review_on=nxt,
                                text="", signed_at=now(), signed_by=self._me,
                                content_hash=chain.content_hash({"review": summary.strip()}))
            s.add(review)
            s.flush()
            review.text = seal_text(self.session, summary.strip(), "plan_reviews", "text", review.id)
            audit.record(self.session, s, action="plan_reviewed", record_type="treatment_plan", record_id=plan.id,
                         client_id=plan.client_id, summary=f"next review {nxt}")
        self.session.events.emit(ChartDidChange(plan.client_id, "treatment_plan", plan_id))
        return nxt

    def treatment_plans(self, client_id: str) -> list[TreatmentPlanView]:
        """The client's plans, newest first; an audited read."""
        seal_of(self.session)
        today = self.today()
        with self.session.store.write(self._me) as s:
            require_clinical(self.session, s, client_id, Action.READ)
            out = []
            for p in s.scalars(select(TreatmentPlan).where(TreatmentPlan.client_id == client_id,
                                                           TreatmentPlan.deleted.is_(False))
                               .order_by(TreatmentPlan.starts_on.desc(), TreatmentPlan.updated_at.desc())):
                reviews = [ReviewView(r.reviewed_on, open_text(self.session, r.text, "plan_reviews", "text", r.id),
                                      user_name(s, r.signed_by), r.next_review_on)
                           for r in s.scalars(select(PlanReview).where(PlanReview.plan_id == p.id)
                                              .order_by(PlanReview.reviewed_on))]
                due = reviews[-1].next_review_on if reviews else p.review_due_on
                data: Any = open_json(self.session, p.content, "treatment_plans", "content", p.id)
                out.append(TreatmentPlanView(p.id, client_id, p.starts_on, due, rules.review_state(due, today),
                                             rules.plan_from_data(data or []), p.status, user_name(s, p.author_id),
                                             p.signed_at, user_name(s, p.signed_by), p.content_hash, reviews))
            audit.record(self.session, s, action="plans_viewed", record_type="client", record_id=client_id,
                         client_id=client_id)
        return out

    # -- safety plans ------------------------------------------------------------------------

    def save_safety_plan(self, client_id: str, sections: dict[str, list[str]], *, plan_id: str | None = None) -> str:
        try:
            stored = rules.check_safety_plan(sections)
        except rules.PlanError as exc:
            raise _refused(exc) from None
        seal_of(self.session)
        with self.session.store.write(self._me) as s:
            require_clinical(self.session, s, client_id, Action.WRITE)
            plan = s.get(SafetyPlan, plan_id) if plan_id else None
            if plan is not None and plan.signed_at is not None:
                raise PermissionDenied("A signed safety plan cannot change; start a new one to replace it.")
            if plan is None:
                plan = SafetyPlan(client_id=client_id, author_id=self._me, content="")
                s.add(plan)
                s.flush()
            plan.content = seal_json(self.session, stored, "safety_plans", "content", plan.id)
            plan.updated_at = now()
            audit.record(self.session, s, action="safety_plan_saved", record_type="safety_plan", record_id=plan.id,
                         client_id=client_id)
        self.session.events.emit(ChartDidChange(client_id, "safety_plan", plan.id))
        return plan.id

    def sign_safety_plan(self, plan_id: str, secret: str) -> str:
        reauthenticate(self.session, secret, purpose="a safety plan")
        with self.session.store.write(self._me) as s:
            plan = s.get(SafetyPlan, plan_id)
            if plan is None:
                raise NotFound("That safety plan does not exist.")
            require_clinical(self.session, s, plan.client_id, Action.WRITE)
            if plan.signed_at is not None:
                raise PermissionDenied("This safety plan is already signed.")
            data = open_text(self.session, plan.content, "safety_plans", "content", plan.id)
            plan.content_hash = chain.content_hash({"safety_plan": data})
            plan.status, plan.signed_at, plan.signed_by = "signed", now(), self._me
            audit.record(self.session, s, action="safety_plan_signed", record_type="safety_plan", record_id=plan.id,
                         client_id=plan.client_id, summary=f"sha256 {plan.content_hash}")
        self.session.events.emit(ChartDidChange(plan.client_id, "safety_plan", plan_id))
        return plan.content_hash or ""

    def safety_plans(self, client_id: str) -> list[SafetyPlanView]:
        seal_of(self.session)
        with self.session.store.write(self._me) as s:
            require_clinical(self.session, s, client_id, Action.READ)
            out = [SafetyPlanView(p.id, client_id, open_json(self.session, p.content, "safety_plans", "content", p.id),
                                  p.status, user_name(s, p.author_id), p.updated_at, p.signed_at,
                                  user_name(s, p.signed_by), p.content_hash)
                   for p in s.scalars(select(SafetyPlan).where(SafetyPlan.client_id == client_id,
                                                               SafetyPlan.deleted.is_(False))
                                      .order_by(SafetyPlan.updated_at.desc()))]
            audit.record(self.session, s, action="safety_plans_viewed", record_type="client", record_id=client_id,
                         client_id=client_id)
        return out

    def flag_at_risk(self, client_id: str, reason: str, *, on: date | None = None) -> str:
        """Flag a client at risk: a safety plan is then required and the chart header says so."""
        with self.session.store.write(self._me) as s:
            require_clinical(self.session, s, client_id, Action.WRITE)
            flag = RiskFlag(client_id=client_id, flagged_on=on or self.today(), flagged_by=self._me, reason="")
            s.add(flag)
            s.flush()
            flag.reason = seal_text(self.session, reason.strip(), "risk_flags", "reason", flag.id)
            audit.record(self.session, s, action="risk_flagged", record_type="client", record_id=client_id,
                         client_id=client_id)
        self.session.events.emit(ChartDidChange(client_id, "risk_flag", flag.id))
        return flag.id

    def clear_risk(self, client_id: str, *, on: date | None = None) -> None:
        with self.session.store.write(self._me) as s:
            require_clinical(self.session, s, client_id, Action.WRITE)
            for f in s.scalars(select(RiskFlag).where(RiskFlag.client_id == client_id, RiskFlag.cleared_on.is_(None))):
                f.cleared_on = on or self.today()
            audit.record(self.session, s, action="risk_cleared", record_type="client", record_id=client_id,
                         client_id=client_id)
        self.session.events.emit(ChartDidChange(client_id, "risk_flag", client_id))

    def summary(self, client_id: str) -> PlanSummary:
        """For the chart header: dates and states only, no clinical text."""
        today = self.today()
        with self.session.store.read() as s:
            require_clinical(self.session, s, client_id, Action.READ)
            plan = s.scalars(select(TreatmentPlan).where(TreatmentPlan.client_id == client_id,
                                                         TreatmentPlan.status == "signed")
                             .order_by(TreatmentPlan.signed_at.desc())).first()
            due = None
            if plan is not None:
                last = s.scalars(select(PlanReview.next_review_on).where(PlanReview.plan_id == plan.id)
                                 .order_by(PlanReview.reviewed_on.desc())).first()
                due = last or plan.review_due_on
            at_risk = s.scalar(select(RiskFlag.id).where(RiskFlag.client_id == client_id,
                                                         RiskFlag.cleared_on.is_(None),
                                                         RiskFlag.deleted.is_(False)).limit(1)) is not None
            statuses = set(s.scalars(select(SafetyPlan.status).where(SafetyPlan.client_id == client_id,
                                                                     SafetyPlan.deleted.is_(False))))
        return PlanSummary(due, rules.review_state(due, today) if due else None, at_risk,
                           rules.safety_plan_status(at_risk=at_risk, has_signed="signed" in statuses,
                                                    has_draft="draft" in statuses))
