"""The per-client hash chain over signed notes and addenda.

Each signed record keeps the SHA-256 of its exact content (the canonical JSON of its fields' text)
and a link hash covering that content hash, its identity, signer and time, and the link hash of the
client's newest signed record the signing device knew (``prev_hash``). Two laptops signing offline
for the same client both link to the same predecessor: the chain is then a small tree, and every
link still names an existing record. Verification recomputes both hashes for each record and checks
that each predecessor exists: an altered body, an altered signature or a removed record is reported.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

GENESIS = "0" * 64


def canonical_content(content: Mapping[str, str]) -> str:
    return json.dumps(dict(content), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(content: Mapping[str, str]) -> str:
    """SHA-256 of the exact text of every field, keyed by field."""
    return hashlib.sha256(canonical_content(content).encode()).hexdigest()


def link_hash(*, prev_hash: str, content_sha: str, record_id: str, client_id: str, signed_at: str,
              signer_id: str) -> str:
    payload = "\n".join((prev_hash, content_sha, record_id, client_id, signed_at, signer_id))
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class ChainRecord:
    record_id: str
    client_id: str
    signed_at: str  # ISO 8601, as stored
    signer_id: str
    content: Mapping[str, str]
    content_sha: str
    prev_hash: str
    chain_hash: str
    label: str = ""  # how a person recognises it: "Progress note of 2025-03-14"


@dataclass(frozen=True)
class ChainProblem:
    record_id: str
    client_id: str
    label: str
    reason: str


def verify(records: Iterable[ChainRecord]) -> list[ChainProblem]:
    """Every problem found in the chains of the given records (any number of clients)."""
    records = list(records)
    known = {(r.client_id, r.chain_hash) for r in records}
    problems: list[ChainProblem] = []
    for r in records:
        if content_hash(r.content) != r.content_sha:
            problems.append(ChainProblem(r.record_id, r.client_id, r.label,
                                         "its content differs from what was signed"))
        expected = link_hash(prev_hash=r.prev_hash, content_sha=r.content_sha, record_id=r.record_id,
                             client_id=r.client_id, signed_at=r.signed_at, signer_id=r.signer_id)
        if expected != r.chain_hash:
            problems.append(ChainProblem(r.record_id, r.client_id, r.label,
                                         "its signature details or hashes were altered"))
        if r.prev_hash != GENESIS and (r.client_id, r.prev_hash) not in known:
            problems.append(ChainProblem(r.record_id, r.client_id, r.label,
                                         "the signed record before it is missing or was altered"))
    return problems
