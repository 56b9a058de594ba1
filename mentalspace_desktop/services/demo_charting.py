"""The demo practice's charts: notes for past sessions, plans and safety plans, sealed like real ones.

Written straight into the store (like the rest of the demo's history) with the signature times the
story says, using the same rules as the charting services: sealed content, a version per save, the
content hash and the per-client chain. The mix shows every state a clinician meets: signed notes,
drafts inside and beyond the 7-day limit, associates' notes awaiting co-signature, a returned note,
amended notes, treatment plans current and overdue for review, safety plans for flagged clients.
"""

from __future__ import annotations

import random
import secrets
import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.charting import chain
from mentalspace_desktop.domain.charting import plans as plan_rules
from mentalspace_desktop.domain.charting.lifecycle import NoteStatus, license_requires_supervision
from mentalspace_desktop.services.charting.common import open_text, seal_json, seal_text
from mentalspace_desktop.services.charting.templates import active_template
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.chart_models import (
    Diagnosis,
    NoteComment,
    NoteDiagnosis,
    NoteVersion,
    RiskFlag,
    SafetyPlan,
    TreatmentPlan,
)
from mentalspace_desktop.store.models import Client, Note, NoteBody, User

CHARTED_CLIENTS = 30
# How far behind each clinician runs on notes, so the dashboards show every status: one urgent, one
# to review, the rest on track (drafts only for this week's sessions).
BEHIND = {"jordan": "urgent", "tyler": "review"}
SESSIONS = 7  # weekly, the newest this week

# The demo's diagnoses with their ICD-10-CM descriptions (a test checks them against the code set), so
# building the demo does not load the whole code set.
_DX = {
    "F41.1": "Generalized anxiety disorder",
    "F32.1": "Major depressive disorder, single episode, moderate",
    "F33.1": "Major depressive disorder, recurrent, moderate",
    "F43.10": "Post-traumatic stress disorder, unspecified",
    "F43.23": "Adjustment disorder with mixed anxiety and depressed mood",
    "F90.0": "Attention-deficit hyperactivity disorder, predominantly inattentive type",
    "F40.10": "Social phobia, unspecified",
    "F42.2": "Mixed obsessional thoughts and acts",
    "F34.1": "Dysthymic disorder",
    "Z63.0": "Problems in relationship with spouse or partner",
}
_SUBJECTIVE = (
    "Client reports sleeping about six hours a night and feeling \"on edge\" most mornings before work.",
    "Client says the week was calmer; one argument with her partner, which she handled by taking a walk.",
    "Client reports low mood most days, less interest in cooking and seeing friends; appetite unchanged.",
    "Client describes two panic episodes on the highway; he pulled over and used paced breathing.",
    "Client reports better focus at school after starting a planner; still late with two assignments.",
    "Client reports intrusive memories of the accident three nights this week, fewer than last month.",
)
_OBJECTIVE = ("PHQ-9: {n}. GAD-7: {g}. Arrived on time, casually dressed, good eye contact.",
              "PHQ-9: {n}. Tearful when discussing her mother; otherwise engaged throughout.",
              "GAD-7: {g}. Restless, fidgeting early in the session; settled after breathing exercise.")
_MSE = ("Alert and oriented x4. Speech normal rate and volume. Mood \"tired\", affect congruent. Thought process "
        "linear, no perceptual disturbances. Insight and judgement fair.",
        "Alert, cooperative. Mood \"better\", affect brighter than last week. Thought content without "
        "delusions. Insight good.")
_ASSESSMENT = ("Symptoms improving with consistent use of coping skills; progress toward goal 1.",
               "Mood symptoms persist; partial response. Continue current approach, monitor sleep.",
               "Anxiety reduced in frequency; avoidance remains at work. Good engagement.")
_PLAN = ("Continue weekly CBT. Homework: thought record twice this week. Next session in 7 days.",
         "Practise paced breathing daily; graded exposure step 3 (short highway drive). Weekly.",
         "Behavioural activation: schedule two pleasant activities. Review PHQ-9 next week.")


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


