"""Treatment plan and Stanley-Brown safety plan editors; signing and reviews go through the prompt."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from mentalspace_desktop.domain.charting import plans as rules
from mentalspace_desktop.gui.charting.editor import fit_lines
from mentalspace_desktop.gui.charting.export_dialog import file_slug
from mentalspace_desktop.gui.charting.sign_dialog import SignDialog
from mentalspace_desktop.gui.clients.common import DATE_HINT, Badge, format_date, muted, parse_date
from mentalspace_desktop.gui.qt import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStandardItem,
    QStandardItemModel,
    Qt,
    QTreeView,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.widgets.forms import MessageLabel, button_row, primary
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.charting.plans import PlanService, SafetyPlanView, TreatmentPlanView

KIND_ROLE = Qt.ItemDataRole.UserRole + 1
PROBLEM, GOAL, OBJECTIVE, INTERVENTION = "Problem", "Goal", "Objective", "Intervention"
_CHILDREN = {PROBLEM: GOAL, GOAL: OBJECTIVE}


class TreatmentPlanDialog(QDialog):
    """Problems → goals → measurable objectives (with target dates) and interventions, as a tree."""

    sig_saved = Signal(str)
    """The plan was saved or signed: its id."""

    def __init__(self, service: PlanService, client_id: str, client_name: str, plan: TreatmentPlanView | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.client_id, self.client_name, self.plan = service, client_id, client_name, plan
        self.plan_id = plan.id if plan else None
        editable = plan is None or plan.signed_at is None
        self.setWindowTitle(f"Treatment plan — {client_name}")
        self.setAccessibleName("Treatment plan")
        self.resize(1100, 700)
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        title = QLabel(f"Treatment plan: {client_name}")
        title.setStyleSheet("font-size: 18px; font-weight: 600;")
        head.addWidget(title)
        self.badge = Badge("planStatus", self)
        head.addWidget(self.badge)
        head.addStretch(1)
        layout.addLayout(head)
        self.dates = muted(QLabel(self))
        layout.addWidget(self.dates)
        self.model = QStandardItemModel(0, 4, self)
        self.model.setHorizontalHeaderLabels(["Item", "Description", "Measured by", "Target date"])
        self.tree = QTreeView(self)
        self.tree.setAccessibleName("Problems, goals, objectives and interventions")
        self.tree.setModel(self.model)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.tree.header().resizeSection(0, 190)
        self.tree.header().resizeSection(2, 220)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().resizeSection(3, 190)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers if editable
                                  else QAbstractItemView.EditTrigger.NoEditTriggers)
        layout.addWidget(self.tree, 1)
        self.tree_hint = muted(QLabel("Double-click (or press F2 on) a cell to type in it. Each goal needs an "
                                      "objective with how it is measured and a target date.", self))
        self.tree_hint.setVisible(editable)
        layout.addWidget(self.tree_hint)
        self.reviews = QLabel(self)
        self.reviews.setWordWrap(True)
        layout.addWidget(self.reviews)
        self.message = MessageLabel(self)
        layout.addWidget(self.message)
        self.add_problem = QPushButton("Add &problem", self)
        self.add_child = QPushButton("Add &goal / objective", self)
        self.add_child.setAccessibleName("Add a goal to the problem, or an objective to the goal")
        self.add_intervention = QPushButton("Add &intervention", self)
        self.remove = QPushButton("&Remove", self)
        self.save_button = QPushButton("&Save draft", self)
        self.sign_button = primary(QPushButton("Sig&n plan…", self))
        self.review_button = primary(QPushButton("Record &review…", self))
        self.new_button = QPushButton("Start a ne&w plan", self)
        self.new_button.setAccessibleName("Start a new plan from this one (it replaces it once signed)")
        self.export_button = QPushButton("E&xport PDF…", self)
        close = QPushButton("Close", self)
        row = QHBoxLayout()
        for b in (self.add_problem, self.add_child, self.add_intervention, self.remove):
            row.addWidget(b)
            b.setVisible(editable)
        for b in (self.new_button, self.export_button):
            row.addWidget(b)
            b.setVisible(not editable)
        row.addStretch(1)
        for b in (self.save_button, self.sign_button, self.review_button, close):
            row.addWidget(b)
        layout.addLayout(row)
        self.save_button.setVisible(editable)
        self.sign_button.setVisible(editable)
        self.review_button.setVisible(not editable)
        self.new_button.clicked.connect(self.start_new_plan)
        self.export_button.clicked.connect(self.export_pdf)
        self.add_problem.clicked.connect(lambda: self._add(None, PROBLEM))
        self.add_child.clicked.connect(self._add_child)
        self.add_intervention.clicked.connect(self._add_intervention)
        self.remove.clicked.connect(self._remove)
        self.save_button.clicked.connect(self.save)
        self.sign_button.clicked.connect(self.sign)
        self.review_button.clicked.connect(self.review)
        close.clicked.connect(self.accept)
        self._fill(plan)

    # -- the tree ----------------------------------------------------------------------------

    def _row(self, kind: str, text: str = "", measure: str = "", target: date | None = None) -> list[QStandardItem]:
        items = [QStandardItem(kind), QStandardItem(text), QStandardItem(measure),
                 QStandardItem(format_date(target) if target else "")]
        items[0].setEditable(False)
        items[0].setData(kind, KIND_ROLE)
        if kind != OBJECTIVE:
            for it in items[2:]:
                it.setEditable(False)
        return items

    def _add(self, parent: QStandardItem | None, kind: str, text: str = "", measure: str = "",
             target: date | None = None) -> QStandardItem:
        row = self._row(kind, text, measure, target)
        (parent or self.model.invisibleRootItem()).appendRow(row)
        index = row[1].index()
        self.tree.expandAll()
        self.tree.setCurrentIndex(index)
        return row[0]

    def _selected(self) -> QStandardItem | None:
        index = self.tree.currentIndex()
        return self.model.itemFromIndex(index.siblingAtColumn(0)) if index.isValid() else None

    def _add_child(self) -> None:
        item = self._selected()
        if item is None:
            self.message.show_hint("Select a problem (to add a goal) or a goal (to add an objective).")
            return
        kind = item.data(KIND_ROLE)
        if kind in (OBJECTIVE, INTERVENTION):
            item = item.parent()
            kind = GOAL
        self._add(item, _CHILDREN[kind])

    def _add_intervention(self) -> None:
        item = self._selected()
        while item is not None and item.data(KIND_ROLE) != GOAL:
            item = item.parent()
        if item is None:
            self.message.show_hint("Select a goal (or one of its objectives) to add an intervention to it.")
            return
        self._add(item, INTERVENTION)

    def _remove(self) -> None:
        item = self._selected()
        if item is not None:
            (item.parent() or self.model.invisibleRootItem()).removeRow(item.row())

    def _fill(self, plan: TreatmentPlanView | None) -> None:
        if plan is None:
            self.badge.show_text("New plan", "muted")
            start = self.service.today()
            self.dates.setText(f"Starts {format_date(start)}; review due {format_date(rules.review_due(start))} "
                               "(every 90 days).")
            problem = self._add(None, PROBLEM)
            goal = self._add(problem, GOAL)
            self._add(goal, OBJECTIVE)
            self.tree.setCurrentIndex(problem.index().siblingAtColumn(1))
            return
        signed = plan.signed_at is not None
        tone = {"overdue": "danger", "due_soon": "warning"}.get(plan.review_state.value, "good")
        self.badge.show_text(f"Signed · review {'overdue' if tone == 'danger' else 'due'} "
                             f"{format_date(plan.review_due_on)}" if signed else "Draft", tone if signed else "muted")
        self.dates.setText(f"Started {format_date(plan.starts_on)} · written by {plan.author}"
                           + (f" · signed by {plan.signed_by}" if signed else ""))
        for p in plan.problems:
            pi = self._add(None, PROBLEM, p.text)
            for g in p.goals:
                gi = self._add(pi, GOAL, g.text)
                for o in g.objectives:
                    self._add(gi, OBJECTIVE, o.text, o.measure, o.target_date)
                for iv in g.interventions:
                    self._add(gi, INTERVENTION, iv)
        self.tree.setCurrentIndex(self.model.index(0, 1))
        self.reviews.setText("<br>".join(f"<b>Review {format_date(r.reviewed_on)}</b> ({r.signed_by}): {r.text}"
                                         for r in plan.reviews))

    def problems(self) -> list[rules.Problem]:
        """The tree as the plan's structure; a target date that is not a date is refused with its row."""
        out = []
        root = self.model.invisibleRootItem()
        today = self.service.today()
        for i in range(root.rowCount()):
            p = root.child(i, 0)
            problem = rules.Problem(root.child(i, 1).text().strip())
            for j in range(p.rowCount()):
                g = p.child(j, 0)
                goal = rules.Goal(p.child(j, 1).text().strip())
                for k in range(g.rowCount()):
                    text = g.child(k, 1).text().strip()
                    if g.child(k, 0).data(KIND_ROLE) == INTERVENTION:
                        if text:
                            goal.interventions.append(text)
                        continue
                    raw = g.child(k, 3).text().strip()
                    target = parse_date(raw, today) if raw else None
                    if raw and target is None:
                        raise ValueError(f"“{raw}” is not a date; type the target date as {DATE_HINT}.")
                    goal.objectives.append(rules.Objective(text, g.child(k, 2).text().strip(), target))
                problem.goals.append(goal)
            out.append(problem)
        return out

    # -- saving and signing ------------------------------------------------------------------

    def save(self, *, then_sign: bool = False) -> None:
        try:
            problems = self.problems()
        except ValueError as exc:
            self.message.show_error(str(exc))
            return
        service, client_id, plan_id = self.service, self.client_id, self.plan_id
        run_in_background(self, lambda: service.save_treatment_plan(client_id, problems, plan_id=plan_id),
                          on_done=lambda pid: self._saved(pid, then_sign), on_error=self.message.show_exception)

    def _saved(self, plan_id: str, then_sign: bool) -> None:
        self.plan_id = plan_id
        self.message.show_ok("Plan saved.")
        self.sig_saved.emit(plan_id)
        if then_sign:
            self._sign_saved()

    def sign(self) -> None:
        self.save(then_sign=True)

    def _sign_saved(self) -> SignDialog:
        plan_id, service = self.plan_id, self.service
        assert plan_id is not None
        dialog = SignDialog([f"Treatment plan for {self.client_name}"],
                            lambda secret: service.sign_treatment_plan(plan_id, secret),
                            what="this treatment plan", parent=self)
        dialog.sig_signed.connect(lambda _r: self._reload())
        dialog.open()
        self.sign_dialog = dialog
        return dialog

    def review(self) -> SignDialog | None:
        if self.plan_id is None:
            return None
        text = _ask(self, "Plan review", "Summarise progress on each goal since the last review:")
        if not text:
            return None
        plan_id, service = self.plan_id, self.service
        dialog = SignDialog([f"Review of the treatment plan for {self.client_name}"],
                            lambda secret: service.review_plan(plan_id, text, secret),
                            what="this plan review", parent=self)
        dialog.sig_signed.connect(lambda _r: self._reload())
        dialog.open()
        return dialog

    def _reload(self) -> None:
        service, client_id, plan_id = self.service, self.client_id, self.plan_id
        run_in_background(self, lambda: service.treatment_plans(client_id),
                          on_done=lambda plans: self._refill(next(p for p in plans if p.id == plan_id)),
                          on_error=self.message.show_exception)

    def _refill(self, plan: TreatmentPlanView) -> None:
        self.plan = plan
        self.model.removeRows(0, self.model.rowCount())
        self._fill(plan)
        self._set_editable(plan.signed_at is None)
        self.sig_saved.emit(plan.id)

    def _set_editable(self, editable: bool) -> None:
        for b in (self.add_problem, self.add_child, self.add_intervention, self.remove, self.save_button,
                  self.sign_button):
            b.setVisible(editable)
        for b in (self.review_button, self.new_button, self.export_button):
            b.setVisible(not editable)
        self.tree_hint.setVisible(editable)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers if editable
                                  else QAbstractItemView.EditTrigger.NoEditTriggers)

    def start_new_plan(self) -> None:
        """A draft copy of the signed plan to revise: saved as a new plan, which replaces this one once
        signed (a signed plan never changes)."""
        self.plan_id = None
        self._set_editable(True)
        self.badge.show_text("New plan (replaces the signed one once signed)", "info")
        self.dates.setText("Starts today; the review date is 90 days after.")
        self.message.show_hint("Revise the problems, goals and objectives, then save or sign the new plan.")

    def export_pdf(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export treatment plan as PDF",
                                              f"treatment-plan-{file_slug(self.client_name)}.pdf", "PDF (*.pdf)")
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        from mentalspace_desktop.services.charting.export import ChartExportService

        session, plan_id = self.service.session, self.plan_id
        if plan_id is None:
            return
        run_in_background(self, lambda: ChartExportService(session).export_plan(plan_id, path),
                          on_done=lambda r: self.message.show_ok(f"Saved the plan ({r.pages} pages) to {r.path}."),
                          on_error=self.message.show_exception)


