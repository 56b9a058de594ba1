"""Identifiers: UUIDv7 strings made on the device that creates the row."""

from __future__ import annotations

import uuid6


def new_id() -> str:
    """A new time-ordered UUIDv7, as the canonical 36-character string."""
    return str(uuid6.uuid7())