def _id_at(at: datetime) -> str:
    """A UUIDv7 made at ``at`` (the story's time, not the demo's build time), as the clinician's
    laptop would have made it then: what the chart timeline reads a note's start from."""
    value = (int(at.timestamp() * 1000) << 80) | (0x7 << 76) | (secrets.randbits(12) << 64) \
        | (0b10 << 62) | secrets.randbits(62)
    return str(uuid.UUID(int=value))


def _kept_sessions(s: Session, today: date) -> dict[str, list[tuple[str | None, date, str | None]]]:
    """The demo schedule's kept individual sessions before today, per client, oldest first:
    (appointment id, day, provider)."""
    from mentalspace_desktop.store.scheduling_models import Appointment

    rows = s.execute(select(Appointment.id, Appointment.client_id, Appointment.start_local, Appointment.provider_id)
                     .where(Appointment.status.in_(("completed", "checked_in")), Appointment.client_id.is_not(None),
                            Appointment.group_id.is_(None), Appointment.deleted.is_(False))
                     .order_by(Appointment.start_at))
    kept: dict[str, list[tuple[str | None, date, str | None]]] = {}
    for appointment_id, client_id, start_local, provider_id in rows:
        day = (start_local if isinstance(start_local, datetime) else datetime.fromisoformat(str(start_local))).date()
        if day < today and client_id is not None:
            kept.setdefault(client_id, []).append((appointment_id, day, provider_id))
    return kept


def add_demo_charting(session: UserSession, today: date, *, seed: int = 7) -> None:
    """A note for every kept session of the demo schedule (most signed the same day, some late, some
    drafts past the 7-day rule, associates' notes awaiting co-signature, amendments), and diagnoses
    and plans for the clients seen. Clients the schedule does not see get a few weeks of notes
    without appointments, as a practice that started charting before scheduling would have."""
    rng = random.Random(seed * 7919)
    with session.store.write(session.actor.user_id) as s:
        soap_template_id, soap = active_template(s, "soap")
        add_id, _ = active_template(s, "addendum")
        users = {u.id: u for u in s.scalars(select(User))}
        clients = s.scalars(select(Client).where(Client.status == "active", Client.primary_clinician_id.is_not(None))
                            .order_by(Client.chart_number)).all()
        kept = _kept_sessions(s, today)
        monday = today - timedelta(days=today.weekday())  # this week's drafts are not yet late: last week's are
        scheduled = [c for c in clients if c.id in kept]
        others = [c for c in clients if c.id not in kept]
        chosen = scheduled + rng.sample(others, min(max(0, CHARTED_CLIENTS - len(scheduled)), len(others)))
        for i, client in enumerate(chosen):
            author = users[client.primary_clinician_id or ""]
            writer = _Writer(session, s, client, author, soap_template_id, soap.keys, add_id)
            sessions = list(kept.get(client.id, [])) or [
                (None, today - timedelta(days=7 * k - 7 + (i % 5)), None) for k in range(SESSIONS, 0, -1)]
            code = list(_DX)[i % len(_DX)]
            diagnosis = Diagnosis(client_id=client.id, code=code, description=_DX[code], is_primary=True,
                                  added_on=sessions[0][1], notes="", added_by=author.id,
                                  onset_on=sessions[0][1] - timedelta(days=200 + 10 * i))
            s.add(diagnosis)
            s.flush()
            diagnosis.notes = seal_text(session, "Meets criteria per intake interview.", "diagnoses", "notes",
                                        diagnosis.id)
            for k, (appointment_id, day, provider_id) in zip(range(len(sessions), 0, -1), sessions, strict=True):
                seen_by = users.get(provider_id or "", author)  # the session's own provider writes its note
                supervised = license_requires_supervision(seen_by.license_type) and seen_by.supervisor_id is not None
                content = _soap(rng)
                habit = BEHIND.get(seen_by.username)
                late, on_time = rng.random(), 0.55 if habit else 0.85
                signed_after = 0 if late < on_time else 1 if late < on_time + 0.1 else rng.randint(2, 6)
                if habit == "urgent" and (k == 1 and i % 3 == 0 or k == 3 and i % 5 == 2 or k == 2 and i % 4 == 1) \
                        or habit == "review" and k == 3 and i % 6 == 0 or k == 1 and i % 3 == 0 and day >= monday:
                    status = NoteStatus.DRAFT  # due this week, or past the 7-day limit
                elif k <= 2 and supervised:
                    status = NoteStatus.RETURNED if k == 2 and i % 3 == 2 and habit else NoteStatus.IN_REVIEW
                else:
                    status = NoteStatus.SIGNED
                note = writer.note(day, content, status, appointment_id=appointment_id, author=seen_by,
                                   signed_at=_at(min(day + timedelta(days=signed_after), today), 23))
                if status is NoteStatus.SIGNED:
                    s.add(NoteDiagnosis(note_id=note.id, diagnosis_id=diagnosis.id, client_id=client.id))
                    if k == 5 and i % 3 == 1:
                        writer.addendum(note, day + timedelta(days=2), seen_by)
            _risk(session, s, client, author, today, i)
        for k, client in enumerate(clients):
            _treatment_plan(session, s, client, users[client.primary_clinician_id or ""], today,
                            age=_plan_age(k))


