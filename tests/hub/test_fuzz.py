"""The hub's API fuzzed from its own OpenAPI document, against a real ``mentalspace-hub serve`` process.

Schemathesis reads ``/openapi.json`` from the running hub and sends generated requests (valid and
invalid) to every operation, three times: without a token, as the front desk and as an
administrator. A run fails on any 5xx, any response whose status the document does not list for
that operation, and any body or content type that does not match the document.

Left out: the live-events stream (it never ends by design), and the stateful steps that revoke the
fuzzer's own workstation (an administrator revoking the device it fuzzes from ends the run's
sign-in; revocation is tested on its own in ``test_auth.py``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from benchmarks._hubproc import HubProcess, pg_database
from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.hub import db
from mentalspace_desktop.hub.services import auth
from mentalspace_desktop.hub.settings import HubSettings
from mentalspace_desktop.store.sync_models import Device
from mentalspace_desktop.store.types import utcnow
from tests.hub.conftest import PG_ENV, ROLES, seed

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
MAX_EXAMPLES = 15  # per operation and phase: the three runs take about a minute on an idle machine
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
        "negative_data_rejection",
    )
)

# Stateful steps chain a device id read from the workstation list into the next call: into a
# revocation, that would revoke the fuzzer's own workstation and end its sign-in mid-run. Revoking
# a generated id is still fuzzed (coverage and fuzzing phases).
OPERATIONS = """
[[operations]]
include-path = "/v1/devices/{device_id}/revoke"
phases.stateful.enabled = false
"""


@dataclass(frozen=True)
class FuzzHub:
    url: str
    tokens: dict[str, str]  # who -> bearer token ("" for no token)
    report_dir: Path
    log: Path  # the hub's log: its access log names the status of every request

    def server_errors(self) -> int:
        """How many requests the hub has answered with a 5xx so far."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return len(re.findall(r" 5\d\d [\d.]+ms device=", text))


def _enroll(engine: object, key: str, users: dict[str, str], who: str) -> str:
    """An approved workstation for ``who``, and a long-lived access token for it."""
    device_id = new_id()
    with db.session_factory(engine)() as s, s.begin():  # type: ignore[arg-type]
        s.add(
            Device(
                id=device_id,
                name=f"fuzz {who}",
                enrolled_by=users[who],
                status="approved",
                created_at=utcnow(),
                last_device_seq=0,
            )
        )
    return auth.issue_access_token(
        key, user_id=users[who], device_id=device_id, role=ROLES[who].value, seconds=3600
    )


@pytest.fixture(scope="module")
def fuzz_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzHub]:
    """The hub on PostgreSQL where the suite has it (it refuses more than SQLite does: NUL in text,
    integers beyond 64 bits), else on SQLite."""
    data_dir = tmp_path_factory.mktemp("fuzz-hub")
    server = os.environ.get(PG_ENV)
    if not server:
        print(f"fuzzing the hub on SQLite: {PG_ENV} is not set")
        yield from _serve(data_dir, None, tmp_path_factory)
        return
    pytest.importorskip("psycopg", reason="psycopg (the hub extra) is not installed")
    with pg_database(server, prefix="test_hubfuzz") as url:
        yield from _serve(data_dir, url, tmp_path_factory)


def _serve(data_dir: Path, database_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzHub]:
    """Prepare and seed the hub database, enroll the fuzzer's workstations, and run the hub.

    On SQLite the database is encrypted, as ``mentalspace-hub init`` makes it."""
    settings = HubSettings(data_dir, database_url=database_url)
    if database_url is None:
        settings.make_database_key()
    engine = db.engine_for(settings)
    try:
        db.prepare(engine)
        users, _secrets = seed(engine)
        with db.read_session(engine) as s:
            key = db.get_setting(s, db.SIGNING_KEY) or ""
        tokens = {"anonymous": "", **{who: _enroll(engine, key, users, who) for who in ("front_desk", "admin")}}
    finally:
        engine.dispose()
    with HubProcess(data_dir, database_url=database_url, name="fuzz-hub") as hub:
        yield FuzzHub(hub.url, tokens, tmp_path_factory.mktemp("fuzz-report"), hub.log_path)


def run_schemathesis(hub: FuzzHub, who: str) -> tuple[int, str, dict[str, Any]]:
    """One schemathesis run as ``who``: its exit status, its output and its JSON report."""
    report = hub.report_dir / f"{who}.json"
    config = hub.report_dir / "schemathesis.toml"
    config.write_text(OPERATIONS, encoding="utf-8")
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "run",
        f"{hub.url}/openapi.json",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "20261130",
        "--workers",
        "1",
        "--exclude-path",
        "/v1/sync/events",
        "--continue-on-failure",
        "--suppress-health-check",
        "all",
        "--request-timeout",
        "30",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--output-truncate",
        "true",
    ]
    if hub.tokens[who]:
        command += ["--header", f"Authorization: Bearer {hub.tokens[who]}"]
    done = subprocess.run(  # in the report folder: schemathesis keeps a cache where it runs
        command,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_COLOR": "1"},
        cwd=hub.report_dir,
    )
    data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    return done.returncode, done.stdout + done.stderr, data


def summary(report: dict[str, Any]) -> str:
    """Cases generated, cases that failed, and the distinct failures by kind (5xx, schema, status)."""
    cases = report.get("test_cases", {})
    kinds = ", ".join(f"{f['code']} {f['title']}: {f['count']}" for f in report.get("failures", []))
    return (
        f"{cases.get('generated', 0)} cases, {cases.get('with_failures', 0)} failing, "
        f"{cases.get('unique_failures', 0)} distinct failures ({kinds or 'none'})"
    )


@pytest.mark.parametrize("who", ["anonymous", "front_desk", "admin"])
def test_the_hub_answers_every_generated_request_as_its_document_says(fuzz_hub: FuzzHub, who: str) -> None:
    errors_before = fuzz_hub.server_errors()
    status, output, report = run_schemathesis(fuzz_hub, who)
    errors = fuzz_hub.server_errors() - errors_before
    print(f"fuzz as {who}: {summary(report)}; {errors} answers 5xx")  # the figures, shown with ``pytest -s``
    assert status == 0, output[-20000:]
