"""The practice's permission table, as data.

One place says who may read or write what; services ask :func:`allows` before touching data and the
hub applies the same table to what a device may pull. The table follows DESIGN.md's Security model.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    CLINICIAN = "clinician"
    BILLING = "billing"
    FRONT_DESK = "front_desk"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "Administrator",
    Role.SUPERVISOR: "Supervisor",
    Role.CLINICIAN: "Clinician",
    Role.BILLING: "Billing",
    Role.FRONT_DESK: "Front desk",
}


class Resource(StrEnum):
    """Kinds of data the permission table speaks of."""

    DEMOGRAPHICS = "demographics"  # demographics, insurance, consents
    SCHEDULE = "schedule"
    SCHEDULE_BUSY_FREE = "schedule_busy_free"  # whether a slot is taken, without who or why
    NOTE_CONTENT = "note_content"  # note contents, plans, diagnoses
    DIAGNOSIS_CODES = "diagnosis_codes"
    NOTE_METADATA = "note_metadata"  # type, date, signed
    BILLING = "billing"  # charges, payments, claims, ERA
    DESK_PAYMENTS = "desk_payments"  # payments taken at the front desk
    DASHBOARD = "dashboard"
    ADMINISTRATION = "administration"  # users and settings
    AUDIT_LOG = "audit_log"
    SUPERVISION = "supervision"  # the supervision log: sessions a supervisor held with a supervisee
    ALERTS = "alerts"  # productivity and compliance alerts about a clinician (acknowledge, resolve)
    GOALS = "goals"  # performance goals per clinician and metric


class Action(StrEnum):
    READ = "read"
    WRITE = "write"
    COSIGN = "cosign"


class Scope(IntEnum):
    """How far a grant reaches; a wider scope includes the narrower ones."""

    NONE = 0
    OWN = 1  # records of the user's own clients (or the user's own records)
    TEAM = 2  # records of clients of the clinicians the user supervises, and the user's own
    ALL = 3  # every record of the practice


class Relation(IntEnum):
    """How a record stands to the user; the scope needed to reach it."""

    OWN = 1
    TEAM = 2
    OTHER = 3


@dataclass(frozen=True)
class Grant:
    read: Scope = Scope.NONE
    write: Scope = Scope.NONE
    cosign: Scope = Scope.NONE


_N, _O, _T, _A = Scope.NONE, Scope.OWN, Scope.TEAM, Scope.ALL

PERMISSIONS: dict[Role, dict[Resource, Grant]] = {
    Role.ADMIN: {
        Resource.DEMOGRAPHICS: Grant(_A, _A),
        Resource.SCHEDULE: Grant(_A, _A),
        Resource.SCHEDULE_BUSY_FREE: Grant(_A),
        Resource.NOTE_CONTENT: Grant(_A),
        Resource.DIAGNOSIS_CODES: Grant(_A),
        Resource.NOTE_METADATA: Grant(_A),
        Resource.BILLING: Grant(_A, _A),
        Resource.DESK_PAYMENTS: Grant(_A, _A),
        Resource.DASHBOARD: Grant(_A),
        Resource.ADMINISTRATION: Grant(_A, _A),
        Resource.AUDIT_LOG: Grant(_A, _A),
        Resource.SUPERVISION: Grant(_A, _A),
        Resource.ALERTS: Grant(_A, _A),
        Resource.GOALS: Grant(_A, _A),
    },
    Role.SUPERVISOR: {
        Resource.DEMOGRAPHICS: Grant(_T, _T),
        Resource.SCHEDULE: Grant(_A, _A),
        Resource.SCHEDULE_BUSY_FREE: Grant(_A),
        Resource.NOTE_CONTENT: Grant(_T, _T, _T),
        Resource.DIAGNOSIS_CODES: Grant(_T, _T),
        Resource.NOTE_METADATA: Grant(_A),
        Resource.BILLING: Grant(_T),
        Resource.DESK_PAYMENTS: Grant(_T),
        Resource.DASHBOARD: Grant(_T),
        Resource.AUDIT_LOG: Grant(_T),
        Resource.SUPERVISION: Grant(_T, _T),
        Resource.ALERTS: Grant(_T, _T),
        Resource.GOALS: Grant(_T, _T),
    },
    Role.CLINICIAN: {
        Resource.DEMOGRAPHICS: Grant(_O, _O),
        Resource.SCHEDULE: Grant(_O, _O),
        Resource.SCHEDULE_BUSY_FREE: Grant(_A),
        Resource.NOTE_CONTENT: Grant(_O, _O),
        Resource.DIAGNOSIS_CODES: Grant(_O, _O),
        Resource.NOTE_METADATA: Grant(_A),
        Resource.BILLING: Grant(_O),
        Resource.DESK_PAYMENTS: Grant(_O),
        Resource.DASHBOARD: Grant(_O),
        Resource.SUPERVISION: Grant(_O),  # their own supervision, read only: the supervisor records it
        Resource.ALERTS: Grant(_O, _O),
        Resource.GOALS: Grant(_O),
    },
    Role.BILLING: {
        Resource.DEMOGRAPHICS: Grant(_A, _A),
        Resource.SCHEDULE: Grant(_A),
        Resource.SCHEDULE_BUSY_FREE: Grant(_A),
        Resource.DIAGNOSIS_CODES: Grant(_A),
        Resource.NOTE_METADATA: Grant(_A),
        Resource.BILLING: Grant(_A, _A),
        Resource.DESK_PAYMENTS: Grant(_A, _A),
        Resource.DASHBOARD: Grant(_A),
    },
    Role.FRONT_DESK: {
        Resource.DEMOGRAPHICS: Grant(_A, _A),
        Resource.SCHEDULE: Grant(_A, _A),
        Resource.SCHEDULE_BUSY_FREE: Grant(_A),
        Resource.NOTE_METADATA: Grant(_A),
        Resource.DESK_PAYMENTS: Grant(_A, _A),
    },
}


class DashboardKind(StrEnum):
    PRACTICE = "practice"
    TEAM = "team"
    OWN = "own"
    REVENUE_CYCLE = "revenue_cycle"


DASHBOARDS: dict[Role, DashboardKind | None] = {
    Role.ADMIN: DashboardKind.PRACTICE,
    Role.SUPERVISOR: DashboardKind.TEAM,
    Role.CLINICIAN: DashboardKind.OWN,
    Role.BILLING: DashboardKind.REVENUE_CYCLE,
    Role.FRONT_DESK: None,
}


def grant(role: Role, resource: Resource) -> Grant:
    return PERMISSIONS[role].get(resource, Grant())


def scope_for(role: Role, resource: Resource, action: Action) -> Scope:
    g = grant(role, resource)
    return {Action.READ: g.read, Action.WRITE: g.write, Action.COSIGN: g.cosign}[action]


def allows(role: Role, resource: Resource, action: Action, relation: Relation = Relation.OTHER) -> bool:
    """Whether ``role`` may do ``action`` on a ``resource`` record standing in ``relation`` to the user.

    A record of the user's own client needs at least OWN scope, a team client's record TEAM, any
    other record ALL.
    """
    return scope_for(role, resource, action) >= Scope(int(relation))


def allows_any(role: Role, resource: Resource, action: Action) -> bool:
    """Whether ``role`` may do ``action`` on at least some ``resource`` records."""
    return scope_for(role, resource, action) > Scope.NONE


def relation_to_client(
    *, user_id: str, role: Role, primary_clinician_id: str | None, team_clinician_ids: frozenset[str]
) -> Relation:
    """How a client stands to a user: their own client, a client of their team, or neither."""
    if primary_clinician_id is not None and primary_clinician_id == user_id:
        return Relation.OWN
    if role is Role.SUPERVISOR and primary_clinician_id in team_clinician_ids:
        return Relation.TEAM
    return Relation.OTHER
