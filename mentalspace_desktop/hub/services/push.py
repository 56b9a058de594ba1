"""Applying a device's pushed changes: one transaction per batch, idempotent by change id.

A change id the hub has recorded for this device (``device_changes``) is answered as it was the first
time — never applied twice — and a sequence number alone never decides that. The changes the hub has
not seen must follow on from the device's last sequence: one that goes back (a store restored from a
backup, reusing numbers for new work) or jumps ahead (a hub restored from a backup, missing changes
it once acknowledged) refuses the whole batch with 409 and the hub's last sequence, so the device
can renumber or re-send without losing anything, and the last sequence does not move.

Each change is checked (known table, fields, the user's right to write that row), merged with
``domain.merge.merge_change`` against the hub's row, written with a new number and a change-log
entry, and answered with a Result carrying the hub's row so the device converges at once. What is
not applied is either in a Conflict row (itself synced, so it reaches its author) or in the
rejection returned to the author — never silently dropped. A rejection still advances the queue.

Locks, always in this order so concurrent pushes queue instead of deadlocking: the device row (two
pushes from one device serialise, keeping the idempotency check exact), then every row the batch
changes (by table, then id: see ``repository.lock_rows``), and last the sequence counter, taken once
for the whole batch at the end and held only for the short numbering tail until commit. Pushes to
different rows therefore do their work in parallel and queue only for that tail.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.merge import DataKind, MergeResult, Outcome, merge_change
from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.errors import HubError
from mentalspace_desktop.hub.services import audit_heads, clashes
from mentalspace_desktop.hub.services.auth import Principal, add_device_user
from mentalspace_desktop.hub.services.scopes import DeviceScopes, Scopes
from mentalspace_desktop.hub.services.signatures import SignatureCheck
from mentalspace_desktop.hub.services.visit_timing import CHECKED as TIMED
from mentalspace_desktop.hub.services.visit_timing import VisitTiming
from mentalspace_desktop.store.models import User
from mentalspace_desktop.store.scheduling_models import Appointment
from mentalspace_desktop.store.sync_models import Conflict, Device, DeviceChange, DeviceHolding, DeviceUser
from mentalspace_desktop.sync.protocol import Result
from mentalspace_desktop.sync.tables import TABLES, TableSpec

OPS = frozenset({"insert", "update", "delete"})
NO_AUTHOR = ("the person who made this change has never signed in to the hub on this workstation, or their "
             "account is closed")


@dataclass(frozen=True)
class PushOutcome:
    results: list[Result]
    last_device_seq: int


@dataclass
class _Draft:
    """An answer whose numbers are known only once the batch is numbered, at the end."""

    result: Result
    write: repo.PendingWrite | None = None  # the latest write of the row the answer shows

    def render(self) -> Result:
        if self.write is not None:
            self.result["server_seq"] = self.write.seq
            row = self.result.get("row")
            if row and "server_seq" in row:
                row["server_seq"] = self.write.seq
        return self.result


@dataclass
class _Staged:
    """What one change wrote; kept only once the write succeeded (its savepoint, if any, released)."""

    writes: list[repo.PendingWrite] = field(default_factory=list)
    rescopes: list[tuple[str, str]] = field(default_factory=list)  # ("client" | "caseload" | "covering" | "group", id)


def push(session: Session, principal: Principal, changes: list[dict[str, Any]]) -> PushOutcome:
    """Apply one batch in one transaction and record the device's last applied sequence with it."""
    try:
        return _push(session, principal, changes, isolate=False)
    except (IntegrityError, DataError):
        # A change broke a constraint only the database checks (a foreign key, a unique value, a
        # required field). Rather than a savepoint around every write of every push, redo this
        # rare batch from the start with one around each write, so only that change is rejected.
        return _push(session, principal, changes, isolate=True)


