"""Reminder rules as plain functions: timing across daylight-saving changes and quiet hours, template
validation and rendering, idempotency keys, and reading replies."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mentalspace_desktop.domain.reminders.keys import cancel_key, reminder_key, update_key
from mentalspace_desktop.domain.reminders.replies import Intent, normalise, read_keypress, read_reply
from mentalspace_desktop.domain.reminders.rules import Consents, Rule, plan, rule_for
from mentalspace_desktop.domain.reminders.templates import (
    DEFAULTS,
    PLACEHOLDERS,
    TemplateError,
    Values,
    placeholders_in,
    render,
    sms_segments,
    validate,
)
from mentalspace_desktop.domain.reminders.timing import (
    MIN_NOTICE,
    Due,
    QuietHours,
    Skipped,
    TimingError,
    due_time,
    nominal_time,
)

NY = "America/New_York"
TZ = ZoneInfo(NY)


def ny(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


# -- timing ----------------------------------------------------------------------------------------


def test_whole_days_keep_the_wall_clock_across_daylight_saving_changes() -> None:
    # Clocks go forward on Sunday March 8 2026 and back on Sunday November 1 2026 in New York.
    assert nominal_time(ny(2026, 3, 9, 10, 0), 2 * 1440, NY) == ny(2026, 3, 7, 10, 0)
    assert ny(2026, 3, 9, 10, 0) - nominal_time(ny(2026, 3, 9, 10, 0), 2 * 1440, NY) == timedelta(hours=47)
    assert nominal_time(ny(2026, 11, 2, 10, 0), 2 * 1440, NY) == ny(2026, 10, 31, 10, 0)
    assert ny(2026, 11, 2, 10, 0) - nominal_time(ny(2026, 11, 2, 10, 0), 2 * 1440, NY) == timedelta(hours=49)
    # hours are elapsed time: 2 hours before 03:30 on the spring-forward morning is 00:30
    assert nominal_time(ny(2026, 3, 8, 3, 30), 120, NY) == ny(2026, 3, 8, 0, 30)
    # a day before a 02:30 that does not exist the day before? 02:30 on March 7 exists; on March 8 it
    # does not: a reminder "1 day before" 02:30 on March 9 lands in the gap and goes just after it.
    assert nominal_time(ny(2026, 3, 9, 2, 30), 1440, NY) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


def test_quiet_hours_push_a_reminder_to_their_end_or_skip_it() -> None:
    quiet = QuietHours(time(21), time(8))
    moved = due_time(ny(2026, 3, 10, 10, 0), 1440 + 90, NY, quiet)  # due Monday 08:30: not quiet
    assert moved == Due(ny(2026, 3, 9, 8, 30))
    just = due_time(ny(2026, 3, 10, 9, 0), 12 * 60, NY, quiet)  # due 21:00 Monday: 08:00 leaves an hour
    assert just == Due(ny(2026, 3, 10, 8, 0), moved=True)
    late = due_time(ny(2026, 3, 10, 8, 30), 12 * 60, NY, quiet)  # due 20:30: fine, not quiet
    assert late == Due(ny(2026, 3, 9, 20, 30))
    late = due_time(ny(2026, 3, 10, 8, 30), 10 * 60, NY, quiet)  # due 22:30: 08:00 leaves 30 minutes
    assert isinstance(late, Skipped) and "quiet hours" in late.reason
    early = due_time(ny(2026, 3, 10, 11, 0), 4 * 60, NY, quiet)  # due 07:00: goes at 08:00, 3 h before
    assert early == Due(ny(2026, 3, 10, 8, 0), moved=True)
    night = due_time(ny(2026, 3, 10, 13, 0), 15 * 60 + 30, NY, quiet)  # due 21:30 the evening before
    assert night == Due(ny(2026, 3, 10, 8, 0), moved=True)
    # quiet hours that end on the morning the clocks change
    spring = due_time(ny(2026, 3, 8, 12, 0), 6 * 60, NY, quiet)  # due 05:00 (EDT) on March 8
    assert spring == Due(ny(2026, 3, 8, 8, 0), moved=True)
    with pytest.raises(TimingError):
        QuietHours(time(8), time(8))


@given(start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
       offset=st.sampled_from([15, 60, 120, 24 * 60, 2 * 24 * 60, 7 * 24 * 60]),
       zone=st.sampled_from([NY, "Europe/London", "America/Phoenix", "Australia/Sydney"]),
       quiet=st.sampled_from([None, (21, 8), (22, 7), (12, 13)]))
def test_a_reminder_never_goes_in_quiet_hours_and_always_leaves_notice(
        start: datetime, offset: int, zone: str, quiet: tuple[int, int] | None) -> None:
    start_at = start.replace(tzinfo=UTC)
    hours = QuietHours(time(quiet[0]), time(quiet[1])) if quiet else None
    when = due_time(start_at, offset, zone, hours)
    if isinstance(when, Skipped):
        assert hours is not None
        return
    assert when.at < start_at
    local = when.at.astimezone(ZoneInfo(zone))
    if hours is not None:
        assert not hours.contains(local.time().replace(tzinfo=None)) or local.time() == hours.end
    if when.moved:
        assert start_at - when.at >= MIN_NOTICE
    else:
        assert abs((start_at - when.at) - timedelta(minutes=offset)) <= timedelta(hours=1)


# -- rules -----------------------------------------------------------------------------------------


def test_a_types_rule_wins_and_plans_say_why_a_reminder_cannot_go() -> None:
    practice = Rule((2880, 120), ("sms", "email"))
    intake = Rule((1440,), ("voice",), type_id="intake")
    assert rule_for([practice, intake], "intake") is intake and rule_for([practice, intake], "other") is practice
    assert rule_for([intake], "other") is None
    start = ny(2026, 3, 10, 10, 0)
    planned = plan(practice, chain_id="A", start_at=start, client_zone=NY,
                   consents=Consents(sms=False, email=True), contacts={"sms": True, "email": False})
    reasons = {(p.channel, p.offset_minutes): p.reasons for p in planned}
    assert reasons[("sms", 2880)] == ("No consent on record for text messages",)
    assert reasons[("email", 120)] == ("No e-mail address",)
    assert [p.key for p in planned][:2] == ["A:2880:sms", "A:2880:email"]
    preferred = plan(practice, chain_id="A", start_at=start, client_zone=NY,
                     consents=Consents(sms=True, email=True, preferred="email"), contacts={"sms": True, "email": True})
    assert {p.channel for p in preferred} == {"email"} and all(p.sendable for p in preferred)
    nothing = plan(practice, chain_id="A", start_at=start, client_zone=NY,
                   consents=Consents(sms=True, preferred="none"), contacts={"sms": True})
    assert all("no reminders" in " ".join(p.reasons) for p in nothing)
    for bad in (Rule((), ("sms",)), Rule((5,), ("sms",)), Rule((120, 120), ("sms",)), Rule((120,), ())):
        with pytest.raises(TimingError):
            bad.check()


def test_keys_name_the_appointment_the_offset_the_channel_and_the_sequence() -> None:
    assert reminder_key("A", 120, "sms") == "A:120:sms"
    assert update_key("A", 2) != update_key("A", 3) != cancel_key("A")


# -- templates -------------------------------------------------------------------------------------

VALUES = Values(first_name="Ana", last_name="Rivera", day="Tuesday, March 10", time="10:00 AM",
                provider="Dr. Patel", location="Midtown office", telehealth_link="", practice_name="Peachtree",
                practice_phone="(404) 555-0100")


def test_templates_refuse_unknown_and_clinical_placeholders_and_the_last_name_by_default() -> None:
    validate("Hi {first_name}, {day} at {time} with {provider}. {{not a field}}", channel="sms")
    with pytest.raises(TemplateError) as refused:
        validate("Hi {first_name} {diagnosis} {note} {favourite} {last_name} {first_name.__class__} {",
                 channel="sms", clinical_names=["Intake assessment"])
    problems = " | ".join(refused.value.problems)
    assert "never includes a diagnosis" in problems and "{favourite} is not a placeholder" in problems
    assert "{last_name} is off" in problems and "first_name.__class__" in problems and "not closed" in problems
    validate("Dear {first_name} {last_name}", channel="email", allow_last_name=True)
    with pytest.raises(TemplateError, match="appointment type"):
        validate("Your Intake Assessment is on {day}", channel="sms", clinical_names=["Intake assessment"])
    with pytest.raises(TemplateError, match="longer"):
        validate("x" * 700, channel="sms")


def test_rendering_gives_the_exact_text_and_the_defaults_are_valid() -> None:
    text = render("Hi {first_name}: {day} at {time}, {where}. {{Reply}} Y", VALUES)
    assert text == "Hi Ana: Tuesday, March 10 at 10:00 AM, Midtown office. {Reply} Y"
    assert render("{where}", Values(**{**VALUES.__dict__, "telehealth_link": "https://meet/x"})) == "https://meet/x"
    for (_language, channel, _kind), (subject, body) in DEFAULTS.items():
        validate(body, channel=channel)
        if subject:
            validate(subject, channel=channel)
    assert set(placeholders_in("{a}{b}{{c}}")) == {"a", "b"}
    assert sms_segments("x" * 160) == 1 and sms_segments("x" * 161) == 2 and sms_segments("ñ" * 71) == 2


@given(st.text(max_size=80))
def test_rendering_a_valid_template_never_fails_and_never_invents_fields(text: str) -> None:
    try:
        validate(text, channel="sms", allow_last_name=True)
    except TemplateError:
        return
    rendered = render(text, VALUES)
    assert "{" not in rendered.replace("{{", "") or "{{" in text or "{" in text


def test_placeholders_are_documented() -> None:
    wanted = {"first_name", "day", "time", "provider", "location", "telehealth_link", "practice_phone"}
    assert wanted <= set(PLACEHOLDERS)


# -- replies ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "intent"), [
    ("Y", Intent.CONFIRM), (" yes! ", Intent.CONFIRM), ("YES.", Intent.CONFIRM), ("1", Intent.CONFIRM),
    ("c", Intent.CANCEL), ("Cancel", Intent.CANCEL), (" 2 ", Intent.CANCEL), ("STOP", Intent.OPT_OUT),
    ("stop all", Intent.OPT_OUT), ("Unsubscribe", Intent.OPT_OUT), ("quit", Intent.OPT_OUT), ("END", Intent.OPT_OUT),
    ("start", Intent.OPT_IN), ("UNSTOP", Intent.OPT_IN), ("help", Intent.HELP), ("Info?", Intent.HELP),
    ("yes but I'll be late", Intent.OTHER), ("stop please", Intent.OTHER), ("", Intent.OTHER),
    ("can we move it?", Intent.OTHER),
])
def test_replies_are_read_as_one_word(text: str, intent: Intent) -> None:
    assert read_reply(text).intent is intent


def test_cancel_is_also_a_carrier_opt_out_and_c_is_not() -> None:
    assert read_reply("CANCEL").carrier_opt_out and not read_reply("C").carrier_opt_out
    assert read_keypress("1") is Intent.CONFIRM and read_keypress("2#") is Intent.CANCEL
    assert read_keypress("9") is Intent.OTHER and read_keypress("") is Intent.OTHER


@given(word=st.sampled_from(["y", "yes", "1", "c", "cancel", "2", "stop", "start", "help"]),
       before=st.text(alphabet=" .!?,-*\t", max_size=4), after=st.text(alphabet=" .!?,-*\t", max_size=4),
       upper=st.booleans())
def test_case_spaces_and_punctuation_never_change_the_meaning(word: str, before: str, after: str,
                                                              upper: bool) -> None:
    bare = read_reply(word).intent
    dressed = before + (word.upper() if upper else word) + after
    assert read_reply(dressed).intent is bare and normalise(dressed) == word.upper()
