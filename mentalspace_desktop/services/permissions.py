"""Permission checks in services: the role table applied to the record at hand."""

from __future__ import annotations

from mentalspace_desktop.domain.roles import (
    Action,
    Relation,
    Resource,
    allows,
    allows_any,
    relation_to_client,
)
from mentalspace_desktop.errors import PermissionDenied
from mentalspace_desktop.services.session import UserSession

_WHAT = {
    Resource.DEMOGRAPHICS: "client records",
    Resource.SCHEDULE: "the schedule",
    Resource.NOTE_CONTENT: "clinical notes",
    Resource.BILLING: "billing",
    Resource.DASHBOARD: "dashboards",
    Resource.ADMINISTRATION: "users and settings",
    Resource.AUDIT_LOG: "the audit log",
}


def _deny(session: UserSession, resource: Resource, action: Action) -> PermissionDenied:
    verb = {"read": "view", "write": "change", "cosign": "co-sign"}[action.value]
    what = _WHAT.get(resource, resource.value.replace("_", " "))
    return PermissionDenied(
        f"Your role ({session.actor.role.label}) does not allow you to {verb} {what}. "
        "Ask an administrator if you need access."
    )


def require_any(session: UserSession, resource: Resource, action: Action) -> None:
    """Raise unless the user may do ``action`` on at least some ``resource`` records."""
    if not allows_any(session.actor.role, resource, action):
        raise _deny(session, resource, action)


def client_relation(session: UserSession, primary_clinician_id: str | None) -> Relation:
    return relation_to_client(
        user_id=session.actor.user_id,
        role=session.actor.role,
        primary_clinician_id=primary_clinician_id,
        team_clinician_ids=session.team_clinician_ids(),
    )


def require_client(
    session: UserSession, resource: Resource, action: Action, primary_clinician_id: str | None
) -> None:
    """Raise unless the user may do ``action`` on ``resource`` of a client with this clinician."""
    relation = client_relation(session, primary_clinician_id)
    if not allows(session.actor.role, resource, action, relation):
        if allows_any(session.actor.role, resource, action):
            raise PermissionDenied(
                "This client is not on your caseload, so you cannot "
                f"{'view' if action is Action.READ else 'change'} their record."
            )
        raise _deny(session, resource, action)
