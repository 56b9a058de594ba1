"""A note's life cycle and who may move it along.

draft → (in review, when a co-signature is required) → signed; a signed note is amended only by
addenda. A supervisor may return a note in review to its author, who edits it again (returned) and
signs again. ``signed_at`` is set only when the note is final (signed, or co-signed), because from
then on the hub refuses any change to it: an associate's own signature is recorded on submission.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class NoteStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    RETURNED = "returned"
    SIGNED = "signed"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    NoteStatus.DRAFT: "Draft",
    NoteStatus.IN_REVIEW: "Awaiting co-signature",
    NoteStatus.RETURNED: "Returned for changes",
    NoteStatus.SIGNED: "Signed",
}

EDITABLE = frozenset({NoteStatus.DRAFT, NoteStatus.RETURNED})

# License types whose holders practise under supervision (Georgia and neighbouring boards' titles).
SUPERVISED_LICENSE_MARKERS = ("associate", "intern", "trainee", "provisional", "-a", "lapc", "lamft", "lmsw")


def license_requires_supervision(license_type: str | None) -> bool:
    """Whether notes written under this license need a supervisor's co-signature."""
    if not license_type:
        return False
    lt = license_type.strip().lower()
    return any(lt.endswith(m) if m.startswith("-") else m in lt for m in SUPERVISED_LICENSE_MARKERS)


def requires_cosign(*, license_type: str | None, has_supervisor: bool, appointment_requires_cosign: bool) -> bool:
    """A note needs a co-signature when its author's license requires it or its appointment type does."""
    return has_supervisor and (license_requires_supervision(license_type) or appointment_requires_cosign)


class TransitionRefused(Exception):
    """A life-cycle step that the note's state or the user's part in it does not allow."""


@dataclass(frozen=True)
class NoteFacts:
    """What the rules need to know about a note and the user acting on it."""

    status: NoteStatus
    author_id: str
    actor_id: str
    author_supervisor_id: str | None
    requires_cosign: bool
    is_addendum: bool = False


def check_edit(f: NoteFacts) -> None:
    if f.status not in EDITABLE:
        raise TransitionRefused("This note is signed or awaiting co-signature and cannot be edited; "
                                "add an addendum to a signed note instead.")
    if f.actor_id != f.author_id:
        raise TransitionRefused("Only the note's author can edit it.")


def status_after_sign(f: NoteFacts) -> NoteStatus:
    """The author signs: final unless a co-signature is needed, then it waits in the supervisor's queue."""
    check_edit(f)
    if f.requires_cosign and not f.is_addendum:
        return NoteStatus.IN_REVIEW
    return NoteStatus.SIGNED


def _check_supervisor(f: NoteFacts) -> None:
    if f.status is not NoteStatus.IN_REVIEW:
        raise TransitionRefused("Only a note awaiting co-signature can be co-signed or returned.")
    if f.author_supervisor_id is None or f.actor_id != f.author_supervisor_id:
        raise TransitionRefused("Only the author's supervisor can co-sign or return this note.")


def status_after_cosign(f: NoteFacts) -> NoteStatus:
    _check_supervisor(f)
    return NoteStatus.SIGNED


def status_after_return(f: NoteFacts) -> NoteStatus:
    _check_supervisor(f)
    return NoteStatus.RETURNED


def check_addendum(*, status: NoteStatus, actor_id: str, author_id: str, author_supervisor_id: str | None) -> None:
    """Addenda correct signed notes; the author or their supervisor writes them."""
    if status is not NoteStatus.SIGNED:
        raise TransitionRefused("Only a signed note takes an addendum; edit the draft instead.")
    if actor_id not in (author_id, author_supervisor_id):
        raise TransitionRefused("Only the note's author or their supervisor can add an addendum.")


# -- the 7-day rule ---------------------------------------------------------------------------

DEADLINE_DAYS = 7


class Timeliness(StrEnum):
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"  # the last two days before the deadline
    OVERDUE = "overdue"


def age_in_days(service_date: date, today: date) -> int:
    return max(0, (today - service_date).days)


def timeliness(service_date: date, today: date) -> Timeliness:
    """Where an unsigned note stands against the 7-day documentation rule."""
    age = age_in_days(service_date, today)
    if age > DEADLINE_DAYS:
        return Timeliness.OVERDUE
    if age >= DEADLINE_DAYS - 1:
        return Timeliness.DUE_SOON
    return Timeliness.ON_TIME


def age_label(service_date: date, today: date) -> str:
    age = age_in_days(service_date, today)
    state = timeliness(service_date, today)
    if state is Timeliness.OVERDUE:
        return f"{age} days — {age - DEADLINE_DAYS} past the 7-day limit"
    return f"{age} day{'s' if age != 1 else ''} of 7"
