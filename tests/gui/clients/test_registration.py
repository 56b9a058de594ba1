"""Registering and editing clients through the form: typed input, inline refusals, unsaved changes."""

from __future__ import annotations

from datetime import date

import pytest

from mentalspace_desktop.gui.clients.edit_dialog import ClientEditDialog
from mentalspace_desktop.gui.clients.search_dialog import ClientSearchPanel
from mentalspace_desktop.gui.qt import QLineEdit, Qt
from mentalspace_desktop.services.clients import ClientService
from tests.factories import PracticeFixture
from tests.gui.clients.helpers import WAIT_MS, search, type_into


def _open(qtbot, session, client=None) -> ClientEditDialog:
    dialog = ClientEditDialog(session, client)
    dialog.confirm_discard = lambda: True  # type: ignore[method-assign]  # no modal box at teardown
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_register_through_the_form_then_find_by_search(qtbot, practice: PracticeFixture) -> None:
    desk = practice.session_for("front_desk")
    dialog = _open(qtbot, desk)
    assert not dialog.has_unsaved_changes()
    type_into(
        qtbot,
        dialog.form,
        first_name="Riley",
        last_name="Chen",
        preferred_name="Ri",
        dob="04/02/1990",
        phone_mobile="404 555 0123",
        email="Riley.Chen@Example.com",
        address1="1 Main St",
        city="Decatur",
        state="ga",
        zip="30030",
        primary_clinician_id="Casey Clinician",
        ins1_payer_name="Aetna",
        ins1_member_id="W998877",
    )
    assert dialog.has_unsaved_changes()
    assert dialog.form.age_note.text().startswith("Age ")
    assert not dialog.form.guardian_group.isVisibleTo(dialog)  # an adult needs no guardian
    with qtbot.waitSignal(dialog.sig_saved, timeout=WAIT_MS) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    client_id = saved.args[0]
    phone = dialog.form.inputs["phone_mobile"]
    assert isinstance(phone, QLineEdit) and phone.text() == "(404) 555-0123"  # the stored, normalised number
    assert not dialog.isVisible() and not dialog.has_unsaved_changes()

    stored = ClientService(practice.admin).get(client_id)
    assert (stored.first_name, stored.dob, stored.email, stored.state) == (
        "Riley",
        date(1990, 4, 2),
        "riley.chen@example.com",
        "GA",
    )
    assert stored.primary_clinician_id == practice.users["clinician"]
    assert [(i.rank, i.payer_name, i.member_id) for i in stored.insurances] == [(1, "Aetna", "W998877")]

    panel = ClientSearchPanel(desk)
    qtbot.addWidget(panel)
    assert search(qtbot, panel, "chen r") == [client_id]
    assert search(qtbot, panel, "0123") == [client_id]


