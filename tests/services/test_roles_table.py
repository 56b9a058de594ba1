"""DESIGN.md's permission table enforced in the services that exist today.

Rows with a service now: demographics (ClientService) and users/settings/audit log (AccountService,
PracticeService, AuditService). The schedule, note contents, note metadata, charges and dashboards rows
have no service yet; their cells are covered against ``domain.roles`` in tests/domain/test_roles.py and
must be added here when their services arrive.

The fixture's team: the supervisor supervises "clinician"; "other_clinician" has no supervisor. Clients:
one of the supervisor's own, one of the supervised clinician ("team"), one of the other clinician, and
one with no clinician.
"""

from __future__ import annotations

import contextlib
import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.errors import PermissionDenied
from mentalspace_desktop.services.accounts import AccountService, NewUser, PracticeService
from mentalspace_desktop.services.audit import AuditFilter, AuditService
from mentalspace_desktop.services.clients import ClientInput, ClientService
from mentalspace_desktop.store.keyslots import KdfParams
from tests.factories import PASSWORD, PracticeFixture

CHEAP = KdfParams(time_cost=1, memory_cost_kib=8192, parallelism=1)
ROLES = ["admin", "supervisor", "clinician", "billing", "front_desk"]
CLIENTS = ["of_supervisor", "of_clinician", "of_other", "unassigned"]
CLINICIAN_OF = {
    "of_supervisor": "supervisor",
    "of_clinician": "clinician",
    "of_other": "other_clinician",
    "unassigned": None,
}
# Who may read and write each client's demographics.
ALLOWED = {
    "admin": set(CLIENTS),
    "supervisor": {"of_supervisor", "of_clinician"},  # own and team's
    "clinician": {"of_clinician"},  # own only
    "billing": set(CLIENTS),
    "front_desk": set(CLIENTS),
}
LAST_NAMES = {
    "of_supervisor": "Suprow",
    "of_clinician": "Clinrow",
    "of_other": "Otherrow",
    "unassigned": "Nobodyrow",
}


@dataclass
class World:
    practice: PracticeFixture
    clients: dict[str, str]  # key -> client id


@pytest.fixture
def world(practice: PracticeFixture) -> World:
    ids = {
        key: practice.add_client(clinician=CLINICIAN_OF[key], last=LAST_NAMES[key], first="Pat").id
        for key in CLIENTS
    }
    return World(practice, ids)


def assert_plain(exc: PermissionDenied) -> None:
    message = exc.message
    assert message and message[0].isupper() and message.endswith(".")
    for jargon in ("Resource", "Action", "Scope", "_", "demographics", "None"):
        assert jargon not in message, message


def edit_input(world: World, key: str, **changes: object) -> ClientInput:
    pid = world.practice.users[CLINICIAN_OF[key]] if CLINICIAN_OF[key] else None
    values = {
        "first_name": "Pat",
        "last_name": LAST_NAMES[key],
        "dob": date(1988, 6, 1),
        "primary_clinician_id": pid,
        **changes,
    }
    return ClientInput(**values)  # type: ignore[arg-type]


CELL_IDS = [f"{role}-{client}" for role in ROLES for client in CLIENTS]
CELLS = [(role, client) for role in ROLES for client in CLIENTS]


# -- demographics ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "client"), CELLS, ids=CELL_IDS)
def test_demographics_read(world: World, role: str, client: str) -> None:
    service = ClientService(world.practice.session_for(role))
    cid = world.clients[client]
    if client in ALLOWED[role]:
        assert service.get(cid).id == cid
        assert service.open_chart(cid).client.id == cid
    else:
        with pytest.raises(PermissionDenied) as info:
            service.get(cid)
        assert_plain(info.value)
        with pytest.raises(PermissionDenied):
            service.open_chart(cid)


