"""The messaging secrets (SMTP password, Twilio auth token) sealed in the hub's database.

At start the hub takes its secrets key (``HubSettings.secrets_key``: the environment or the
``secrets.key`` file beside its config), hands it to ``services.messaging_settings`` for this
database, and seals any secret still stored in the clear (saved by a hub before sealing existed).

A hub that has no key yet and holds no sealed secret makes one (the first start after an upgrade; a
new hub gets it at ``init``). A hub that holds sealed secrets but was not given their key starts all
the same — sync, sign-in and everything else need no key — and every send says what is missing
instead of failing somewhere deeper; the key is never re-made then (that would orphan the secrets).
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from mentalspace_desktop.hub import db
from mentalspace_desktop.hub.settings import SECRETS_KEY_ENV, HubSettings
from mentalspace_desktop.services import messaging_settings

log = logging.getLogger(__name__)


def missing_text(settings: HubSettings) -> str:
    return (f"the hub was started without the key that opens its messaging secrets ({settings.secrets_key_file} "
            f"or {SECRETS_KEY_ENV}). Put the key file back (or set the variable) and restart the hub, or "
            "enter the password and auth token again on the Messaging settings screen after restoring a key.")


def install(engine: Engine, settings: HubSettings) -> bool:
    """Give this hub's database its secrets key and seal what is still clear; whether the key is there."""
    key = settings.secrets_key()
    with db.session_factory(engine)() as session, session.begin():
        if key is None and not messaging_settings.holds_sealed_secrets(session):
            try:
                key = settings.make_secrets_key()
            except OSError as exc:  # a read-only folder: run on, sending nothing, and say so
                log.error("the messaging secrets key could not be written to %s: %s", settings.secrets_key_file, exc)
        messaging_settings.use_secret_key(engine, key, missing=missing_text(settings))
        if key is None:
            log.error("messaging secrets cannot be opened: %s", missing_text(settings))
            return False
        sealed = messaging_settings.seal_clear_secrets(session)
    if sealed:
        log.info("sealed %d messaging secret(s) stored in the clear", sealed)
    return True
