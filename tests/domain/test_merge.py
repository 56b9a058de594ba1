"""The hub's merge rules: nothing a device sends is lost, clinical data is never overwritten."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mentalspace_desktop.domain.merge import DataKind, Outcome, merge_change

FIELDS = ("a", "b", "c", "d")
values = st.sampled_from([None, 0, 1, 2, "x", "y"])
rows = st.fixed_dictionaries({f: values for f in FIELDS})


@st.composite
def change_against(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[Any]]]:
    """(base row, hub row now, device change): the hub and the device each edited the base."""
    base = draw(rows)
    hub = {f: draw(st.sampled_from([base[f], draw(values)])) for f in FIELDS}
    written = draw(st.lists(st.sampled_from(FIELDS), unique=True, min_size=1))
    changes = {f: [base[f], draw(values)] for f in written}
    return base, hub, changes


def test_current_base_applies_every_field() -> None:
    r = merge_change(kind=DataKind.CLINICAL, op="update", changes={"a": [1, 2]},
                     hub_row={"a": 1, "b": 5}, base_is_current=True)
    assert r.outcome is Outcome.APPLIED and r.row == {"a": 2, "b": 5}


def test_different_fields_merge() -> None:
    r = merge_change(kind=DataKind.RECORDS, op="update", changes={"a": [1, 2]},
                     hub_row={"a": 1, "b": 9}, base_is_current=False)
    assert r.outcome is Outcome.MERGED and r.row == {"a": 2, "b": 9}


def test_same_field_scheduling_keeps_later_arrival_and_records_conflict() -> None:
    r = merge_change(kind=DataKind.SCHEDULING, op="update", changes={"start": ["10:00", "11:00"]},
                     hub_row={"start": "09:00"}, base_is_current=False)
    assert r.outcome is Outcome.CONFLICT
    assert r.row == {"start": "11:00"}
    assert [(c.hub, c.device) for c in r.clashes] == [("09:00", "11:00")]


def test_same_field_clinical_never_overwrites() -> None:
    r = merge_change(kind=DataKind.CLINICAL, op="update", changes={"body": ["v1", "mine"]},
                     hub_row={"body": "theirs"}, base_is_current=False)
    assert r.outcome is Outcome.CONFLICT
    assert r.row == {"body": "theirs"}
    assert r.clashes[0].device == "mine"


def test_delete_against_edit_is_a_conflict_both_ways() -> None:
    d = merge_change(kind=DataKind.RECORDS, op="delete", changes={"deleted": [False, True]},
                     hub_row={"deleted": False, "a": 2}, base_is_current=False)
    e = merge_change(kind=DataKind.RECORDS, op="update", changes={"a": [1, 3]},
                     hub_row={"deleted": True, "a": 1}, base_is_current=False)
    assert d.outcome is Outcome.CONFLICT and d.row is None
    assert e.outcome is Outcome.CONFLICT and e.row is None


def test_signed_note_edit_is_rejected_with_reason_but_second_signature_kept() -> None:
    signed = {"body": "final", "signed_at": "2026-11-01T10:00:00Z"}
    edit = merge_change(kind=DataKind.CLINICAL, op="update", changes={"body": ["final", "changed"]},
                        hub_row=signed, base_is_current=True, signed_field="signed_at")
    assert edit.outcome is Outcome.REJECTED and "addendum" in edit.reason
    cosign = merge_change(kind=DataKind.CLINICAL, op="update",
                          changes={"cosigned_at": [None, "2026-11-02T09:00:00Z"]},
                          hub_row=signed, base_is_current=True, signed_field="signed_at")
    assert cosign.outcome is Outcome.APPLIED


def test_resent_insert_is_a_duplicate_not_a_second_row() -> None:
    r = merge_change(kind=DataKind.RECORDS, op="insert", changes={"a": [None, 1]},
                     hub_row={"a": 1}, base_is_current=False)
    assert r.outcome is Outcome.DUPLICATE


def test_audit_entries_never_change() -> None:
    r = merge_change(kind=DataKind.APPEND_ONLY, op="update", changes={"summary": ["a", "b"]},
                     hub_row={"summary": "a"}, base_is_current=True)
    assert r.outcome is Outcome.REJECTED


@given(change_against(), st.sampled_from([DataKind.SCHEDULING, DataKind.RECORDS, DataKind.CLINICAL]))
def test_no_written_value_is_lost(case: tuple[dict, dict, dict], kind: DataKind) -> None:
    """Every value the device wrote is either in the resulting row or in a recorded clash."""
    _base, hub, changes = case
    r = merge_change(kind=kind, op="update", changes=changes, hub_row=hub, base_is_current=False)
    assert r.outcome is not Outcome.REJECTED
    row = r.row if r.row is not None else hub
    clashed = {c.field: c.device for c in r.clashes}
    for name, (_old, new) in changes.items():
        assert row[name] == new or clashed.get(name) == new


@given(change_against())
def test_clinical_merge_never_overwrites_a_hub_edit(case: tuple[dict, dict, dict]) -> None:
    base, hub, changes = case
    r = merge_change(kind=DataKind.CLINICAL, op="update", changes=changes, hub_row=hub, base_is_current=False)
    row = r.row if r.row is not None else hub
    for name in FIELDS:
        if hub[name] != base[name]:  # the hub's copy moved on for this field
            assert row[name] == hub[name]


@given(change_against(), st.sampled_from(list(DataKind)[:3]))
def test_fields_the_device_did_not_write_keep_the_hub_value(case: tuple[dict, dict, dict], kind: DataKind) -> None:
    _base, hub, changes = case
    r = merge_change(kind=kind, op="update", changes=changes, hub_row=hub, base_is_current=False)
    row = r.row if r.row is not None else hub
    for name in FIELDS:
        if name not in changes:
            assert row[name] == hub[name]


@given(change_against(), st.sampled_from(list(DataKind)[:3]))
def test_applying_the_same_change_twice_changes_nothing_more(case: tuple[dict, dict, dict], kind: DataKind) -> None:
    _base, hub, changes = case
    first = merge_change(kind=kind, op="update", changes=changes, hub_row=hub, base_is_current=False)
    after = first.row if first.row is not None else hub
    second = merge_change(kind=kind, op="update", changes=changes, hub_row=after, base_is_current=False)
    assert (second.row if second.row is not None else after) == after
