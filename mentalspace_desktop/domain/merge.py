"""How the hub applies one pushed change to the row it holds (DESIGN.md, Sync: Apply).

Pure rules, no database. A change carries, per field, the value the device started from and the value
it wrote; the hub compares that with what it holds now:

- base current (nobody else wrote the row since the device read it): apply;
- the row moved on: fields only one side changed merge; a field both sides changed to different
  values is a conflict — scheduling and demographic data keep the later arrival and record the
  conflict, clinical data keeps the hub's value and the conflict waits for a person;
- a delete against an edit (either way round) is a conflict, never a silent win;
- a signed note never changes: an edit to one is rejected (amend by addendum instead).

Nothing a device sends is ever lost: what is not applied is either in a conflict record or in the
rejection returned to its author.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class DataKind(StrEnum):
    SCHEDULING = "scheduling"  # later arrival wins a same-field clash (and the clash is recorded)
    RECORDS = "records"  # demographics, insurance, consents, settings: as scheduling
    CLINICAL = "clinical"  # notes, plans, diagnoses: the hub's value stays; a person decides
    APPEND_ONLY = "append_only"  # audit entries: inserted once, never changed


class Outcome(StrEnum):
    APPLIED = "applied"
    MERGED = "merged"
    CONFLICT = "conflict"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"  # already applied earlier (a resent change)


@dataclass(frozen=True)
class FieldClash:
    field: str
    base: Any  # what the device started from
    hub: Any  # what the hub held when the change arrived
    device: Any  # what the device wrote


@dataclass(frozen=True)
class MergeResult:
    outcome: Outcome
    row: dict[str, Any] | None  # the row the hub should now hold (None: leave it unchanged)
    clashes: tuple[FieldClash, ...] = ()
    reason: str = ""
    applied_fields: tuple[str, ...] = field(default=())


def merge_change(
    *,
    kind: DataKind,
    op: str,
    changes: Mapping[str, tuple[Any, Any] | list[Any]],
    hub_row: Mapping[str, Any] | None,
    base_is_current: bool,
    signed_field: str | None = None,
) -> MergeResult:
    """The result of applying one change (``op`` insert/update/delete) to ``hub_row``.

    ``changes`` maps each field the device wrote to (old, new). ``base_is_current`` says the row's
    server sequence is still the one the device based its change on. ``signed_field`` names the
    column whose being set marks a signed (immutable) clinical record.
    """
    new_values = {name: pair[1] for name, pair in changes.items()}
    if op == "insert":
        if hub_row is None:
            return MergeResult(Outcome.APPLIED, dict(new_values), applied_fields=tuple(sorted(new_values)))
        if all(hub_row.get(k) == v for k, v in new_values.items()):
            return MergeResult(Outcome.DUPLICATE, None)
        clashes = tuple(FieldClash(k, None, hub_row.get(k), v) for k, v in sorted(new_values.items())
                        if hub_row.get(k) != v)
        return MergeResult(Outcome.CONFLICT, None, clashes, "a different row with this id already exists")

    if hub_row is None:
        return MergeResult(Outcome.REJECTED, None, reason="the row does not exist on the hub")
    if kind is DataKind.APPEND_ONLY:
        return MergeResult(Outcome.REJECTED, None, reason="audit entries are never changed")
    if signed_field and hub_row.get(signed_field) and not _only_signs(changes, signed_field, hub_row):
        return MergeResult(Outcome.REJECTED, None,
                           reason="this note is signed and can no longer change; add an addendum instead")

    if base_is_current:
        row = {**hub_row, **new_values}
        return MergeResult(Outcome.APPLIED, row, applied_fields=tuple(sorted(new_values)))

    deleting = op == "delete" or new_values.get("deleted") is True
    hub_deleted = bool(hub_row.get("deleted"))
    if deleting and hub_deleted:
        return MergeResult(Outcome.DUPLICATE, None)
    if deleting or hub_deleted:
        clashes = tuple(FieldClash(k, pair[0], hub_row.get(k), pair[1]) for k, pair in sorted(changes.items()))
        reason = ("deleted here while it was changed elsewhere" if deleting
                  else "changed here while it was deleted elsewhere")
        return MergeResult(Outcome.CONFLICT, None, clashes, reason)

    row = dict(hub_row)
    applied: list[str] = []
    clashes_list: list[FieldClash] = []
    for name, pair in sorted(changes.items()):
        base, mine = pair[0], pair[1]
        theirs = hub_row.get(name)
        if theirs == mine:
            continue  # both sides agree already
        if theirs == base:
            row[name] = mine  # only this device changed it
            applied.append(name)
            continue
        clashes_list.append(FieldClash(name, base, theirs, mine))
        if kind is not DataKind.CLINICAL:
            row[name] = mine  # later arrival wins; the clash is kept
            applied.append(name)
    if clashes_list:
        return MergeResult(Outcome.CONFLICT, row, tuple(clashes_list), applied_fields=tuple(applied))
    return MergeResult(Outcome.MERGED, row, applied_fields=tuple(applied))


def _only_signs(changes: Mapping[str, Any], signed_field: str, hub_row: Mapping[str, Any]) -> bool:
    """A second signature made offline on an already signed note: keep it (both signatures stand).

    Only empty signature fields may be filled: a signature is never taken back or replaced.
    """
    fields = {signed_field, "cosigned_at", "cosigned_by", "signed_by"}
    return set(changes) <= fields and all(hub_row.get(name) in (None, pair[1]) for name, pair in changes.items())