@pytest.mark.parametrize(("role", "client"), CELLS, ids=CELL_IDS)
def test_demographics_update(world: World, role: str, client: str) -> None:
    service = ClientService(world.practice.session_for(role))
    cid = world.clients[client]
    data = edit_input(world, client, email="pat@example.com")
    if client in ALLOWED[role]:
        assert service.update(cid, data).email == "pat@example.com"
    else:
        with pytest.raises(PermissionDenied) as info:
            service.update(cid, data)
        assert_plain(info.value)
        assert ClientService(world.practice.admin).get(cid).email is None


@pytest.mark.parametrize(("role", "client"), CELLS, ids=CELL_IDS)
def test_demographics_register(world: World, role: str, client: str) -> None:
    """Registering a client for a clinician: allowed where the resulting record would be writable."""
    service = ClientService(world.practice.session_for(role))
    data = edit_input(world, client, last_name="Newrow")
    if role == "clinician" and client == "unassigned":
        # a clinician's new client without a clinician becomes their own
        assert service.register(data).primary_clinician_id == world.practice.users["clinician"]
    elif client in ALLOWED[role]:
        assert service.register(data).last_name == "Newrow"
    else:
        with pytest.raises(PermissionDenied) as info:
            service.register(data)
        assert_plain(info.value)
        assert ClientService(world.practice.admin).search("newrow") == []


@pytest.mark.parametrize("role", ROLES)
def test_demographics_search_is_scoped(world: World, role: str) -> None:
    found = {r.id for r in ClientService(world.practice.session_for(role)).search("pat")}
    assert found == {world.clients[k] for k in ALLOWED[role]}
    for key in CLIENTS:
        hits = {r.id for r in ClientService(world.practice.session_for(role)).search(LAST_NAMES[key])}
        assert hits == ({world.clients[key]} if key in ALLOWED[role] else set())


@pytest.mark.parametrize("role", ROLES)
def test_demographics_export_is_scoped(world: World, role: str, tmp_path: Path) -> None:
    out = tmp_path / "clients.csv"
    count = ClientService(world.practice.session_for(role)).export_csv(out)
    with out.open(newline="", encoding="utf-8") as handle:
        ids = {row["id"] for row in csv.DictReader(handle)}
    assert ids == {world.clients[k] for k in ALLOWED[role]}
    assert count == len(ids)


def test_supervisor_cannot_move_a_team_client_out_of_the_team(world: World) -> None:
    service = ClientService(world.practice.session_for("supervisor"))
    data = edit_input(world, "of_clinician", primary_clinician_id=world.practice.users["other_clinician"])
    with pytest.raises(PermissionDenied):
        service.update(world.clients["of_clinician"], data)


def test_clinician_cannot_hand_a_client_to_someone_else(world: World) -> None:
    service = ClientService(world.practice.session_for("clinician"))
    data = edit_input(world, "of_clinician", primary_clinician_id=world.practice.users["other_clinician"])
    with pytest.raises(PermissionDenied):
        service.update(world.clients["of_clinician"], data)
    assert (
        ClientService(world.practice.admin).get(world.clients["of_clinician"]).primary_clinician_id
        == world.practice.users["clinician"]
    )


def test_supervisor_loses_access_when_a_clinician_leaves_the_team(world: World) -> None:
    AccountService(world.practice.admin).update_user(world.practice.users["clinician"], clear_supervisor=True)
    with pytest.raises(PermissionDenied):
        ClientService(world.practice.session_for("supervisor")).get(world.clients["of_clinician"])


# -- users, settings, audit log ----------------------------------------------------------------------


def admin_calls(practice: PracticeFixture, role: str) -> dict[str, object]:
    session = practice.session_for(role)
    accounts = AccountService(session, kdf=CHEAP)
    target = practice.users["other_clinician"]
    return {
        "create_user": lambda: accounts.create_user(
            NewUser(f"new{role[:4]}", "Nora Newhire", Role.CLINICIAN, PASSWORD)
        ),
        "update_user": lambda: accounts.update_user(target, license_type="LMFT"),
        "reset_mfa": lambda: accounts.reset_mfa(target),
        "set_active": lambda: accounts.set_active(target, False),
        "reset_password": lambda: accounts.reset_password(target, "Temporary-Walrus-Kettle-55"),
        "unlock": lambda: accounts.unlock(target),
        "practice_update": lambda: PracticeService(session).update(idle_lock_minutes=10),
    }


