"""The administrator's rules and templates and the front desk's reminder services: permissions,
validation, the preview (exact text), history, the Messages inbox and consent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mentalspace_desktop.domain.reminders.outgoing import InboundReply, SendFailed
from mentalspace_desktop.domain.reminders.templates import TemplateKind
from mentalspace_desktop.errors import PermissionDenied, ValidationError
from mentalspace_desktop.services.clients import ClientService
from mentalspace_desktop.services.reminders.desk import ReminderDeskService
from mentalspace_desktop.services.reminders.inbound import ReplyHandler
from mentalspace_desktop.services.reminders.ledger import StoreLedger
from mentalspace_desktop.services.reminders.settings import ReminderSettingsService, RuleInput, TemplateInput
from tests.factories import PracticeFixture
from tests.services.reminder_fixtures import MOBILE, WED10, Reminders, reminders_for, set_practice_phone
from tests.services.scheduling_fixtures import NOW, build


@pytest.fixture
def rem(practice: PracticeFixture) -> Reminders:
    return reminders_for(build(practice), NOW)


def settings(rem: Reminders, key: str = "admin") -> ReminderSettingsService:
    return ReminderSettingsService(rem.sched.session(key), now=rem.clock)


def desk(rem: Reminders, key: str = "front_desk") -> ReminderDeskService:
    return ReminderDeskService(rem.sched.session(key), now=rem.clock)


def test_only_an_administrator_changes_rules_and_templates(rem: Reminders) -> None:
    rule = RuleInput((1440,), ("sms",), type_id=rem.sched.intake, quiet_start="21:00", quiet_end="08:00")
    for key in ("front_desk", "clinician", "supervisor"):
        with pytest.raises(PermissionDenied):
            settings(rem, key).save_rule(rule)
        with pytest.raises(PermissionDenied):
            settings(rem, key).save_template(TemplateInput("English", "sms", "Hi {first_name}"))
    rule_id = settings(rem).save_rule(rule)
    views = settings(rem, "front_desk").rules()
    assert [v.type_name for v in views] == ["Every appointment type", "Intake assessment"]
    assert views[1].id == rule_id and views[1].quiet_start == "21:00"
    with pytest.raises(ValidationError, match="quiet hours"):
        settings(rem).save_rule(RuleInput((120,), ("sms",), quiet_start="21:00"))
    with pytest.raises(ValidationError, match="at least 15 minutes"):
        settings(rem).save_rule(RuleInput((5,), ("sms",)))
    settings(rem).remove_rule(rule_id)
    assert len(settings(rem).rules()) == 1


def test_templates_are_checked_and_the_sample_shows_the_exact_text(rem: Reminders) -> None:
    bad = TemplateInput("English", "sms", "Hi {first_name} {last_name}: your Individual therapy {diagnosis}")
    with pytest.raises(ValidationError) as refused:
        settings(rem).save_template(bad)
    message = refused.value.message
    assert "{last_name} is off" in message and "Individual therapy" in message and "diagnosis" in message
    with pytest.raises(ValidationError, match="subject"):
        settings(rem).check_template(TemplateInput("English", "email", "Hi {first_name}"))
    good = TemplateInput("English", "sms", "Hola {first_name}! {day} {time}, {provider}. Y/C?")
    sample = settings(rem).sample(good)
    assert sample.text == "Hola Jordan! Tuesday, March 10 10:00 AM, Dr. Sam Patel. Y/C?" and sample.segments == 1
    settings(rem).save_template(good)
    assert settings(rem).effective_template("English", "sms", TemplateKind.REMINDER) == ("", good.body)
    assert "first_name" in settings(rem).placeholders()


def test_the_preview_shows_each_message_exactly_and_why_one_will_not_go(rem: Reminders) -> None:
    appointment = rem.book()
    items = desk(rem).preview(appointment)
    assert [(i.channel, i.offset_minutes) for i in items] == [("sms", 2880), ("email", 2880), ("sms", 120),
                                                               ("email", 120)]
    sms = items[0]
    assert sms.text == ("Hi Lucia, this is a reminder of your appointment with Casey Clinician on Wednesday, "
                        "March 4 at 10:00 AM (Midtown office). Reply Y to confirm or C to cancel. Questions: "
                        "(404) 555-0100. Reply STOP to opt out.")
    assert "Wednesday, March 4 at 10:00 AM" in sms.text and not sms.blocked
    assert items[1].subject == "Your appointment on Wednesday, March 4 at 10:00 AM"
    assert sms.due_at == WED10 - timedelta(days=2)
    desk(rem).record_consent(rem.client, "sms", granted=False, source="asked by phone")
    assert "No consent" in " ".join(desk(rem).preview(appointment)[0].blocked)
    set_practice_phone(rem.sched, None)
    assert "phone number is not set" in " ".join(desk(rem).preview(appointment)[1].blocked)
    with pytest.raises(PermissionDenied):
        desk(rem, "other_clinician").preview(appointment)
    assert desk(rem, "clinician").preview(appointment)


def test_history_inbox_and_handling(rem: Reminders) -> None:
    appointment = rem.book()
    rem.channels["email"].fail_with = [SendFailed("550 unknown", permanent=True, code="550")]
    rem.clock.at = WED10 - timedelta(days=2)
    rem.engine().run_once()
    ReplyHandler(StoreLedger(rem.sched.practice.admin.store), now=rem.clock).handle(
        InboundReply("sms", MOBILE, "+14045550000", "Can I come at 11?", "SMq1", rem.clock.at))
    history = desk(rem).history(appointment)
    assert {(h.direction, h.channel, h.state) for h in history} >= {("out", "sms", "queued"),
                                                                    ("out", "email", "failed")}
    assert any(h.direction == "in" for h in desk(rem).client_history(rem.client))
    # the chart's timeline tells the same story, in words
    chart = ClientService(rem.sched.session("front_desk")).open_chart(rem.client)
    told = {(t.action, t.summary) for t in chart.timeline}
    assert ("Reminder by e-mail", "Failed: The mailbox does not exist") in told
    assert ("Reply by text message: Other reply", "“Can I come at 11?” — In the Messages inbox") in told
    inbox = desk(rem).inbox()
    assert {i.kind for i in inbox} == {"reply", "failure"} and desk(rem).inbox_count() == 2
    reply = next(i for i in inbox if i.kind == "reply")
    assert reply.client_name == "Moreno, Lucia" and reply.reason == "A reply that needs a person"
    assert len(desk(rem, "clinician").inbox()) == 2 and desk(rem, "other_clinician").inbox() == []
    with pytest.raises(PermissionDenied):
        desk(rem, "billing").mark_handled(reply.id)
    desk(rem).mark_handled(reply.id)
    assert desk(rem).inbox_count() == 1 and len(desk(rem).inbox(include_handled=True)) == 2


def test_consent_is_recorded_with_date_and_source(rem: Reminders) -> None:
    with pytest.raises(ValidationError, match="how the client gave consent"):
        desk(rem).record_consent(rem.client, "voice", granted=True, source="  ")
    when = datetime(2026, 2, 1, 12, tzinfo=UTC)
    desk(rem).record_consent(rem.client, "voice", granted=True, source="intake form", at=when)
    view = desk(rem).consent(rem.client)
    assert view.voice and view.voice_at == when and view.voice_source == "intake form" and view.sms
    desk(rem).set_preferences(rem.client, channel="email", language="Spanish", time_zone="America/Chicago")
    view = desk(rem).consent(rem.client)
    assert (view.preferred_channel, view.language, view.time_zone) == ("email", "Spanish", "America/Chicago")
    with pytest.raises(ValidationError):
        desk(rem).set_preferences(rem.client, time_zone="Mars/Olympus")
    with pytest.raises(PermissionDenied):
        desk(rem, "other_clinician").record_consent(rem.client, "sms", granted=True, source="x")


def test_figures_count_messages_cost_and_confirmations(rem: Reminders) -> None:
    appointment = rem.book()
    rem.clock.at = WED10 - timedelta(days=2)
    rem.engine().run_once()
    ReplyHandler(StoreLedger(rem.sched.practice.admin.store), now=rem.clock).handle(
        InboundReply("sms", MOBILE, "+14045550000", "Y", "SMy", rem.clock.at))
    counts = desk(rem, "admin").monthly_counts()
    assert {(c.month, c.channel, c.sent, c.cost_cents) for c in counts} == {("2026-03", "sms", 1, 1),
                                                                             ("2026-03", "email", 1, 1)}
    with pytest.raises(PermissionDenied):
        desk(rem, "front_desk").monthly_counts()
    outcomes = desk(rem, "admin").outcomes(WED10 - timedelta(days=1), WED10 + timedelta(days=1))
    assert outcomes.reminded == 1 and outcomes.confirmed == 1 and outcomes.confirmation_rate == 1.0
    from mentalspace_desktop.services.reminders.stats import facts_for

    with rem.sched.practice.admin.store.read() as s:
        facts = facts_for(s, [appointment])[appointment]
    assert facts.reminded and facts.confirmed_by_reply and not facts.failed


def test_allowing_texts_in_the_schedules_contact_preference_records_consent_now(rem: Reminders) -> None:
    from mentalspace_desktop.services.scheduling.appointments import AppointmentService

    other = rem.sched.other_client
    AppointmentService(rem.sched.session("front_desk"), now=rem.clock).set_contact_preference(other, channel="sms")
    assert not desk(rem).consent(other).sms  # texts are off unless allowed
    AppointmentService(rem.sched.session("front_desk"), now=rem.clock).set_contact_preference(
        other, channel="sms", allow_sms=True)
    view = desk(rem).consent(other)
    assert view.sms and view.sms_at == NOW and view.sms_source == "recorded at the front desk"
