"""A group session's reminders on a real hub process: the hub's job sends each member to remind their
own text through the ``twilio`` client (a Twilio-speaking server on loopback), and a member's signed
"C" reply cancels that member's place only, audited in the hub's own chain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.hub import db, secrets_at_rest
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.services.reminders import HUB_AUDIT_DEVICE, hub_engine
from mentalspace_desktop.hub.settings import HubSettings
from mentalspace_desktop.integrations.twilio_rest import SMS_INBOUND_PATH
from mentalspace_desktop.services.messaging_settings import TwilioInput, write_twilio
from mentalspace_desktop.store.models import AuditEntry, Client
from mentalspace_desktop.store.scheduling_models import (
    Appointment,
    BusyBlock,
    GroupAttendance,
    GroupMember,
    TherapyGroup,
)
from mentalspace_desktop.store.types import utcnow
from tests.hub.conftest import seed
from tests.hub.reminder_seed import NEW_YORK, free_port, hub_process, seed_reminders
from tests.support.fake_twilio import FakeTwilio

PRACTICE_NUMBER = "+14045550100"
GROUP_NAME = "Grief support"


@dataclass
class GroupHub:
    url: str
    engine: Engine
    session: str
    members: list[tuple[str, str]]  # (client id, mobile), the third cancelled for this session
    twilio: FakeTwilio


def seed_group(engine: Engine, users: dict[str, str], type_id: str, start: datetime
               ) -> tuple[str, list[tuple[str, str]]]:
    with db.session_factory(engine)() as s, s.begin():
        repo.lock_writes(s)
        members = [(c.id, c.phone_mobile or "") for c in s.scalars(select(Client).order_by(Client.chart_number))]
        group = TherapyGroup(id=new_id(), name=GROUP_NAME, type_id=type_id, facilitator_id=users["clinician"],
                             capacity=8, enrollment="open", screening_required=False, active=True)
        writes = [repo.stamp(s, group, op="insert", user_id=None, device_id=None)]
        s.flush()
        a = Appointment(id=new_id(), client_id=None, group_id=group.id, provider_id=users["clinician"], type_id=type_id,
                        start_local=start.astimezone(NEW_YORK).replace(tzinfo=None), time_zone="America/New_York",
                        start_at=start, end_at=start + timedelta(minutes=90), status="scheduled",
                        confirmation="unconfirmed", telehealth=False)
        block = BusyBlock(id=a.id, provider_id=a.provider_id, start_at=a.start_at, end_at=a.end_at, kind="appointment",
                          active=True)
        writes += [repo.stamp(s, a, op="insert", user_id=None, device_id=None),
                   repo.stamp(s, block, op="insert", user_id=None, device_id=None)]
        s.flush()
        for client_id, _ in members:
            m = GroupMember(id=new_id(), group_id=group.id, client_id=client_id, status="approved",
                            joined_on=date(2026, 1, 5))
            writes.append(repo.stamp(s, m, op="insert", user_id=None, device_id=None))
        absent = GroupAttendance(id=new_id(), group_id=group.id, appointment_id=a.id, client_id=members[2][0],
                                 status="cancelled", recorded_by=users["clinician"], recorded_at=utcnow())
        writes.append(repo.stamp(s, absent, op="insert", user_id=None, device_id=None))
        s.flush()
        repo.number_writes(s, writes)
    return a.id, members


@pytest.fixture
def group_hub(tmp_path: Path, fake_twilio: FakeTwilio) -> Iterator[GroupHub]:
    data = tmp_path / "hub"
    data.mkdir()
    url = f"sqlite:///{data / 'hub.db'}"
    (data / "hub.json").write_text(json.dumps({"database_url": url}))
    port = free_port()
    engine = db.make_engine(url)
    db.prepare(engine)
    users, _ = seed(engine)
    with db.session_factory(engine)() as s, s.begin():
        write_twilio(s, TwilioInput(fake_twilio.account_sid, fake_twilio.auth_token, PRACTICE_NUMBER,
                                    webhook_base=f"http://127.0.0.1:{port}", api_base=fake_twilio.base_url),
                     user_id=None)
    seeded = seed_reminders(engine, users, starts=[], mobiles=3, channels="sms")
    start = utcnow().replace(microsecond=0) + timedelta(hours=1, minutes=50)
    session, members = seed_group(engine, users, seeded.type_id, start)
    try:
        with hub_process(data, port) as hub_url:
            # The hub sealed the secrets under its key at start; the job run here opens them with it.
            assert secrets_at_rest.install(engine, HubSettings.load(data))
            yield GroupHub(hub_url, engine, session, members, fake_twilio)
    finally:
        engine.dispose()


def test_members_are_reminded_and_one_cancels_only_their_place(group_hub: GroupHub) -> None:
    with hub_engine(db.session_factory(group_hub.engine)) as engine:
        engine.run_once()
        engine.run_once()
    texts = group_hub.twilio.messages
    (first, first_mobile), (second, second_mobile), _cancelled = group_hub.members
    assert sorted(m.form["To"] for m in texts) == sorted([first_mobile, second_mobile])  # once each
    assert all(GROUP_NAME not in m.form["Body"] for m in texts)
    answer = group_hub.twilio.send_inbound(group_hub.url + SMS_INBOUND_PATH, from_=second_mobile, to=PRACTICE_NUMBER,
                                           body="c")
    assert answer.status_code == 200 and "is cancelled" in answer.text
    with db.session_factory(group_hub.engine)() as s:
        a = s.get(Appointment, group_hub.session)
        assert a is not None and a.status == "scheduled"
        places = {r.client_id: (r.status, r.recorded_by) for r in s.scalars(select(GroupAttendance))}
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.device_id == HUB_AUDIT_DEVICE)))
    assert places[second] == ("cancelled", "client") and first not in places
    assert [(e.action, e.client_id, e.record_id, e.seq) for e in entries] == [
        ("reply_cancelled", second, group_hub.session, 1)]