def _push(
    session: Session, principal: Principal, changes: list[dict[str, Any]], *, isolate: bool
) -> PushOutcome:
    with session.begin():
        # FOR NO KEY UPDATE: a second push from this device waits for this one's commit, and pulls
        # (which insert device_holdings rows pointing here) are not blocked.
        device = session.get(Device, principal.device_id, with_for_update={"key_share": True})
        assert device is not None
        last = int(device.last_device_seq)
        ordered = sorted(enumerate(changes), key=lambda item: item[1]["device_seq"])
        known = _known_changes(session, device.id, [change["change_id"] for change in changes])
        fresh = _follow_on(ordered, known, last)
        applier = _Applier(session, principal, isolate=isolate)
        applier.lock([change for index, change in ordered if index in fresh])
        drafts: dict[int, _Draft] = {}
        for index, change in ordered:
            if index not in fresh:
                drafts[index] = applier.answered_before(change, known.get(change["change_id"]))
            else:
                drafts[index] = applier.apply(change)
                result = drafts[index].result
                session.add(DeviceChange(device_id=device.id, device_seq=change["device_seq"],
                                         change_id=change["change_id"], outcome=result["outcome"],
                                         reason=result.get("reason")))
            last = max(last, change["device_seq"])
        device.last_device_seq = last
        applier.hold()
        applier.number()  # takes the counter lock; the commit right after releases it
    return PushOutcome([drafts[i].render() for i in range(len(changes))], last)


def _known_changes(session: Session, device_id: str, change_ids: list[str]) -> dict[str, DeviceChange]:
    """The changes of this batch the hub has already answered for this device, by change id."""
    if not change_ids:
        return {}
    found = session.scalars(
        select(DeviceChange).where(DeviceChange.device_id == device_id,
                                   repo.among(session, DeviceChange.change_id, sorted(set(change_ids))))
    )
    return {row.change_id: row for row in found}


def _follow_on(ordered: list[tuple[int, dict[str, Any]]], known: dict[str, DeviceChange], last: int) -> set[int]:
    """The changes to apply (by index); raises 409 unless every new change follows on from ``last``.

    A change seen before (by change id) is answered again wherever it sits; one the device has
    renumbered after a restore still takes its new place in the sequence. A device that has never
    pushed (``last`` 0) may start anywhere: a store that worked alone before joining has numbers
    the hub never saw.
    """
    fresh: set[int] = set()
    seen: set[str] = set()
    expected = last + 1 if last > 0 else None
    for index, change in ordered:
        seq, change_id = change["device_seq"], change["change_id"]
        repeated = change_id in known or change_id in seen
        if seq <= last:
            if repeated:
                continue
            raise HubError(
                409,
                f"This workstation sent new work under sequence number {seq}, which it already used for "
                f"other work (the hub holds its changes up to {last}): its data was probably restored "
                "from a backup. It must number its waiting changes after the hub's.",
                "device_seq_behind",
                last_device_seq=last,
            )
        if repeated and expected is not None and seq < expected:
            continue  # the same change twice in one batch
        if expected is not None and seq != expected:
            raise HubError(
                409,
                f"This workstation's changes jump from sequence number {expected - 1} to {seq}: the hub "
                "does not hold the changes in between (it was probably restored from a backup). The "
                "workstation must send them again.",
                "device_seq_gap",
                last_device_seq=last,
            )
        expected = seq + 1
        seen.add(change_id)
        if not repeated:
            fresh.add(index)
    return fresh