def test_refusals_show_next_to_their_fields_and_keep_the_input(
    qtbot,
    practice: PracticeFixture,
    minor_dob: date,
) -> None:
    dialog = _open(qtbot, practice.session_for("front_desk"))
    type_into(
        qtbot,
        dialog.form,
        first_name="Riley",
        last_name="Chen",
        dob=minor_dob.strftime("%m/%d/%Y"),
        phone_mobile="555-12",
        email="riley@",
        state="ZZ",
        zip="3030",
        ins1_payer_name="Cigna",
    )
    assert dialog.form.guardian_group.isVisibleTo(dialog)  # shown live as the DOB makes a minor
    with qtbot.waitSignal(dialog.sig_save_failed, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    form = dialog.form
    assert "phone number is not valid" in form.error_for("phone_mobile")
    assert "e-mail address is not complete" in form.error_for("email")
    assert "two-letter state" in form.error_for("state")
    assert "ZIP code is five digits" in form.error_for("zip")
    assert "parent or guardian" in form.error_for("guardian_name")
    assert "member id" in form.error_for("insurance1")
    assert form.error_for("first_name") == ""
    assert form.banner.isVisibleTo(dialog)
    assert dialog.focusWidget() is form.inputs["phone_mobile"]  # the first bad field, in visual order
    assert dialog.isVisible()
    values = form.values()
    assert (values["phone_mobile"], values["email"], values["zip"], values["first_name"]) == (
        "555-12",
        "riley@",
        "3030",
        "Riley",
    )
    assert ClientService(practice.admin).search("chen") == []

    # Fixing the fields clears their messages on the next save.
    type_into(
        qtbot,
        form,
        phone_mobile="4045550123",
        email="riley@example.com",
        state="GA",
        zip="30303",
        guardian_name="Morgan Chen",
        ins1_member_id="C-1",
    )
    with qtbot.waitSignal(dialog.sig_saved, timeout=WAIT_MS):
        qtbot.keyClick(dialog.save_button, Qt.Key.Key_Space)
    assert form.error_for("phone_mobile") == "" and not form.banner.isVisibleTo(dialog)


def test_an_unreadable_date_of_birth_is_refused_in_plain_words(qtbot, practice: PracticeFixture) -> None:
    dialog = _open(qtbot, practice.admin)
    type_into(qtbot, dialog.form, first_name="A", last_name="B", dob="14/03/1988")
    with qtbot.waitSignal(dialog.sig_save_failed, timeout=WAIT_MS):
        dialog.save()
    assert "MM/DD/YYYY" in dialog.form.error_for("dob")
    assert dialog.focusWidget() is dialog.form.dob


def test_edit_a_client(qtbot, practice: PracticeFixture) -> None:
    client = practice.add_client(
        clinician="clinician",
        last="Okafor",
        first="Amara",
        phone_mobile="+14045550177",
        city="Atlanta",
        state="GA",
    )
    service = ClientService(practice.admin)
    dialog = _open(qtbot, practice.session_for("front_desk"), service.get(client.id))
    form = dialog.form
    assert form.values()["phone_mobile"] == "(404) 555-0177"
    assert form.values()["primary_clinician_id"] == practice.users["clinician"]
    assert not dialog.has_unsaved_changes()
    type_into(
        qtbot,
        form,
        city="Decatur",
        phone_home="(678) 555 0100",
        ins1_payer_name="BCBS",
        ins1_member_id="XJ1",
        ins1_subscriber_relationship="Spouse",
    )
    with qtbot.waitSignal(dialog.sig_saved, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    stored = service.get(client.id)
    assert (stored.city, stored.phone_home) == ("Decatur", "+16785550100")
    assert [(i.payer_name, i.subscriber_relationship) for i in stored.insurances] == [("BCBS", "spouse")]
    assert form.values()["phone_home"] == "(678) 555-0100"


def test_closing_with_unsaved_changes_asks(qtbot, practice: PracticeFixture, monkeypatch) -> None:
    dialog = _open(qtbot, practice.admin)
    type_into(qtbot, dialog.form, first_name="Half")
    answers = [False, True]
    asked: list[bool] = []

    def answer() -> bool:
        asked.append(True)
        return answers.pop(0)

    monkeypatch.setattr(dialog, "confirm_discard", answer)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible() and dialog.form.values()["first_name"] == "Half"
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and len(asked) == 2


@pytest.mark.parametrize("role", ["clinician", "billing"])
def test_who_a_client_is_registered_to(qtbot, practice: PracticeFixture, role: str) -> None:
    """A clinician registers onto their own caseload only; billing may choose any clinician."""
    dialog = _open(qtbot, practice.session_for(role))
    clinician = dialog.form.clinician
    if role == "clinician":
        assert not clinician.isEnabled() and clinician.currentData() == practice.users["clinician"]
    else:
        assert clinician.isEnabled()
        type_into(qtbot, dialog.form, primary_clinician_id="Owen Otherclin")
    type_into(qtbot, dialog.form, first_name="Kai", last_name="Reyes", dob="01/05/1980")
    with qtbot.waitSignal(dialog.sig_saved, timeout=WAIT_MS) as saved:
        dialog.save()
    expected = practice.users["clinician" if role == "clinician" else "other_clinician"]
    assert ClientService(practice.admin).get(saved.args[0]).primary_clinician_id == expected
