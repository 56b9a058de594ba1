"""The note service on a real encrypted store: writing, autosave, signing, co-signature, addenda,
history, roles, and tamper detection through the per-client chain."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text

from mentalspace_desktop.domain.charting import chain
from mentalspace_desktop.domain.charting.diff import LineChange
from mentalspace_desktop.domain.charting.lifecycle import NoteStatus
from mentalspace_desktop.errors import AuthenticationError, NotFound, PermissionDenied, ValidationError
from mentalspace_desktop.services.charting.notes import NoteService, SignatureRefused
from mentalspace_desktop.store.chart_models import NoteVersion
from mentalspace_desktop.store.models import AuditEntry, Note, NoteBody
from tests.factories import PASSWORD, PracticeFixture

TODAY = date(2025, 3, 20)
SOAP = {"subjective": "Client reports a fear of bridges.", "assessment": "Specific phobia, improving.",
        "plan": "Graded exposure; weekly.", "risk_level": "Low"}


def service(practice: PracticeFixture, who: str) -> NoteService:
    return NoteService(practice.session_for(who), today=lambda: TODAY)


def written(practice: PracticeFixture, who: str = "other_clinician", content: dict[str, str] = SOAP,
            **start: object) -> tuple[NoteService, str, str]:
    client = practice.add_client(clinician=who)
    notes = service(practice, who)
    note_id = notes.start(client.id, "soap", service_date=date(2025, 3, 18), **start)  # type: ignore[arg-type]
    notes.autosave(note_id, content)
    return notes, client.id, note_id


def test_a_note_is_written_sealed_and_signed_with_its_hash(practice: PracticeFixture) -> None:
    from tests.services.charting.test_timeline import booked

    client_id = practice.add_client(clinician="other_clinician").id
    notes = service(practice, "other_clinician")
    note_id = notes.start(client_id, "soap", service_date=date(2025, 3, 18),
                          appointment_id=booked(practice, client_id, "other_clinician"))
    notes.autosave(note_id, SOAP)
    with practice.admin.store.read() as s:  # the store holds no clear text
        raw = s.scalar(select(NoteBody.body).where(NoteBody.note_id == note_id))
        assert raw.startswith("sealed:v1:") and "bridges" not in raw
    result = notes.sign(note_id, PASSWORD)
    assert result.status is NoteStatus.SIGNED and result.content_hash == chain.content_hash(
        {**{k: "" for k in notes.open(note_id).template.keys}, **SOAP})
    view = notes.open(note_id)
    assert view.status is NoteStatus.SIGNED and view.signed_by_name == "Owen Otherclin" and not view.can_edit
    assert view.flags == []
    with pytest.raises(PermissionDenied, match="cannot be edited"):
        notes.autosave(note_id, {**SOAP, "plan": "changed"})
    assert notes.open(note_id).content["plan"] == SOAP["plan"]  # the note as it was
    actions = [a for (a,) in practice.admin.store.engine.connect().execute(
        select(AuditEntry.action).where(AuditEntry.record_id == note_id))]
    assert {"note_created", "note_saved", "note_signed", "note_viewed"} <= set(actions)


def test_a_note_without_an_appointment_is_flagged(practice: PracticeFixture) -> None:
    notes, _, note_id = written(practice)
    assert notes.open(note_id).flags == ["Not linked to an appointment"]


def test_a_wrong_password_signs_nothing(practice: PracticeFixture) -> None:
    notes, _, note_id = written(practice)
    with pytest.raises(AuthenticationError, match="nothing was signed"):
        notes.sign(note_id, "not-my-password")
    assert notes.open(note_id).status is NoteStatus.DRAFT


def test_required_fields_and_unknown_fields_are_refused_with_the_note_kept(practice: PracticeFixture) -> None:
    notes, _, note_id = written(practice, content={"subjective": "only this"})
    with pytest.raises(SignatureRefused, match="fill in Risk level, Assessment, Plan"):
        notes.sign(note_id, PASSWORD)
    with pytest.raises(ValidationError, match="no field.*mood"):
        notes.autosave(note_id, {"subjective": "x", "mood": "fine"})
    assert notes.open(note_id).content["subjective"] == "only this"


def test_autosave_writes_only_changes_and_keeps_versions_with_a_diff(practice: PracticeFixture) -> None:
    notes, _, note_id = written(practice)
    assert notes.autosave(note_id, SOAP) is False  # nothing changed: nothing written
    notes.autosave(note_id, {**SOAP, "plan": "Graded exposure; every two weeks."}, keep_version=True)
    history = notes.history(note_id)
    assert [v.number for v in history] == [1, 2] and history[1].reason == "save"
    diffs = notes.diff(note_id, 1, 2)
    assert [d.label for d in diffs] == ["Plan"]
    assert (LineChange.ADDED, "Graded exposure; every two weeks.") in diffs[0].lines
    with practice.admin.store.read() as s:
        assert all(c.startswith("sealed:v1:") for c in s.scalars(select(NoteVersion.content)))


def test_an_associates_note_goes_to_the_supervisor_who_returns_then_cosigns(practice: PracticeFixture) -> None:
    notes, _, note_id = written(practice, who="clinician")  # an LPC-Associate supervised by "supervisor"
    assert notes.sign(note_id, PASSWORD).status is NoteStatus.IN_REVIEW
    assert [n.id for n in notes.my_notes().awaiting_cosign] == [note_id]
    supervisor = service(practice, "supervisor")
    assert [n.id for n in supervisor.my_notes().cosign_queue] == [note_id]
    other = service(practice, "other_clinician")
    with pytest.raises(PermissionDenied):
        other.cosign(note_id, PASSWORD)
    supervisor.comment(note_id, "Add the PHQ-9 score.")
    supervisor.return_note(note_id, "Please add the PHQ-9 score to Objective.")
    assert [n.id for n in notes.my_notes().returned] == [note_id]
    assert [c.kind for c in notes.open(note_id).comments] == ["comment", "return"]
    notes.autosave(note_id, {**SOAP, "objective": "PHQ-9: 11"})
    notes.sign(note_id, PASSWORD)
    result = supervisor.cosign(note_id, PASSWORD, comment="Reviewed.")
    assert result.status is NoteStatus.SIGNED
    view = notes.open(note_id)
    assert (view.signed_by_name, view.cosigned_by_name) == ("Casey Clinician", "Sloane Supervisor")
    assert supervisor.my_notes().cosign_queue == []


def test_an_appointment_type_marked_so_needs_cosign_even_for_a_licensed_clinician(practice: PracticeFixture) -> None:
    with practice.admin.store.write() as s:
        s.execute(text("UPDATE users SET supervisor_id = :s WHERE id = :u"),
                  {"s": practice.users["supervisor"], "u": practice.users["other_clinician"]})
    from tests.services.charting.test_timeline import booked

    client_id = practice.add_client(clinician="other_clinician").id
    notes = service(practice, "other_clinician")
    note_id = notes.start(client_id, "soap", appointment_id=booked(practice, client_id, "other_clinician"),
                          appointment_requires_cosign=True)
    notes.autosave(note_id, SOAP)
    assert notes.sign(note_id, PASSWORD).status is NoteStatus.IN_REVIEW


def test_bulk_signing_signs_exactly_the_listed_notes_after_one_password(practice: PracticeFixture) -> None:
    notes, client_id, first = written(practice)
    second = notes.start(client_id, "soap", service_date=date(2025, 3, 19))
    notes.autosave(second, SOAP)
    third = notes.start(client_id, "soap", service_date=date(2025, 3, 20))
    preview = notes.bulk_preview([first, second])
    assert [(p.id, p.type_name) for p in preview] == [(first, "SOAP note"), (second, "SOAP note")]
    results = notes.bulk_sign([first, second], PASSWORD)
    assert [r.status for r in results] == [NoteStatus.SIGNED] * 2
    assert notes.open(third).status is NoteStatus.DRAFT
    # all or nothing: an incomplete note in the batch signs none
    fourth = notes.start(client_id, "soap")
    notes.autosave(third, SOAP)
    with pytest.raises(SignatureRefused, match="cannot be signed yet"):
        notes.bulk_sign([third, fourth], PASSWORD)
    assert notes.open(third).status is NoteStatus.DRAFT


def test_addenda_correct_a_signed_note_which_never_changes(practice: PracticeFixture) -> None:
    notes, _, note_id = written(practice)
    with pytest.raises(PermissionDenied, match="Only a signed note"):
        notes.add_addendum(note_id)
    notes.sign(note_id, PASSWORD)
    addendum = notes.add_addendum(note_id)
    notes.autosave(addendum, {"text": "Correction: the session lasted 53 minutes."})
    notes.sign(addendum, PASSWORD)
    view = notes.open(note_id)
    assert view.is_amended and view.status_label == "Signed, amended"
    assert view.addenda[0].content["text"].startswith("Correction")
    assert view.content["plan"] == SOAP["plan"]


def test_roles_without_clinical_access_never_read_a_note(practice: PracticeFixture) -> None:
    notes, client_id, note_id = written(practice)
    for role in ("front_desk", "billing"):
        with pytest.raises(PermissionDenied):
            service(practice, role).open(note_id)
        assert [n.id for n in service(practice, role).client_notes(client_id)] == [note_id]  # metadata only
    with pytest.raises(PermissionDenied, match="caseload"):
        service(practice, "clinician").open(note_id)
    with pytest.raises(NotFound):
        notes.open("no-such-note")


def test_the_chain_reports_a_body_altered_in_the_raw_store(practice: PracticeFixture) -> None:
    notes, client_id, first = written(practice)
    notes.sign(first, PASSWORD)
    second = notes.start(client_id, "soap")
    notes.autosave(second, SOAP)
    notes.sign(second, PASSWORD)
    records = notes.chain_records()
    assert len(records) == 2 and chain.verify(records) == []
    with practice.admin.store.read() as s:
        second_prev = s.scalar(select(Note.prev_hash).where(Note.id == second))
        first_link = s.scalar(select(Note.chain_hash).where(Note.id == first))
    assert second_prev == first_link
    # someone with the raw store rewrites the first note's body with another validly sealed text
    seal = practice.admin.clinical
    assert seal is not None
    with practice.admin.store.engine.begin() as conn:
        body_id = conn.execute(text("SELECT id FROM note_bodies WHERE note_id = :n"), {"n": first}).scalar_one()
        forged = seal.seal('{"subjective": "forged"}', context=f"note_bodies.body:{body_id}")
        conn.execute(text("UPDATE note_bodies SET body = :b WHERE id = :i"), {"b": forged, "i": body_id})
    problems = chain.verify(notes.chain_records())
    assert [(p.record_id, p.reason) for p in problems] == [(first, "its content differs from what was signed")]


def test_the_chart_timeline_lists_charting_without_its_words(practice: PracticeFixture) -> None:
    from mentalspace_desktop.services.clients import ClientService

    notes, client_id, note_id = written(practice)
    notes.sign(note_id, PASSWORD)
    timeline = ClientService(practice.session_for("front_desk")).open_chart(client_id).timeline
    actions = [t.action for t in timeline]
    assert "Note signed" in actions and "Note started" in actions
    assert not any("bridges" in t.summary for t in timeline)
