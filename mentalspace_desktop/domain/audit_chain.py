"""The audit log's hash chain: each entry's hash covers its fields and the previous entry's hash.

Changing an entry breaks its own hash; removing one breaks the link from the entry after it (and
the sequence numbers show a gap); removing the newest entries is caught by comparing with the
chain head the store keeps.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64

CHAINED_FIELDS = (
    "id",
    "seq",
    "at",
    "device_id",
    "workstation",
    "user_id",
    "username",
    "action",
    "record_type",
    "record_id",
    "client_id",
    "summary",
)


def entry_hash(fields: Mapping[str, Any], prev_hash: str) -> str:
    payload = {name: fields.get(name) for name in CHAINED_FIELDS}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + "\n" + canonical).encode()).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def verify_chain(
    entries: Iterable[Mapping[str, Any]], head: tuple[int, str] | None = None
) -> ChainBreak | None:
    """The first break in ``entries`` (ordered by ``seq``), or None when the chain is intact.

    ``head`` is the (seq, hash) the store recorded for its newest entry, to catch truncation.
    """
    prev_hash = GENESIS
    expected_seq = 1
    last: tuple[int, str] | None = None
    for entry in entries:
        seq = int(entry["seq"])
        if seq != expected_seq:
            return ChainBreak(expected_seq, f"entry {expected_seq} is missing (next present is {seq})")
        if entry["prev_hash"] != prev_hash:
            return ChainBreak(seq, f"entry {seq} does not follow the entry before it")
        if entry_hash(entry, prev_hash) != entry["hash"]:
            return ChainBreak(seq, f"entry {seq} was changed after it was written")
        prev_hash = str(entry["hash"])
        last = (seq, prev_hash)
        expected_seq += 1
    if head is not None and head != last:
        missing_from = (last[0] + 1) if last else 1
        return ChainBreak(missing_from, f"entries from {missing_from} to {head[0]} were removed")
    return None
