"""The chart's read-only Details and Insurance tabs: what is on file, laid out the way the form is."""

from __future__ import annotations

from mentalspace_desktop.domain.clients import format_phone
from mentalspace_desktop.gui.clients.common import format_date, muted
from mentalspace_desktop.gui.qt import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QLabel,
    QScrollArea,
    Qt,
    QVBoxLayout,
    QWidget,
)
from mentalspace_desktop.gui.widgets.forms import ElidingLabel
from mentalspace_desktop.services.clients import ChartView
from mentalspace_desktop.store.models import Client

EMPTY = "—"
_RELATIONSHIP_WORDS = {"self": "Self", "spouse": "Spouse", "child": "Child", "other": "Other"}

# (section, [(key, label)]) — keys are read from the client by :func:`_value`.
DETAIL_SECTIONS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Demographics",
        [
            ("legal_name", "Legal name"),
            ("preferred_name", "Preferred name"),
            ("dob", "Date of birth"),
            ("pronouns", "Pronouns"),
            ("sex_at_birth", "Sex at birth"),
            ("gender_identity", "Gender identity"),
            ("preferred_language", "Preferred language"),
        ],
    ),
    (
        "Contact",
        [
            ("phone_mobile", "Mobile phone"),
            ("phone_home", "Home phone"),
            ("email", "E-mail"),
            ("address", "Address"),
        ],
    ),
    (
        "Care",
        [
            ("clinician", "Primary clinician"),
            ("uses_telehealth", "Telehealth"),
            ("discharged_on", "Discharged on"),
        ],
    ),
    (
        "Emergency contact",
        [
            ("emergency_name", "Name"),
            ("emergency_phone", "Phone"),
            ("emergency_relationship", "Relationship"),
        ],
    ),
    ("Parent or guardian", [("guardian_name", "Name"), ("guardian_phone", "Phone")]),
]
INSURANCE_ROWS = [
    ("payer_name", "Payer"),
    ("member_id", "Member ID"),
    ("group_number", "Group number"),
    ("subscriber_name", "Subscriber"),
    ("subscriber_relationship", "Relationship to subscriber"),
]


def _value_label(parent: QWidget, name: str, *, one_line: bool = False) -> QLabel:
    label = ElidingLabel(EMPTY, parent) if one_line else QLabel(EMPTY, parent)
    label.setWordWrap(not one_line)
    label.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
    )
    label.setAccessibleName(name)
    return label


_ONE_LINE = {"email", "member_id", "group_number"}  # unbreakable: shortened with "…" when narrow


def _section(parent: QWidget, title: str, rows: list[tuple[str, str]], into: dict[str, QLabel]) -> QGroupBox:
    group = QGroupBox(title, parent)
    form = QFormLayout(group)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)  # values use the width
    form.setHorizontalSpacing(14)
    for key, label in rows:
        caption = QLabel(label + ":", group)
        muted(caption)
        value = _value_label(group, f"{title}: {label}", one_line=key in _ONE_LINE)
        form.addRow(caption, value)
        into[key] = value
    return group


def _scroll(parent: QWidget, inner: QWidget) -> QScrollArea:
    scroll = QScrollArea(parent)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # columns narrow instead
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(inner)
    return scroll


def _value(view: ChartView, key: str) -> str:
    c: Client = view.client
    if key == "legal_name":
        return f"{c.first_name} {c.last_name}"
    if key == "dob":
        return f"{format_date(c.dob)} (age {view.age})"
    if key == "address":
        city_line = ", ".join(p for p in (c.city, " ".join(p for p in (c.state, c.zip) if p)) if p)
        return "\n".join(p for p in (c.address1, c.address2, city_line) if p)
    if key == "clinician":
        return view.clinician_name or "Unassigned"
    if key == "uses_telehealth":
        return "Yes" if c.uses_telehealth else "No"
    if key == "discharged_on":
        return format_date(c.discharged_on)
    value = getattr(c, key)
    if key.endswith("phone") or key.startswith("phone"):
        return format_phone(value)
    return str(value or "")


class DetailsPane(QWidget):
    """Demographics, contact, care, emergency contact and guardian, in two columns."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values: dict[str, QLabel] = {}
        inner = QWidget(self)
        grid = QGridLayout(inner)
        grid.setContentsMargins(4, 8, 4, 8)
        grid.setHorizontalSpacing(16)
        self.groups: dict[str, QGroupBox] = {}
        for i, (title, rows) in enumerate(DETAIL_SECTIONS):
            group = _section(inner, title, rows, self.values)
            self.groups[title] = group
            grid.addWidget(group, i // 2, i % 2)
        grid.setRowStretch(grid.rowCount(), 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_scroll(self, inner))

    def show_view(self, view: ChartView) -> None:
        for key, label in self.values.items():
            label.setText(_value(view, key) or EMPTY)
        has_guardian = bool(view.client.guardian_name or view.client.guardian_phone)
        self.groups["Parent or guardian"].setVisible(view.is_minor or has_guardian)


class InsurancePane(QWidget):
    """Primary and secondary coverage side by side; a plain note where none is on file."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values: dict[int, dict[str, QLabel]] = {1: {}, 2: {}}
        self.none_notes: dict[int, QLabel] = {}
        inner = QWidget(self)
        grid = QGridLayout(inner)
        grid.setContentsMargins(4, 8, 4, 8)
        grid.setHorizontalSpacing(16)
        for rank, title in ((1, "Primary insurance"), (2, "Secondary insurance")):
            group = _section(inner, title, INSURANCE_ROWS, self.values[rank])
            note = QLabel("None on file.", group)
            muted(note, "font-style: italic;")
            group.layout().addWidget(note)  # type: ignore[union-attr]
            self.none_notes[rank] = note
            grid.addWidget(group, 0, rank - 1)
        grid.setRowStretch(1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_scroll(self, inner))

    def show_view(self, view: ChartView) -> None:
        by_rank = {i.rank: i for i in view.client.insurances if not i.deleted}
        for rank, labels in self.values.items():
            ins = by_rank.get(rank)
            self.none_notes[rank].setVisible(ins is None)
            for key, label in labels.items():
                value = getattr(ins, key) if ins else None
                if key == "subscriber_relationship" and value:
                    value = _RELATIONSHIP_WORDS.get(value, value)
                label.setText(str(value) if value else EMPTY)