def _soap(rng: random.Random) -> dict[str, str]:
    return {"subjective": rng.choice(_SUBJECTIVE),
            "objective": rng.choice(_OBJECTIVE).format(n=rng.randint(4, 16), g=rng.randint(3, 15)),
            "mental_status": rng.choice(_MSE), "risk_level": rng.choice(("None identified", "Low", "Low")),
            "risk_assessment": "Denies suicidal and homicidal ideation, plan or intent. Protective factors: family, "
                               "faith, future orientation.",
            "assessment": rng.choice(_ASSESSMENT), "plan": rng.choice(_PLAN)}


class _Writer:
    def __init__(self, session: UserSession, s: Session, client: Client, author: User, template_id: str,
                 keys: tuple[str, ...], addendum_template_id: str) -> None:
        self.session, self.s, self.client, self.author = session, s, client, author
        self.template_id, self.keys, self.addendum_template_id = template_id, keys, addendum_template_id
        self.head = chain.GENESIS

    def note(self, day: date, content: dict[str, str], status: NoteStatus, *, addendum_to: str | None = None,
             note_type: str = "soap", appointment_id: str | None = None, signed_at: datetime | None = None,
             author: User | None = None) -> Note:
        s, client, author = self.s, self.client, author or self.author
        full = {k: content.get(k, "") for k in (self.keys if note_type == "soap" else ("text",))}
        cosign = license_requires_supervision(author.license_type) and author.supervisor_id is not None
        note = Note(id=_id_at(_at(day, 20)), client_id=client.id, author_id=author.id, note_type=note_type,
                    service_date=day,
                    status=status.value, requires_cosign=cosign and addendum_to is None,
                    template_id=self.template_id if note_type == "soap" else self.addendum_template_id,
                    addendum_to=addendum_to, appointment_id=appointment_id, updated_at=_at(day, 21))
        s.add(note)
        s.flush()
        body = NoteBody(note_id=note.id, client_id=client.id, body="")
        s.add(body)
        s.flush()
        body.body = seal_json(self.session, full, "note_bodies", "body", body.id)
        first = dict(full, plan="") if "plan" in full else full
        for n, (version, reason) in enumerate(((first, "autosave"), (full, "save")), 1):
            v = NoteVersion(note_id=note.id, client_id=client.id, number=n, content="", saved_at=_at(day, 19 + n),
                            saved_by=author.id, reason=reason)
            s.add(v)
            s.flush()
            v.content = seal_json(self.session, version, "note_versions", "content", v.id)
        signed_at = signed_at or _at(day + timedelta(days=1), 15)
        if status in (NoteStatus.IN_REVIEW, NoteStatus.SIGNED):
            note.content_hash = chain.content_hash(full)
        if status is NoteStatus.IN_REVIEW:
            note.submitted_at, note.submitted_by = signed_at, author.id
        if status is NoteStatus.RETURNED:
            c = NoteComment(note_id=note.id, client_id=client.id, author_id=author.supervisor_id or author.id,
                            at=signed_at + timedelta(hours=20), kind="return", text="")
            s.add(c)
            s.flush()
            c.text = seal_text(self.session, "Please add the GAD-7 score and tie the plan to goal 2.",
                               "note_comments", "text", c.id)
        if status is NoteStatus.SIGNED:
            note.signed_at, note.signed_by, body.signed_at = signed_at, author.id, signed_at
            if note.requires_cosign:
                note.cosigned_at, note.cosigned_by = signed_at + timedelta(days=1), author.supervisor_id
            note.prev_hash = self.head
            note.chain_hash = chain.link_hash(prev_hash=self.head, content_sha=note.content_hash or "",
                                              record_id=note.id, client_id=client.id,
                                              signed_at=signed_at.isoformat(), signer_id=author.id)
            self.head = note.chain_hash
        return note

    def addendum(self, note: Note, day: date, author: User) -> None:
        self.note(day, {"text": "Correction: the session lasted 53 minutes, not 45; CPT 90837 applies."},
                  NoteStatus.SIGNED, addendum_to=note.id, note_type="addendum", author=author)