ADMIN_OPS = [
    "create_user",
    "update_user",
    "reset_mfa",
    "set_active",
    "reset_password",
    "unlock",
    "practice_update",
]


@pytest.mark.parametrize("op", ADMIN_OPS)
def test_admin_manages_users_and_settings(practice: PracticeFixture, op: str) -> None:
    before = len(AuditService(practice.admin).entries(AuditFilter()))
    admin_calls(practice, "admin")[op]()  # type: ignore[operator]
    assert len(AuditService(practice.admin).entries(AuditFilter())) == before + 1


@pytest.mark.parametrize("role", ["supervisor", "clinician", "billing", "front_desk"])
@pytest.mark.parametrize("op", ADMIN_OPS)
def test_others_cannot_manage_users_or_settings(practice: PracticeFixture, role: str, op: str) -> None:
    before = len(AuditService(practice.admin).entries(AuditFilter()))
    with pytest.raises(PermissionDenied) as info:
        admin_calls(practice, role)[op]()  # type: ignore[operator]
    assert_plain(info.value)
    assert "users and settings" in info.value.message
    assert len(AuditService(practice.admin).entries(AuditFilter())) == before  # nothing happened
    view = next(
        u for u in AccountService(practice.admin).list_users() if u.id == practice.users["other_clinician"]
    )
    assert view.active and view.license_type == "LCSW"


def test_admin_reads_the_whole_audit_log(world: World) -> None:
    p = world.practice
    for role in ROLES:
        for cid in world.clients.values():
            with contextlib.suppress(PermissionDenied):
                ClientService(p.session_for(role)).get(cid)
    ClientService(p.session_for("other_clinician")).get(world.clients["of_other"])
    users = {e.username for e in AuditService(p.admin).entries(AuditFilter(action="view"))}
    assert users == {"admin", "sup", "clin", "oclin", "bill", "desk"}


def test_supervisor_reads_only_the_teams_audit(world: World) -> None:
    p = world.practice
    ClientService(p.session_for("supervisor")).get(world.clients["of_supervisor"])
    ClientService(p.session_for("clinician")).get(world.clients["of_clinician"])
    ClientService(p.session_for("other_clinician")).get(world.clients["of_other"])
    ClientService(p.session_for("front_desk")).get(world.clients["of_other"])
    entries = AuditService(p.session_for("supervisor")).entries(AuditFilter())
    # Their team's own activity, and anyone's entries about the team's clients (the administrator
    # registered them); the front desk's view of another clinician's client stays out of sight.
    assert {e.username for e in entries} == {"sup", "clin", "admin"}
    team_clients = {world.clients["of_supervisor"], world.clients["of_clinician"]}
    assert all(e.client_id in team_clients for e in entries if e.username == "admin")
    assert all(e.client_id != world.clients["of_other"] for e in entries)
    assert {
        e.username for e in AuditService(p.session_for("supervisor")).entries(AuditFilter(action="view"))
    } == {"sup", "clin"}


@pytest.mark.parametrize("role", ["clinician", "billing", "front_desk"])
def test_others_cannot_read_the_audit_log(practice: PracticeFixture, role: str, tmp_path: Path) -> None:
    service = AuditService(practice.session_for(role))
    with pytest.raises(PermissionDenied) as info:
        service.entries(AuditFilter())
    assert_plain(info.value)
    assert "audit log" in info.value.message
    with pytest.raises(PermissionDenied):
        service.export_csv(AuditFilter(), tmp_path / "audit.csv")
    assert not (tmp_path / "audit.csv").exists()
