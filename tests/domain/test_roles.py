"""The permission table of DESIGN.md (Security model), one test per cell, against domain.roles.

| data | Admin | Supervisor | Clinician | Billing | Front desk |
| demographics, insurance, consents | rw | rw (team's clients) | rw (own clients) | rw | rw |
| schedule | rw | rw | rw own, busy/free others | r | rw |
| note contents, plans, diagnoses | r | rw team's, co-sign | rw own clients | diagnosis codes only | none |
| note metadata (type, date, signed) | r | r | r | r | r |
| charges, payments, claims, ERA | rw | r team | r own | rw | payments at the desk |
| dashboards | practice | team | own | revenue cycle | none |
| users, settings, audit log | rw | r team's audit | none | none | none |

Each cell is written below as the scopes it means for every resource of its row, and checked both as
scopes and through ``allows`` for a record of the user's own client, a team client and any other.
"""

from __future__ import annotations

import pytest

from mentalspace_desktop.domain.roles import (
    DASHBOARDS,
    Action,
    DashboardKind,
    Relation,
    Resource,
    Role,
    Scope,
    allows,
    allows_any,
    relation_to_client,
    scope_for,
)

N, O, T, A = Scope.NONE, Scope.OWN, Scope.TEAM, Scope.ALL  # noqa: E741
R, W, C = Action.READ, Action.WRITE, Action.COSIGN

ROWS = {
    "demographics": (Resource.DEMOGRAPHICS,),
    "schedule": (Resource.SCHEDULE, Resource.SCHEDULE_BUSY_FREE),
    "note-content": (Resource.NOTE_CONTENT, Resource.DIAGNOSIS_CODES),
    "note-metadata": (Resource.NOTE_METADATA,),
    "charges": (Resource.BILLING, Resource.DESK_PAYMENTS),
    "dashboards": (Resource.DASHBOARD,),
    "users-settings-audit": (Resource.ADMINISTRATION, Resource.AUDIT_LOG),
    "alerts-goals": (Resource.ALERTS, Resource.GOALS),
}

# (role, row) -> {resource: (read, write, cosign)}; every resource of the row is spelled out.
CELLS: dict[tuple[Role, str], dict[Resource, tuple[Scope, Scope, Scope]]] = {
    # demographics, insurance, consents
    (Role.ADMIN, "demographics"): {Resource.DEMOGRAPHICS: (A, A, N)},
    (Role.SUPERVISOR, "demographics"): {Resource.DEMOGRAPHICS: (T, T, N)},
    (Role.CLINICIAN, "demographics"): {Resource.DEMOGRAPHICS: (O, O, N)},
    (Role.BILLING, "demographics"): {Resource.DEMOGRAPHICS: (A, A, N)},
    (Role.FRONT_DESK, "demographics"): {Resource.DEMOGRAPHICS: (A, A, N)},
    # schedule
    (Role.ADMIN, "schedule"): {Resource.SCHEDULE: (A, A, N), Resource.SCHEDULE_BUSY_FREE: (A, N, N)},
    (Role.SUPERVISOR, "schedule"): {Resource.SCHEDULE: (A, A, N), Resource.SCHEDULE_BUSY_FREE: (A, N, N)},
    (Role.CLINICIAN, "schedule"): {Resource.SCHEDULE: (O, O, N), Resource.SCHEDULE_BUSY_FREE: (A, N, N)},
    (Role.BILLING, "schedule"): {Resource.SCHEDULE: (A, N, N), Resource.SCHEDULE_BUSY_FREE: (A, N, N)},
    (Role.FRONT_DESK, "schedule"): {Resource.SCHEDULE: (A, A, N), Resource.SCHEDULE_BUSY_FREE: (A, N, N)},
    # note contents, plans, diagnoses
    (Role.ADMIN, "note-content"): {Resource.NOTE_CONTENT: (A, N, N), Resource.DIAGNOSIS_CODES: (A, N, N)},
    (Role.SUPERVISOR, "note-content"): {
        Resource.NOTE_CONTENT: (T, T, T),
        Resource.DIAGNOSIS_CODES: (T, T, N),
    },
    (Role.CLINICIAN, "note-content"): {Resource.NOTE_CONTENT: (O, O, N), Resource.DIAGNOSIS_CODES: (O, O, N)},
    (Role.BILLING, "note-content"): {Resource.NOTE_CONTENT: (N, N, N), Resource.DIAGNOSIS_CODES: (A, N, N)},
    (Role.FRONT_DESK, "note-content"): {
        Resource.NOTE_CONTENT: (N, N, N),
        Resource.DIAGNOSIS_CODES: (N, N, N),
    },
    # note metadata: everyone reads, nobody writes metadata as such (it follows the note)
    **{(role, "note-metadata"): {Resource.NOTE_METADATA: (A, N, N)} for role in Role},
    # charges, payments, claims, ERA
    (Role.ADMIN, "charges"): {Resource.BILLING: (A, A, N), Resource.DESK_PAYMENTS: (A, A, N)},
    (Role.SUPERVISOR, "charges"): {Resource.BILLING: (T, N, N), Resource.DESK_PAYMENTS: (T, N, N)},
    (Role.CLINICIAN, "charges"): {Resource.BILLING: (O, N, N), Resource.DESK_PAYMENTS: (O, N, N)},
    (Role.BILLING, "charges"): {Resource.BILLING: (A, A, N), Resource.DESK_PAYMENTS: (A, A, N)},
    (Role.FRONT_DESK, "charges"): {Resource.BILLING: (N, N, N), Resource.DESK_PAYMENTS: (A, A, N)},
    # dashboards (the kind is checked too)
    (Role.ADMIN, "dashboards"): {Resource.DASHBOARD: (A, N, N)},
    (Role.SUPERVISOR, "dashboards"): {Resource.DASHBOARD: (T, N, N)},
    (Role.CLINICIAN, "dashboards"): {Resource.DASHBOARD: (O, N, N)},
    (Role.BILLING, "dashboards"): {Resource.DASHBOARD: (A, N, N)},
    (Role.FRONT_DESK, "dashboards"): {Resource.DASHBOARD: (N, N, N)},
    # users, settings, audit log (the audit log is appended by services, never written by a person)
    (Role.ADMIN, "users-settings-audit"): {Resource.ADMINISTRATION: (A, A, N), Resource.AUDIT_LOG: (A, A, N)},
    (Role.SUPERVISOR, "users-settings-audit"): {
        Resource.ADMINISTRATION: (N, N, N),
        Resource.AUDIT_LOG: (T, N, N),
    },
    (Role.CLINICIAN, "users-settings-audit"): {
        Resource.ADMINISTRATION: (N, N, N),
        Resource.AUDIT_LOG: (N, N, N),
    },
    (Role.BILLING, "users-settings-audit"): {
        Resource.ADMINISTRATION: (N, N, N),
        Resource.AUDIT_LOG: (N, N, N),
    },
    (Role.FRONT_DESK, "users-settings-audit"): {
        Resource.ADMINISTRATION: (N, N, N),
        Resource.AUDIT_LOG: (N, N, N),
    },
    # alerts (acknowledged and resolved by whom they concern) and goals (set by a supervisor or admin)
    (Role.ADMIN, "alerts-goals"): {Resource.ALERTS: (A, A, N), Resource.GOALS: (A, A, N)},
    (Role.SUPERVISOR, "alerts-goals"): {Resource.ALERTS: (T, T, N), Resource.GOALS: (T, T, N)},
    (Role.CLINICIAN, "alerts-goals"): {Resource.ALERTS: (O, O, N), Resource.GOALS: (O, N, N)},
    (Role.BILLING, "alerts-goals"): {Resource.ALERTS: (N, N, N), Resource.GOALS: (N, N, N)},
    (Role.FRONT_DESK, "alerts-goals"): {Resource.ALERTS: (N, N, N), Resource.GOALS: (N, N, N)},
}

