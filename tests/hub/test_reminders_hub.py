"""The reminder engine on the hub's database (SQLite and PostgreSQL): every row it writes is numbered
into the change log, so workstations pull the reminder history, within their scope."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from mentalspace_desktop.domain.reminders.outgoing import InboundReply
from mentalspace_desktop.hub.services.reminders import HubLedger
from mentalspace_desktop.services.reminders.engine import ReminderEngine
from mentalspace_desktop.services.reminders.inbound import ReplyHandler
from mentalspace_desktop.store.reminder_models import ReminderMessage
from mentalspace_desktop.store.sync_models import ChangeLog, HubCounter
from mentalspace_desktop.store.types import utcnow
from tests.hub.conftest import HubFixture
from tests.hub.reminder_seed import MOBILE, RecordingChannel, seed_reminders


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