def _plan_age(k: int) -> int:
    """Days since the k-th active client's plan was signed: most within the 90-day review, some in the
    reminder days (80–89), a few at the alert day (90) and a few past it (out of compliance), so the
    plan alerts are a believable handful of each stage, not one per client."""
    if k % 25 == 3:
        return 95 + k % 20
    if k % 25 == 7:
        return 90
    if k % 25 in (11, 19):
        return 80 + k % 9
    return 10 + (k * 7) % 65


def _treatment_plan(session: UserSession, s: Session, client: Client, author: User, today: date, *,
                    age: int) -> None:
    start = today - timedelta(days=age)
    problems = [plan_rules.Problem("Anxiety interferes with work and sleep", [plan_rules.Goal(
        "Reduce anxiety to a manageable level",
        [plan_rules.Objective("Uses paced breathing when anxious", "4 of 7 days, by self-report log",
                              start + timedelta(days=90)),
         plan_rules.Objective("GAD-7 below 10", "GAD-7 at monthly review", start + timedelta(days=120))],
        ["CBT: cognitive restructuring", "Relaxation training"])])]
    data = plan_rules.plan_to_data(problems)
    plan = TreatmentPlan(client_id=client.id, author_id=author.id, starts_on=start,
                         review_due_on=plan_rules.review_due(start), content="", status="signed",
                         signed_at=_at(start, 16), signed_by=author.id)
    s.add(plan)
    s.flush()
    text = seal_json(session, data, "treatment_plans", "content", plan.id)
    plan.content = text
    plan.content_hash = chain.content_hash({"plan": open_text(session, text, "treatment_plans", "content",
                                                              plan.id)})


def _risk(session: UserSession, s: Session, client: Client, author: User, today: date, i: int) -> None:
    if i % 6 == 1:  # flagged at risk; most have a signed safety plan, one has none yet
        flag = RiskFlag(client_id=client.id, flagged_on=today - timedelta(days=20), flagged_by=author.id, reason="")
        s.add(flag)
        s.flush()
        flag.reason = seal_text(session, "Passive suicidal ideation reported at session.", "risk_flags", "reason",
                                flag.id)
        if i % 12 != 1:
            sections = plan_rules.check_safety_plan({
                **plan_rules.new_safety_plan(),
                "warning_signs": ["Staying in bed past noon", "Thinking \"they'd be better off without me\""],
                "coping": ["Walk the dog around the block", "Shower and put on music"],
                "distraction": ["Call cousin Dee", "Sit at the coffee shop on Main St."],
                "help_contacts": ["Sister Tasha 404-555-0142"],
                "professionals": [f"{author.full_name}, Peachtree Counseling 404-555-0100",
                                  "Georgia Crisis and Access Line 1-800-715-4225"],
                "means_safety": ["Medications kept by sister, one week at a time"],
                "reason_for_living": ["My daughter"]})
            safety = SafetyPlan(client_id=client.id, author_id=author.id, content="", status="signed",
                                signed_at=_at(today - timedelta(days=19), 17), signed_by=author.id)
            s.add(safety)
            s.flush()
            safety.content = seal_json(session, sections, "safety_plans", "content", safety.id)
            safety.content_hash = chain.content_hash(
                {"safety_plan": open_text(session, safety.content, "safety_plans", "content", safety.id)})