class _Applier:
    def __init__(self, session: Session, principal: Principal, *, isolate: bool) -> None:
        self.session = session
        self.principal = principal
        self.isolate = isolate  # a savepoint around each write (see push)
        self.scopes = Scopes(session, user_id=principal.user_id, role=principal.role)  # the change's author
        self.authors: dict[str, Scopes | None] = {principal.user_id: self.scopes}  # None: may not author
        self.created_here: list[str] = []  # staff an administrator created on this workstation
        self.writes: list[repo.PendingWrite] = []  # numbered in this order at the end
        self.latest: dict[tuple[str, str], repo.PendingWrite] = {}  # (table, id) -> its last write
        self.rescopes: list[tuple[str, str]] = []
        self.rows: dict[tuple[str, str], Any] = {}  # (table, id) -> locked row, or None: not there
        self.signatures = SignatureCheck(session, principal.device_id)
        self._device_view: DeviceScopes | None = None  # what the pushing workstation may read
        self.pushed: dict[str, list[str]] = {}  # table -> rows the device wrote and the hub now has
        self.timing = VisitTiming(session)  # no outcome before its visit (see visit_timing)

    # -- the batch ------------------------------------------------------------------------------

    def lock(self, changes: list[dict[str, Any]]) -> None:
        """Lock every row the batch may change, up front and in (table, id) order."""
        by_table: dict[str, list[str]] = {}
        for change in changes:
            # Clashes are written by the hub only, under the counter's lock: a device's (refused)
            # change to one never locks it, or it could wait on a push that holds the counter.
            if change["table"] in TABLES and change["table"] != "schedule_clashes":
                by_table.setdefault(change["table"], []).append(change["row_id"])
        for table in sorted(by_table):
            model = repo.model_for(table)
            if model is not None:
                found = repo.lock_rows(self.session, model, by_table[table])
                self.rows.update(((table, row_id), found.get(row_id)) for row_id in by_table[table])

    def hold(self) -> None:
        """A row a device pushed is a row it holds: if it leaves the device's scope, a later pull
        tells the device to drop it, even when the pull right after this push never arrived."""
        for table, row_ids in sorted(self.pushed.items()):
            repo.hold(self.session, self.principal.device_id, table, sorted(set(row_ids)))

    def number(self) -> None:
        """The tail: number every write of the batch with one counter update, then log rescopes.

        Everything that can wait on another transaction's locks (row writes, foreign-key and unique
        checks) is flushed before the counter is taken, so the counter is always the last lock and
        its holder never waits on anyone: commits stay in sequence order (the watermark rule, see
        ``repository.number_writes``) and the lock is held only for these few statements.
        """
        self.session.flush()
        for user_id in self.created_here:
            add_device_user(self.session, self.principal.device_id, user_id, how="created here")
        booked = [row_id for (table, row_id) in self.latest if table == "appointments"]
        if booked:
            # Under the counter's lock, so two pushes that each bring one side of a double booking
            # cannot both miss the other: the second to take it sees the first committed.
            repo.lock_writes(self.session)
            for clash in clashes.review(self.session, booked):
                op = "insert" if clash.server_seq is None else "update"
                self.writes.append(repo.stamp(self.session, clash, op=op, user_id=None, device_id=None))
            self.session.flush()
        repo.number_writes(self.session, self.writes)
        # Rescopes read a client's dependents only now, under the counter lock: a concurrent push
        # adding one has either committed (and is logged again here) or will be numbered after us.
        rescope = {"client": repo.rescope_client, "caseload": repo.rescope_caseload,
                   "covering": repo.rescope_covered_client, "group": repo.rescope_group}
        for kind, row_id in dict.fromkeys(self.rescopes):
            rescope[kind](self.session, row_id)
        self.session.flush()

    def _keep(self, staged: _Staged) -> None:
        for write in staged.writes:
            self.writes.append(write)
            key = (type(write.obj).__tablename__, write.obj.id)
            self.latest[key] = write
            self.rows[key] = write.obj
        self.rescopes.extend(staged.rescopes)

    # -- answers --------------------------------------------------------------------------------

    def _result(
        self,
        change: dict[str, Any],
        outcome: Outcome | str,
        *,
        obj: Any = None,
        reason: str = "",
        conflict_ids: list[str] | None = None,
        table: str | None = None,
    ) -> _Draft:
        result: Result = {
            "device_seq": change["device_seq"],
            "change_id": change["change_id"],
            "outcome": str(outcome),
            "server_seq": obj.server_seq if obj is not None else None,
        }
        if reason:
            result["reason"] = reason
        if outcome is not Outcome.APPLIED:
            row = repo.to_json(obj) if obj is not None else None
            result["row"] = self._readable_here(table or change["table"], row)
        if conflict_ids:
            result["conflict_ids"] = conflict_ids
        write = self.latest.get((type(obj).__tablename__, obj.id)) if obj is not None else None
        return _Draft(result, write)

    def _readable_here(self, table: str, row: dict[str, Any] | None) -> dict[str, Any] | None:
        """The row as the pushing workstation may hold it (whoever the change's author claims to be):
        a result, like a pull page, never carries what anyone working there may not read."""
        if row is None:
            return None
        if self._device_view is None:
            p = self.principal
            self._device_view = DeviceScopes(self.session, device_id=p.device_id, user_id=p.user_id, role=p.role)
        return self._device_view.outgoing(table, row)

    def _row(self, model: type[Any], table: str, row_id: str) -> Any:
        if (table, row_id) in self.rows:
            return self.rows[(table, row_id)]  # locked and loaded (or found absent) by lock()
        return self.session.get(model, row_id)

    def _current(self, change: dict[str, Any]) -> Any:
        model = repo.model_for(change["table"]) if change["table"] in TABLES else None
        return self._row(model, change["table"], change["row_id"]) if model is not None else None

    def duplicate(self, change: dict[str, Any]) -> _Draft:
        return self._result(change, Outcome.DUPLICATE, obj=self._current(change))

    def answered_before(self, change: dict[str, Any], first: DeviceChange | None) -> _Draft:
        """A change the hub has seen: a refusal is given again (so its author still learns of it),
        anything else is acknowledged as a duplicate with the hub's current row."""
        if first is not None and first.outcome == Outcome.REJECTED:
            return self.reject(change, first.reason or "refused by the hub", self._current(change))
        return self.duplicate(change)

    def reject(self, change: dict[str, Any], reason: str, obj: Any = None) -> _Draft:
        return self._result(change, Outcome.REJECTED, obj=obj, reason=reason)

    # -- one change -----------------------------------------------------------------------------

    def _author(self, change: dict[str, Any]) -> Scopes | str | None:
        """The scopes of the person who made this change on the workstation, or why they cannot be.

        A shared workstation pushes the work of everyone who signs in there: each change is checked
        against its author's own permissions, only staff who work there (DeviceUser) may author, and
        only with proof that they did: their signature (hub/services/signatures.py).
        """
        author_id = str(change.get("author_id") or self.principal.user_id)
        if author_id not in self.authors:
            user = self.session.get(User, author_id)
            works = self.session.get(DeviceUser, (self.principal.device_id, author_id))
            works_here = user is not None and (
                author_id in self.created_here or (works is not None and works.removed_at is None)
            )
            self.authors[author_id] = (
                Scopes(self.session, user_id=author_id, role=Role(user.role))
                if works_here and user is not None and user.active and not user.deleted
                else None
            )
        scopes = self.authors[author_id]
        if scopes is None:
            return None
        return self.signatures.refusal(change, author_id) or scopes

    def _held(self, table: str, row_id: str) -> bool:
        """Whether the hub sent this row to the pushing device and has not told it to drop it."""
        return self.session.get(DeviceHolding, (self.principal.device_id, table, row_id)) is not None

    def _held_here(
        self, spec: TableSpec, row_id: str, hub_row: dict[str, Any] | None, new_values: dict[str, Any]
    ) -> bool:
        """Whether the device holds this row, or (for a row of a client's record) the client it
        belongs to: work made there while the client was in its scope, to reach the new owner."""
        if hub_row is not None and self._held(spec.name, row_id):
            return True
        if spec.client_key is None or spec.name == "clients":
            return False
        client_id = (hub_row or {}).get(spec.client_key) or new_values.get(spec.client_key)
        return client_id is not None and self._held("clients", str(client_id))

    def apply(self, change: dict[str, Any]) -> _Draft:
        table, op, row_id = change["table"], change["op"], change["row_id"]
        spec = TABLES.get(table)
        model = repo.model_for(table) if spec else None
        if spec is None or model is None:
            return self.reject(change, f"the hub does not keep a table called {table!r}")
        if op not in OPS:
            return self.reject(change, f"unknown operation {op!r}")
        hub_obj = self._row(model, table, row_id)  # locked and loaded by lock()
        author = self._author(change)
        if isinstance(author, str):
            return self.reject(change, author, hub_obj)
        if author is None:
            return self.reject(change, NO_AUTHOR, hub_obj)
        self.scopes = author
        try:
            pairs = self._normalised(model, change["changes"], op)
        except ValueError as exc:
            return self.reject(change, str(exc), hub_obj)
        if "id" in pairs and pairs.pop("id")[1] != row_id:
            return self.reject(change, "the change names a different row id than it carries", hub_obj)
        if op == "delete":
            pairs.setdefault("deleted", [hub_obj.deleted if hub_obj is not None else False, True])
        hub_row = repo.to_json(hub_obj) if hub_obj is not None else None
        new_values = {name: pair[1] for name, pair in pairs.items()}
        refusal = self.scopes.write_refusal(spec, op, hub_row, new_values,
                                            held_by_device=self._held_here(spec, row_id, hub_row, new_values))
        if refusal:
            return self.reject(change, refusal, hub_obj)
        if table == "audit_log" and (broken := audit_heads.admit(self.session, self.principal.device_id, row_id,
                                                                  new_values, held=hub_row)):
            return self.reject(change, broken, hub_obj)  # refused and recorded: see hub/services/audit_heads.py
        if spec.kind is DataKind.APPEND_ONLY and hub_row is not None:
            same = all(hub_row.get(k) == v for k, v in new_values.items())
            return (
                self.duplicate(change)
                if same
                else self.reject(change, "an audit entry with this id already exists", hub_obj)
            )
        # A row this batch already wrote has moved past any base the device could name (it will
        # get a new number the device has not seen), even though the number is assigned later.
        base_is_current = (
            hub_row is not None
            and (table, row_id) not in self.latest
            and hub_row["server_seq"] == change["base_server_seq"]
        )
        merged = merge_change(
            kind=spec.kind,
            op=op,
            changes=pairs,
            hub_row=hub_row,
            base_is_current=base_is_current,
            signed_field=spec.signed_field,
        )
        if merged.outcome in (Outcome.REJECTED, Outcome.DUPLICATE):
            return self._result(change, merged.outcome, obj=hub_obj, reason=merged.reason)
        if table == "notes" and merged.row is not None and (why := self._appointment_refusal(merged.row, hub_row)):
            return self.reject(change, why, hub_obj)
        if table in TIMED and merged.row is not None and not merged.row.get("deleted") and (
                why := self.timing.refusal(table, merged.row, hub_row, self._appointment)):
            return self.reject(change, why, hub_obj)
        # Foreign keys, unique values and required fields are checked by the database, and a failure
        # must reject this change, not the batch. Usually nothing fails: the writes are flushed
        # together at the end and a failure redoes the batch with a savepoint around each write.
        staged = _Staged()
        try:
            with self.session.begin_nested() if self.isolate else nullcontext():
                obj = self._write(spec, model, op, row_id, hub_obj, hub_row, merged, staged)
                conflict_ids = self._record_conflicts(spec, change, hub_row, merged, staged)
                if self.isolate:
                    self.session.flush()
        except (IntegrityError, DataError):
            if not self.isolate:
                raise  # an autoflush met an earlier change's failure: push redoes the batch
            self.session.expire_all()
            return self.reject(
                change,
                "the hub could not store this change: it refers to a record that does "
                "not exist, leaves out a required field or repeats a unique value",
                self.session.get(model, row_id),
            )
        self._keep(staged)
        if spec.pulled and (obj is not None or hub_obj is not None):
            self.pushed.setdefault(table, []).append(row_id)
        if table == "users" and op == "insert" and obj is not None:
            self.created_here.append(row_id)
            self.authors.pop(row_id, None)
        return self._result(
            change, merged.outcome, obj=obj or hub_obj, reason=merged.reason, conflict_ids=conflict_ids
        )

    def _appointment_refusal(self, row: dict[str, Any], hub_row: dict[str, Any] | None) -> str | None:
        """Why a note may not name its appointment (one the hub does not hold, or another client's),
        in words for its author; the database's foreign key would only say "a record that does not
        exist". An unchanged link is not checked again."""
        appointment_id = row.get("appointment_id")
        if not appointment_id or (hub_row is not None and hub_row.get("appointment_id") == appointment_id):
            return None
        key = ("appointments", str(appointment_id))
        with self.session.no_autoflush:
            found = self.rows[key] if key in self.rows else self.session.get(Appointment, key[1])
        if found is None:
            return ("this note names an appointment the hub does not hold (it was never synced, or "
                    "was refused): link the note to a session on the schedule, or write it from the chart")
        if found.client_id != row.get("client_id"):
            return ("this note names an appointment of another client (or a group session): link it to this "
                    "client's session")
        return None

    def _appointment(self, appointment_id: str) -> Appointment | None:
        with self.session.no_autoflush:
            return self._row(Appointment, "appointments", appointment_id)

    def _normalised(self, model: type[Any], raw: dict[str, list[Any]], op: str) -> dict[str, list[Any]]:
        columns = repo.columns_of(model)
        pairs: dict[str, list[Any]] = {}
        for name, pair in raw.items():
            if name in repo.HUB_STAMPED:
                continue
            if name not in columns:
                raise ValueError(f"the hub does not know the field {name!r}")
            if not isinstance(pair, list) or len(pair) != 2:
                raise ValueError(f"{name} is not an [old, new] pair")
            pairs[name] = [repo.normalise(columns[name], pair[0]), repo.normalise(columns[name], pair[1])]
        if not pairs and op != "delete":
            raise ValueError("the change carries no fields")
        return pairs

    def _write(
        self,
        spec: TableSpec,
        model: type[Any],
        op: str,
        row_id: str,
        hub_obj: Any,
        hub_row: dict[str, Any] | None,
        merged: MergeResult,
        staged: _Staged,
    ) -> Any:
        """Store the merged row (if anything changed); its number and log entry come in ``number``."""
        if merged.row is None:
            return None
        columns = repo.columns_of(model)
        values = {
            k: repo.from_json(columns[k], v)
            for k, v in merged.row.items()
            if k in columns and k not in repo.HUB_STAMPED and k != "id"
        }
        if hub_obj is None:
            obj = model(id=row_id, **values)
        else:
            changed = {
                k: v for k, v in values.items() if hub_row is None or hub_row.get(k) != merged.row.get(k)
            }
            if not changed:
                return hub_obj
            for name, value in changed.items():
                setattr(hub_obj, name, value)
            obj = hub_obj
        old_clinician = hub_row.get("primary_clinician_id") if hub_row else None
        staged.writes.append(
            repo.stamp(self.session, obj, op=op, user_id=self.scopes.user_id, device_id=self.principal.device_id)
        )
        if spec.name == "clients" and hub_row is not None and old_clinician != obj.primary_clinician_id:
            for scopes in self.authors.values():  # later changes in the batch are checked against the new owner
                if scopes is not None:
                    scopes.forget(obj.id)
            staged.rescopes.append(("client", obj.id))
        if spec.name == "users" and hub_row is not None and hub_row.get("supervisor_id") != obj.supervisor_id:
            staged.rescopes.append(("caseload", obj.id))
        if spec.name == "appointments" and obj.client_id is not None and (
            (hub_row is not None and hub_row.get("provider_id") != obj.provider_id)
            or (hub_row is None and self.scopes.clinician_of(obj.client_id) != obj.provider_id)
        ):
            # A visit given to (or taken back from) a covering provider: the client's row and the
            # visit's history enter or leave that provider's devices (scopes.Scopes.covered).
            staged.rescopes.append(("covering", obj.client_id))
        if spec.name == "group_members" and (hub_row is None or any(
                hub_row.get(k) != getattr(obj, k) for k in ("group_id", "client_id", "deleted"))):
            # A client joined or left a group: its row and sessions follow the members' clinicians.
            staged.rescopes.append(("group", obj.group_id))
            if hub_row is not None and hub_row.get("group_id") != obj.group_id:
                staged.rescopes.append(("group", str(hub_row["group_id"])))
        return obj

    def _record_conflicts(
        self,
        spec: TableSpec,
        change: dict[str, Any],
        hub_row: dict[str, Any] | None,
        merged: MergeResult,
        staged: _Staged,
    ) -> list[str]:
        """One synced Conflict row per clash, numbered like any write so it reaches the author's devices."""
        ids: list[str] = []
        client_id = repo.client_of(spec.name, hub_row or merged.row or {"id": change["row_id"]})
        if spec.name == "clients":
            client_id = change["row_id"]
        for clash in merged.clashes:
            kept = "device" if merged.row is not None and clash.field in merged.applied_fields else "hub"
            conflict = Conflict(
                id=new_id(),
                table_name=spec.name,
                row_id=change["row_id"],
                client_id=client_id,
                field=clash.field,
                base_value=repo.dumps(clash.base),
                hub_value=repo.dumps(clash.hub),
                device_value=repo.dumps(clash.device),
                kept=kept,
                reason=merged.reason or "changed here and on another workstation",
                author_id=self.scopes.user_id,
                other_author_id=(hub_row or {}).get("updated_by"),
                from_device_id=self.principal.device_id,
                change_id=change["change_id"],
                status="open",
            )
            staged.writes.append(
                repo.stamp(
                    self.session,
                    conflict,
                    op="insert",
                    user_id=self.scopes.user_id,
                    device_id=self.principal.device_id,
                )
            )
            ids.append(conflict.id)
        return ids
