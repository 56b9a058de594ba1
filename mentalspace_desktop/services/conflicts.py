"""Conflicts the hub recorded: listing them for the people who may decide, and deciding.

A conflict is a field two people changed differently while apart. The hub kept one value (the later
arrival for scheduling and records, its own for clinical data) and recorded both. The author of the
losing write — or, for clinical data, their supervisor — decides; the decision is an ordinary synced
write (the chosen value into the row, the conflict marked resolved), so it reaches every device.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from mentalspace_desktop.domain.merge import DataKind
from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.errors import NotFound, PermissionDenied, ValidationError
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.events import ClientDidChange
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.models import Base, Client, User
from mentalspace_desktop.store.sync_models import Conflict
from mentalspace_desktop.store.types import utcnow
from mentalspace_desktop.sync.tables import TABLES


@dataclass(frozen=True)
class ConflictView:
    id: str
    table_name: str
    row_id: str
    client_id: str | None
    field: str
    hub_value: Any
    device_value: Any
    kept: str
    reason: str
    author_name: str | None
    other_author_name: str | None
    created_at: datetime
    clinical: bool
    client_name: str | None = None  # "Last, First" of the client the record belongs to, when known here


def _model_for(table: str) -> type[Any]:
    for mapper in Base.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == table:
            return mapper.class_
    raise NotFound(f"Records of type {table} are not kept on this workstation.")


class ConflictService:
    def __init__(self, session: UserSession) -> None:
        self.session = session

    def _may_decide(self, conflict: Conflict, authors_supervisor: dict[str, str | None],
                    clinicians: dict[str, str | None] | None = None) -> bool:
        """Records: either writer, the client's clinician (a new owner after a reassignment), or an
        administrator. Clinical: the author, or the author's supervisor."""
        actor = self.session.actor
        if conflict.author_id == actor.user_id:
            return True
        if self._clinical(conflict):
            return authors_supervisor.get(conflict.author_id or "") == actor.user_id
        owner = (clinicians or {}).get(conflict.client_id or "")
        return conflict.other_author_id == actor.user_id or actor.role is Role.ADMIN or owner == actor.user_id

    @staticmethod
    def _clinicians(s: Any, conflicts: list[Conflict]) -> dict[str, str | None]:
        ids = {c.client_id for c in conflicts if c.client_id}
        if not ids:
            return {}
        return dict(s.execute(select(Client.id, Client.primary_clinician_id).where(Client.id.in_(ids))).all())

    @staticmethod
    def _clinical(conflict: Conflict) -> bool:
        spec = TABLES.get(conflict.table_name)
        return spec is not None and spec.kind is DataKind.CLINICAL

    def open_conflicts(self) -> list[ConflictView]:
        """Open conflicts this user may decide, oldest first."""
        with self.session.store.read() as s:
            users = {u.id: u for u in s.scalars(select(User))}
            rows = list(s.scalars(select(Conflict).where(Conflict.status == "open", Conflict.deleted.is_(False))
                                  .order_by(Conflict.updated_at)))
            supervisors = {uid: u.supervisor_id for uid, u in users.items()}
            clinicians = self._clinicians(s, rows)
            mine = [c for c in rows if self._may_decide(c, supervisors, clinicians)]
            client_ids = {c.client_id for c in mine if c.client_id}
            names = {cid: f"{last}, {first}" for cid, last, first in s.execute(
                select(Client.id, Client.last_name, Client.first_name).where(Client.id.in_(client_ids)))}
            return [
                ConflictView(c.id, c.table_name, c.row_id, c.client_id, c.field, _load(c.hub_value),
                             _load(c.device_value), c.kept, c.reason,
                             users[c.author_id].full_name if c.author_id in users else None,
                             users[c.other_author_id].full_name if c.other_author_id in users else None,
                             c.updated_at, self._clinical(c), names.get(c.client_id or ""))
                for c in mine
            ]

    def resolve(self, conflict_id: str, *, keep: str) -> None:
        """Decide a conflict: ``keep`` is "hub" (the value that stands now elsewhere) or "device"."""
        if keep not in ("hub", "device"):
            raise ValidationError({"keep": "Choose which value to keep."})
        with self.session.store.write(self.session.actor.user_id) as s:
            conflict = s.get(Conflict, conflict_id)
            if conflict is None or conflict.deleted:
                raise NotFound("That conflict no longer exists.")
            if conflict.status != "open":
                raise ValidationError({"status": "Someone already decided this conflict."})
            supervisors = dict(s.execute(select(User.id, User.supervisor_id)).all())
            if not self._may_decide(conflict, supervisors, self._clinicians(s, [conflict])):
                raise PermissionDenied("Only the person who made the change (or their supervisor, for clinical "
                                       "records) can decide this conflict.")
            model = _model_for(conflict.table_name)
            row = s.get(model, conflict.row_id)
            if row is None:
                raise NotFound("The record this conflict is about is not on this workstation.")
            chosen = _load(conflict.hub_value if keep == "hub" else conflict.device_value)
            column = model.__table__.columns[conflict.field]
            setattr(row, conflict.field, _from_json(column.type.python_type, chosen))
            conflict.status = "resolved"
            conflict.resolution = keep
            conflict.resolved_by = self.session.actor.user_id
            conflict.resolved_at = utcnow()
            audit.record(self.session, s, action="conflict_resolved", record_type=conflict.table_name,
                         record_id=conflict.row_id, client_id=conflict.client_id,
                         summary=f"{conflict.field}: kept the {'other' if keep == 'hub' else 'own'} value")
        if conflict.client_id:
            self.session.events.emit(ClientDidChange(conflict.client_id))


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _from_json(python_type: type, value: Any) -> Any:
    """A JSON value back in the column's Python type (dates and instants travel as ISO strings)."""
    if value is None or isinstance(value, python_type):
        return value
    if python_type is datetime:
        return datetime.fromisoformat(value)
    if python_type is date:
        return date.fromisoformat(value)
    return python_type(value)
