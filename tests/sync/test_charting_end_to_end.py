"""Charting through a real hub process on loopback: an associate's note written offline reaches the
supervisor's co-sign queue on another workstation; documents and plans reach only workstations allowed
to read them; front-desk and billing stores hold no note, plan or document after a full sync."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from mentalspace_desktop.domain.charting import plans as rules
from mentalspace_desktop.domain.charting.lifecycle import NoteStatus
from mentalspace_desktop.services.charting.attachments import AttachmentService
from mentalspace_desktop.services.charting.diagnoses import DiagnosisService
from mentalspace_desktop.services.charting.notes import NoteService
from mentalspace_desktop.services.charting.plans import PlanService
from mentalspace_desktop.store.chart_models import (
    Attachment,
    Diagnosis,
    NoteComment,
    NoteVersion,
    SafetyPlan,
    TreatmentPlan,
)
from mentalspace_desktop.store.models import Note, NoteBody
from tests.factories import PASSWORD
from tests.sync.hubproc import HUB_APP, user_id
from tests.sync.test_end_to_end import World, register
from tests.sync.test_notes_end_to_end import count, synced, world  # noqa: F401  (fixture)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not HUB_APP.exists(), reason="the hub is not written yet"),
]

CLINICAL = (NoteBody, NoteVersion, NoteComment, TreatmentPlan, SafetyPlan, Attachment)
WORDS = "Zq7-heron-marker said the bridge felt closer"


def test_an_offline_note_reaches_the_cosign_queue_and_only_allowed_stores_get_clinical_records(
        world: World, tmp_path: Path) -> None:  # noqa: F811
    admin, laptop, sup = world.desk("admin"), world.desk("clinician"), world.desk("supervisor")
    desk, billing, other = world.desk("front_desk"), world.desk("billing"), world.desk("other_clinician")
    client_id = register(admin, "Charted", clinician=user_id(admin.session.store, "clin"))
    synced(admin)
    for d in (laptop, sup, desk, billing, other):
        synced(d)

    # On the associate's laptop, offline: a note signed (so sent for co-signature), a plan, a document.
    notes = NoteService(laptop.session)
    note_id = notes.start(client_id, "soap", service_date=date(2025, 3, 14))
    notes.autosave(note_id, {"subjective": WORDS, "assessment": "Improving.", "plan": "Weekly.",
                             "risk_level": "Low"})
    assert notes.sign(note_id, PASSWORD).status is NoteStatus.IN_REVIEW
    plans = PlanService(laptop.session)
    sections = {**rules.new_safety_plan(), "warning_signs": [WORDS], "coping": ["Walk"], "means_safety": ["Locked"]}
    plans.save_safety_plan(client_id, sections)
    DiagnosisService(laptop.session).add(client_id, "F40.10", notes=WORDS)
    scan = tmp_path / "letter.pdf"
    scan.write_bytes(b"%PDF-1.4\n" + WORDS.encode())
    AttachmentService(laptop.session).add(client_id, scan)
    synced(laptop)

    # The supervisor's workstation: the note is in the queue, readable, and is co-signed there.
    synced(sup)
    supervisor = NoteService(sup.session)
    assert [n.id for n in supervisor.my_notes().cosign_queue] == [note_id]
    assert supervisor.open(note_id).content["subjective"] == WORDS
    supervisor.cosign(note_id, PASSWORD, comment="Reviewed in supervision.")
    synced(sup)
    synced(laptop)
    back = notes.open(note_id)
    assert back.status is NoteStatus.SIGNED and back.cosigned_by_name == "Sloane Supervisor"
    assert [c.text for c in back.comments] == ["Reviewed in supervision."]
    assert count(sup, Attachment) == 1 and count(sup, SafetyPlan) == 1

    # Front desk and billing: the note's metadata, never its words, plans or documents; billing the codes.
    for d in (desk, billing, other):
        synced(d)
    for d in (desk, billing):
        with d.session.store.read() as s:
            assert s.scalar(select(Note.status).where(Note.id == note_id)) == "signed"
        for model in CLINICAL:
            assert count(d, model) == 0, (d.session.actor.username, model.__tablename__)
        with d.session.store.engine.connect() as conn:  # the raw store file, every table
            tables = [r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")]
            dump = "\n".join(repr(conn.exec_driver_sql(f'SELECT * FROM "{t}"').all()) for t in tables)
        assert "Zq7-heron" not in dump
    assert count(desk, Diagnosis) == 0
    with billing.session.store.read() as s:
        dx = s.scalars(select(Diagnosis)).one()
        assert dx.code == "F40.10" and dx.notes.startswith("sealed:v1:")  # the code, not the words
    # another clinician's workstation: not their client, so nothing of it
    assert all(count(other, model) == 0 for model in (*CLINICAL, Diagnosis))