DASHBOARD_KIND = {
    Role.ADMIN: DashboardKind.PRACTICE,
    Role.SUPERVISOR: DashboardKind.TEAM,
    Role.CLINICIAN: DashboardKind.OWN,
    Role.BILLING: DashboardKind.REVENUE_CYCLE,
    Role.FRONT_DESK: None,
}

ROLE_IDS = {
    Role.ADMIN: "admin",
    Role.SUPERVISOR: "supervisor",
    Role.CLINICIAN: "clinician",
    Role.BILLING: "billing",
    Role.FRONT_DESK: "front_desk",
}


def test_every_cell_is_specified() -> None:
    assert set(CELLS) == {(role, row) for role in Role for row in ROWS}
    for (_role, row), spec in CELLS.items():
        assert set(spec) == set(ROWS[row])


@pytest.mark.parametrize(
    ("role", "row"),
    [(role, row) for row in ROWS for role in Role],
    ids=[f"{ROLE_IDS[role]}-{row}" for row in ROWS for role in Role],
)
def test_cell(role: Role, row: str) -> None:
    for resource, (read, write, cosign) in CELLS[(role, row)].items():
        for action, scope in ((R, read), (W, write), (C, cosign)):
            assert scope_for(role, resource, action) is scope, (resource, action)
            assert allows_any(role, resource, action) is (scope > N), (resource, action)
            assert allows(role, resource, action, Relation.OWN) is (scope >= O), (resource, action, "own")
            assert allows(role, resource, action, Relation.TEAM) is (scope >= T), (resource, action, "team")
            assert allows(role, resource, action, Relation.OTHER) is (scope >= A), (resource, action, "other")
    if row == "dashboards":
        assert DASHBOARDS[role] == DASHBOARD_KIND[role]


# -- how a client stands to a user -----------------------------------------------------------------


def test_own_client() -> None:
    for role in (Role.CLINICIAN, Role.SUPERVISOR):
        assert (
            relation_to_client(
                user_id="u1", role=role, primary_clinician_id="u1", team_clinician_ids=frozenset()
            )
            is Relation.OWN
        )


def test_team_client_only_for_a_supervisor() -> None:
    team = frozenset({"c1"})
    assert (
        relation_to_client(
            user_id="s1", role=Role.SUPERVISOR, primary_clinician_id="c1", team_clinician_ids=team
        )
        is Relation.TEAM
    )
    assert (
        relation_to_client(
            user_id="x1", role=Role.CLINICIAN, primary_clinician_id="c1", team_clinician_ids=team
        )
        is Relation.OTHER
    )


def test_other_and_unassigned_clients() -> None:
    assert (
        relation_to_client(
            user_id="s1",
            role=Role.SUPERVISOR,
            primary_clinician_id="c9",
            team_clinician_ids=frozenset({"c1"}),
        )
        is Relation.OTHER
    )
    assert (
        relation_to_client(
            user_id="s1",
            role=Role.SUPERVISOR,
            primary_clinician_id=None,
            team_clinician_ids=frozenset({"c1"}),
        )
        is Relation.OTHER
    )
