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
    assert {"marcus", "maria"} & {r["clinician"] for r in rows} == {"marcus"}  # the front desk is not measured
    assert "informed_consent_currency" in {r["metric"] for r in rows}
    for r in rows:
        if r["value"] and r["metric"] != "unsigned_note_backlog":  # a count is its numerator
            assert float(r["value"]) == pytest.approx(float(r["numerator"]) / float(r["denominator"]), abs=1e-6)


def test_json_for_one_clinician_as_their_supervisor(demo: Demo, codes: Codes, tmp_path: Path) -> None:
    result = run_cli("metrics", "--data-dir", demo.data_dir, *PERIOD, "--format", "json", "--clinician", "marcus",
                     *sign_in_args(demo, codes, "marcus", tmp_path))
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows and {r["clinician"] for r in rows} == {"marcus"}


def test_the_front_desk_has_no_metrics_and_a_bad_date_is_one_line(demo: Demo, codes: Codes, tmp_path: Path) -> None:
    refused = run_cli("metrics", "--data-dir", demo.data_dir, *PERIOD, *sign_in_args(demo, codes, "maria", tmp_path))
    assert refused.returncode == 1
    assert "no productivity dashboard" in one_error_line(refused)
    bad = run_cli("metrics", "--data-dir", demo.data_dir, "--from", "2026-13-01", "--until", "2026-01-01",
                  *sign_in_args(demo, None, "renee", tmp_path))
    assert bad.returncode == 2
    assert "is not a date" in one_error_line(bad)
