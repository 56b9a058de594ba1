"""Enrolling a client whose screening is already done: member and decision in one step, or neither."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mentalspace_desktop.errors import PermissionDenied
from mentalspace_desktop.services.scheduling.groups import GroupInput, GroupService
from mentalspace_desktop.store.scheduling_models import GroupMember
from tests.factories import PracticeFixture
from tests.services.scheduling_fixtures import Sched, build, clock


@pytest.fixture
def sched(practice: PracticeFixture) -> Sched:
    return build(practice)


def test_enrolling_with_the_screening_decision_is_one_step(sched: Sched) -> None:
    desk = GroupService(sched.session("front_desk"), now=clock)
    gid = desk.create(GroupInput("Grief support", sched.group_type, sched.practice.users["clinician"],
                                 capacity=4, screening_required=True))
    # The front desk may not write screening notes: refused, and no member is left half-added.
    with pytest.raises(PermissionDenied):
        desk.enroll(gid, sched.client, approve=True, notes="Good fit")
    with sched.practice.admin.store.read() as s:
        assert s.scalars(select(GroupMember).where(GroupMember.group_id == gid)).all() == []
    # Without notes the desk records a decision made elsewhere; the clinician records theirs with notes.
    declined = desk.enroll(gid, sched.other_client, approve=False)
    clin = GroupService(sched.session("clinician"), now=clock)
    approved = clin.enroll(gid, sched.client, approve=True, notes="Good fit; grief after a loss in June")
    roster = {v.id: v for v in GroupService(sched.session("supervisor"), now=clock).roster(gid)}
    assert roster[declined].status == "declined" and roster[declined].joined_on is None
    assert roster[approved].status == "approved" and roster[approved].joined_on == clock().date()
    assert roster[approved].screening_notes == "Good fit; grief after a loss in June"
    with sched.practice.admin.store.read() as s:
        stored = s.get(GroupMember, approved)
        assert stored is not None and "June" not in (stored.screening_notes or "")  # sealed
