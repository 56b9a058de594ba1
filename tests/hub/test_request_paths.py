"""The busy paths kept cheap without loosening a rule: the caller's check inside the request's own
transaction, a pull that has nothing new, ids as one array parameter, scope checks on a row's few
scope fields first, and a batch numbered in one statement."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select, update

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.hub.services import pull
from mentalspace_desktop.store.models import Client, User
from mentalspace_desktop.store.sync_models import ChangeLog, Device
from tests.hub.conftest import HubFixture, client_row


def test_a_device_with_nothing_new_gets_an_empty_page_and_keeps_its_cursor(hub: HubFixture) -> None:
    clin = hub.device("clinician")
    _, _, cursor = clin.pull_all()
    page = clin.get("/v1/sync/pull", params={"cursor": cursor}).json()
    assert page["rows"] == [] and page["drops"] == [] and page["more"] is False
    assert page["cursor"] == cursor


def test_revoked_devices_and_closed_accounts_are_refused_at_once_on_push_and_pull(hub: HubFixture) -> None:
    admin = hub.device("admin")
    for who, close, status, code in (
        ("billing", "revoke", 403, "device_revoked"),
        ("front_desk", "deactivate", 401, "account_inactive"),
    ):
        device = hub.device(who)
        _, _, cursor = device.pull_all()  # up to date: the pull would have nothing to read
        if close == "revoke":
            assert admin.post(f"/v1/devices/{device.device_id}/revoke", json={"reason": "lost"}).status_code == 200
        else:
            with hub.session() as s, s.begin():
                s.execute(update(User).where(User.id == device.user_id).values(active=False))
        pulled = device.get("/v1/sync/pull", params={"cursor": cursor})
        pushed = device.post("/v1/sync/push", json={"changes": [device.signed(device.insert("clients", client_row()))]})
        for answer in (pulled, pushed):
            assert answer.status_code == status and answer.json()["code"] == code, answer.text
    with hub.session() as s:
        assert s.scalar(select(Client.id).where(Client.last_name == "Rivera")) is None  # nothing applied


def test_a_push_and_its_callers_check_commit_together(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    answer = desk.push(desk.insert("clients", client_row()))
    assert answer["results"][0]["outcome"] == "applied"
    with hub.session() as s:
        device = s.get(Device, desk.device_id)
        assert device is not None
        assert device.last_seen_at is not None  # written by the check, in the batch's transaction
        assert device.last_device_seq == 1


def test_a_batch_redone_change_by_change_still_commits(hub: HubFixture) -> None:
    """A broken foreign key ends the request's transaction; the batch is redone in one of its own."""
    desk = hub.device("front_desk")
    orphan = {
        "id": new_id(),
        "client_id": new_id(),
        "rank": 1,
        "payer_name": "Aetna",
        "member_id": "X1",
        "subscriber_relationship": "self",
        "deleted": False,
    }
    answer = desk.push(desk.insert("insurances", orphan), desk.insert("clients", client_row(last="Redone")))
    assert [r["outcome"] for r in answer["results"]] == ["rejected", "applied"]
    assert desk.get("/v1/devices/me").json()["last_device_seq"] == 2
    with hub.session() as s:
        assert s.scalar(select(Client.id).where(Client.last_name == "Redone")) is not None


def test_a_row_written_twice_in_one_batch_keeps_the_later_number(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    row = client_row(last="Twice")
    first = desk.insert("clients", row)
    second = desk.change("clients", row["id"], {"city": [None, "Decatur"]})
    results = desk.push(first, second)["results"]
    assert [r["outcome"] for r in results] in (["applied", "applied"], ["applied", "merged"])
    assert results[1]["server_seq"] == results[0]["server_seq"] + 1
    with hub.session() as s:
        stored = s.get(Client, row["id"])
        assert stored is not None and stored.server_seq == results[1]["server_seq"]
        logged = list(s.scalars(select(ChangeLog.seq).where(ChangeLog.row_id == row["id"]).order_by(ChangeLog.seq)))
        assert logged == [results[0]["server_seq"], results[1]["server_seq"]]
        top = s.scalar(select(ChangeLog.seq).order_by(ChangeLog.seq.desc()).limit(1))
        assert top == results[1]["server_seq"]


def test_ids_with_any_characters_travel_as_one_array(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    odd = ['a"b', "c,d", "e\\f", "{g}", "h i", "NULL", "ü,ж"]
    rows = [client_row(clinician=hub.users["clinician"], id=f"x-{name}") for name in odd]
    other = client_row(clinician=hub.users["other_clinician"], id='y,"z"')
    desk.push(*(desk.insert("clients", r) for r in [*rows, other]))
    received, _, _ = hub.device("clinician").pull_all()
    mine = {row_id for (table, row_id) in received if table == "clients"}
    assert mine == {r["id"] for r in rows}
    # sent once, held: a reassignment drops exactly that row
    clin = hub.device("clinician")
    _, _, cursor = clin.pull_all()
    moved = rows[0]
    desk.push(desk.change("clients", moved["id"], {"primary_clinician_id": [hub.users["clinician"], None]}))
    _, drops, _ = clin.pull_all(cursor)
    assert drops == [{"table": "clients", "row_id": moved["id"]}]


@pytest.fixture
def no_scope_fields(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    pull._probe_statement.cache_clear()
    monkeypatch.setattr(pull, "SCOPE_FIELDS", frozenset())
    yield
    pull._probe_statement.cache_clear()


def test_a_scope_check_asking_for_more_fields_gets_whole_rows(hub: HubFixture, no_scope_fields: None) -> None:
    """SCOPE_FIELDS only saves work: a check that reads a field not probed is given the whole row."""
    desk = hub.device("front_desk")
    mine = client_row(clinician=hub.users["clinician"], last="Mine")
    theirs = client_row(clinician=hub.users["other_clinician"], last="Theirs")
    desk.push(desk.insert("clients", mine), desk.insert("clients", theirs))
    received, _, _ = hub.device("clinician").pull_all()
    assert {row_id for (table, row_id) in received if table == "clients"} == {mine["id"]}
    assert received[("clients", mine["id"])]["last_name"] == "Mine"
