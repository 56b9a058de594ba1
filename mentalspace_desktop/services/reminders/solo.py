"""Reminders in solo mode: the app sends them itself while it is open.

:func:`run_solo` is what the app's timer calls (every minute, off the UI thread); the hub's job runs
the same engine on the hub's database. On start, the first call catches up only on reminders still
useful (see :mod:`mentalspace_desktop.services.reminders.engine`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from mentalspace_desktop.domain.reminders.outgoing import Channel
from mentalspace_desktop.services.reminders.engine import EngineConfig, ReminderEngine, RunSummary
from mentalspace_desktop.services.reminders.ledger import StoreLedger
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.types import utcnow


def run_solo(store: Store, channels: Mapping[str, Channel], *, config: EngineConfig | None = None,
             now: Callable[[], datetime] = utcnow) -> RunSummary:
    """Send what is due now from this workstation's store (solo mode only: with a hub, the hub sends)."""
    return ReminderEngine(StoreLedger(store), channels, config=config, now=now).run_once()
