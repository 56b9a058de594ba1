"""The reminder engine on the hub: its ledger (writes numbered into the change log) and the job."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, UOWTransaction

from mentalspace_desktop.domain.audit_chain import GENESIS, entry_hash
from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.reminders.outgoing import Channel
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.db import session_factory
from mentalspace_desktop.services import messaging_settings
from mentalspace_desktop.services.reminders.engine import EngineConfig, ReminderEngine
from mentalspace_desktop.services.reminders.facts import practice_of
from mentalspace_desktop.services.reminders.ledger import BY_REPLY
from mentalspace_desktop.services.reminders.wiring import close_channels, practice_channels
from mentalspace_desktop.store.models import AuditEntry
from mentalspace_desktop.store.sync_models import AuditChainHead
from mentalspace_desktop.store.types import utcnow

TOUCHED = "reminder_touched"
HUB_AUDIT_DEVICE = "hub"
"""The hub's own audit chain (what changed on the hub with no workstation involved: a client's reply).
It is kept like every workstation's chain: numbered from 1, each entry hashing the one before, its head
in ``audit_chain_heads``; no workstation's device id can be "hub"."""


def _track(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    touched: dict[tuple[str, str], tuple[Any, str]] = session.info.setdefault(TOUCHED, {})
    for obj in list(session.new) + list(session.dirty):
        if not getattr(obj, "__synced__", False) or isinstance(obj, AuditEntry) or not session.is_modified(obj):
            # audit entries are never pulled by workstations: kept as written, with the hub's chain
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

    def audit(self, s: Session, *, action: str, record_type: str, record_id: str | None, client_id: str | None,
              summary: str) -> None:
        hub_audit(s, username=BY_REPLY, action=action, record_type=record_type, record_id=record_id,
                  client_id=client_id, summary=summary)


def hub_audit(s: Session, *, username: str, action: str, record_type: str, record_id: str | None,
              client_id: str | None, summary: str, user_id: str | None = None) -> AuditEntry:
    """Append an entry to the hub's own audit chain, in ``s``'s transaction. The chain's head row is
    locked first, so two hub processes never number two entries alike."""
    now = utcnow().replace(microsecond=0)
    repo.insert_ignore(s, AuditChainHead, [{"device_id": HUB_AUDIT_DEVICE, "seq": 0, "hash": GENESIS,
                                            "updated_at": now}], ["device_id"])
    head = s.scalars(select(AuditChainHead).where(AuditChainHead.device_id == HUB_AUDIT_DEVICE).with_for_update()
                     .execution_options(populate_existing=True)).one()
    fields: dict[str, Any] = {"id": new_id(), "seq": head.seq + 1, "at": now, "device_id": HUB_AUDIT_DEVICE,
                              "workstation": "hub", "user_id": user_id, "username": username, "action": action,
                              "record_type": record_type, "record_id": record_id, "client_id": client_id,
                              "summary": summary}
    digest = entry_hash({**fields, "at": now.isoformat()}, head.hash)
    entry = AuditEntry(**fields, prev_hash=head.hash, hash=digest, updated_at=now, deleted=False)
    s.add(entry)
    head.seq, head.hash, head.updated_at = entry.seq, digest, now
    return entry


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
