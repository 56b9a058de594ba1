"""The audit hash chain: an intact chain verifies; a changed, removed or truncated entry is found."""

from __future__ import annotations

from typing import Any

from mentalspace_desktop.domain.audit_chain import GENESIS, Anchor, check_log, entry_hash, verify_chain


def build_chain(n: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    prev = GENESIS
    for seq in range(1, n + 1):
        fields: dict[str, Any] = {
            "id": f"id-{seq}",
            "seq": seq,
            "at": f"2025-03-10T09:{seq:02d}:00+00:00",
            "device_id": "dev-1",
            "workstation": "desk-1",
            "user_id": "u-1",
            "username": "desk",
            "action": "open_chart",
            "record_type": "client",
            "record_id": f"c-{seq}",
            "client_id": f"c-{seq}",
            "summary": "",
        }
        digest = entry_hash(fields, prev)
        entries.append({**fields, "prev_hash": prev, "hash": digest})
        prev = digest
    return entries


def head_of(entries: list[dict[str, Any]]) -> tuple[int, str]:
    return entries[-1]["seq"], entries[-1]["hash"]


def test_intact_chain_verifies() -> None:
    chain = build_chain(6)
    assert verify_chain(chain) is None
    assert verify_chain(chain, head_of(chain)) is None


def test_empty_chain_verifies_without_head() -> None:
    assert verify_chain([]) is None


def test_every_chained_field_is_covered() -> None:
    chain = build_chain(3)
    for name in ("at", "username", "action", "record_id", "client_id", "summary", "workstation", "user_id"):
        tampered = [dict(e) for e in chain]
        tampered[1][name] = "x"
        brk = verify_chain(tampered, head_of(chain))
        assert brk is not None and brk.seq == 2, name


def test_changed_entry_is_reported_at_its_seq() -> None:
    chain = build_chain(6)
    chain[3]["summary"] = "nothing to see"
    brk = verify_chain(chain, head_of(chain))
    assert brk is not None
    assert brk.seq == 4
    assert "changed" in brk.reason


def test_changed_entry_with_recomputed_own_hash_breaks_the_next_link() -> None:
    chain = build_chain(6)
    chain[3]["summary"] = "rewritten"
    chain[3]["hash"] = entry_hash(chain[3], chain[3]["prev_hash"])
    brk = verify_chain(chain, head_of(chain))
    assert brk is not None and brk.seq == 5


def test_deleted_middle_entry_is_reported() -> None:
    chain = build_chain(6)
    del chain[2]
    brk = verify_chain(chain, head_of(chain))
    assert brk is not None
    assert brk.seq == 3
    assert "missing" in brk.reason


def test_deleted_middle_entry_with_renumbered_seqs_is_still_reported() -> None:
    chain = build_chain(6)
    del chain[2]
    for i, e in enumerate(chain, start=1):
        e["seq"] = i
    assert verify_chain(chain) is not None


def test_deleted_newest_entries_are_caught_by_the_head() -> None:
    chain = build_chain(6)
    head = head_of(chain)
    truncated = chain[:4]
    assert verify_chain(truncated) is None  # without the head a truncation looks like a shorter chain
    brk = verify_chain(truncated, head)
    assert brk is not None
    assert brk.seq == 5
    assert "removed" in brk.reason


def test_all_entries_deleted_is_caught_by_the_head() -> None:
    chain = build_chain(3)
    brk = verify_chain([], head_of(chain))
    assert brk is not None and brk.seq == 1


def test_chain_not_starting_at_genesis_is_reported() -> None:
    chain = build_chain(4)[1:]
    brk = verify_chain(chain, head_of(chain))
    assert brk is not None and brk.seq == 1


# -- the whole log against anchors kept elsewhere ----------------------------------------------------


def rechain(entries: list[dict[str, Any]], device: str = "dev-1") -> list[dict[str, Any]]:
    """What an insider with the store's key does: renumber and recompute every hash."""
    out, prev = [], GENESIS
    for seq, entry in enumerate(entries, start=1):
        fields = {**entry, "seq": seq, "device_id": device}
        digest = entry_hash(fields, prev)
        out.append({**fields, "prev_hash": prev, "hash": digest})
        prev = digest
    return out


def test_check_log_passes_an_intact_log_and_its_anchor() -> None:
    chain = build_chain(8)
    report = check_log(chain, own_device="dev-1", anchors=[Anchor("the anchor", {"dev-1": head_of(chain)})])
    assert report.ok and report.entries == 8 and report.chains == 1


def test_check_log_finds_every_rewrite_before_the_anchor() -> None:
    chain = build_chain(8)
    anchor = Anchor("the anchor", {"dev-1": head_of(chain[:6])})
    edited = rechain([{**e, "summary": "x"} if e["seq"] == 2 else e for e in chain])
    removed = rechain([e for e in chain if e["seq"] != 3])
    cut = chain[:4]
    for rewritten, words in ((edited, "is not the one"), (removed, "is not the one"), (cut, "were removed"),
                             ([], "whole log is gone")):
        report = check_log(rewritten, own_device="dev-1", anchors=[anchor])
        assert [f.reason for f in report.findings if words in f.reason], (words, report.findings)


def test_check_log_reports_a_chain_under_another_device() -> None:
    own = build_chain(3)
    forged = rechain(build_chain(1), device="dev-2")
    report = check_log([*own, *forged], own_device="dev-1", describe=lambda d: f"workstation {d}")
    assert len(report.findings) == 1 and "1 entries claim to come from workstation dev-2" in report.findings[0].reason
