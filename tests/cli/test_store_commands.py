"""Commands that sign in to a store: audit verify, export clients, and how they fail."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import Codes, Demo, client_count, execute, one_error_line, run_cli, sign_in_args


def test_audit_verify_reports_an_intact_chain(demo: Demo, codes: Codes, tmp_path: Path) -> None:
    result = run_cli("audit", "verify", "--data-dir", demo.data_dir,
                     *sign_in_args(demo, codes, "renee", tmp_path))
    assert result.returncode == 0, result.stderr
    out = result.stdout.strip()
    assert out.startswith("OK (") and out.endswith(" entries)")
    assert int(out[4:].split()[0]) > 1000  # a year of history


def test_audit_verify_finds_a_changed_entry(demo_copy: Demo, codes: Codes, tmp_path: Path) -> None:
    execute(demo_copy, "UPDATE audit_log SET summary = 'nothing to see' WHERE seq = 17")
    result = run_cli("audit", "verify", "--data-dir", demo_copy.data_dir,
                     *sign_in_args(demo_copy, codes, "marcus", tmp_path))
    assert result.returncode == 1
    assert result.stdout.strip() == "BROKEN: entry 17 was changed after it was written"


def test_export_clients_writes_one_row_per_client_with_the_id_first(demo: Demo, codes: Codes,
                                                                     tmp_path: Path) -> None:
    out = tmp_path / "clients.csv"
    result = run_cli("export", "clients", "--data-dir", demo.data_dir, "--out", out,
                     *sign_in_args(demo, codes, "maria", tmp_path))
    assert result.returncode == 0, result.stderr
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "id"
    assert len(rows) - 1 == client_count(demo) >= 200
    assert len({row[0] for row in rows[1:]}) == len(rows) - 1


def test_a_wrong_password_is_one_line_and_non_zero(demo: Demo, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("Not-The-Password-99\n", encoding="utf-8")
    result = run_cli("audit", "verify", "--data-dir", demo.data_dir, "--user", "samuel",
                     "--password-file", wrong, "--totp", "123456")
    assert result.returncode == 1
    assert "password is incorrect" in one_error_line(result)
    assert result.stdout == ""


def test_the_password_can_come_from_the_environment(demo: Demo, codes: Codes) -> None:
    login = demo.logins["hannah"]
    env = {"MENTALSPACE_PASSWORD": login.password, "MENTALSPACE_TOTP": codes.fresh(login.totp_secret)}
    result = run_cli("audit", "verify", "--data-dir", demo.data_dir, "--user", "hannah", env=env)
    assert result.returncode == 1  # a clinician may not read the audit log
    assert "does not allow" in one_error_line(result)


def test_missing_credentials_are_a_usage_error(demo: Demo) -> None:
    result = run_cli("audit", "verify", "--data-dir", demo.data_dir, "--user", "renee")
    assert result.returncode == 2
    assert "--password-file" in one_error_line(result)


def test_a_missing_password_file_is_one_line(demo: Demo, tmp_path: Path) -> None:
    result = run_cli("audit", "verify", "--data-dir", demo.data_dir, "--user", "renee",
                     "--password-file", tmp_path / "nope", "--totp", "123456")
    assert result.returncode == 1
    assert "nope" in one_error_line(result)


def test_no_store_in_the_folder(tmp_path: Path) -> None:
    password = tmp_path / "pw"
    password.write_text("Whatever-Long-Password-1", encoding="utf-8")
    result = run_cli("audit", "verify", "--data-dir", tmp_path / "empty", "--user", "renee",
                     "--password-file", password, "--totp", "123456")
    assert result.returncode == 1
    assert "No MentalSpace store was found" in one_error_line(result)


def test_a_truncated_store_is_one_clear_line(demo_copy: Demo, tmp_path: Path) -> None:
    db = demo_copy.data_dir / "store.db"
    with db.open("r+b") as handle:
        handle.truncate(db.stat().st_size // 2)
    result = run_cli("audit", "verify", "--data-dir", demo_copy.data_dir,
                     *sign_in_args(demo_copy, None, "elena", tmp_path))
    assert result.returncode == 1
    assert "truncated" in one_error_line(result)


def test_a_corrupted_store_is_one_clear_line(demo_copy: Demo, tmp_path: Path) -> None:
    db = demo_copy.data_dir / "store.db"
    with db.open("r+b") as handle:
        handle.write(b"\x00" * 8192)  # the first pages, header and schema included
    result = run_cli("audit", "verify", "--data-dir", demo_copy.data_dir,
                     *sign_in_args(demo_copy, None, "elena", tmp_path))
    assert result.returncode == 1
    assert "damaged" in one_error_line(result)


def test_a_store_from_a_newer_version_is_refused(demo_copy: Demo, tmp_path: Path) -> None:
    execute(demo_copy, "UPDATE alembic_version SET version_num = '9999_from_the_future'")
    result = run_cli("audit", "verify", "--data-dir", demo_copy.data_dir,
                     *sign_in_args(demo_copy, None, "elena", tmp_path))
    assert result.returncode == 1
    assert "newer version" in one_error_line(result)


def test_an_unknown_command_is_a_usage_error() -> None:
    result = run_cli("frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in one_error_line(result)


def test_command_line_tasks_never_import_qt() -> None:
    code = (
        "import sys\n"
        "import mentalspace_desktop.cli as cli\n"
        "import mentalspace_desktop.services.demo, mentalspace_desktop.services.backup\n"
        "import mentalspace_desktop.services.integrity\n"
        "cli.build_parser()\n"
        "qt = ('PySide6', 'shiboken6', 'mentalspace_desktop.gui')\n"
        "qt = sorted(m for m in sys.modules if m.startswith(qt))\n"
        "assert not qt, qt\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
