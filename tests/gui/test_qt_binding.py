"""The Qt binding must not leak references: PySide6 6.12.0 dropped one from None per void call,
and a session of ordinary use then aborted the app ("Fatal Python error: none_dealloc")."""

from __future__ import annotations

import sys

from mentalspace_desktop.gui.qt import QObject


def test_void_calls_leave_none_alone(qapp: object) -> None:
    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(2000):
        obj.setObjectName("x")
    assert abs(sys.getrefcount(None) - before) < 50
