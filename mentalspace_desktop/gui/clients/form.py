"""The client form: one widget for registering a new client and editing an existing one.

It holds what the desk typed, exactly as typed; the service validates and normalises. Refusals come
back as a field → message map and are shown under the fields they concern, keeping the input.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from mentalspace_desktop.domain.clients import age_on, format_phone, is_minor
from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.gui.clients.common import (
    FieldBox,
    date_edit,
    format_date,
    muted,
    parse_date,
    plain_label,
)
from mentalspace_desktop.gui.qt import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.services.clients import ClientInput, InsuranceInput
from mentalspace_desktop.store.models import Client

SEX_AT_BIRTH = ["", "Female", "Male", "Intersex", "Unknown", "Declined to answer"]
PRONOUNS = ["", "she/her", "he/him", "they/them", "she/they", "he/they"]
GENDER_IDENTITIES = [
    "",
    "Woman",
    "Man",
    "Non-binary",
    "Transgender woman",
    "Transgender man",
    "Genderqueer",
    "Declined to answer",
]
LANGUAGES = ["English", "Spanish", "Vietnamese", "Korean", "Chinese", "Haitian Creole", "Arabic", "ASL"]
RELATIONSHIPS = [("Self", "self"), ("Spouse", "spouse"), ("Child", "child"), ("Other", "other")]
INSURANCE_FIELDS = ("payer_name", "member_id", "group_number", "subscriber_name", "subscriber_relationship")
# Service keys that name a whole section: the message shows under that section's first field.
_SECTION_KEYS = {"insurance1": "ins1_payer_name", "insurance2": "ins2_payer_name"}
_INPUT_KEYS = (
    "first_name",
    "last_name",
    "preferred_name",
    "pronouns",
    "sex_at_birth",
    "gender_identity",
    "phone_mobile",
    "phone_home",
    "email",
    "address1",
    "address2",
    "city",
    "state",
    "zip",
    "preferred_language",
    "emergency_name",
    "emergency_phone",
    "emergency_relationship",
    "guardian_name",
    "guardian_phone",
)
PHONE_KEYS = ("phone_mobile", "phone_home", "emergency_phone", "guardian_phone")


class ClientForm(QWidget):
    """Identity, contact, care, emergency contact, guardian and insurance, laid out in two columns."""

    sig_changed = Signal()
    """Something in the form was edited."""

    def __init__(
        self,
        *,
        clinicians: list[tuple[str, str]],
        role: Role,
        user_id: str,
        today: Callable[[], date] = date.today,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._today = today
        self.boxes: dict[str, FieldBox] = {}
        self.inputs: dict[str, QWidget] = {}
        self._baseline: dict[str, object] = {}

        self.banner = QLabel(self)
        self.banner.setObjectName("formError")
        self.banner.setWordWrap(True)
        self.banner.setProperty("role", "error")  # the theme's error banner, light and dark
        self.banner.hide()

        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(12)
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(self._identity())
        left.addWidget(self._contact())
        left.addStretch(1)
        right.addWidget(self._care(clinicians, role, user_id))
        right.addWidget(self._emergency())
        self.guardian_group = self._guardian()
        right.addWidget(self.guardian_group)
        right.addStretch(1)
        grid.addLayout(left, 0, 0)
        grid.addLayout(right, 0, 1)
        grid.addWidget(self._insurance(), 1, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(self.banner)
        outer.addLayout(grid)

        self.dob.textChanged.connect(self._dob_changed)
        self._dob_changed(self.dob.text())
        self.mark_saved()

    # -- building ----------------------------------------------------------------------------

    def _add(
        self, form: QFormLayout, key: str, label: str, widget: QWidget, *, target: QWidget | None = None
    ) -> QWidget:
        target = target or widget
        caption = QLabel(label, self)
        caption.setBuddy(target)
        target.setAccessibleName(plain_label(label))
        box = FieldBox(widget, self, target=target)
        form.addRow(caption, box)
        self.boxes[key] = box
        self.inputs[key] = target
        if isinstance(target, QLineEdit):
            target.textChanged.connect(self.sig_changed)
        elif isinstance(target, QComboBox):
            target.currentTextChanged.connect(self.sig_changed)
        elif isinstance(target, QCheckBox):
            target.toggled.connect(self.sig_changed)
        return target

    def _group(self, title: str) -> tuple[QGroupBox, QFormLayout]:
        group = QGroupBox(title, self)
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(6)
        return group, form

    def _line(
        self,
        form: QFormLayout,
        key: str,
        label: str,
        *,
        placeholder: str = "",
        width: int = 0,
        max_length: int = 0,
    ) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setPlaceholderText(placeholder)
        if width:
            edit.setMaximumWidth(width)
        if max_length:
            edit.setMaxLength(max_length)
        self._add(form, key, label, edit)
        return edit

    def _combo(
        self, form: QFormLayout, key: str, label: str, items: list[str], *, editable: bool
    ) -> QComboBox:
        combo = QComboBox(self)
        combo.setEditable(editable)
        combo.addItems(items)
        self._add(form, key, label, combo)
        return combo

    def _identity(self) -> QGroupBox:
        group, form = self._group("Identity")
        self._line(form, "first_name", "&First name *")
        self._line(form, "last_name", "&Last name *")
        self._line(form, "preferred_name", "Preferred name", placeholder="What the client likes to be called")
        row = QWidget(self)
        h = QHBoxLayout(row)
        h.setContentsMargins(0, 0, 0, 0)
        self.dob = date_edit("Date of birth", row)
        self.age_note = QLabel(row)
        self.age_note.setObjectName("ageNote")
        muted(self.age_note)
        h.addWidget(self.dob)
        h.addWidget(self.age_note, 1)
        self._add(form, "dob", "&Date of birth *", row, target=self.dob)
        self._combo(form, "pronouns", "Pronouns", PRONOUNS, editable=True)
        self._combo(form, "sex_at_birth", "Sex at birth", SEX_AT_BIRTH, editable=False)
        self._combo(form, "gender_identity", "Gender identity", GENDER_IDENTITIES, editable=True)
        self._combo(form, "preferred_language", "Preferred language", LANGUAGES, editable=True)
        return group

    def _contact(self) -> QGroupBox:
        group, form = self._group("Contact")
        self._line(form, "phone_mobile", "&Mobile phone", placeholder="(404) 555-0123", width=200)
        self._line(form, "phone_home", "Home phone", placeholder="(404) 555-0123", width=200)
        self._line(form, "email", "&E-mail", placeholder="name@example.com")
        self._line(form, "address1", "Street address")
        self._line(form, "address2", "Apt, suite, unit")
        self._line(form, "city", "City")
        self._line(form, "state", "State", placeholder="GA", width=60, max_length=2)
        self._line(form, "zip", "ZIP code", placeholder="30303", width=110, max_length=10)
        return group

    def _care(self, clinicians: list[tuple[str, str]], role: Role, user_id: str) -> QGroupBox:
        group, form = self._group("Care")
        combo = QComboBox(self)
        combo.addItem("Unassigned", None)
        for cid, name in clinicians:
            combo.addItem(name, cid)
        if role is Role.CLINICIAN:  # a clinician registers onto their own caseload only
            combo.setCurrentIndex(max(0, combo.findData(user_id)))
            combo.setEnabled(False)
            combo.setToolTip("Clinicians register clients onto their own caseload.")
        self.clinician = combo
        self._add(form, "primary_clinician_id", "Primary &clinician", combo)
        check = QCheckBox("Receives care by telehealth", self)
        self._add(form, "uses_telehealth", "Telehealth", check)
        return group

    def _emergency(self) -> QGroupBox:
        group, form = self._group("Emergency contact")
        self._line(form, "emergency_name", "Name")
        self._line(form, "emergency_phone", "Phone", placeholder="(404) 555-0123", width=200)
        self._line(form, "emergency_relationship", "Relationship", placeholder="Sister, partner, friend…")
        return group

    def _guardian(self) -> QGroupBox:
        group, form = self._group("Parent or guardian")
        note = QLabel("Required because the client is under 18.", group)
        note.setProperty("role", "warn")  # the theme's warning colour, light and dark
        form.addRow(note)
        self._line(form, "guardian_name", "&Guardian name *")
        self._line(form, "guardian_phone", "Guardian phone", placeholder="(404) 555-0123", width=200)
        return group

    def _insurance(self) -> QGroupBox:
        group = QGroupBox("Insurance", self)
        h = QHBoxLayout(group)
        for rank, title in ((1, "Primary"), (2, "Secondary")):
            sub = QWidget(group)
            form = QFormLayout(sub)
            form.setContentsMargins(0, 0, 0, 0)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            heading = QLabel(f"<b>{title}</b>", sub)
            form.addRow(heading)
            p = f"ins{rank}_"
            self._line(form, p + "payer_name", "&Payer" if rank == 1 else "Payer", placeholder="Aetna, BCBS…")
            self._line(form, p + "member_id", "Member ID")
            self._line(form, p + "group_number", "Group number")
            self._line(form, p + "subscriber_name", "Subscriber", placeholder="Leave blank if the client")
            combo = QComboBox(sub)
            for text, value in RELATIONSHIPS:
                combo.addItem(text, value)
            self._add(form, p + "subscriber_relationship", "Relationship to subscriber", combo)
            for key in INSURANCE_FIELDS:  # accessible names say which policy they belong to
                w = self.inputs[p + key]
                w.setAccessibleName(f"{title} insurance {w.accessibleName().lower()}")
            h.addWidget(sub, 1)
        return group

    # -- live rules --------------------------------------------------------------------------

    def _dob_changed(self, text: str) -> None:
        """Show the age as the date is typed, and the guardian section when the client is a minor."""
        today = self._today()
        dob = parse_date(text, today)
        if dob is None or dob > today:
            self.age_note.setText("")
            self.guardian_group.setVisible(False)
            return
        minor = is_minor(dob, today)
        self.age_note.setText(f"Age {age_on(dob, today)}" + (" · minor" if minor else ""))
        self.guardian_group.setVisible(minor)

    @property
    def is_minor(self) -> bool:
        return self.guardian_group.isVisibleTo(self)

    # -- values ------------------------------------------------------------------------------

    def _value(self, key: str) -> object:
        w = self.inputs[key]
        if isinstance(w, QLineEdit):
            return w.text()
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            data = w.currentData()
            return (
                data if (key == "primary_clinician_id" or key.endswith("relationship")) else w.currentText()
            )
        raise TypeError(key)

    def values(self) -> dict[str, object]:
        return {key: self._value(key) for key in self.inputs}

    def mark_saved(self) -> None:
        """What the form holds now counts as saved (after loading or saving)."""
        self._baseline = self.values()

    def has_unsaved_changes(self) -> bool:
        return self.values() != self._baseline

    def to_input(self) -> tuple[ClientInput, dict[str, str]]:
        """The form as a :class:`ClientInput`, and problems the form can tell before asking the service."""
        local: dict[str, str] = {}
        dob_text = self.dob.text().strip()
        dob = parse_date(dob_text, self._today()) if dob_text else None
        if dob_text and dob is None:
            local["dob"] = "Enter the date of birth as MM/DD/YYYY, such as 03/14/1988."
        text = {k: str(self._value(k)) for k in _INPUT_KEYS}
        insurance = []
        for rank in (1, 2):
            values = {f: str(self._value(f"ins{rank}_{f}") or "") for f in INSURANCE_FIELDS}
            insurance.append(InsuranceInput(**values))
        data = ClientInput(
            **text,
            dob=dob,
            primary_clinician_id=self.clinician.currentData(),
            uses_telehealth=bool(self._value("uses_telehealth")),
            primary_insurance=insurance[0],
            secondary_insurance=insurance[1],
        )
        return data, local

    def load(self, client: Client) -> None:
        """Fill the form from a stored record; phones appear in the normalised form the service kept."""
        for key in _INPUT_KEYS:
            value = getattr(client, key) or ""
            if key in PHONE_KEYS:
                value = format_phone(value)
            w = self.inputs[key]
            if isinstance(w, QLineEdit):
                w.setText(value)
            elif isinstance(w, QComboBox):
                _set_combo_text(w, value)
        self.dob.setText(format_date(client.dob))
        index = self.clinician.findData(client.primary_clinician_id)
        if index < 0 and client.primary_clinician_id:
            self.clinician.addItem("(inactive clinician)", client.primary_clinician_id)
            index = self.clinician.count() - 1
        self.clinician.setCurrentIndex(max(0, index))
        check = self.inputs["uses_telehealth"]
        assert isinstance(check, QCheckBox)
        check.setChecked(bool(client.uses_telehealth))
        by_rank = {i.rank: i for i in client.insurances if not i.deleted}
        for rank in (1, 2):
            ins = by_rank.get(rank)
            for f in INSURANCE_FIELDS:
                w = self.inputs[f"ins{rank}_{f}"]
                value = (getattr(ins, f) or "") if ins else ""
                if isinstance(w, QComboBox):
                    w.setCurrentIndex(max(0, w.findData(value or "self")))
                elif isinstance(w, QLineEdit):
                    w.setText(value)
        self.show_errors({})
        self.mark_saved()

    # -- errors ------------------------------------------------------------------------------

    def show_errors(self, fields: dict[str, str]) -> None:
        """Show each message under its field, focus the first bad field; unknown keys go to the banner."""
        placed = {_SECTION_KEYS.get(k, k): v for k, v in fields.items()}
        for key, box in self.boxes.items():
            box.set_error(placed.get(key))
        stray = [v for k, v in placed.items() if k not in self.boxes]
        if fields:
            lead = "Please correct the fields marked in red." if len(stray) < len(placed) else ""
            self.banner.setText("\n".join([lead, *stray]).strip())
            self.banner.show()
        else:
            self.banner.hide()
        first = next((key for key in self.boxes if key in placed), None)
        if first is not None:
            self.boxes[first].target.setFocus()

    def error_for(self, key: str) -> str:
        """The message now shown under ``key`` ('' when none), for tests and screen readers."""
        box = self.boxes[_SECTION_KEYS.get(key, key)]
        return box.error.text() if box.error.isVisibleTo(self) else ""


def _set_combo_text(combo: QComboBox, value: str) -> None:
    index = combo.findText(value)
    if index < 0 and value:
        combo.addItem(value)
        index = combo.count() - 1
    if combo.isEditable() and index < 0:
        combo.setEditText(value)
    else:
        combo.setCurrentIndex(max(0, index))
