"""Form helpers every screen uses: inline messages, field states, page headers, confirmations.

Errors are shown next to what caused them (a receptionist should not have to dismiss a dialog to
retry a password), so most screens share :class:`MessageLabel` instead of message boxes.
"""

from __future__ import annotations

from mentalspace_desktop.errors import MentalSpaceError, ValidationError
from mentalspace_desktop.gui.qt import (
    QAbstractItemView,
    QEvent,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QObject,
    QPushButton,
    QResizeEvent,
    QSize,
    QSizePolicy,
    Qt,
    QVBoxLayout,
    QWidget,
)


def repolish(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


def set_invalid(widget: QWidget, invalid: bool) -> None:
    if bool(widget.property("invalid")) != invalid:
        widget.setProperty("invalid", invalid)
        repolish(widget)


class _DefaultWhenShown(QObject):
    """Makes a button its dialog's default each time it is shown.

    ``setDefault`` only registers with the dialog when the button already belongs to it, and a
    multi-step dialog needs the default to follow the visible step; doing it on show covers both.
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and isinstance(watched, QPushButton):
            watched.setDefault(False)
            watched.setDefault(True)
        return False


def primary(button: QPushButton) -> QPushButton:
    """Mark the one main action of a screen (accent colour, pressed by Enter)."""
    button.setProperty("primary", True)
    button.setAutoDefault(True)
    button.installEventFilter(_DefaultWhenShown(button))
    repolish(button)
    return button


def labelled_edit(name: str, *, password: bool = False, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setAccessibleName(name)
    if password:
        edit.setEchoMode(QLineEdit.EchoMode.Password)
    if placeholder:
        edit.setPlaceholderText(placeholder)
    return edit


class MessageLabel(QLabel):
    """An inline message under a form: hidden until there is something to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setAccessibleName("Message")
        self.hide()

    def _show(self, text: str, role: str) -> None:
        self.setText(text)
        self.setProperty("role", role)
        self.setAccessibleDescription(text)
        repolish(self)
        self.setVisible(bool(text))

    def show_error(self, text: str) -> None:
        self._show(text, "error")

    def show_ok(self, text: str) -> None:
        self._show(text, "ok")

    def show_hint(self, text: str) -> None:
        self._show(text, "hint")

    def show_exception(self, exc: BaseException) -> None:
        """Words for the person at the desk; an unexpected error is logged by the central handler."""
        if isinstance(exc, ValidationError):
            self.show_error("\n".join(exc.fields.values()) or exc.message)
        elif isinstance(exc, MentalSpaceError):
            from mentalspace_desktop.gui.errors import error_text

            self.show_error(error_text(exc))
        else:
            from mentalspace_desktop.gui.errors import user_message

            self.show_error(user_message(exc)[1])

    def clear_message(self) -> None:
        self._show("", "hint")


def page_header(title: str, subtitle: str = "") -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 8)
    layout.setSpacing(2)
    heading = QLabel(title)
    heading.setObjectName("pageTitle")
    heading.setAccessibleName(title)
    layout.addWidget(heading)
    if subtitle:
        sub = QLabel(subtitle)
        sub.setObjectName("pageSubtitle")
        sub.setWordWrap(True)
        layout.addWidget(sub)
    return box


def button_row(*buttons: QWidget, stretch_first: bool = True) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(8)
    if stretch_first:
        row.addStretch(1)
    for b in buttons:
        row.addWidget(b)
    if not stretch_first:
        row.addStretch(1)
    return row


def feedback_label() -> QLabel:
    """Live feedback under a password field; keeps room for two lines so the form does not jump."""
    label = QLabel()
    label.setWordWrap(True)
    label.setAccessibleName("Password feedback")
    label.setMinimumHeight(label.fontMetrics().lineSpacing() * 2 + 6)
    return label


def password_feedback(
    password: str, confirm: str, *, username: str = "", full_name: str = ""
) -> tuple[bool, str]:
    """(acceptable, what to tell the user) for a new password typed twice, checked as the service will."""
    from mentalspace_desktop.services.accounts import check_password

    if not password:
        return False, "At least 12 characters. A few unrelated words make a strong, memorable password."
    try:
        check_password(password, username=username, full_name=full_name)
    except ValidationError as exc:
        return False, exc.message
    if confirm != password:
        return (
            False,
            "Strong password. Type it again below to confirm."
            if not confirm
            else "The two passwords differ.",
        )
    return True, "Strong password, confirmed."


def ask(parent: QWidget | None, title: str, text: str, yes_text: str) -> bool:
    """A yes/no confirmation for actions that cannot be undone. Tests replace this function."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    yes = box.addButton(yes_text, QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes)
    box.exec()
    return box.clickedButton() is yes


def tell(parent: QWidget | None, title: str, text: str) -> None:
    """An information box the user must acknowledge. Tests replace this function."""
    QMessageBox.information(parent, title, text)


class ElidingLabel(QLabel):
    """One line that shortens with "…" when the column is narrow (the whole text in its tooltip), so a
    long e-mail address does not push a chart sideways behind a scrollbar."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802
        self._full = text
        self._elide()

    def full_text(self) -> str:
        return self._full

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(40, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + 4, super().sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle, max(self.width(), 40))
        super().setText(shown)
        self.setToolTip(self._full if shown != self._full else "")
        self.setAccessibleDescription(self._full)


class EmptyState(QLabel):
    """A table's "nothing here" message, drawn over its empty viewport and hidden once rows arrive.

    Every table says why it is empty ("No consents on file.") instead of showing a blank grid; the
    screen check (tests/gui/screens) fails on an empty table without one.
    """

    def __init__(self, view: QAbstractItemView, text: str) -> None:
        super().__init__(text, view.viewport())
        self.setObjectName("emptyState")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setProperty("role", "hint")  # the theme's muted colour, 4.5:1
        self.setContentsMargins(12, 18, 12, 12)
        self._view = view
        view.viewport().installEventFilter(self)
        model = view.model()
        assert model is not None, "set the view's model before its empty state"
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.layoutChanged):
            signal.connect(self.update_visibility)
        self.update_visibility()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize:
            self.setGeometry(self._view.viewport().rect())
        return False

    def update_visibility(self, *_args: object) -> None:
        model = self._view.model()
        empty = model is not None and model.rowCount() == 0
        self.setGeometry(self._view.viewport().rect())
        self.setVisible(empty and bool(self.text()))


def empty_state(view: QAbstractItemView, text: str) -> EmptyState:
    return EmptyState(view, text)
