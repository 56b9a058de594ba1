"""``mentalspace demo``: the demo practice without a window, and its logins file."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Demo, one_error_line, run_cli

ROLES = {"admin", "supervisor", "clinician", "billing", "front_desk"}


def test_demo_writes_a_logins_file_with_a_header_and_one_tab_separated_line_per_user(demo: Demo) -> None:
    lines = (demo.data_dir / "demo-logins.txt").read_text(encoding="utf-8").split("\n")
    assert lines[0] == "user\trole\tpassword\ttotp_secret"
    assert lines[-1] == ""  # the file ends with a newline
    rows = [line.split("\t") for line in lines[1:-1]]
    assert len(rows) >= 8
    assert all(len(row) == 4 for row in rows)
    assert {row[1] for row in rows} == ROLES
    assert all(len(row[2]) >= 12 and len(row[3]) == 32 for row in rows)


def test_demo_prints_every_login(demo: Demo) -> None:
    for login in demo.logins.values():
        assert any(login.user in line and login.password in line and login.totp_secret in line
                   for line in demo.stdout.splitlines())
    assert "demo-logins.txt" in demo.stdout


def test_demo_refuses_a_folder_that_already_holds_a_store(demo: Demo) -> None:
    before = (demo.data_dir / "keyslots.json").read_bytes()
    result = run_cli("demo", "--data-dir", demo.data_dir)
    assert result.returncode == 1
    assert "already exists" in one_error_line(result)
    assert (demo.data_dir / "keyslots.json").read_bytes() == before


def test_demo_needs_a_data_dir(tmp_path: Path) -> None:
    result = run_cli("demo")
    assert result.returncode == 2
    assert "--data-dir" in one_error_line(result)
