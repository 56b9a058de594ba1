"""Reminders in solo mode: the app sends them itself while it is open.

:func:`run_solo` is what the app's timer calls (every minute, off the UI thread); the hub's job runs
the same engine on the hub's database. On start, the first call catches up only on reminders still
useful (see :mod:`mentalspace_desktop.services.reminders.engine`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from mentalspace_desktop.domain.reminders.outgoing import Channel
from mentalspace_desktop.services import messaging_settings
from mentalspace_desktop.services.reminders.engine import EngineConfig, ReminderEngine, RunSummary
from mentalspace_desktop.services.reminders.facts import practice_of
from mentalspace_desktop.services.reminders.ledger import StoreLedger
from mentalspace_desktop.services.reminders.wiring import close_channels, practice_channels
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.types import utcnow


def run_solo(store: Store, channels: Mapping[str, Channel] | None = None, *, config: EngineConfig | None = None,
             now: Callable[[], datetime] = utcnow) -> RunSummary:
    """Send what is due now from this workstation's store (solo mode only: with a hub, the hub sends).

    ``channels`` default to those the practice set up in this store's messaging settings (closed
    afterwards); replies and delivery reports need a hub reachable by Twilio, so in solo mode texts
    and calls go out but answers are not received."""
    made = dict(channels) if channels is not None else {}
    if channels is None:
        made, settings = practice_channels(messaging_settings.smtp_settings(store),
                                           messaging_settings.twilio_settings(store),
                                           practice_phone=_practice_phone(store))
        config = config or settings
    try:
        return ReminderEngine(StoreLedger(store), made, config=config, now=now).run_once()
    finally:
        if channels is None:
            close_channels(made.values())


def _practice_phone(store: Store) -> str:
    with store.read() as s:
        return practice_of(s).phone
