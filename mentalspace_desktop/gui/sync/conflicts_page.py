"""The Conflicts page: details two people changed differently while apart, and the decision.

The hub kept one value for now (the later arrival for records; for clinical data it never
overwrites). The person who decides sees both values side by side with who wrote each, and keeps
one; the decision is an ordinary synced write, so it reaches every workstation.
"""

from __future__ import annotations

from typing import Any

from mentalspace_desktop.gui.qt import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.sync.controller import SyncController
from mentalspace_desktop.gui.sync.indicator import make_table
from mentalspace_desktop.gui.sync.models import ConflictsModel, field_label, value_text, when
from mentalspace_desktop.gui.widgets.forms import MessageLabel, button_row, page_header
from mentalspace_desktop.gui.workers import Task, run_in_background
from mentalspace_desktop.services.conflicts import ConflictService, ConflictView
from mentalspace_desktop.services.sync_status import TABLE_LABELS

# The merge names the sides from where it ran ("here" is the hub or the pushing desk); on a desk that
# reads as this desk, which is wrong half the time. Said without "here":
_REASONS = {
    "changed here and on another workstation": "Changed on two workstations while they were apart.",
    "changed here while it was deleted elsewhere": "Changed on one workstation while it was deleted on another.",
}


def reason_words(reason: str) -> str:
    text = _REASONS.get(reason.strip(), reason.strip())
    return text[:1].upper() + text[1:] if text else ""


def card_titles(c: ConflictView, me: str) -> tuple[str, str]:
    """The two values' titles, by who wrote them ("Your value", "Casey Clinician's value").

    Not by workstation: the conflict is the same on every workstation that holds it, and on a third
    one (the front desk deciding what a laptop and the back office wrote) "this workstation's value"
    would name a value written elsewhere. One person on two workstations, or an author no longer
    known here, is told apart by workstation instead."""
    a, b = c.author_name, c.other_author_name
    if not a or not b or a == b:
        return "Value from one workstation", "Value from the other workstation"

    def whose(name: str) -> str:
        return "Your value" if name == me else f"{name}'s value"

    return whose(a), whose(b)


class _ValueCard(QGroupBox):
    """One side of a conflict: the value, who wrote it, whether it stands now, and the button."""

    def __init__(self, title: str, button_text: str) -> None:
        super().__init__(title)
        layout = QVBoxLayout(self)
        layout.setSpacing(6)
        self.value = QLabel()
        self.value.setWordWrap(True)
        self.value.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.value.setAccessibleName(f"{title}: value")
        self.author = QLabel()
        self.author.setProperty("role", "hint")
        self.author.setAccessibleName(f"{title}: written by")
        self.standing = QLabel()
        self.standing.setProperty("role", "ok")
        self.button = QPushButton(button_text)
        self.button.setAccessibleName(button_text)
        layout.addWidget(self.value)
        layout.addWidget(self.author)
        layout.addWidget(self.standing)
        layout.addStretch(1)
        layout.addLayout(button_row(self.button, stretch_first=False))

    def show_value(self, title: str, value: Any, author: str | None, standing: bool) -> None:
        self.setTitle(title)
        self.value.setAccessibleName(f"{title}: value")
        self.author.setAccessibleName(f"{title}: written by")
        self.button.setAccessibleName("Keep " + ("your value" if title == "Your value" else title))
        self.value.setText(value_text(value))
        self.author.setText(f"Written by {author or 'someone no longer on this workstation'}")
        self.standing.setText("This is the value in the record now." if standing else "")
        self.standing.setVisible(standing)


