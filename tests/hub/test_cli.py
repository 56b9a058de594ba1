"""``mentalspace-hub``: init (new practice, or a solo store imported), devices, and a real ``serve``."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pyotp
import pytest
from sqlalchemy import func, select

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.hub import cli, db
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.app import create_app
from mentalspace_desktop.hub.services import auth
from mentalspace_desktop.hub.settings import HubSettings
from mentalspace_desktop.services.messaging_settings import MessagingSettingsService, SmtpInput, hub_smtp_settings
from mentalspace_desktop.store.opening import open_store
from mentalspace_desktop.store.signing import Signer, new_private_key
from mentalspace_desktop.store.sync_models import ChangeLog, Device
from mentalspace_desktop.sync.tables import TABLES
from tests import signing_keys
from tests.factories import ADMIN_PASSWORD, PracticeFixture, PracticeTemplate
from tests.hub.conftest import TestClient, seed

HUB = shutil.which("mentalspace-hub") or str(Path(sys.executable).parent / "mentalspace-hub")
ADMIN_PW = "Granite-Willow-Comet-58"


def test_init_then_devices_and_plain_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pw = tmp_path / "pw"
    pw.write_text(ADMIN_PW + "\n")
    args = [
        "init",
        "--data-dir",
        str(tmp_path / "h"),
        "--practice",
        "Peachtree",
        "--admin-user",
        "avery",
        "--admin-name",
        "Avery Admin",
        "--password-file",
        str(pw),
    ]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert re.search(r"Authenticator secret for avery: [A-Z2-7]{32}", out)
    assert len(re.findall(r"^  [a-z2-9]{4}-[a-z2-9]{4}$", out, re.M)) == 10
    secrets_key = tmp_path / "h" / "secrets.key"  # the messaging secrets' key, made at set-up, owner-only
    assert secrets_key.exists() and secrets_key.stat().st_mode & 0o777 == 0o600
    assert cli.main(args) == 1
    assert (
        capsys.readouterr().err.strip()
        == "mentalspace-hub: This hub already has a practice; nothing was changed."
    )
    assert cli.main(["devices", "--data-dir", str(tmp_path / "h"), "approve", "nope"]) == 1
    assert capsys.readouterr().err.startswith("mentalspace-hub: There is no such workstation")
    assert cli.main(["devices", "--data-dir", str(tmp_path / "h"), "list"]) == 0
    assert "No workstations" in capsys.readouterr().out
    assert cli.main(["serve", "--data-dir", str(tmp_path / "nothing-here")]) == 1


def test_devices_take_the_folder_before_or_after_the_action(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hub_dir = tmp_path / "h"
    hub_dir.mkdir()
    engine = db.make_engine(HubSettings(hub_dir).url)  # a hub made before hubs were encrypted
    db.prepare(engine)
    users, _ = seed(engine)
    device_id = new_id()
    with db.session_factory(engine)() as s, s.begin():
        s.add(Device(id=device_id, name="front desk pc", enrolled_by=users["front_desk"], status="pending",
                     last_device_seq=0))
    engine.dispose()
    assert cli.main(["devices", "list", "--data-dir", str(hub_dir)]) == 0
    assert f"{device_id}  pending   front desk pc" in capsys.readouterr().out
    assert cli.main(["devices", "approve", device_id, "--data-dir", str(hub_dir)]) == 0
    assert capsys.readouterr().out.startswith(f"Approved {device_id} (front desk pc).")
    assert cli.main(["devices", "revoke", "--data-dir", str(hub_dir), device_id, "--reason", "stolen"]) == 0
    assert capsys.readouterr().out.startswith(f"Revoked {device_id}")
    assert cli.main(["devices", "--data-dir", str(hub_dir), "list"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert cli.main(["devices", "list"]) == 1
    assert capsys.readouterr().err.strip() == "mentalspace-hub: give the hub's folder with --data-dir DIR"


def test_a_solo_store_grows_into_a_practice_hub(
    practice: PracticeFixture,
    practice_template: PracticeTemplate,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mentalspace_desktop.services.charting.notes import NoteService
    from tests.services.charting.test_timeline import booked

    client = practice.add_client(clinician="clinician", last="Imported")
    practice.add_client(clinician="other_clinician", last="Elsewhere")
    MessagingSettingsService(practice.admin).save_smtp(
        SmtpInput("smtp.riverside.example", username="frontdesk", password="app-password-3141",
                  sender="frontdesk@riverside.example"))
    # a note naming its session: the appointment is copied before it (sync/tables.py's order)
    NoteService(practice.session_for("clinician")).start(client.id, "soap",
                                                         appointment_id=booked(practice, client.id, "clinician"))
    practice.close()
    monkeypatch.setenv("MENTALSPACE_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("MENTALSPACE_TOTP", pyotp.TOTP(practice.admin_totp_secret).now())
    hub_dir = tmp_path / "hub"
    assert (
        cli.main(
            ["init", "--data-dir", str(hub_dir), "--import-store", str(practice.data_dir), "--user", "admin"]
        )
        == 0
    )

    store = open_store(practice.files, practice_template.master_key)
    settings = HubSettings(hub_dir, run_jobs=False)
    engine = db.engine_for(settings)
    try:
        with store.read() as source, db.session_factory(engine)() as hub_s:
            for table in TABLES:
                model = repo.model_for(table)
                in_store = source.scalar(select(func.count()).select_from(model))
                assert hub_s.scalar(select(func.count()).select_from(model)) == in_store, table
                assert (
                    hub_s.scalar(select(func.count()).select_from(model).where(model.server_seq.is_(None)))
                    == 0
                )
            total = sum(source.scalar(select(func.count()).select_from(repo.model_for(t))) for t in TABLES)
            assert hub_s.scalar(select(func.count()).select_from(ChangeLog)) == total
            device = hub_s.get(Device, store.device_id)
            assert device is not None and device.status == "approved" and device.last_device_seq > 0
            smtp = hub_smtp_settings(hub_s)  # the hub sends from now on, with the store's settings
            assert smtp is not None and smtp.password == "app-password-3141"
    finally:
        store.close()
        engine.dispose()

    with TestClient(create_app(settings)) as web:
        hub = web.app.state.hub  # type: ignore[attr-defined]
        clinician = practice.users["clinician"]
        device_id = new_id()
        with hub.sessions() as s, s.begin():
            s.add(
                Device(
                    id=device_id, name="laptop", enrolled_by=clinician, status="approved", last_device_seq=0
                )
            )
        token = auth.issue_access_token(
            hub.signing_key, user_id=clinician, device_id=device_id, role="clinician", seconds=60
        )
        page = web.get("/v1/sync/pull", headers={"Authorization": f"Bearer {token}"}).json()
        clients = [r["row"] for r in page["rows"] if r["table"] == "clients"]
        assert [c["id"] for c in clients] == [client.id] and clients[0]["last_name"] == "Imported"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_real_serve_process(tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text(ADMIN_PW)
    data = tmp_path / "hub"
    made = subprocess.run(
        [
            HUB,
            "init",
            "--data-dir",
            str(data),
            "--practice",
            "Peachtree",
            "--admin-user",
            "avery",
            "--admin-name",
            "Avery Admin",
            "--password-file",
            str(pw),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    secret = re.search(r"secret for avery: ([A-Z2-7]+)", made.stdout).group(1)  # type: ignore[union-attr]
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [HUB, "serve", "--data-dir", str(data), "--port", str(port), "--self-signed"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    base = f"https://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                cert = next((data / "tls").glob("*.crt"))
                health = httpx.get(
                    base + "/health", verify=ssl.create_default_context(cafile=str(cert)), timeout=2
                )
                break
            except (httpx.HTTPError, StopIteration, FileNotFoundError):
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.1)
        else:
            pytest.fail("the hub did not start")
        assert health.json()["status"] == "ok" and health.json()["version"]
        with httpx.Client(
            base_url=base, verify=ssl.create_default_context(cafile=str(cert)), timeout=10
        ) as web:
            assert "/v1/sync/push" in web.get("/openapi.json").json()["paths"]
            device_id = new_id()
            signer = Signer("", new_private_key())  # registered by the verified sign-in below
            tokens = web.post(
                "/v1/auth/login",
                json={
                    "username": "avery",
                    "password": ADMIN_PW,
                    "code": pyotp.TOTP(secret).now(),
                    "device_id": device_id,
                    "device_name": "front PC",
                    "app_version": "0.1.0",
                    "signing_key": signer.public_b64,
                },
            ).json()
            assert tokens["signing_key_id"] == signer.key_id
            approve = subprocess.run(
                [HUB, "devices", "--data-dir", str(data), "approve", device_id],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert approve.returncode == 0, approve.stderr
            headers = {"Authorization": f"Bearer {tokens['access_token']}"}
            with web.stream("GET", "/v1/sync/events", headers=headers) as stream:
                lines = stream.iter_lines()
                first = next(line for line in lines if line.startswith("data:"))
                seq = json.loads(first[5:])["seq"]
                change = {
                    "device_seq": 1,
                    "change_id": new_id(),
                    "table": "practice",
                    "row_id": _practice(web, headers),
                    "op": "update",
                    "base_server_seq": None,
                    "changes": {"phone": [None, "4045550100"]},
                    "schema_version": "0004",
                }
                signer.user_id = tokens["user"]["id"]
                change = signing_keys.sign(change, signer)
                pushed = web.post("/v1/sync/push", json={"changes": [change]}, headers=headers).json()
                assert pushed["results"][0]["outcome"] in ("applied", "merged")
                started = time.monotonic()
                nxt = next(line for line in lines if line.startswith("data:"))
                assert json.loads(nxt[5:])["seq"] > seq and time.monotonic() - started < 2
            listed = subprocess.run([HUB, "devices", "--data-dir", str(data), "list"], capture_output=True,
                                    text=True, timeout=60)
            assert "staff=avery" in listed.stdout, listed.stdout + listed.stderr
            removed = subprocess.run(
                [HUB, "devices", "--data-dir", str(data), "remove-person", device_id, "avery"],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert removed.returncode == 0 and "Removed avery" in removed.stdout, removed.stderr
            refused = web.get("/v1/sync/pull", headers=headers)  # at the very next request
            assert refused.status_code == 401 and refused.json()["code"] == "removed_from_device"
            again = subprocess.run(
                [HUB, "devices", "--data-dir", str(data), "remove-person", device_id, "avery"],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert again.returncode == 1 and "does not work on" in again.stderr
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0]
    assert "SELF-SIGNED" in output and "for trying the hub out only" in output
    assert "POST /v1/sync/push 200" in output and f"device={device_id}" in output
    assert "Avery" not in output and ADMIN_PW not in output and "4045550100" not in output  # no PHI in logs


def _practice(web: httpx.Client, headers: dict[str, str]) -> str:
    page = web.get("/v1/sync/pull", headers=headers).json()
    return next(r["row_id"] for r in page["rows"] if r["table"] == "practice")
