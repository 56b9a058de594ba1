"""``mentalspace metrics``: one row per clinician and metric, as CSV or JSON, and how it fails."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.cli.conftest import Codes, Demo, one_error_line, run_cli, sign_in_args

PERIOD = ("--from", "2026-01-01", "--until", "2026-03-31")


def test_csv_has_one_row_per_clinician_and_metric(demo: Demo, codes: Codes, tmp_path: Path) -> None:
    result = run_cli("metrics", "--data-dir", demo.data_dir, *PERIOD,
                     *sign_in_args(demo, codes, "renee", tmp_path))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["clinician", "metric", "value", "numerator", "denominator"]
    pairs = [(r["clinician"], r["metric"]) for r in rows]
    assert len(pairs) == len(set(pairs))
    assert {"Marcus Bell", "Maria Lopez"} & {r["clinician"] for r in rows} == {"Marcus Bell"}  # not the front desk
    assert "informed_consent_currency" in {r["metric"] for r in rows}
    for r in rows:
        if r["value"] and r["metric"] != "unsigned_note_backlog":  # a count is its numerator
            assert float(r["value"]) == pytest.approx(float(r["numerator"]) / float(r["denominator"]), abs=1e-6)


def test_json_for_one_clinician_as_their_supervisor(demo: Demo, codes: Codes, tmp_path: Path) -> None:
    result = run_cli("metrics", "--data-dir", demo.data_dir, *PERIOD, "--format", "json", "--clinician", "marcus",
                     *sign_in_args(demo, codes, "marcus", tmp_path))
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows and {r["clinician"] for r in rows} == {"Marcus Bell"}


def test_the_front_desk_has_no_metrics_and_a_bad_date_is_one_line(demo: Demo, codes: Codes, tmp_path: Path) -> None:
    refused = run_cli("metrics", "--data-dir", demo.data_dir, *PERIOD, *sign_in_args(demo, codes, "maria", tmp_path))
    assert refused.returncode == 1
    assert "no productivity dashboard" in one_error_line(refused)
    bad = run_cli("metrics", "--data-dir", demo.data_dir, "--from", "2026-13-01", "--until", "2026-01-01",
                  *sign_in_args(demo, None, "renee", tmp_path))
    assert bad.returncode == 2
    assert "is not a date" in one_error_line(bad)


def test_clinicians_are_named_as_the_appointments_export_names_providers(demo: Demo, codes: Codes,
                                                                          tmp_path: Path) -> None:
    """The issue's contract: a metrics row's clinician is the appointments export's provider, so the
    two files join on that column (the export writes the provider's full name)."""
    from datetime import date, timedelta

    start, until = date.today() - timedelta(days=30), date.today()
    out = tmp_path / "appointments.csv"
    exported = run_cli("export", "appointments", "--data-dir", demo.data_dir, "--from", start.isoformat(),
                       "--until", until.isoformat(), "--out", out, *sign_in_args(demo, codes, "maria", tmp_path))
    assert exported.returncode == 0, exported.stderr
    with out.open(newline="", encoding="utf-8") as fh:
        providers = {r["provider"] for r in csv.DictReader(fh) if r["status"] == "completed"}
    measured = run_cli("metrics", "--data-dir", demo.data_dir, "--from", start.isoformat(), "--until",
                       until.isoformat(), *sign_in_args(demo, codes, "renee", tmp_path))
    assert measured.returncode == 0, measured.stderr
    clinicians = {r["clinician"] for r in csv.DictReader(io.StringIO(measured.stdout))}
    assert providers and providers <= clinicians
