"""What a user may read and write on the hub: DESIGN.md's permission table applied to one row.

Scopes are computed here from the user's role and assignments (a client's primary clinician, the
clinicians a supervisor supervises), never from anything a device asks for. Every row that leaves
the hub — in a pull page, a push result, a conflict record — goes through :meth:`Scopes.outgoing`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.merge import DataKind
from mentalspace_desktop.domain.roles import (
    Action,
    Relation,
    Resource,
    Role,
    allows,
    allows_any,
    relation_to_client,
)
from mentalspace_desktop.store.models import Client, User
from mentalspace_desktop.store.scheduling_models import Appointment, GroupMember
from mentalspace_desktop.store.sync_models import DeviceUser
from mentalspace_desktop.sync.tables import TABLES, TableSpec

# Fields of their own users row that anyone may change from their own devices: signing in, changing
# their password and enrolling an authenticator all write these on the desktop.
SELF_USER_FIELDS = frozenset(
    {"password_hash", "must_change_password", "totp_secret", "totp_last_step", "last_login_at"}
)
RESOLUTION_FIELDS = frozenset({"status", "resolution", "resolved_by", "resolved_at", "deleted"})
# What a person may change on an alert (the alert job changes the rest), and who they say did it.
ALERT_ACTION_FIELDS = frozenset({"acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by", "resolution"})
ADMIN_TABLES = frozenset({"practice", "users", "backup_codes"})
# The fields a read check looks at (besides the id), over every table: the client a row belongs to
# and a conflict's people. Pull reads these first and fetches whole rows only for those that may
# be sent; a check that looks at any other field makes it fetch the whole row, so this list saves
# work but never decides anything.
SCOPE_FIELDS = frozenset(
    {"primary_clinician_id", "table_name", "author_id", "other_author_id", "appointment_id", "group_id"}
    | {spec.client_key for spec in TABLES.values() if spec.client_key}
    | {spec.provider_key for spec in TABLES.values() if spec.provider_key}
)


def note_content_tables() -> frozenset[str]:
    """Tables holding note bodies (future-proof: whatever ``sync/tables.py`` marks NOTE_CONTENT)."""
    return frozenset(name for name, spec in TABLES.items() if spec.resource is Resource.NOTE_CONTENT)


def withhold_note_content(role: Role, table: str, row: dict[str, Any] | None) -> dict[str, Any] | None:
    """``row`` unless it is, or is a conflict record about, a note body this role may never read.

    A belt over :meth:`Scopes.may_read`'s braces: the front desk has no NOTE_CONTENT grant at all, so
    no page, conflict record or error ever carries a note body to its devices.
    """
    if row is None:
        return None
    if allows_any(role, Resource.NOTE_CONTENT, Action.READ):
        return row
    bodies = note_content_tables()
    if table in bodies or (table == "conflicts" and row.get("table_name") in bodies):
        return None
    return row


class Scopes:
    """One user's view of the hub, with the client look-ups it needs cached for one request."""

    def __init__(
        self,
        session: Session,
        *,
        user_id: str,
        role: Role,
        clinicians: dict[str, str | None] | None = None,
    ) -> None:
        """``clinicians``: a client -> primary clinician cache to share (one request's look-ups)."""
        self.session = session
        self.user_id = user_id
        self.role = role
        # Only a supervisor's relation to a client depends on a team (see relation_to_client).
        self.team: frozenset[str] = (
            frozenset(
                session.scalars(select(User.id).where(User.supervisor_id == user_id, User.deleted.is_(False)))
            )
            if role is Role.SUPERVISOR
            else frozenset()
        )
        self._clinician: dict[str, str | None] = {} if clinicians is None else clinicians
        self._reads: dict[tuple[Resource, Relation], bool] = {}  # the permission table, as asked so far
        self._reads_note_bodies = allows_any(role, Resource.NOTE_CONTENT, Action.READ)
        self._covered: dict[str, str] | None = None  # appointment id -> client id (see covered)
        self._groups: frozenset[str] | None = None  # groups one of this user's clients is in (see groups)

    # -- covering -----------------------------------------------------------------------------

    def covered(self) -> dict[str, str]:
        """The appointments this user holds as their provider for clients who are not theirs (a
        colleague's visits given to them while the colleague is away), appointment id -> client id.

        Covering lets them hold those appointments, their status history and the client's
        demographics row (the name on the visit) — nothing else of the client's record — for as long
        as they are the visit's provider; the desktop's services apply the same rule
        (``SchedulingBase.covers``).
        """
        if self._covered is None:
            self._covered = {}
            if allows(self.role, Resource.SCHEDULE, Action.READ, Relation.OWN):
                a = Appointment.__table__.c
                self._covered = {
                    str(appointment_id): str(client_id)
                    for appointment_id, client_id in self.session.execute(
                        select(a.id, a.client_id).where(
                            a.provider_id == self.user_id, a.client_id.is_not(None), a.deleted.is_(False)
                        )
                    )
                }
        return self._covered

    def groups(self) -> frozenset[str]:
        """The therapy groups one of this user's own clients belongs to, facilitated by a colleague.

        A client's membership and attendance travel with the client, and they name the group and its
        sessions: so the group row (name, facilitators, room) and its sessions' appointments (which
        name no client) come with them — nothing of the group's other members, whose rows follow
        their own clients. Without them the membership could never be applied on the workstation.
        """
        if self._groups is None:
            self._groups = frozenset()
            if allows(self.role, Resource.SCHEDULE, Action.READ, Relation.OWN):
                m, c = GroupMember.__table__.c, Client.__table__.c
                self._groups = frozenset(str(g) for g in self.session.scalars(
                    select(m.group_id).join(Client.__table__, c.id == m.client_id)
                    .where(c.primary_clinician_id == self.user_id).distinct()))
        return self._groups

    def _covering(self, spec: TableSpec, row: dict[str, Any]) -> bool:
        """Whether ``row`` reaches this user only through covering (see :meth:`covered`) or through a
        client of theirs in a colleague's group (see :meth:`groups`)."""
        if spec.name == "therapy_groups":
            return str(row.get("id")) in self.groups()
        if spec.name == "appointments" and row.get("client_id") is None and row.get("group_id") is not None:
            return str(row.get("group_id")) in self.groups()
        if spec.name == "appointments":
            return (row.get("provider_id") == self.user_id and row.get("client_id") is not None
                    and allows(self.role, Resource.SCHEDULE, Action.READ, Relation.OWN))
        if spec.name == "appointment_status_history":
            return str(row.get("appointment_id")) in self.covered()
        if spec.name == "clients":
            return str(row.get("id")) in set(self.covered().values())
        return False

    # -- relations ----------------------------------------------------------------------------

    def clinician_of(self, client_id: str | None) -> str | None:
        if client_id is None:
            return None
        if client_id not in self._clinician:
            self._clinician[client_id] = self.session.scalar(
                select(Client.primary_clinician_id).where(Client.id == client_id)
            )
        return self._clinician[client_id]

    def forget(self, client_id: str) -> None:
        """Drop a cached look-up after the client's clinician changed in this transaction."""
        self._clinician.pop(client_id, None)

    def relation(self, clinician_id: str | None) -> Relation:
        return relation_to_client(
            user_id=self.user_id,
            role=self.role,
            primary_clinician_id=clinician_id,
            team_clinician_ids=self.team,
        )

    def _relation_of_row(self, spec: TableSpec, row: dict[str, Any]) -> Relation:
        if spec.name == "clients":
            return self.relation(row.get("primary_clinician_id"))
        if spec.client_key is not None and row.get(spec.client_key) is not None:
            return self.relation(self.clinician_of(row.get(spec.client_key)))
        if spec.provider_key is not None:
            # A row of no client (a provider's hours, time off, a group session): its provider's own.
            return self.relation(row.get(spec.provider_key))
        return Relation.OTHER

    # -- reading ------------------------------------------------------------------------------

    def _allows_read(self, resource: Resource, relation: Relation) -> bool:
        """``allows(role, resource, READ, relation)``, remembered: a page asks it for every row."""
        key = (resource, relation)
        answer = self._reads.get(key)
        if answer is None:
            answer = self._reads[key] = allows(self.role, resource, Action.READ, relation)
        return answer

    def may_read(self, table: str, row: dict[str, Any]) -> bool:
        spec = TABLES.get(table)
        if spec is None or not spec.pulled:
            return False
        if table == "conflicts":
            return self._may_read_conflict(row)
        if spec.resource is None:
            return True
        relation = self._relation_of_row(spec, row)
        if not self._allows_read(spec.resource, relation):
            return self._covering(spec, row)
        # A row that hangs off a client travels with it: a device cannot hold it without the client.
        if spec.client_key is not None and spec.name != "clients" and row.get(spec.client_key) is not None:
            return self._allows_read(Resource.DEMOGRAPHICS, relation) or self._covering(spec, row)
        return True

    def _may_read_conflict(self, row: dict[str, Any]) -> bool:
        """The people in a conflict, the client's clinician (or their supervisor) and those who may
        resolve it — in full if they may read the record itself; its authors also when they no longer
        may (the client moved on), then without the other side's values (see :meth:`outgoing`)."""
        spec = TABLES.get(str(row.get("table_name")))
        if spec is None:
            return False
        relation = self.relation(self.clinician_of(row.get("client_id")))
        involved = self.user_id in (row.get("author_id"), row.get("other_author_id"))
        if spec.resource is not None and not self._allows_read(spec.resource, relation):
            return involved
        if involved or self.role is Role.ADMIN or relation in (Relation.OWN, Relation.TEAM):
            return True
        return self._may_resolve(spec, relation)

    def _conflict_without_record(self, row: dict[str, Any]) -> bool:
        """Whether this user may see the conflict but not the record it is about (see above)."""
        spec = TABLES.get(str(row.get("table_name")))
        if spec is None or spec.resource is None:
            return False
        return not self._allows_read(spec.resource, self.relation(self.clinician_of(row.get("client_id"))))

    def _may_resolve(self, spec: TableSpec, relation: Relation) -> bool:
        return (
            spec.kind is DataKind.CLINICAL
            and self.role is Role.SUPERVISOR
            and relation in (Relation.OWN, Relation.TEAM)
        )

    def outgoing(self, table: str, row: dict[str, Any] | None) -> dict[str, Any] | None:
        """The row as this user may receive it, or None: the one gate for every row leaving the hub."""
        if row is None or not self.may_read(table, row):
            return None
        if table == "conflicts" and self._conflict_without_record(row):
            # Its author learns the change met another, and sees what they wrote; nothing of the
            # record as it now is (another clinician's client) comes with it.
            row = {**row, "hub_value": None, "base_value": None}
        if self._reads_note_bodies:  # what withhold_note_content answers for such a role, sooner
            return row
        return withhold_note_content(self.role, table, row)

    # -- writing ------------------------------------------------------------------------------

    def write_refusal(
        self, spec: TableSpec, op: str, hub_row: dict[str, Any] | None, new_values: dict[str, Any],
        *, held_by_device: bool = False,
    ) -> str | None:
        """Why this user may not make this change, or None when they may. Words for the author.

        ``held_by_device``: the pushing device holds this row (or, for a row of a client's record, the
        client) — the hub sent or accepted it while it was in that device's scope and has not yet told
        it to drop it. An edit or a new record made then (offline, before a reassignment) is accepted
        so it reaches the new owner — as long as it does not itself move the client.
        """
        if spec.kind is DataKind.APPEND_ONLY:
            return None if op == "insert" else "audit entries are never changed"
        merged = {**(hub_row or {}), **new_values}
        if spec.name == "conflicts":
            return self._conflict_refusal(op, hub_row, new_values)
        if spec.name == "schedule_clashes":
            return "appointments booked twice are recorded and resolved by the hub, not by workstations"
        if spec.name == "alerts" and hub_row is not None:
            if not set(new_values) <= ALERT_ACTION_FIELDS:
                return "only an alert's acknowledgement or resolution can change"
            if any(new_values.get(k) not in (None, self.user_id) for k in ("acknowledged_by", "resolved_by")):
                return "an alert is acknowledged or resolved in your own name only"
        if spec.name in ADMIN_TABLES:
            if allows_any(self.role, Resource.ADMINISTRATION, Action.WRITE):
                return None
            if (
                spec.name == "users"
                and hub_row is not None
                and hub_row["id"] == self.user_id
                and set(new_values) <= SELF_USER_FIELDS
            ):
                return None
            if (
                spec.name == "backup_codes"
                and merged.get("user_id") == self.user_id
                and (hub_row is None or hub_row.get("user_id") == self.user_id)
            ):
                return None
            return "only an administrator can change users and practice settings"
        resource = spec.resource_to_write
        if resource is None:
            return None
        relations = {self._relation_of_row(spec, row) for row in (hub_row, merged) if row is not None}
        if all(allows(self.role, resource, Action.WRITE, rel) for rel in relations):
            return None
        if self._covering_write(spec, op, hub_row, merged):
            return None
        if spec.client_key is not None and str(merged.get(spec.client_key)) in set(self.covered().values()):
            # Held only through covering a visit: that visit is all this user may change of the client.
            return "you cover only this client's visits that were given to you; this change is outside them"
        # Moving the client, or handing a client's visit to another provider, is never an edit a
        # device may make merely because it holds the row.
        movers = ("primary_clinician_id", spec.client_key, spec.provider_key if spec.client_key else None)
        moved = {k for k in movers if k is not None} & set(new_values)
        moves_client = hub_row is not None and any(hub_row.get(k) != new_values[k] for k in moved)
        may_write_some = allows_any(self.role, resource, Action.WRITE)
        if held_by_device and may_write_some and not moves_client and spec.client_key is not None:
            return None
        if may_write_some:
            return "this client is not on your caseload, so you cannot change their record"
        return f"your role ({self.role.label}) does not allow changing these records"

    def _covering_write(
        self, spec: TableSpec, op: str, hub_row: dict[str, Any] | None, merged: dict[str, Any]
    ) -> bool:
        """A covering provider changes the visit they hold (confirm, check in, move within their own
        day) or records its status — never takes a visit, changes its client or hands it on."""
        if not allows(self.role, Resource.SCHEDULE, Action.WRITE, Relation.OWN):
            return False
        if spec.name == "appointments":
            return (op != "insert" and hub_row is not None and hub_row.get("provider_id") == self.user_id
                    and merged.get("provider_id") == self.user_id
                    and merged.get("client_id") == hub_row.get("client_id"))
        if spec.name == "appointment_status_history":
            return op == "insert" and self.covered().get(str(merged.get("appointment_id"))) == merged.get("client_id")
        return False

    def _conflict_refusal(
        self, op: str, hub_row: dict[str, Any] | None, new_values: dict[str, Any]
    ) -> str | None:
        if op == "insert" or hub_row is None:
            return "conflicts are recorded by the hub, not by workstations"
        if not set(new_values) <= RESOLUTION_FIELDS:
            return "only a conflict's resolution can change"
        if hub_row.get("author_id") == self.user_id:
            return None
        spec = TABLES.get(str(hub_row.get("table_name")))
        if spec is not None:
            relation = self.relation(self.clinician_of(hub_row.get("client_id")))
            if self._may_resolve(spec, relation):
                return None
            resource = spec.resource_to_write
            owner = relation is Relation.OWN and resource is not None
            if owner and resource is not None and allows(self.role, resource, Action.WRITE, relation):
                return None  # the client's clinician (the new owner, after a reassignment)
        return ("only the author of a change, the client's clinician (or, for clinical records, a "
                "supervisor) can resolve its conflict")


