"""A QR code drawn module by module with QPainter, from the ``qrcode`` library's matrix.

Drawing the matrix ourselves keeps PIL out of the application and gives a crisp code at any size.
The code is always dark on white, whatever the theme: phone cameras need that contrast.
"""

from __future__ import annotations

from mentalspace_desktop.gui.qt import QColor, QPainter, QPaintEvent, QRect, QSize, QWidget

QUIET_ZONE = 4  # modules of white border the QR specification asks for


def qr_matrix(data: str) -> list[list[bool]]:
    """The modules of ``data``'s QR code (True = dark), without the quiet zone."""
    import qrcode  # imported on first use: start-up does not need it

    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


class QrCodeWidget(QWidget):
    """Shows one QR code, scaled to the largest whole number of pixels per module that fits."""

    def __init__(self, data: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._matrix: list[list[bool]] = []
        self.setMinimumSize(QSize(180, 180))
        self.setAccessibleName("QR code for your authenticator app")
        if data:
            self.set_data(data)

    def set_data(self, data: str) -> None:
        self._matrix = qr_matrix(data) if data else []
        self.setAccessibleDescription("Scan this with an authenticator app to add your account.")
        self.update()

    def matrix(self) -> list[list[bool]]:
        return self._matrix

    def sizeHint(self) -> QSize:
        return QSize(220, 220)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        side = min(self.width(), self.height())
        origin_x = (self.width() - side) // 2
        origin_y = (self.height() - side) // 2
        painter.fillRect(QRect(origin_x, origin_y, side, side), QColor("#ffffff"))
        if not self._matrix:
            painter.end()
            return
        count = len(self._matrix) + 2 * QUIET_ZONE
        module = max(1, side // count)
        offset_x = origin_x + (side - module * count) // 2 + QUIET_ZONE * module
        offset_y = origin_y + (side - module * count) // 2 + QUIET_ZONE * module
        dark = QColor("#000000")
        for y, row in enumerate(self._matrix):
            for x, on in enumerate(row):
                if on:
                    painter.fillRect(offset_x + x * module, offset_y + y * module, module, module, dark)
        painter.end()
