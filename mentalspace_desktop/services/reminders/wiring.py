"""The practice's channels for the reminder engine, from its messaging settings (the hub's database in
practice mode, the workstation's store in solo mode)."""

from __future__ import annotations

from collections.abc import Iterable
from email.utils import parseaddr

from mentalspace_desktop.domain.reminders.outgoing import Channel
from mentalspace_desktop.integrations.smtp_mail import SmtpSettings
from mentalspace_desktop.integrations.twilio_rest import TwilioSettings
from mentalspace_desktop.services import messaging_settings
from mentalspace_desktop.services.reminders.engine import EngineConfig


def practice_channels(smtp: SmtpSettings | None, twilio: TwilioSettings | None, *, practice_phone: str
                      ) -> tuple[dict[str, Channel], EngineConfig]:
    """The channels set up (one not set up is missing: its reminders wait, saying so) and the engine's
    settings (e-mail invitations name the practice's sender as organizer). Close the channels after."""
    made = messaging_settings.channels(smtp, twilio, practice_phone=practice_phone)
    config = EngineConfig(organizer_email=parseaddr(smtp.sender)[1] if smtp else "")
    return {str(name): channel for name, channel in made.items()}, config


def close_channels(channels: Iterable[Channel]) -> None:
    """Close what keeps connections open (the Twilio channels)."""
    for channel in channels:
        close = getattr(channel, "close", None)
        if close is not None:
            close()
