"""The chart's clinical tab: notes, problem list, plans, safety plan and documents of one client,
and the one-line summary the chart header shows (diagnoses, plan review due, safety-plan status)."""

from __future__ import annotations

from pathlib import Path

from mentalspace_desktop.domain.charting.plans import ReviewState, SafetyPlanStatus
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.charting.diagnoses import DiagnosisDialog
from mentalspace_desktop.gui.charting.documents import DocumentViewer
from mentalspace_desktop.gui.charting.editor import NoteEditor
from mentalspace_desktop.gui.charting.export_dialog import ChartExportDialog
from mentalspace_desktop.gui.charting.models import NoteLinesModel, note_table
from mentalspace_desktop.gui.charting.plans import SafetyPlanDialog, TreatmentPlanDialog
from mentalspace_desktop.gui.clients.common import format_date, muted
from mentalspace_desktop.gui.errors import show_error
from mentalspace_desktop.gui.qt import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSplitter,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.theme import tone
from mentalspace_desktop.gui.widgets.forms import MessageLabel, ask, empty_state
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.charting.attachments import AttachmentService
from mentalspace_desktop.services.charting.chart import ClinicalChart, ClinicalChartService
from mentalspace_desktop.services.charting.diagnoses import DiagnosisService
from mentalspace_desktop.services.charting.notes import NoteService
from mentalspace_desktop.services.charting.plans import PlanService
from mentalspace_desktop.services.session import UserSession


def header_summary(chart: ClinicalChart) -> str:
    """The chart header's clinical line, as rich text (red where something is overdue or missing)."""
    parts = []
    if chart.diagnoses is not None:
        current = chart.current_diagnoses
        codes = ", ".join(f"{d.code} {d.description}" for d in current[:3]) + ("…" if len(current) > 3 else "")
        parts.append(f"Diagnoses: {codes or 'none recorded'}")
    if chart.plans is not None:
        p = chart.plans
        if p.review_due_on is None:
            parts.append("No signed treatment plan")
        else:
            due = f"Plan review due {format_date(p.review_due_on)}"
            overdue = p.review_state is ReviewState.OVERDUE
            parts.append(f"<span style='color:{tone('danger')}'>{due} (overdue)</span>" if overdue else due)
        if p.safety is not SafetyPlanStatus.NOT_NEEDED:
            text = f"At risk · Safety plan: {p.safety.label}"
            parts.append(text if p.safety is SafetyPlanStatus.CURRENT
                         else f"<span style='color:{tone('danger')}'>{text}</span>")
    return " · ".join(parts)


