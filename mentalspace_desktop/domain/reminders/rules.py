"""Reminder rules: which reminders an appointment gets (offsets and channels) and when they go.

A rule applies to the whole practice (``type_id`` None) or to one appointment type; a type's rule
wins over the practice's. Channels are tried only where the client has consent for them (SMS needs
consent on record with a date); the client's preferred channel, when it is one of the rule's, is
the only one used, so a client is not reminded three ways at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mentalspace_desktop.domain.reminders.keys import reminder_key
from mentalspace_desktop.domain.reminders.outgoing import ChannelName
from mentalspace_desktop.domain.reminders.timing import Due, QuietHours, Skipped, TimingError, check_offset, due_time

CHANNELS: tuple[ChannelName, ...] = ("sms", "email", "voice")
CHANNEL_LABELS: dict[str, str] = {"sms": "Text message", "email": "E-mail", "voice": "Voice call"}


@dataclass(frozen=True)
class Rule:
    offsets_minutes: tuple[int, ...]
    channels: tuple[ChannelName, ...]
    quiet: QuietHours | None = None
    type_id: str | None = None
    id: str = ""

    def check(self) -> None:
        if not self.offsets_minutes:
            raise TimingError("Give at least one time before the appointment.")
        if len(set(self.offsets_minutes)) != len(self.offsets_minutes):
            raise TimingError("The same time before the appointment is given twice.")
        for minutes in self.offsets_minutes:
            check_offset(minutes)
        if not self.channels:
            raise TimingError("Choose at least one channel.")
        unknown = [c for c in self.channels if c not in CHANNELS]
        if unknown:
            raise TimingError(f"Unknown channel: {', '.join(unknown)}.")


def rule_for(rules: Iterable[Rule], type_id: str | None) -> Rule | None:
    """The appointment type's own rule, else the practice's, else None (no reminders)."""
    practice = None
    for rule in rules:
        if type_id is not None and rule.type_id == type_id:
            return rule
        if rule.type_id is None:
            practice = rule
    return practice


@dataclass(frozen=True)
class Consents:
    """What the client allows, as the reminder engine needs it."""

    sms: bool = False
    email: bool = False
    voice: bool = False
    preferred: str | None = None
    """"sms", "email", "voice", "none" (no reminders at all), or None (no preference)."""

    def allows(self, channel: str) -> bool:
        return bool(getattr(self, channel, False))


@dataclass(frozen=True)
class Planned:
    """One reminder the rule asks for: when it goes, or why it does not."""

    key: str
    offset_minutes: int
    channel: ChannelName
    when: Due | Skipped
    reasons: tuple[str, ...] = field(default=())

    @property
    def sendable(self) -> bool:
        return isinstance(self.when, Due) and not self.reasons


def plan(
    rule: Rule,
    *,
    chain_id: str,
    start_at: datetime,
    client_zone: str,
    consents: Consents,
    contacts: dict[str, bool],
    member: str | None = None,
) -> list[Planned]:
    """Every reminder ``rule`` asks for an appointment starting ``start_at``, each with its due time
    or the reasons it cannot go (no consent, no number or address, quiet hours too late). ``member``:
    the client of a group session it is for (their own keys)."""
    channels: Sequence[ChannelName] = rule.channels
    if consents.preferred in rule.channels:
        channels = [c for c in rule.channels if c == consents.preferred]
    out: list[Planned] = []
    for minutes in sorted(rule.offsets_minutes, reverse=True):
        when = due_time(start_at, minutes, client_zone, rule.quiet)
        for channel in channels:
            reasons: list[str] = []
            if consents.preferred == "none":
                reasons.append("The client asked for no reminders")
            elif not consents.allows(channel):
                reasons.append("No consent on record for " + CHANNEL_LABELS[channel].lower() + "s")
            if not contacts.get(channel):
                reasons.append({"email": "No e-mail address", "sms": "No mobile number",
                                "voice": "No phone number"}[channel])
            out.append(Planned(reminder_key(chain_id, minutes, channel, member), minutes, channel, when,
                               tuple(reasons)))
    return out
