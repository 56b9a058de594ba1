"""Test helper: signing pushed changes as the desktop does (store/signing.py), for hand-made pushes.

Hub tests enrol workstations directly in the database, so they also register each person's public
key there directly — what a verified hub sign-in does in the product (tests/hub/test_signatures.py
checks that path through the real login).
"""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy.orm import Session

from mentalspace_desktop.store.hub_models import HubSigningKey
from mentalspace_desktop.store.signing import Signer, canonical, new_private_key
from mentalspace_desktop.store.types import utcnow


def register(session: Session, device_id: str, user_id: str) -> Signer:
    """A new key for ``user_id`` on ``device_id``, its public half registered on the hub."""
    signer = Signer(user_id, new_private_key())
    session.flush()  # a workstation added in this transaction goes first (the key names it)
    session.add(HubSigningKey(device_id=device_id, user_id=user_id, key_id=signer.key_id,
                              public_key=base64.b64encode(signer.public_raw).decode(), created_at=utcnow()))
    return signer


def sign(change: dict[str, Any], signer: Signer) -> dict[str, Any]:
    """``change`` with its author's signature over what it carries now."""
    author = str(change.get("author_id") or signer.user_id)
    message = canonical(change_id=change["change_id"], table=change["table"], row_id=change["row_id"],
                        op=change["op"], base_server_seq=change.get("base_server_seq"), changes=change["changes"],
                        author_id=author, schema_version=change.get("schema_version") or "")
    return {**change, "signature": signer.sign(message).encode()}
