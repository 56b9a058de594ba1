"""``mentalspace chart verify`` and ``chart export`` on the demo practice's charts."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import text

from mentalspace_desktop.store.engine import encrypted_engine
from tests.cli.conftest import Codes, Demo, execute, master_key, one_error_line, run_cli, sign_in_args


def _query(demo: Demo, sql: str) -> list[tuple[object, ...]]:
    engine = encrypted_engine(demo.data_dir / "store.db", master_key(demo))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def test_chart_verify_passes_on_the_demo_and_names_an_altered_note(demo_copy: Demo, codes: Codes,
                                                                   tmp_path: Path) -> None:
    result = run_cli("chart", "verify", "--data-dir", demo_copy.data_dir,
                     *sign_in_args(demo_copy, codes, "renee", tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK (") and "signed notes and addenda" in result.stdout
    # someone with the key rewrites one signed note's signature time in the raw store
    (note_id,) = _query(demo_copy, "SELECT id FROM notes WHERE chain_hash IS NOT NULL ORDER BY id LIMIT 1")[0]
    execute(demo_copy, f"UPDATE notes SET signed_at = '2020-01-01 00:00:00.000000' WHERE id = '{note_id}'")
    result = run_cli("chart", "verify", "--data-dir", demo_copy.data_dir,
                     *sign_in_args(demo_copy, codes, "renee", tmp_path))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(str(note_id)[:8] in line and "altered" in line for line in lines if line.startswith("ALTERED"))
    assert lines[-1].startswith("BROKEN: 1 of ")


def test_chart_export_writes_a_pdf_that_reads_back(demo: Demo, codes: Codes, tmp_path: Path) -> None:
    rows = _query(demo, "SELECT n.client_id, c.last_name FROM notes n JOIN clients c ON c.id = n.client_id "
                        "WHERE n.status = 'signed' AND n.addendum_to IS NULL GROUP BY n.client_id, c.last_name "
                        "ORDER BY count(*) DESC LIMIT 1")
    client_id, last_name = rows[0]
    out = tmp_path / "chart.pdf"
    result = run_cli("chart", "export", "--data-dir", demo.data_dir, "--client", str(client_id), "--out", out,
                     *sign_in_args(demo, codes, "renee", tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Exported ")
    reader = PdfReader(out)
    first = reader.pages[0].extract_text()
    assert "Peachtree Counseling" in first and str(last_name) in first and f"of {len(reader.pages)}" in first
    assert "Content SHA-256" in "".join(p.extract_text() for p in reader.pages)
    text_out = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "Electronically signed by" in text_out and "Subjective" in text_out


def test_chart_export_refuses_a_bad_date_in_one_line(demo: Demo, tmp_path: Path) -> None:
    result = run_cli("chart", "export", "--data-dir", demo.data_dir, "--client", "x", "--from", "03/01/2025",
                     "--out", tmp_path / "x.pdf", *sign_in_args(demo, None, "renee", tmp_path))
    assert result.returncode == 2
    assert "YYYY-MM-DD" in one_error_line(result)
