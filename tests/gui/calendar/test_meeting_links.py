""""Join" opens a telehealth link in the browser, and nothing else: a link that came in some other
way (synced from another workstation, saved before links were checked) naming a file or another
kind of address is not opened. Qt's own URL handlers stand in for the browser and the file manager."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mentalspace_desktop.gui.calendar.common import open_meeting
from mentalspace_desktop.gui.qt import QDesktopServices, QObject, QUrl, Slot

pytestmark = [pytest.mark.gui]


class _Opened(QObject):
    """Receives what QDesktopServices would hand to the system."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def take(self, url: QUrl) -> None:
        self.urls.append(url.toString())


@pytest.fixture
def opened(qtbot: object) -> Iterator[_Opened]:
    receiver = _Opened()
    schemes = ("https", "http", "file", "javascript", "zoommtg")
    for scheme in schemes:
        QDesktopServices.setUrlHandler(scheme, receiver, "take")
    yield receiver
    for scheme in schemes:
        QDesktopServices.unsetUrlHandler(scheme)


def test_join_opens_only_a_web_meeting_link(opened: _Opened) -> None:
    for link in ("file:///C:/Windows/System32/calc.exe", "javascript:alert(1)", "http://meet.example/x",
                 "zoommtg://zoom.us/join?confno=1"):
        open_meeting(link)
    assert opened.urls == []
    open_meeting(" https://meet.example/room-7 ")
    assert opened.urls == ["https://meet.example/room-7"]
