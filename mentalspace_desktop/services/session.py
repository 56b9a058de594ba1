"""Who is signed in, on which store: what every service is given."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import select

from mentalspace_desktop.domain.roles import Action, Resource, Role, allows_any
from mentalspace_desktop.services.events import EventBus
from mentalspace_desktop.store.clinical_seal import ClinicalSeal
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.keyslots import KeySlots
from mentalspace_desktop.store.models import User


@dataclass(frozen=True)
class Actor:
    user_id: str
    username: str
    full_name: str
    role: Role


@dataclass
class UserSession:
    """A signed-in user on an open store. Services take one of these; nothing else is global."""

    store: Store
    slots: KeySlots
    actor: Actor
    events: EventBus = field(default_factory=EventBus)
    # Opened from this person's own key slot at sign-in (store/keyslots.py); never in the store.
    clinical_key: bytes | None = field(default=None, repr=False)
    signing_key: bytes | None = field(default=None, repr=False)

    def team_clinician_ids(self) -> frozenset[str]:
        """Clinicians this user supervises (directly), for TEAM-scoped permissions."""
        if self.actor.role is not Role.SUPERVISOR:
            return frozenset()
        with self.store.read() as s:
            ids = s.scalars(select(User.id).where(User.supervisor_id == self.actor.user_id, User.deleted.is_(False)))
            return frozenset(ids)

    @cached_property
    def clinical(self) -> ClinicalSeal | None:
        """The clinical data key's seal, for roles that may read clinical text; None for the others.

        Services seal every clinical text field through this before it is written and open it after
        it is read: the value in the store, the outbox and on the hub is only ever sealed. The key
        comes from this person's own key slot (only roles that may read clinical text hold it), so
        it is also None for such a role on a workstation that has not received it yet (from the
        hub, or from a colleague's grant: services/clinical_keys.py).
        """
        if not allows_any(self.actor.role, Resource.NOTE_CONTENT, Action.READ) or self.clinical_key is None:
            return None
        return ClinicalSeal(self.clinical_key)

    def close(self) -> None:
        self.store.close()


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.username, user.full_name, Role(user.role))
