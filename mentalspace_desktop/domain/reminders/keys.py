"""Idempotency keys: one per message that may ever be sent, so a message is sent at most once.

The key names the appointment (and, for a group session, the member: each member is reminded on
their own (the first of a reschedule chain, so a rescheduled visit keeps its
reminders, and its calendar invitation its UID: integrations/reminder_email.invitation_uid), the
offset and the channel. An e-mail invitation's
update or withdrawal carries the invitation's SEQUENCE, since each of those is a message of its own.
"""

from __future__ import annotations

from mentalspace_desktop.domain.reminders.outgoing import ChannelName


def _who(appointment_id: str, member: str | None) -> str:
    return f"{appointment_id}:{member}" if member else appointment_id


def reminder_key(appointment_id: str, offset_minutes: int, channel: ChannelName, member: str | None = None) -> str:
    """``member``: the client a group session's reminder goes to (None for an individual appointment)."""
    return f"{_who(appointment_id, member)}:{offset_minutes}:{channel}"


def update_key(appointment_id: str, sequence: int, member: str | None = None) -> str:
    """The e-mail sent when an appointment that already had an invitation moves (SEQUENCE ``sequence``)."""
    return f"{_who(appointment_id, member)}:update:{sequence}:email"


def cancel_key(appointment_id: str, member: str | None = None) -> str:
    """The e-mail withdrawing an invitation (METHOD:CANCEL); there is only ever one (per member)."""
    return f"{_who(appointment_id, member)}:cancel:email"


def reply_key(inbound_provider_id: str) -> str:
    """Our answer to one inbound message (confirmation, cancellation, help): one per inbound message."""
    return f"reply:{inbound_provider_id}"
