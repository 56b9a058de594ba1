"""The hub's copy of clinical text: sealed under the practice's clinical key like everywhere else.

Text pushed by workstations arrives sealed. Text that reached the hub before sealing existed is
sealed once when the hub starts (a change of representation, not an edit: no new number, so a
signed note stays as it was), so no pull ever sends clinical text in the clear again.
"""

from __future__ import annotations

import base64

from sqlalchemy import Connection, Table, select, update

from mentalspace_desktop.services.clinical_keys import CLINICAL_COLUMNS
from mentalspace_desktop.store.clinical_seal import PREFIX, ClinicalSeal, context_of, is_sealed


def seal_plain_text(conn: Connection, key_b64: str) -> int:
    """Seal every clinical value still in the clear; returns how many."""
    seal = ClinicalSeal(base64.b64decode(key_b64))
    sealed = 0
    for model, column in CLINICAL_COLUMNS:
        table: Table = model.__table__  # type: ignore[assignment]
        col = table.c[column]
        plain = select(table.c.id, col).where(col.is_not(None), col != "", col.not_like(f"{PREFIX}%"))
        for row_id, value in conn.execute(plain).all():
            if is_sealed(value):
                continue
            text = seal.seal(value, context=context_of(table.name, column, row_id))
            conn.execute(update(table).where(table.c.id == row_id).values({column: text}))
            sealed += 1
    return sealed
