"""``mentalspace audit anchor`` and ``audit verify --anchor``: a cut tail found from a file kept elsewhere."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.cli.conftest import Codes, Demo, execute, one_error_line, run_cli, sign_in_args


def test_an_anchor_finds_the_tail_cut_with_the_head_moved_back(demo_copy: Demo, codes: Codes,
                                                              tmp_path: Path) -> None:
    anchor = tmp_path / "anchor.json"
    saved = run_cli("audit", "anchor", "--data-dir", demo_copy.data_dir, "--out", anchor,
                    *sign_in_args(demo_copy, codes, "renee", tmp_path))
    assert saved.returncode == 0, saved.stderr
    assert "Keep it off this computer" in saved.stdout
    assert stat.S_IMODE(anchor.stat().st_mode) == 0o600
    newest = next(iter(json.loads(anchor.read_text(encoding="utf-8"))["heads"].values()))["seq"]

    fine = run_cli("audit", "verify", "--data-dir", demo_copy.data_dir, "--anchor", anchor,
                   *sign_in_args(demo_copy, codes, "marcus", tmp_path))
    assert fine.returncode == 0, fine.stdout + fine.stderr
    assert fine.stdout.startswith("OK (") and "matches the anchor anchor.json" in fine.stdout

    # The insider's cut: the newest entries removed and the head moved back to match.
    execute(demo_copy, f"DELETE FROM audit_log WHERE seq > {newest - 3}")
    execute(demo_copy, "UPDATE sync_state SET value = (SELECT seq || ':' || hash FROM audit_log "
                       "ORDER BY seq DESC LIMIT 1) WHERE key = 'audit_head'")
    found = run_cli("audit", "verify", "--data-dir", demo_copy.data_dir, "--anchor", anchor,
                    *sign_in_args(demo_copy, codes, "elena", tmp_path))
    assert found.returncode == 1
    # Elena's sign-in wrote new entries after the cut (nobody is locked out); the anchor still tells.
    line = found.stdout.splitlines()[0]
    assert line.startswith("BROKEN: ") and "the anchor anchor.json" in line
    assert "were removed" in line or f"entry {newest} is not the one" in line


def test_a_missing_anchor_file_is_a_usage_error(demo: Demo, tmp_path: Path) -> None:
    result = run_cli("audit", "verify", "--data-dir", demo.data_dir, "--anchor", tmp_path / "nowhere.json",
                     *sign_in_args(demo, None, "marcus", tmp_path))
    assert result.returncode == 2
    assert "no anchor file" in one_error_line(result)
