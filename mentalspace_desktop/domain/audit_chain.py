"""The audit log's hash chain: each entry's hash covers its fields and the previous entry's hash.

Changing an entry breaks its own hash; removing one breaks the link from the entry after it (and
the sequence numbers show a gap); removing the newest entries is caught by comparing with the
chain head the store keeps. Someone who can open the store can recompute every hash and move that
head too, so the chain is also checked against heads witnessed outside the workstation (anchors:
the hub, backups, an exported anchor file): an entry an anchor holds must still be there, unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import groupby
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


# -- the whole log: every workstation's chain, checked against heads kept elsewhere ----------------

# Entries that record a chain head found missing or out of step with the log when the next entry was
# written (see services.audit.append). A missing head is repaired and reported; a head that named
# entries the log no longer holds is evidence that the end of the log was cut.
HEAD_MISSING = "audit_head_missing"
HEAD_MISMATCH = "audit_head_mismatch"


@dataclass(frozen=True)
class Anchor:
    """Chain heads witnessed somewhere the store cannot rewrite: ``source`` says where, in words."""

    source: str
    heads: Mapping[str, tuple[int, str]]  # device id -> (seq, hash)


@dataclass(frozen=True)
class Finding:
    device_id: str
    seq: int
    reason: str


@dataclass
class _Chain:
    entries: int = 0
    last: tuple[int, str] | None = None
    broken: ChainBreak | None = None
    prev_hash: str = GENESIS
    expected_seq: int = 1
    seen: dict[int, str] | None = None  # hashes at the seqs an anchor names
    notes: list[tuple[int, str, str]] | None = None  # (seq, action, summary) of head repairs


@dataclass(frozen=True)
class LogReport:
    entries: int
    chains: int
    findings: list[Finding]
    warnings: list[str]

    @property
    def ok(self) -> bool:
        return not self.findings


def check_log(
    entries: Iterable[Mapping[str, Any]], *, own_device: str, anchors: Iterable[Anchor] = (),
    describe: Callable[[str], str] = lambda device: f"workstation {device[:8]}",
) -> LogReport:
    """Check every device's chain in ``entries`` (ordered by device, then seq) against ``anchors``.

    Each chain must be whole from entry 1 (no edit, gap or renumbering) and must still hold, with
    the same hash, every entry an anchor witnessed: the hash of entry N covers entries 1..N, so an
    edit with later hashes recomputed, a deletion with renumbering, a cut tail with the head moved
    back, or a log deleted outright each leave some anchor's entry missing or different. Entries
    under another device id are reported: audit entries are never copied between workstations, so
    a chain that is not this workstation's was added to the store by hand.
    """
    anchors = list(anchors)
    wanted: dict[str, set[int]] = {}
    for anchor in anchors:
        for device, (seq, _hash) in anchor.heads.items():
            wanted.setdefault(device, set()).add(seq)
    chains: dict[str, _Chain] = {}
    for device, group in groupby(entries, key=lambda e: str(e["device_id"])):
        chain = chains.setdefault(device, _Chain(seen={}, notes=[]))
        want = wanted.get(device, set())
        for entry in group:
            _walk(chain, entry, want)
    findings: list[Finding] = []
    warnings: list[str] = []
    for device, chain in chains.items():
        label = "" if device == own_device else f"{describe(device)}: "
        if chain.broken is not None:
            findings.append(Finding(device, chain.broken.seq, label + chain.broken.reason))
        if device != own_device:
            findings.append(Finding(device, 1, (
                f"{chain.entries} entries claim to come from {describe(device)}, not this workstation. "
                "Audit entries are never copied between workstations: they were added to the store by hand")))
        for seq, action, summary in chain.notes or []:
            if action == HEAD_MISMATCH:
                findings.append(Finding(device, seq, f"{label}entry {seq} records that {summary}"))
            else:
                warnings.append(f"{label}entry {seq} records that {summary}")
    for anchor in anchors:
        for device, (seq, digest) in sorted(anchor.heads.items()):
            found = _against(chains.get(device), seq, digest, anchor.source)
            if found:
                label = "" if device == own_device else f"{describe(device)}: "
                findings.append(Finding(device, seq, label + found))
    return LogReport(sum(c.entries for c in chains.values()), len(chains), findings, warnings)


def _walk(chain: _Chain, entry: Mapping[str, Any], want: set[int]) -> None:
    seq = int(entry["seq"])
    chain.entries += 1
    if seq in want and chain.seen is not None:
        chain.seen[seq] = str(entry["hash"])
    if entry.get("action") in (HEAD_MISSING, HEAD_MISMATCH) and chain.notes is not None:
        chain.notes.append((seq, str(entry["action"]), str(entry.get("summary") or "")))
    if chain.broken is None:
        if seq != chain.expected_seq:
            chain.broken = ChainBreak(chain.expected_seq,
                                      f"entry {chain.expected_seq} is missing (next present is {seq})")
        elif entry["prev_hash"] != chain.prev_hash:
            chain.broken = ChainBreak(seq, f"entry {seq} does not follow the entry before it")
        elif entry_hash(entry, chain.prev_hash) != entry["hash"]:
            chain.broken = ChainBreak(seq, f"entry {seq} was changed after it was written")
    chain.prev_hash = str(entry["hash"])
    chain.expected_seq = seq + 1
    chain.last = (seq, chain.prev_hash)


def _against(chain: _Chain | None, seq: int, digest: str, source: str) -> str | None:
    if seq <= 0:
        return None
    if chain is None or chain.last is None:
        return f"the whole log is gone: {source} holds entry {seq}"
    if seq > chain.last[0]:
        return (f"entries {chain.last[0] + 1} to {seq} were removed: {source} holds entry {seq}, "
                f"the log ends at entry {chain.last[0]}")
    if (chain.seen or {}).get(seq) != digest:
        return (f"entry {seq} is not the one {source} holds: entries up to {seq} were changed, "
                "removed or renumbered since")
    return None
