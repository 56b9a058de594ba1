"""The reminder engine on the hub's database (SQLite and PostgreSQL): every row it writes is numbered
into the change log, so workstations pull the reminder history, within their scope."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from mentalspace_desktop.domain.reminders.outgoing import InboundReply
from mentalspace_desktop.hub.jobs import JobRunner, default_jobs
from mentalspace_desktop.hub.services.reminders import HubLedger
from mentalspace_desktop.services.messaging_settings import TwilioInput, write_twilio
from mentalspace_desktop.services.reminders.engine import ReminderEngine
from mentalspace_desktop.services.reminders.inbound import ReplyHandler
from mentalspace_desktop.store.reminder_models import ReminderMessage
from mentalspace_desktop.store.sync_models import ChangeLog, HubCounter, JobLease, JobRun
from mentalspace_desktop.store.types import utcnow
from tests.hub.conftest import HubFixture
from tests.hub.reminder_seed import MOBILE, RecordingChannel, seed_reminders
from tests.support.fake_twilio import FakeTwilio


def test_reminders_written_on_the_hub_reach_the_front_desk_and_the_clients_clinician(hub: HubFixture) -> None:
    start = utcnow().replace(microsecond=0) + timedelta(hours=1, minutes=50)
    seeded = seed_reminders(hub.ctx.engine, hub.users, starts=[start])
    sms = RecordingChannel("sms")
    ledger = HubLedger(hub.ctx.sessions)
    engine = ReminderEngine(ledger, {"sms": sms, "voice": RecordingChannel("voice")})
    summary = engine.run_once()
    assert summary.sent == 2 and summary.skipped == 2 and len(sms.sent) == 1  # the 2-day ones were too late
    assert engine.run_once().sent == 0
    out = ReplyHandler(ledger).handle(InboundReply("sms", MOBILE, "+14045550000", "Y", "SMreply1", utcnow()))
    assert out.action == "confirmed"
    with hub.session() as s:
        rows = list(s.scalars(select(ReminderMessage)))
        assert all(r.server_seq is not None for r in rows) and len(rows) == 4
        logged = set(s.scalars(select(ChangeLog.table_name)))
        seqs = list(s.scalars(select(ChangeLog.seq).order_by(ChangeLog.seq)))
        counter = s.scalar(select(HubCounter.value))
        assert s.scalar(select(func.count()).select_from(ChangeLog).where(
            ChangeLog.table_name == "reminder_messages")) >= 4
    assert {"reminder_messages", "inbound_messages", "appointments", "appointment_status_history"} <= logged
    assert seqs == list(range(1, len(seqs) + 1)) and seqs[-1] == counter
    desk, _, _ = hub.device("front_desk").pull_all()
    mine, _, _ = hub.device("clinician").pull_all()
    theirs, _, _ = hub.device("other_clinician").pull_all()
    for pulled in (desk, mine):
        tables = {table for table, _ in pulled}
        assert {"reminder_messages", "inbound_messages"} <= tables
        assert pulled[("appointments", seeded.appointments[0])]["status"] == "confirmed"
    assert not {t for t, _ in theirs} & {"reminder_messages", "inbound_messages"}
    assert {t for t, _ in theirs} >= {"reminder_rules"}  # practice data: everyone


def test_the_hubs_reminders_job_sends_through_the_practices_twilio_account(hub: HubFixture,
                                                                          fake_twilio: FakeTwilio) -> None:
    start = utcnow().replace(microsecond=0) + timedelta(hours=1, minutes=50)
    seed_reminders(hub.ctx.engine, hub.users, starts=[start], channels="sms")
    runner = JobRunner(hub.ctx.engine, [j for j in default_jobs(hub.settings) if j.name == "reminders"])
    assert runner.run_due() == 1
    with hub.session() as s:
        run = s.scalars(select(JobRun).where(JobRun.name == "reminders")).one()
    assert run.ok and run.detail == "nothing due"  # Twilio is not set up yet: nothing can go
    with hub.session() as s, s.begin():
        write_twilio(s, TwilioInput(fake_twilio.account_sid, fake_twilio.auth_token, "+14045550100",
                                    api_base=fake_twilio.base_url), user_id=None)
        s.execute(update(JobLease).where(JobLease.name == "reminders").values(next_run_at=utcnow()))
    assert runner.run_due() == 1
    assert [m.form["To"] for m in fake_twilio.messages] == [MOBILE]
    with hub.session() as s:
        details = [r.detail for r in s.scalars(select(JobRun).where(JobRun.name == "reminders")
                                               .order_by(JobRun.started_at))]
    assert details[-1] == "1 sent, 1 skipped"
