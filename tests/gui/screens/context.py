"""The demo practice the screen check opens every screen with, and the handles a screen opener needs."""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyotp
import shiboken6
from PySide6.QtCore import QEventLoop
from sqlalchemy import func, select

from mentalspace_desktop.gui.main_window import MainWindow
from mentalspace_desktop.gui.qt import QApplication, QTimer, QWidget
from mentalspace_desktop.services.accounts import AccountService, Authenticator
from mentalspace_desktop.services.demo import LOGINS_FILE, create_demo_practice, write_logins_file
from mentalspace_desktop.services.session import Actor, UserSession
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.models import Client, Insurance

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.gui.screens.practice_hub import PracticeOnHub

try:
    import fcntl
except ImportError:  # Windows: no shared build, each process builds its own demo
    fcntl = None  # type: ignore[assignment]

SIZE = (1280, 800)
BUILT = "built"  # written last: the demo in the folder is complete


def locking() -> bool:
    """Whether processes can take turns on a file (to build one demo for all of them)."""
    return fcntl is not None


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)


def build_demo_once(root: Path) -> Path:
    """The demo practice in ``root``/screens-demo, built by the first process to ask and never changed
    after (each process works on its own copy)."""
    folder = root / "screens-demo"
    with _locked(root / "screens-demo.lock"):
        if not (folder / BUILT).exists():
            shutil.rmtree(folder, ignore_errors=True)  # a build interrupted part-way
            data_dir = folder / "demo"
            write_logins_file(data_dir, create_demo_practice(data_dir))
            (folder / BUILT).write_text("ok", encoding="utf-8")
    return folder / "demo"


def copy_demo(built: Path, target: Path) -> Path:
    """A copy of the demo of one's own: signing in and opening records write to the store."""
    shutil.copytree(built, target)
    return target


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    password: str
    secret: str


def read_logins(data_dir: Path) -> dict[str, Login]:
    """The first demo login of each role (``demo-logins.txt``: a header, then tab-separated lines)."""
    lines = (data_dir / LOGINS_FILE).read_text(encoding="utf-8").splitlines()[1:]
    found: dict[str, Login] = {}
    for line in lines:
        user, role, password, secret = line.split("\t")
        found.setdefault(role, Login(user, role, password, secret))
    return found


class ScreenContext:
    """Signed-in sessions of the demo practice, by role, and the windows opened for one screen."""

    def __init__(self, data_dir: Path, *, later: float = 0.0) -> None:
        """``later``: sign in as of that many seconds from now (a one-time code is accepted once, so
        the scaled run's child process uses the next code, not the one its parent used)."""
        self.data_dir = data_dir
        self.logins = read_logins(data_dir)
        admin = self.logins["admin"]
        auth = Authenticator(StoreFiles(data_dir))
        pending = auth.begin(admin.username, admin.password)
        at = time.time() + later
        self.admin: UserSession = auth.complete(pending, pyotp.TOTP(admin.secret).at(at), now=at)
        views = {u.username: u for u in AccountService(self.admin).list_users()}
        self._sessions: dict[str, UserSession] = {"admin": self.admin}
        for role, login in self.logins.items():
            if role != "admin":
                v = views[login.username]
                # the practice's clinical key, as this person's own key slot gives it at sign-in (the
                # session opens clinical text only for roles that may read it)
                self._sessions[role] = UserSession(self.admin.store, self.admin.slots,
                                                   Actor(v.id, v.username, v.full_name, v.role), self.admin.events,
                                                   clinical_key=self.admin.clinical_key)
        self._opened: list[QWidget] = []
        self._hub: PracticeOnHub | None = None

    @property
    def hub(self) -> PracticeOnHub:
        """The practice on a real hub (given to the context for the screens registered with ``hub=True``)."""
        assert self._hub is not None, "only a screen registered with hub=True may open ctx.hub"
        return self._hub

    @hub.setter
    def hub(self, practice: PracticeOnHub | None) -> None:
        self._hub = practice

    def session(self, role: str) -> UserSession:
        return self._sessions[role]

    def keep(self, widget: Any) -> Any:
        """Close ``widget`` once the screen has been checked."""
        self._opened.append(widget)
        return widget

    def main_window(self, role: str, page: str | None = None) -> MainWindow:
        window = MainWindow(self.session(role))
        self._opened.append(window)
        window.resize(*SIZE)
        window.show()
        if page is not None:
            window.show_page(page)
        settle()  # the page's first load (lists come from the background)
        return window

    def client_for(self, role: str) -> str:
        """A client this role may open, with two insurance cards when there is one (the widest chart)."""
        session = self.session(role)
        with self.admin.store.read() as s:
            q = select(Client.id).where(Client.deleted.is_(False), Client.status == "active")
            if role in ("clinician",):
                q = q.where(Client.primary_clinician_id == session.actor.user_id)
            two_cards = (select(Insurance.client_id).where(Insurance.deleted.is_(False))
                         .group_by(Insurance.client_id).having(func.count() >= 2))
            found = s.scalar(q.where(Client.id.in_(two_cards)).order_by(Client.chart_number).limit(1))
            found = found or s.scalar(q.order_by(Client.chart_number).limit(1))
        assert found, f"the demo has no active client {role} may open"
        return found

    def close(self) -> None:
        opened, self._opened = self._opened, []
        for widget in reversed(opened):
            if not shiboken6.isValid(widget):  # a dialog deleted on close with its window, or by itself
                continue
            closer = getattr(widget, "close_for_sign_out", None)
            if closer is not None:
                closer()
            else:
                widget.close()
            widget.deleteLater()

    def shut(self) -> None:
        self.close()
        self.admin.close()


def settle() -> None:
    """Let background loads finish and their answers reach the widgets."""
    from mentalspace_desktop.gui.workers import wait_for_background_work

    for _ in range(3):
        wait_for_background_work(20_000)
        QApplication.processEvents()


def wait_for(signals: Any, done: Callable[[], bool], *, what: str, timeout_ms: int = 30_000) -> None:
    """Run the event loop until ``done()`` holds, waking on each of ``signals`` (never a fixed sleep)."""
    if done():
        return
    signals = signals if isinstance(signals, list | tuple) else [signals]
    loop = QEventLoop()
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    for signal in signals:
        signal.connect(loop.quit)
    timer.start(timeout_ms)
    try:
        while not done() and timer.isActive():
            loop.exec()
    finally:
        for signal in signals:
            signal.disconnect(loop.quit)
    assert done(), f"waited {timeout_ms / 1000:.0f} s for {what}"


def tidy() -> None:
    """What the GUI tests' ``_drain_background_work`` does after each test, for the 1.5x child process:
    background work done, every top-level window deleted."""
    from mentalspace_desktop.gui.qt import QCoreApplication, QEvent
    from mentalspace_desktop.gui.workers import wait_for_background_work

    wait_for_background_work(20_000)
    QApplication.processEvents()
    for window in QApplication.topLevelWidgets():
        window.hide()
        window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
