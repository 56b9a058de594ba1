"""The reminder engine on the hub: its ledger (writes numbered into the change log) and the job."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from email.utils import parseaddr
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.reminders.outgoing import Channel
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.db import session_factory
from mentalspace_desktop.services import messaging_settings
from mentalspace_desktop.services.reminders.engine import EngineConfig, ReminderEngine
from mentalspace_desktop.services.reminders.facts import practice_of

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


def configured_channels(session: Session) -> dict[str, Channel]:
    """The channels the practice has set up in its messaging settings (Twilio for texts and calls,
    SMTP for e-mail), by name; one not set up is missing, and its reminders wait with that reason."""
    practice = practice_of(session)
    made = messaging_settings.channels(messaging_settings.hub_smtp_settings(session),
                                       messaging_settings.hub_twilio_settings(session), practice_phone=practice.phone)
    return {str(name): channel for name, channel in made.items()}


def engine_config(session: Session) -> EngineConfig:
    """The engine's settings on the hub: the e-mail invitations' organizer is the practice's sender."""
    smtp = messaging_settings.hub_smtp_settings(session)
    return EngineConfig(organizer_email=parseaddr(smtp.sender)[1] if smtp else "")


@contextmanager
def hub_engine(sessions: Callable[[], Session], channels: Mapping[str, Channel] | None = None
               ) -> Iterator[ReminderEngine]:
    """The reminder engine on the hub's database, with the practice's channels (closed afterwards)."""
    with sessions() as session:
        made = configured_channels(session) if channels is None else dict(channels)
        config = engine_config(session)
    try:
        yield ReminderEngine(HubLedger(sessions), made, config=config)
    finally:
        if channels is None:
            for channel in made.values():
                close = getattr(channel, "close", None)
                if close is not None:
                    close()


def run_job(session: Session) -> str:
    """The hub's ``reminders`` job: send what is due now (one runner across hub processes)."""
    with hub_engine(session_factory(session.get_bind())) as engine:  # type: ignore[arg-type]
        return engine.run_once().describe()
