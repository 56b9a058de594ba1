"""Adding an authenticator app: the QR code, the secret typed by hand, and a code to prove it works.

Used by the first-run wizard (the first administrator) and by the sign-in dialog (staff signing in
for the first time), so both explain it in the same words.
"""

from __future__ import annotations

from mentalspace_desktop.gui.qt import QHBoxLayout, QLabel, Qt, QVBoxLayout, QWidget, Signal
from mentalspace_desktop.gui.widgets.forms import labelled_edit
from mentalspace_desktop.gui.widgets.qr import QrCodeWidget
from mentalspace_desktop.services import totp


def grouped_secret(secret: str) -> str:
    """The secret in groups of four, the way authenticator apps ask for it when typed by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


class EnrollmentPanel(QWidget):
    sig_code_changed = Signal(str)
    """The code field changed (digits only, as typed)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._secret = ""
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(20)
        self.qr = QrCodeWidget()
        self.qr.setFixedSize(210, 210)
        outer.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignTop)
        right_host = QWidget()
        right_host.setMinimumWidth(340)
        right = QVBoxLayout(right_host)
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(8)
        steps = QLabel(
            "1. Open an authenticator app on your phone (Google Authenticator, Microsoft Authenticator, "
            "1Password, Authy…).\n2. Scan the QR code — or type the key below.\n"
            "3. Enter the 6-digit code the app shows."
        )
        steps.setWordWrap(True)
        right.addWidget(steps)
        key_caption = QLabel("Key (if you cannot scan):")
        key_caption.setProperty("role", "hint")
        right.addWidget(key_caption)
        self.secret_label = QLabel()
        self.secret_label.setObjectName("secretText")
        self.secret_label.setWordWrap(True)
        self.secret_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.secret_label.setAccessibleName("Authenticator key")
        right.addWidget(self.secret_label)
        code_caption = QLabel("&Code from the app:")
        right.addWidget(code_caption)
        self.code_edit = labelled_edit("Code from the authenticator app", placeholder="6 digits")
        self.code_edit.setMaxLength(7)
        self.code_edit.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        self.code_edit.setMaximumWidth(180)
        code_caption.setBuddy(self.code_edit)
        self.code_edit.textChanged.connect(lambda t: self.sig_code_changed.emit(t.replace(" ", "")))
        right.addWidget(self.code_edit)
        right.addStretch(1)
        outer.addWidget(right_host, 1)

    def set_account(self, *, secret: str, username: str, practice: str) -> None:
        self._secret = secret
        self.qr.set_data(totp.provisioning_uri(secret, username=username, practice=practice))
        self.secret_label.setText(grouped_secret(secret))
        self.code_edit.clear()

    @property
    def secret(self) -> str:
        return self._secret

    def code(self) -> str:
        return self.code_edit.text().replace(" ", "").strip()

    def has_full_code(self) -> bool:
        code = self.code()
        return len(code) == 6 and code.isdigit()

    def verified_step(self) -> int | None:
        """The time step the typed code proves, or None: the app and this computer must agree."""
        return totp.matching_step(self._secret, self.code()) if self._secret else None