def _heading(text: str, button: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(QLabel(f"<b>{text}</b>"))
    row.addStretch(1)
    row.addWidget(button)
    return row


class ClinicalPane(QWidget):
    sig_loaded = Signal(object)
    """The clinical record was read: the ``ClinicalChart``."""

    def __init__(self, session: UserSession, bridge: EventBridge | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.service = ClinicalChartService(session)
        self.notes = NoteService(session)
        self.chart: ClinicalChart | None = None
        self.client_id: str | None = None
        self.client_name = ""
        self._seq = 0
        layout = QVBoxLayout(self)
        actions = QHBoxLayout()
        self.note_type = QComboBox(self)
        self.note_type.setAccessibleName("Type of note to start")
        self.new_note = QPushButton("&New note", self)
        self.new_note.setAccessibleName("Start a note of the chosen type")
        self.open_note_button = QPushButton("&Open note", self)
        self.add_dx = QPushButton("Add &diagnosis…", self)
        self.plan_button = QPushButton("Treatment &plan…", self)
        self.safety_button = QPushButton("Sa&fety plan…", self)
        self.flag_button = QPushButton("Flag at ris&k…", self)
        self.attach_button = QPushButton("Attac&h document…", self)
        self.export_button = QPushButton("E&xport PDF…", self)
        self.export_button.setAccessibleName("Export the chart's signed records as PDF")
        for w in (self.note_type, self.new_note, self.open_note_button):
            actions.addWidget(w)
        actions.addStretch(1)
        layout.addLayout(actions)
        self.model = NoteLinesModel(self, show_client=False)
        self.table = note_table("Notes", self.model, empty="No notes for this client yet.")
        self.table.activated.connect(lambda index: self.open_note(self.model.row(index.row()).id))
        self.table.doubleClicked.connect(lambda index: self.open_note(self.model.row(index.row()).id))
        lower = self.lower_part = QWidget(self)
        below = QHBoxLayout(lower)
        below.setContentsMargins(0, 0, 0, 0)
        problems = QVBoxLayout()
        self.resolve_dx = QPushButton("Mark re&solved…", self)
        self.resolve_dx.setAccessibleName("Mark the selected diagnosis resolved")
        heading = _heading("Problem list", self.add_dx)
        heading.insertWidget(2, self.resolve_dx)
        problems.addLayout(heading)
        self.problems = QListWidget(self)
        self.problems.setAccessibleName("Problem list")
        empty_state(self.problems, "No diagnoses on the problem list.")
        self.problems.setWordWrap(True)
        problems.addWidget(self.problems, 1)
        docs = QVBoxLayout()
        self.documents_heading = _heading("Documents", self.attach_button)
        docs.addLayout(self.documents_heading)
        self.documents = QListWidget(self)
        self.documents.setAccessibleName("Documents")
        empty_state(self.documents, "No documents attached.")
        self.documents.setWordWrap(True)
        self.documents.setToolTip("Double-click or press Enter to open a document.")
        self.documents.itemActivated.connect(lambda item: self.open_document(item.data(Qt.ItemDataRole.UserRole)))
        docs.addWidget(self.documents, 1)
        below.addLayout(problems, 3)
        below.addLayout(docs, 2)
        plans = QHBoxLayout()
        for w in (self.plan_button, self.safety_button, self.flag_button):
            plans.addWidget(w)
        plans.addStretch(1)
        plans.addWidget(self.export_button)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setSizes([330, 170])
        layout.addWidget(split, 1)
        layout.addLayout(plans)
        self.hint = muted(QLabel(self))
        layout.addWidget(self.hint)
        self.message = MessageLabel(self)
        layout.addWidget(self.message)
        self.new_note.clicked.connect(self.start_note)
        self.open_note_button.clicked.connect(self._open_selected)
        self.add_dx.clicked.connect(self.add_diagnosis)
        self.resolve_dx.clicked.connect(self.resolve_diagnosis)
        self.plan_button.clicked.connect(self.open_treatment_plan)
        self.safety_button.clicked.connect(self.open_safety_plan)
        self.flag_button.clicked.connect(self.flag_at_risk)
        self.attach_button.clicked.connect(self.attach_document)
        self.export_button.clicked.connect(self.export_chart)
        if bridge is not None:
            bridge.sig_chart_did_change.connect(lambda client_id, *_: self._changed(client_id))

    # -- loading -----------------------------------------------------------------------------

    def load(self, client_id: str, client_name: str | None = None) -> None:
        self.client_id = client_id
        if client_name is not None:
            self.client_name = client_name
        self._seq += 1
        seq, service = self._seq, self.service
        run_in_background(self, lambda: service.load(client_id), on_done=lambda c: self._loaded(seq, c),
                          on_error=lambda exc: show_error(self, exc))

    def _changed(self, client_id: str) -> None:
        if client_id == self.client_id:
            self.load(client_id)

    def _loaded(self, seq: int, chart: ClinicalChart) -> None:
        if seq != self._seq:
            return
        self.chart = chart
        self.model.set_rows(chart.notes)
        self.problems.clear()
        for d in chart.diagnoses or []:
            state = f"resolved {format_date(d.resolved_on)}" if d.resolved_on else (
                "primary" if d.is_primary else "current")
            onset = f", onset {format_date(d.onset_on)}" if d.onset_on else ""
            text = f"{d.code}  {d.description} ({state}{onset})"
            self.problems.addItem(text)
            line = self.problems.item(self.problems.count() - 1)
            line.setToolTip(text)  # wrapped, and whole on hover
            line.setData(Qt.ItemDataRole.UserRole, None if d.resolved_on else d.id)
        self.documents.clear()
        for doc in chart.documents or []:
            self.documents.addItem(f"{doc.title} · {doc.media_type.split('/')[-1].upper()} · "
                                   f"{doc.size_bytes / 1024:.0f} KB · {format_date(doc.added_on)}")
            self.documents.item(self.documents.count() - 1).setData(Qt.ItemDataRole.UserRole, doc.id)
        clinical = chart.plans is not None
        self.note_type.clear()
        for note_type, name in chart.note_types:
            self.note_type.addItem(name, note_type)
        for w in (self.note_type, self.new_note, self.add_dx, self.resolve_dx, self.flag_button, self.attach_button):
            w.setVisible(chart.can_write)
        self.safety_button.setVisible(clinical)
        self.plan_button.setVisible(clinical)
        self.open_note_button.setVisible(clinical)
        self.export_button.setVisible(clinical)
        self.documents.setVisible(clinical)
        for i in range(self.documents_heading.count()):
            item = self.documents_heading.itemAt(i)
            widget = item.widget() if item is not None else None
            if widget is not None and widget is not self.attach_button:
                widget.setVisible(clinical)  # no heading over a list the role does not see
        # a role without diagnoses or documents sees no empty boxes for them, and the reason in words
        self.lower_part.setVisible(chart.diagnoses is not None or clinical)
        self.hint.setText("" if clinical else "Your role sees which notes exist and when, not what they say"
                          + (" nor the diagnoses." if chart.diagnoses is None else "."))
        self.sig_loaded.emit(chart)

    # -- actions -----------------------------------------------------------------------------

    def _open_selected(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self.open_note(self.model.row(index.row()).id)

    def open_note(self, note_id: str) -> NoteEditor | None:
        if self.chart is None or self.chart.plans is None:
            return None
        editor = NoteEditor(self.notes, note_id, self.window())
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.show()
        self.editor = editor
        return editor

    def start_note(self) -> None:
        note_type, client_id = self.note_type.currentData(), self.client_id
        if not note_type or client_id is None:
            return
        notes = self.notes
        run_in_background(self, lambda: notes.start(client_id, note_type), on_done=self._started,
                          on_error=self.message.show_exception)

    def _started(self, note_id: str) -> None:
        self.open_note(note_id)

    def add_diagnosis(self) -> DiagnosisDialog | None:
        if self.client_id is None:
            return None
        dialog = DiagnosisDialog(DiagnosisService(self.session), self.client_id, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def resolve_diagnosis(self) -> None:
        """The selected current diagnosis no longer applies: resolved today (it stays on the list)."""
        item = self.problems.currentItem()
        diagnosis_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if not diagnosis_id:
            self.message.show_hint("Select a current diagnosis on the problem list first.")
            return
        if not ask(self, "Mark resolved", f"Mark {item.text().split('  ')[0]} resolved as of "
                                  "today? It stays on the problem list as resolved.", "Mark resolved"):
            return
        service = DiagnosisService(self.session)
        run_in_background(self, lambda: service.resolve(diagnosis_id),
                          on_done=lambda _r: self.message.show_ok("Diagnosis marked resolved."),
                          on_error=self.message.show_exception)

    def open_document(self, attachment_id: str | None) -> None:
        """Show a document from the encrypted store (read in memory, never written to disk)."""
        if not attachment_id:
            return
        service = AttachmentService(self.session)
        title = next((d.title for d in (self.chart.documents or []) if d.id == attachment_id), "") if self.chart else ""
        run_in_background(self, lambda: service.read(attachment_id),
                          on_done=lambda found: self._show_document(*found, title=title),
                          on_error=self.message.show_exception)

    def _show_document(self, media_type: str, data: bytes, *, title: str = "") -> None:
        viewer = DocumentViewer(media_type, data, title, self)
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        viewer.open()
        self.document_viewer = viewer

    def open_treatment_plan(self) -> None:
        client_id, service = self.client_id, PlanService(self.session)
        if client_id is None:
            return
        run_in_background(self, lambda: service.treatment_plans(client_id),
                          on_done=lambda plans: self._show_plan(service, plans[0] if plans else None),
                          on_error=self.message.show_exception)

    def _show_plan(self, service: PlanService, plan: object) -> None:
        assert self.client_id is not None
        dialog = TreatmentPlanDialog(service, self.client_id, self.client_name, plan, self)  # type: ignore[arg-type]
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.plan_dialog = dialog

    def open_safety_plan(self) -> None:
        client_id, service = self.client_id, PlanService(self.session)
        if client_id is None:
            return
        run_in_background(self, lambda: service.safety_plans(client_id),
                          on_done=lambda plans: self._show_safety(service, plans[0] if plans else None),
                          on_error=self.message.show_exception)

    def _show_safety(self, service: PlanService, plan: object) -> None:
        assert self.client_id is not None
        dialog = SafetyPlanDialog(service, self.client_id, self.client_name, plan, self)  # type: ignore[arg-type]
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.safety_dialog = dialog

    def export_chart(self) -> ChartExportDialog | None:
        """The PDF of the chart's signed records (all, or a date range)."""
        if self.client_id is None or self.chart is None or self.chart.plans is None:
            return None
        dialog = ChartExportDialog(self.session, self.client_id, self.client_name, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.export_dialog = dialog
        return dialog

    def flag_at_risk(self) -> None:
        from mentalspace_desktop.gui.qt import QInputDialog

        if self.client_id is None:
            return
        reason, ok = QInputDialog.getMultiLineText(self, "Flag at risk", "Why is this client at risk? "
                                                   "A safety plan will be required.")
        if ok and reason.strip():
            client_id, service = self.client_id, PlanService(self.session)
            run_in_background(self, lambda: service.flag_at_risk(client_id, reason),
                              on_error=self.message.show_exception)

    def attach_document(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Attach a document", "", "Documents (*.pdf *.png *.jpg *.jpeg)")
        if path and self.client_id is not None:
            client_id, service = self.client_id, AttachmentService(self.session)
            run_in_background(self, lambda: service.add(client_id, Path(path)),
                              on_done=lambda _id: self.message.show_ok("Document attached."),
                              on_error=self.message.show_exception)