class ConflictsPage(QWidget):
    sig_loaded = Signal()
    """The list shows the open conflicts this user may decide."""
    sig_resolved = Signal(str)
    """A conflict was decided here: its id."""
    sig_open_client = Signal(str)
    """The user asked to see the client record a conflict is about."""

    def __init__(self, session: Any, controller: SyncController | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = ConflictService(session)
        self.me = session.actor.full_name
        self.controller = controller
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 18)
        layout.setSpacing(10)
        layout.addWidget(page_header(
            "Conflicts", "Two people changed the same detail while their workstations were apart. The "
                         "hub kept one value for now; decide which one stays. Clinical records keep their "
                         "earlier value until someone decides."))
        self.model = ConflictsModel(self)
        self.table = make_table(self.model, "Open conflicts", empty="No conflicts are waiting for you.")
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_selected())
        layout.addWidget(self.table, 2)
        self.empty = self.table.findChild(QLabel, "emptyState")  # inside the table, shown while it is empty
        self.detail = QWidget()
        detail = QVBoxLayout(self.detail)
        detail.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel()
        self.heading.setStyleSheet("font-weight: 600;")
        self.heading.setWordWrap(True)
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.reason.setProperty("role", "hint")
        detail.addWidget(self.heading)
        detail.addWidget(self.reason)
        cards = QHBoxLayout()
        self.this_card = _ValueCard("Value from one workstation", "Keep this value")
        self.other_card = _ValueCard("Value from the other workstation", "Keep this value")
        cards.addWidget(self.this_card, 1)
        cards.addWidget(self.other_card, 1)
        detail.addLayout(cards)
        self.open_button = QPushButton("Open client record")
        self.open_button.clicked.connect(self._open_client)
        detail.addLayout(button_row(self.open_button, stretch_first=False))
        layout.addWidget(self.detail, 1)
        self.message = MessageLabel()
        layout.addWidget(self.message)
        self.this_card.button.clicked.connect(lambda: self.resolve(keep="device"))
        self.other_card.button.clicked.connect(lambda: self.resolve(keep="hub"))
        if controller is not None:
            controller.sig_run_did_finish.connect(lambda _r: self.reload())
        self._busy = False
        self._show_selected()
        self.reload()

    def reload(self) -> Task:
        return run_in_background(self, self.service.open_conflicts, on_done=self._loaded,
                                 on_error=self.message.show_exception)

    def _loaded(self, conflicts: list[ConflictView]) -> None:
        selected = self.selected()
        self.model.set_rows(conflicts)
        row = self.model.row_of(selected.id) if selected is not None else -1
        if conflicts:
            self.table.selectRow(max(row, 0))
        self._show_selected()
        self.sig_loaded.emit()

    def selected(self) -> ConflictView | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def select(self, conflict_id: str) -> None:
        row = self.model.row_of(conflict_id)
        if row >= 0:
            self.table.selectRow(row)

    def _show_selected(self) -> None:
        c = self.selected()
        self.detail.setVisible(c is not None)
        if c is None:
            return
        kind = "clinical record" if c.clinical else TABLE_LABELS.get(c.table_name, c.table_name).lower()
        whose = f" — {c.client_name}" if c.client_name else ""  # a name keeps its capitals
        self.heading.setText(f"{field_label(c.field)} of a {kind}{whose}, recorded {when(c.created_at)}")
        self.reason.setText(reason_words(c.reason or ""))
        self.reason.setVisible(bool(c.reason))
        this_title, other_title = card_titles(c, self.me)
        self.this_card.show_value(this_title, c.device_value, c.author_name, c.kept == "device")
        self.other_card.show_value(other_title, c.hub_value, c.other_author_name, c.kept == "hub")
        self.open_button.setVisible(c.client_id is not None)
        for button in (self.this_card.button, self.other_card.button):
            button.setEnabled(not self._busy)

    def resolve(self, *, keep: str) -> Task | None:
        """Keep one value ("device": this value, "hub": the other) in a worker; sync sends it out."""
        c = self.selected()
        if c is None or self._busy:
            return None
        self._busy = True
        self._show_selected()
        kept = value_text(c.device_value if keep == "device" else c.hub_value)

        def done(_result: object) -> None:
            self._busy = False
            self.message.show_ok(f"Kept {kept} for {field_label(c.field).lower()}. The decision reaches "
                                 "every workstation with the next sync.")
            self.sig_resolved.emit(c.id)
            if self.controller is not None:
                self.controller.sync_now()
            self.reload()

        def failed(exc: BaseException) -> None:
            self._busy = False
            self._show_selected()
            self.message.show_exception(exc)

        return run_in_background(self, lambda: self.service.resolve(c.id, keep=keep), on_done=done,
                                 on_error=failed)

    def _open_client(self) -> None:
        c = self.selected()
        if c is not None and c.client_id:
            self.sig_open_client.emit(c.client_id)
