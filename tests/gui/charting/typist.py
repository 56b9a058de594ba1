"""A clinician typing a note in the editor, in a process of its own, until the test kills it.

argv: data dir, master key (hex), user id, note id. Prints "saved <text>" after each completed
autosave, then keeps typing; the parent kills the process at a moment of its choosing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtTest import QTest  # noqa: E402

from mentalspace_desktop.domain.roles import Role  # noqa: E402
from mentalspace_desktop.gui.charting.editor import NoteEditor  # noqa: E402
from mentalspace_desktop.gui.qt import QApplication, QPlainTextEdit  # noqa: E402
from mentalspace_desktop.services.charting.notes import NoteService  # noqa: E402
from mentalspace_desktop.services.session import UserSession, actor_of  # noqa: E402
from mentalspace_desktop.store import signing  # noqa: E402
from mentalspace_desktop.store.files import StoreFiles  # noqa: E402
from mentalspace_desktop.store.keyslots import KeySlots  # noqa: E402
from mentalspace_desktop.store.models import User  # noqa: E402
from mentalspace_desktop.store.opening import open_store  # noqa: E402
from mentalspace_desktop.store.signing import Signer  # noqa: E402
from tests.factories import open_keys  # noqa: E402


class Recording(NoteService):
    """The note service, remembering the text of each autosave that completed."""

    saved: list[str] = []

    def autosave(self, note_id: str, content: Mapping[str, str], *, keep_version: bool = False) -> bool:
        changed = super().autosave(note_id, content, keep_version=keep_version)
        self.saved.append(content["subjective"])
        return changed


def main() -> None:
    data_dir, key_hex, user_id, note_id = sys.argv[1:5]
    app = QApplication([])
    files = StoreFiles(Path(data_dir))
    store = open_store(files, bytes.fromhex(key_hex))
    with store.read() as s:
        user = s.get(User, user_id)
    assert user is not None
    slots = KeySlots.load(files.key_slots)
    # What their sign-in opens: their clinical key (the note is sealed) and their signing key.
    clinical_key, signing_key = open_keys(slots, user.username, Role(user.role))
    signing.install(store.engine, Signer(user.id, signing_key))
    session = UserSession(store, slots, actor_of(user), clinical_key=clinical_key, signing_key=signing_key)
    service = Recording(session)
    editor = NoteEditor(service, note_id)
    editor.timer.setInterval(200)  # the test's patience, not the product's three seconds
    saved = service.saved
    editor.show()
    while editor.view is None:
        app.processEvents()
    field = editor.fields["subjective"]
    assert isinstance(field, QPlainTextEdit)
    field.setFocus()
    words = iter(f"word{i} " for i in range(10_000))
    while True:
        QTest.keyClicks(field, next(words))
        app.processEvents()
        if saved:
            print("saved", saved.pop(), flush=True)


if __name__ == "__main__":
    main()
