"""Applying a device's pushed changes: one transaction per batch, idempotent by device sequence.

Each change is checked (known table, fields, the user's right to write that row), merged with
``domain.merge.merge_change`` against the hub's row, written with a new number and a change-log
entry, and answered with a Result carrying the hub's row so the device converges at once. What is
not applied is either in a Conflict row (itself synced, so it reaches its author) or in the
rejection returned to the author — never silently dropped. A rejection still advances the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.merge import DataKind, MergeResult, Outcome, merge_change
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.services.auth import Principal
from mentalspace_desktop.hub.services.scopes import Scopes
from mentalspace_desktop.store.models import Client, Consent, Insurance
from mentalspace_desktop.store.sync_models import Conflict, Device, DeviceHolding
from mentalspace_desktop.sync.protocol import Result
from mentalspace_desktop.sync.tables import TABLES, TableSpec

OPS = frozenset({"insert", "update", "delete"})
CHILD_TABLES: tuple[type[Any], ...] = (Insurance, Consent, Conflict)


@dataclass(frozen=True)
class PushOutcome:
    results: list[Result]
    last_device_seq: int


def push(session: Session, principal: Principal, changes: list[dict[str, Any]]) -> PushOutcome:
    """Apply one batch in one transaction and record the device's last applied sequence with it."""
    with session.begin():
        repo.lock_writes(session)
        device = session.get(Device, principal.device_id, with_for_update=True)
        assert device is not None
        last = int(device.last_device_seq)
        applier = _Applier(session, principal)
        results: dict[int, Result] = {}
        for index, change in sorted(enumerate(changes), key=lambda item: item[1]["device_seq"]):
            if change["device_seq"] <= last:
                results[index] = applier.duplicate(change)
                continue
            results[index] = applier.apply(change)
            last = change["device_seq"]
        device.last_device_seq = last
    return PushOutcome([results[i] for i in range(len(changes))], last)


class _Applier:
    def __init__(self, session: Session, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.scopes = Scopes(session, user_id=principal.user_id, role=principal.role)

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
    ) -> Result:
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
            result["row"] = self.scopes.outgoing(table or change["table"], row)
        if conflict_ids:
            result["conflict_ids"] = conflict_ids
        return result

    def _current(self, change: dict[str, Any]) -> Any:
        model = repo.model_for(change["table"]) if change["table"] in TABLES else None
        return self.session.get(model, change["row_id"]) if model is not None else None

    def duplicate(self, change: dict[str, Any]) -> Result:
        return self._result(change, Outcome.DUPLICATE, obj=self._current(change))

    def reject(self, change: dict[str, Any], reason: str, obj: Any = None) -> Result:
        return self._result(change, Outcome.REJECTED, obj=obj, reason=reason)

    # -- one change -----------------------------------------------------------------------------

    def _held(self, table: str, row_id: str) -> bool:
        """Whether the hub sent this row to the pushing device and has not told it to drop it."""
        return self.session.get(DeviceHolding, (self.principal.device_id, table, row_id)) is not None

    def apply(self, change: dict[str, Any]) -> Result:
        table, op, row_id = change["table"], change["op"], change["row_id"]
        spec = TABLES.get(table)
        model = repo.model_for(table) if spec else None
        if spec is None or model is None:
            return self.reject(change, f"the hub does not keep a table called {table!r}")
        if op not in OPS:
            return self.reject(change, f"unknown operation {op!r}")
        hub_obj = self.session.get(model, row_id, populate_existing=True)
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
                                            held_by_device=hub_row is not None and self._held(table, row_id))
        if refusal:
            return self.reject(change, refusal, hub_obj)
        if spec.kind is DataKind.APPEND_ONLY and hub_row is not None:
            same = all(hub_row.get(k) == v for k, v in new_values.items())
            return (
                self.duplicate(change)
                if same
                else self.reject(change, "an audit entry with this id already exists", hub_obj)
            )
        base_is_current = hub_row is not None and hub_row["server_seq"] == change["base_server_seq"]
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
        try:
            with self.session.begin_nested():
                obj = self._write(spec, model, op, row_id, hub_obj, hub_row, merged)
                conflict_ids = self._record_conflicts(spec, change, hub_row, merged)
                self.session.flush()
        except (IntegrityError, DataError):
            self.session.expire_all()
            return self.reject(
                change,
                "the hub could not store this change: it refers to a record that does "
                "not exist, leaves out a required field or repeats a unique value",
                self.session.get(model, row_id),
            )
        return self._result(
            change, merged.outcome, obj=obj or hub_obj, reason=merged.reason, conflict_ids=conflict_ids
        )

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
    ) -> Any:
        """Store the merged row (if anything changed) with a new number and its change-log entry."""
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
        repo.record_write(
            self.session, obj, op=op, user_id=self.principal.user_id, device_id=self.principal.device_id
        )
        if spec.name == "clients" and hub_row is not None and old_clinician != obj.primary_clinician_id:
            self.session.flush()
            self.scopes.forget(obj.id)
            rescope_client(self.session, obj.id)
        if spec.name == "users" and hub_row is not None and hub_row.get("supervisor_id") != obj.supervisor_id:
            self.session.flush()
            rescope_caseload(self.session, obj.id)
        return obj

    def _record_conflicts(
        self, spec: TableSpec, change: dict[str, Any], hub_row: dict[str, Any] | None, merged: MergeResult
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
                author_id=self.principal.user_id,
                other_author_id=(hub_row or {}).get("updated_by"),
                from_device_id=self.principal.device_id,
                change_id=change["change_id"],
                status="open",
            )
            repo.record_write(
                self.session,
                conflict,
                op="insert",
                user_id=self.principal.user_id,
                device_id=self.principal.device_id,
            )
            ids.append(conflict.id)
        return ids


def rescope_client(session: Session, client_id: str) -> None:
    """Log the client's dependent rows again so every device re-checks them against its scope.

    Their own ``server_seq`` stays: the rows did not change, only who may hold them did.
    """
    for model in CHILD_TABLES:
        ids = list(session.scalars(select(model.id).where(model.client_id == client_id)))
        if not ids:
            continue
        top = repo.take_seq(session, len(ids))
        for offset, row_id in enumerate(ids):
            repo.log_change(
                session,
                seq=top - len(ids) + 1 + offset,
                table=model.__tablename__,
                row_id=row_id,
                client_id=client_id,
                op="rescope",
            )


def rescope_caseload(session: Session, clinician_id: str) -> None:
    """A clinician's supervisor changed: their clients (and dependents) move between supervisors' scopes."""
    client_ids = list(session.scalars(select(Client.id).where(Client.primary_clinician_id == clinician_id)))
    if not client_ids:
        return
    top = repo.take_seq(session, len(client_ids))
    for offset, client_id in enumerate(client_ids):
        repo.log_change(
            session,
            seq=top - len(client_ids) + 1 + offset,
            table="clients",
            row_id=client_id,
            client_id=client_id,
            op="rescope",
        )
        rescope_client(session, client_id)