def _ask(parent: QWidget, title: str, label: str) -> str | None:
    from mentalspace_desktop.gui.qt import QInputDialog

    text, ok = QInputDialog.getMultiLineText(parent, title, label)
    return text if ok and text.strip() else None


def _fit_lines(edit: QPlainTextEdit, lines: int) -> None:
    """Make ``edit`` tall enough for ``lines`` lines (at least three) and one more."""
    fit_lines(edit, max(3, lines) + 1)


class SafetyPlanDialog(QDialog):
    """The six Stanley-Brown steps and the reason for living, one item per line; 988 is always listed."""

    sig_saved = Signal(str)
    """The safety plan was saved or signed: its id."""

    def __init__(self, service: PlanService, client_id: str, client_name: str, plan: SafetyPlanView | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service, self.client_id, self.client_name = service, client_id, client_name
        self.plan_id = plan.id if plan and plan.signed_at is None else None
        self.setWindowTitle(f"Safety plan — {client_name}")
        self.setAccessibleName("Safety plan")
        self.resize(1000, 760)
        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        title = QLabel(f"Safety plan (Stanley-Brown): {client_name}")
        title.setStyleSheet("font-size: 18px; font-weight: 600;")
        head.addWidget(title)
        self.badge = Badge("safetyStatus", self)
        head.addWidget(self.badge)
        head.addStretch(1)
        layout.addLayout(head)
        layout.addWidget(muted(QLabel("One item per line. The 988 Suicide & Crisis Lifeline is always included "
                                      "among the crisis contacts.")))
        body = QWidget()
        form = QFormLayout(body)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        self.sections: dict[str, QPlainTextEdit] = {}
        sections = plan.sections if plan else rules.new_safety_plan()
        signed = plan is not None and plan.signed_at is not None
        for key, label in rules.SAFETY_SECTIONS:
            edit = QPlainTextEdit("\n".join(sections.get(key, [])))
            edit.setAccessibleName(label)
            edit.setTabChangesFocus(True)
            # every item in sight (the crisis contacts' 988 line was behind a scrollbar), and room for
            # the next one; the box grows as items are added and the dialog scrolls
            _fit_lines(edit, len(sections.get(key, [])))
            edit.textChanged.connect(lambda e=edit: _fit_lines(e, int(e.document().size().height())))
            edit.setReadOnly(signed)
            caption = QLabel(label)
            caption.setStyleSheet("font-weight: 600;")
            caption.setBuddy(edit)
            form.addRow(caption, edit)
            self.sections[key] = edit
        area = QScrollArea(self)
        area.setWidgetResizable(True)
        area.setWidget(body)
        layout.addWidget(area, 1)
        self.message = MessageLabel(self)
        layout.addWidget(self.message)
        self.save_button = QPushButton("&Save draft", self)
        self.sign_button = primary(QPushButton("Sig&n safety plan…", self))
        self.new_button = QPushButton("Start a &new version", self)
        close = QPushButton("Close", self)
        layout.addLayout(button_row(self.new_button, self.save_button, self.sign_button, close))
        self.save_button.clicked.connect(lambda: self.save())
        self.sign_button.clicked.connect(lambda: self.save(then_sign=True))
        self.new_button.clicked.connect(self._new_version)
        close.clicked.connect(self.accept)
        self._set_signed(signed, plan)

    def _set_signed(self, signed: bool, plan: SafetyPlanView | None) -> None:
        self.save_button.setVisible(not signed)
        self.sign_button.setVisible(not signed)
        self.new_button.setVisible(signed)
        for edit in self.sections.values():
            edit.setReadOnly(signed)
        if signed and plan is not None and plan.signed_at is not None:
            self.badge.show_text(f"Signed by {plan.signed_by} {format_date(plan.signed_at.date())}", "good")
        else:
            self.badge.show_text("Draft" if plan else "New", "muted")

    def _new_version(self) -> None:
        self.plan_id = None
        self._set_signed(False, None)
        self.badge.show_text("New version (replaces the signed plan once signed)", "info")

    def content(self) -> dict[str, list[str]]:
        return {k: e.toPlainText().splitlines() for k, e in self.sections.items()}

    def save(self, *, then_sign: bool = False) -> None:
        content, service, client_id, plan_id = self.content(), self.service, self.client_id, self.plan_id
        run_in_background(self, lambda: service.save_safety_plan(client_id, content, plan_id=plan_id),
                          on_done=lambda pid: self._saved(pid, then_sign), on_error=self.message.show_exception)

    def _saved(self, plan_id: str, then_sign: bool) -> None:
        self.plan_id = plan_id
        self.message.show_ok("Safety plan saved.")
        self.sig_saved.emit(plan_id)
        if then_sign:
            service = self.service
            dialog = SignDialog([f"Safety plan for {self.client_name}"],
                                lambda secret: service.sign_safety_plan(plan_id, secret),
                                what="this safety plan", parent=self)
            dialog.sig_signed.connect(lambda _r: self._signed())
            dialog.open()
            self.sign_dialog = dialog

    def _signed(self) -> None:
        service, client_id = self.service, self.client_id
        run_in_background(self, lambda: service.safety_plans(client_id),
                          on_done=lambda plans: self._set_signed(True, plans[0] if plans else None))
        if self.plan_id:
            self.sig_saved.emit(self.plan_id)

