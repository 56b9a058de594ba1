"""The sheet of one-time backup codes, shown once after enrolling an authenticator.

The codes are never shown again, so the panel insists on a confirmation that they were stored and
offers ways to keep them that do not involve a screenshot: a text file, a printout, the clipboard.
"""

from __future__ import annotations

from pathlib import Path

from mentalspace_desktop.gui.qt import (
    QCheckBox,
    QFileDialog,
    QFont,
    QFontMetrics,
    QFrame,
    QGridLayout,
    QGuiApplication,
    QLabel,
    QPushButton,
    Qt,
    QTextDocument,
    QVBoxLayout,
    QWidget,
    Signal,
    print_support,
)
from mentalspace_desktop.gui.widgets.forms import MessageLabel, button_row
from mentalspace_desktop.store.files import open_private


class BackupCodesPanel(QWidget):
    sig_confirmed_changed = Signal(bool)
    """The "I have stored these codes" box was ticked or cleared."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._codes: list[str] = []
        self._owner = ""
        self._mono = QFont("DejaVu Sans Mono")
        self._mono.setStyleHint(QFont.StyleHint.Monospace)
        self._mono.setPointSizeF(12)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        intro = QLabel(
            "If you lose your phone, each of these codes signs you in once instead of the authenticator "
            "code. Keep them somewhere safe and private — they will not be shown again."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self._grid_host = QFrame()
        self._grid_host.setObjectName("card")
        self._grid = QGridLayout(self._grid_host)
        self._grid.setContentsMargins(18, 14, 18, 14)
        self._grid.setHorizontalSpacing(36)
        self._grid.setVerticalSpacing(6)
        layout.addWidget(self._grid_host)
        self.save_button = QPushButton("Save to file…")
        self.save_button.setAccessibleName("Save backup codes to a file")
        self.save_button.clicked.connect(self._choose_file)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setAccessibleName("Copy backup codes to the clipboard")
        self.copy_button.clicked.connect(self.copy)
        buttons: list[QWidget] = [self.save_button]
        self.print_button: QPushButton | None = None
        if print_support() is not None:
            self.print_button = QPushButton("Print…")
            self.print_button.setAccessibleName("Print backup codes")
            self.print_button.clicked.connect(self._print)
            buttons.append(self.print_button)
        buttons.append(self.copy_button)
        layout.addLayout(button_row(*buttons, stretch_first=False))
        self.message = MessageLabel()
        layout.addWidget(self.message)
        self.confirm = QCheckBox("I have stored these codes")
        self.confirm.setAccessibleName("I have stored these codes")
        self.confirm.toggled.connect(self.sig_confirmed_changed.emit)
        layout.addWidget(self.confirm)
        layout.addStretch(1)

    def set_codes(self, codes: list[str], *, owner: str) -> None:
        self._codes = list(codes)
        self._owner = owner
        self.confirm.setChecked(False)
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        half = (len(codes) + 1) // 2
        for i, code in enumerate(codes):
            label = QLabel(f"{i + 1:>2}.  {code}")
            label.setObjectName("codeList")
            label.setFont(self._mono)
            label.setMinimumHeight(QFontMetrics(self._mono).lineSpacing() + 4)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._grid.addWidget(label, i % half, i // half)
        self.setAccessibleDescription("Backup codes: " + ", ".join(codes))

    def codes(self) -> list[str]:
        return list(self._codes)

    def is_confirmed(self) -> bool:
        return self.confirm.isChecked()

    def as_text(self) -> str:
        lines = [f"MentalSpace backup codes for {self._owner}", "Each code works once.", ""]
        lines += [f"{i + 1:>2}. {c}" for i, c in enumerate(self._codes)]
        return "\n".join(lines) + "\n"

    def save_to(self, path: Path) -> None:
        with open_private(path, "w", encoding="utf-8") as handle:  # the codes stand in for the phone
            handle.write(self.as_text())
        self.message.show_ok(f"Saved to {path}.")

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.as_text())
        self.message.show_ok("Copied. Paste them into your password manager, then clear the clipboard.")

    def _choose_file(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Save backup codes", "mentalspace-backup-codes.txt", "Text files (*.txt)"
        )
        if name:
            try:
                self.save_to(Path(name))
            except OSError as exc:
                self.message.show_error(f"Could not save the file: {exc.strerror or exc}.")

    def _print(self) -> None:
        module = print_support()
        if module is None:
            return
        printer = module.QPrinter()
        dialog = module.QPrintDialog(printer, self)
        if dialog.exec():
            doc = QTextDocument()
            doc.setPlainText(self.as_text())
            doc.print_(printer)
            self.message.show_ok("Sent to the printer.")
