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
from mentalspace_desktop.services import messaging_settings
from mentalspace_desktop.services.reminders.engine import EngineConfig, ReminderEngine
from mentalspace_desktop.services.reminders.facts import practice_of
from mentalspace_desktop.services.reminders.wiring import close_channels, practice_channels

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
                    # A row rolled back with its savepoint (a key another process took) is no longer
                    # in the session: nothing to number.
                    writes = [repo.stamp(session, obj, op=op, user_id=None, device_id=None)
                              for obj, op in touched.values() if obj in session]
                    repo.number_writes(session, writes)
            finally:
                event.remove(session, "before_flush", _track)
                session.info.pop(TOUCHED, None)


# -- the job ---------------------------------------------------------------------------------------


def configured_channels(session: Session) -> tuple[dict[str, Channel], EngineConfig]:
    """The channels the practice set up in the hub's messaging settings, and the engine's settings."""
    return practice_channels(messaging_settings.hub_smtp_settings(session),
                             messaging_settings.hub_twilio_settings(session), practice_phone=practice_of(session).phone)


@contextmanager
def hub_engine(sessions: Callable[[], Session], channels: Mapping[str, Channel] | None = None
               ) -> Iterator[ReminderEngine]:
    """The reminder engine on the hub's database, with the practice's channels (closed afterwards)."""
    if channels is not None:  # given (tests): the practice's settings are not read
        made, config = dict(channels), EngineConfig()
    else:
        with sessions() as session:
            made, config = configured_channels(session)
    try:
        yield ReminderEngine(HubLedger(sessions), made, config=config)
    finally:
        if channels is None:
            close_channels(made.values())


def run_job(session: Session) -> str:
    """The hub's ``reminders`` job: send what is due now (one runner across hub processes)."""
    with hub_engine(session_factory(session.get_bind())) as engine:  # type: ignore[arg-type]
        return engine.run_once().describe()
