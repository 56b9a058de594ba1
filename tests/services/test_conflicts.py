"""Deciding conflicts the hub recorded: who may decide, and the decision syncs like any write."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from mentalspace_desktop.errors import PermissionDenied, ValidationError
from mentalspace_desktop.services.conflicts import ConflictService
from mentalspace_desktop.store.models import Client, OutboxEntry
from mentalspace_desktop.store.sync_models import Conflict
from tests.factories import PracticeFixture


def _conflict(practice: PracticeFixture, client: Client, *, author: str, other: str) -> str:
    """A conflict as the hub would send it: the author's e-mail won, the other's was replaced."""
    with practice.admin.store.write() as s:
        c = Conflict(table_name="clients", row_id=client.id, client_id=client.id, field="email",
                     base_value=json.dumps(None), hub_value=json.dumps("front@desk.example"),
                     device_value=json.dumps("clinician@own.example"), kept="device",
                     reason="both changed the e-mail", author_id=practice.users[author],
                     other_author_id=practice.users[other], status="open")
        s.add(c)
        s.flush()
        return c.id


def test_writer_sees_and_resolves_keeping_the_other_value(practice: PracticeFixture) -> None:
    client = practice.add_client(clinician="clinician")
    cid = _conflict(practice, client, author="clinician", other="front_desk")
    service = ConflictService(practice.session_for("clinician"))
    [view] = service.open_conflicts()
    assert (view.hub_value, view.device_value) == ("front@desk.example", "clinician@own.example")
    assert view.client_name == f"{client.last_name}, {client.first_name}"

    service.resolve(cid, keep="hub")

    with practice.admin.store.read() as s:
        assert s.get(Client, client.id).email == "front@desk.example"
        assert s.get(Conflict, cid).status == "resolved"
        pushed = {o.table_name for o in s.scalars(select(OutboxEntry).where(OutboxEntry.row_id.in_([cid, client.id])))}
    assert pushed == {"clients", "conflicts"}  # the decision travels to the hub like any write
    assert service.open_conflicts() == []


def test_other_writer_may_decide_but_unrelated_staff_may_not(practice: PracticeFixture) -> None:
    client = practice.add_client(clinician="clinician")
    cid = _conflict(practice, client, author="clinician", other="front_desk")
    assert [v.id for v in ConflictService(practice.session_for("front_desk")).open_conflicts()] == [cid]
    billing = ConflictService(practice.session_for("billing"))
    assert billing.open_conflicts() == []
    with pytest.raises(PermissionDenied):
        billing.resolve(cid, keep="device")


def test_a_decided_conflict_cannot_be_decided_again(practice: PracticeFixture) -> None:
    client = practice.add_client(clinician="clinician")
    cid = _conflict(practice, client, author="clinician", other="front_desk")
    ConflictService(practice.session_for("clinician")).resolve(cid, keep="device")
    with pytest.raises(ValidationError):
        ConflictService(practice.session_for("front_desk")).resolve(cid, keep="hub")
