"""The sign-in window on a shared workstation: a colleague's first sign-in, confirmed by the hub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mentalspace_desktop.gui.auth.sign_in import SignInDialog
from mentalspace_desktop.gui.qt import Qt
from mentalspace_desktop.store.keyslots import KeySlots
from tests.factories import PracticeTemplate
from tests.sync.conftest import MemoryKeyring, memory_keyring  # noqa: F401  (fixture)
from tests.sync.hubproc import HUB_APP
from tests.sync.test_end_to_end import World
from tests.sync.test_shared_workstation import CLINICIAN_PASSWORD, front_desk

pytestmark = [pytest.mark.gui, pytest.mark.slow,
              pytest.mark.skipif(not HUB_APP.exists(), reason="the hub is not written yet")]

WAIT = 30_000
NEW_PASSWORD = "Granite-Meadow-Kettle-93"


@pytest.fixture
def world(tmp_path: Path, practice_template: PracticeTemplate,
          memory_keyring: MemoryKeyring) -> Iterator[World]:  # noqa: F811
    w = World(tmp_path, practice_template)
    yield w
    w.close()


def _to_code_step(qtbot, dialog: SignInDialog) -> None:
    dialog.username.setText("clin")
    dialog.password.setText(CLINICIAN_PASSWORD)
    with qtbot.waitSignal(dialog.stack.currentChanged, timeout=WAIT):
        dialog.sign_in_button.click()
    assert dialog.current_step() is dialog.code_step


def test_a_colleague_signs_in_here_for_the_first_time(qtbot, world: World) -> None:
    desk = front_desk(world)
    desk.session.store.close()
    dialog = SignInDialog(desk.practice.data_dir)
    qtbot.addWidget(dialog)
    dialog.show()
    _to_code_step(qtbot, dialog)
    assert "first sign-in on this workstation" in dialog.code_step.message.text()
    dialog.code_edit.setText(world.code("clin"))
    failures: list[str] = []
    dialog.sig_step_failed.connect(failures.append)
    qtbot.keyClick(dialog.code_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(failures) or dialog.current_step() is not dialog.code_step, timeout=WAIT)
    assert not failures, failures
    # The account still has the temporary password an administrator gave: the change comes next,
    # exactly as on a workstation where the person had signed in before.
    assert dialog.current_step() is dialog.password_step
    form = dialog.new_password
    assert form is not None
    form.new.setText(NEW_PASSWORD)
    form.confirm.setText(NEW_PASSWORD)
    with qtbot.waitSignal(dialog.sig_signed_in, timeout=WAIT) as signed:
        dialog.password_button.click()
    session = signed.args[0]
    assert session.actor.username == "clin"
    slots = KeySlots.load(desk.practice.files.key_slots)
    assert slots.unwrap("clin", NEW_PASSWORD)[0] == session.actor.user_id
    session.close()


def test_with_the_hub_off_the_code_step_says_why_and_keeps_the_code(qtbot, world: World) -> None:
    desk = front_desk(world)
    desk.session.store.close()
    world.hub.stop()
    dialog = SignInDialog(desk.practice.data_dir)
    qtbot.addWidget(dialog)
    dialog.show()
    _to_code_step(qtbot, dialog)
    dialog.code_edit.setText("123456")
    with qtbot.waitSignal(dialog.sig_step_failed, timeout=WAIT) as failed:
        dialog.verify_button.click()
    assert "hub cannot be reached" in failed.args[0]
    assert dialog.current_step() is dialog.code_step
    assert dialog.code_edit.text() == "123456"
