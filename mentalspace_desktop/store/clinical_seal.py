"""Sealing clinical text (note contents, plans, addenda, attachments) under the clinical data key.

Clinical text is stored, queued in the outbox, pushed and pulled only in sealed form: a string
``sealed:v1:<base64(nonce | ciphertext)>``. The store's master key opens the database, but without
the clinical data key the text inside stays unreadable, so a role that may not read clinical text
learns nothing from the raw store file. The ``context`` binds a sealed value to its place (table,
column and row id): a sealed body copied onto another note does not open.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mentalspace_desktop.errors import StoreCorrupt

PREFIX = "sealed:v1:"
KEY_BYTES = 32


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def new_clinical_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


class ClinicalSeal:
    """Seals and opens clinical text with one practice-wide clinical data key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("a clinical data key is 32 bytes")
        self._aead = AESGCM(key)

    def seal(self, text: str, *, context: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, text.encode(), context.encode())
        return PREFIX + base64.b64encode(nonce + sealed).decode()

    def open(self, value: str, *, context: str) -> str:
        """The text of a sealed value; plain text written before sealing existed passes through."""
        if not is_sealed(value):
            return value
        try:
            raw = base64.b64decode(value[len(PREFIX):].encode(), validate=True)
            return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()
        except (InvalidTag, ValueError) as exc:
            raise StoreCorrupt(
                "A clinical record could not be opened: it was altered or belongs elsewhere. "
                "Restore from a backup."
            ) from exc


def context_of(table: str, column: str, row_id: str) -> str:
    return f"{table}.{column}:{row_id}"