_users, _works = User.__table__.c, DeviceUser.__table__.c
_STAFF_HERE = (  # built once: asked on every pull
    select(_users.id, _users.role)
    .join(DeviceUser.__table__, _works.user_id == _users.id)
    .where(
        _works.device_id == bindparam("device_id"),
        _works.removed_at.is_(None),
        _users.active.is_(True),
        _users.deleted.is_(False),
    )
    .order_by(_users.id)
)


def staff_here(session: Session, device_id: str) -> list[tuple[str, str]]:
    """(user id, role) of everyone who works on the workstation now, in id order."""
    return [(str(uid), str(role)) for uid, role in session.execute(_STAFF_HERE, {"device_id": device_id})]


def staff_key(staff: list[tuple[str, str]]) -> str:
    """A short fingerprint of who works on a workstation and in which role.

    What a workstation may hold is the union of its staff's scopes, so when this changes (a person
    signs in there for the first time or is removed from it, an account is closed or reopened, a
    role changes) rows it holds may have left its scope and rows it never received may have entered
    it, with no change to those rows for the change log to carry. The cursor carries the fingerprint
    it was issued under; a pull under another one takes a fresh snapshot (``pull.read_cursor``).
    """
    text = ";".join(f"{uid}:{role}" for uid, role in staff)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class DeviceScopes:
    """What one workstation may hold: whatever any of the staff who work there may read.

    A shared front-desk workstation holds what the front desk may read; once a clinician has signed
    in there through the hub, it also holds that clinician's clients (each person still sees only what
    their own role allows, enforced by the desktop's services) — but never a note body while anyone
    who may not read one works there.
    """

    def __init__(
        self,
        session: Session,
        *,
        device_id: str,
        user_id: str,
        role: Role,
        staff: list[tuple[str, str]] | None = None,
    ) -> None:
        """``staff``: :func:`staff_here` for the device, when the caller has read it already."""
        self.session = session
        people = {user_id: role}
        for other_id, other_role in staff_here(session, device_id) if staff is None else staff:
            people.setdefault(other_id, Role(other_role))
        self._clinician: dict[str, str | None] = {}  # shared: a client's clinician is the same for all
        self.members = [
            Scopes(session, user_id=uid, role=r, clinicians=self._clinician) for uid, r in people.items()
        ]
        # A role working here that may never read note contents: then no body comes here at all.
        self._bodies_barred_by = next(
            (r for r in people.values() if not allows_any(r, Resource.NOTE_CONTENT, Action.READ)), None
        )

    def look_up_clients(self, rows: dict[tuple[str, str], dict[str, Any]]) -> None:
        """Learn, in one query, the clinician of every client these rows belong to.

        Saves :meth:`Scopes.clinician_of` a query per client. The page's client rows say it
        themselves (read in this transaction); the rest are read from the clients table.
        """
        wanted: set[str] = set()
        for (table, row_id), row in rows.items():
            spec = TABLES.get(table)
            if table == "clients":
                self._clinician.setdefault(row_id, row.get("primary_clinician_id"))
            elif spec is not None and spec.client_key is not None and row.get(spec.client_key) is not None:
                wanted.add(str(row[spec.client_key]))
        missing = sorted(wanted - self._clinician.keys())
        clients = Client.__table__.c
        for start in range(0, len(missing), 500):
            chunk = missing[start : start + 500]
            found: dict[str, str | None] = {
                client_id: clinician_id
                for client_id, clinician_id in self.session.execute(
                    select(clients.id, clients.primary_clinician_id).where(clients.id.in_(chunk))
                )
            }
            for client_id in chunk:
                self._clinician[client_id] = found.get(client_id)  # None: no such client, as a look-up says

    def outgoing(self, table: str, row: dict[str, Any] | None) -> dict[str, Any] | None:
        # Note bodies never reach a workstation where anyone works who may never read one (a front
        # desk): a clinician who signs in at the front desk sees their notes' metadata there, not bodies.
        if self._bodies_barred_by is not None and withhold_note_content(self._bodies_barred_by, table, row) is None:
            return None
        fallback = None
        for scopes in self.members:
            allowed = scopes.outgoing(table, row)
            if allowed is row:
                return allowed
            fallback = fallback or allowed  # a conflict without its record: unless another sees it all
        return fallback
