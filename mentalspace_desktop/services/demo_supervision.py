"""The demo practice's supervision log: two months of sessions so the supervision rule shows both
sides — Jordan (LPC-Associate) and Priya (LMSW) meet their hours, Tyler (LPC-Associate) falls short —
and one recent session still waiting for the supervisor's signature."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import select

from mentalspace_desktop.domain.compliance import supervision_months
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.clinical_seal import context_of
from mentalspace_desktop.store.models import User
from mentalspace_desktop.store.supervision_models import SupervisionSession

# (supervisee, supervisor, day of the month, minutes, kind, topics, signed); each month alike.
_PLAN = (
    ("jordan", "marcus", 3, 60, "individual", "Caseload review; documentation timeliness", True),
    ("jordan", "marcus", 17, 60, "group", "Group supervision: engaging ambivalent clients", True),
    ("tyler", "marcus", 17, 60, "group", "Group supervision: engaging ambivalent clients", True),
    ("priya", "elena", 5, 90, "individual", "Family sessions with minors; guardian consent", True),
    ("priya", "elena", 12, 90, "individual", "Safety planning with an at-risk client", True),
    ("priya", "elena", 24, 60, "group", "Ethics: dual relationships in small towns", True),
)


def add_demo_supervision(session: UserSession, today: date) -> None:
    seal = session.clinical
    assert seal is not None, "the demo is built by its administrator, who holds the clinical key"
    with session.store.write(session.actor.user_id) as s:
        ids = {u.username: u.id for u in s.scalars(select(User))}
        rows = []
        for (first, last) in supervision_months(today):
            for supervisee, supervisor, day, minutes, kind, topics, signed in _PLAN:
                held_on = first.replace(day=min(day, last.day))
                if held_on > last:
                    continue
                rows.append((supervisee, supervisor, held_on, minutes, kind, topics, signed))
        recent = max(supervision_months(today)[1][0], today.replace(day=max(1, today.day - 1)))
        rows.append(("jordan", "marcus", recent, 60, "individual", "Treatment-plan reviews due this month", False))
        for supervisee, supervisor, held_on, minutes, kind, topics, signed in rows:
            signed_at = datetime.combine(held_on, time(17), tzinfo=UTC) if signed else None
            row = SupervisionSession(supervisor_id=ids[supervisor], supervisee_id=ids[supervisee], held_on=held_on,
                                     minutes=minutes, kind=kind, topics="", signed_at=signed_at,
                                     signed_by=ids[supervisor] if signed else None)
            s.add(row)
            s.flush()
            row.topics = seal.seal(topics, context=context_of("supervision_sessions", "topics", row.id))
