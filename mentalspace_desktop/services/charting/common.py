"""What every charting service shares: the client's record, permission to read or write its clinical
records, sealing, and re-authentication before a signature."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, lazyload

from mentalspace_desktop.domain.lockout import AttemptState
from mentalspace_desktop.domain.roles import Action, Resource
from mentalspace_desktop.errors import AuthenticationError, NotFound, PermissionDenied
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.events import Event
from mentalspace_desktop.services.permissions import require_client
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.clinical_seal import ClinicalSeal, context_of
from mentalspace_desktop.store.models import Client, User


@dataclass(frozen=True)
class ChartDidChange(Event):
    """Something in a client's clinical record changed (a note, plan, diagnosis or document)."""

    client_id: str
    record_type: str
    record_id: str


def load_client(s: Session, client_id: str) -> Client:
    # without the insurance and consent rows the Client mapping loads eagerly: not needed here
    client = s.get(Client, client_id, options=[lazyload(Client.insurances), lazyload(Client.consents)])
    if client is None or client.deleted:
        raise NotFound("That client record does not exist.")
    return client


def require_clinical(session: UserSession, s: Session, client_id: str, action: Action,
                     resource: Resource = Resource.NOTE_CONTENT) -> Client:
    """The client, once the user may ``action`` its clinical records (raises otherwise)."""
    client = load_client(s, client_id)
    require_client(session, resource, action, client.primary_clinician_id)
    return client


def seal_of(session: UserSession) -> ClinicalSeal:
    """The clinical seal, or PermissionDenied for a role that may never read clinical text."""
    seal = session.clinical
    if seal is None:
        raise PermissionDenied(f"Your role ({session.actor.role.label}) does not allow reading or writing "
                               "clinical notes.")
    return seal


def seal_text(session: UserSession, text: str, table: str, column: str, row_id: str) -> str:
    return seal_of(session).seal(text, context=context_of(table, column, row_id))


def open_text(session: UserSession, value: str, table: str, column: str, row_id: str) -> str:
    return seal_of(session).open(value, context=context_of(table, column, row_id))


def seal_json(session: UserSession, data: Any, table: str, column: str, row_id: str) -> str:
    return seal_text(session, json.dumps(data, ensure_ascii=False, sort_keys=True), table, column, row_id)


def open_json(session: UserSession, value: str, table: str, column: str, row_id: str) -> Any:
    text = open_text(session, value, table, column, row_id)
    return json.loads(text) if text else {}


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def user_name(s: Session, user_id: str | None) -> str:
    if not user_id:
        return ""
    user = s.get(User, user_id)
    return user.full_name if user else "unknown user"


def reauthenticate(session: UserSession, secret: str, *, purpose: str) -> str:
    """Check the signer's password or a one-time code again before a signature; returns which it was.

    A wrong answer counts toward the account lockout exactly like a failed sign-in, and is audited.
    """
    from mentalspace_desktop.services.accounts import _check_second_factor, _locked_message, _now

    username = session.actor.username
    state = session.slots.attempts(username)
    if state.is_locked(_now()):
        raise _locked_message(state)
    method: str | None = None
    if secret:
        try:
            session.slots.unwrap(username, secret)
            method = "password"
        except AuthenticationError:
            with session.store.write(session.actor.user_id) as s:
                user = s.get(User, session.actor.user_id)
                assert user is not None
                method = _check_second_factor(s, user, secret.strip(), now=None)
    if method is None:
        state = state.after_failure(_now())
        session.slots.set_attempts(username, state)
        with session.store.write(session.actor.user_id) as s:
            audit.record(session, s, action="sign_failed", record_type="user", record_id=session.actor.user_id,
                         summary=f"wrong password or code when signing {purpose}")
        if state.is_locked(_now()):
            raise _locked_message(state)
        raise AuthenticationError(f"That password or code is not correct; nothing was signed. "
                                  f"{state.attempts_left()} attempt(s) left before the account locks.")
    if state.failed:
        session.slots.set_attempts(username, AttemptState())
    return method
