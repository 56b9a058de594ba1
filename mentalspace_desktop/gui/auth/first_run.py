"""The first-run wizard: a new practice, its first administrator, their authenticator, backup codes —
or a workstation joining a practice that already runs a hub.

The first page offers both. A solo practice keeps its records on this computer; joining a hub makes an
empty local store, signs in to the hub, waits for an administrator's approval and takes the first copy
of the records (gui/sync/setup_pages.py). Creating a store derives keys with Argon2, so it runs off the
UI thread while the page says what is happening.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mentalspace_desktop.gui.auth.enrollment import EnrollmentPanel
from mentalspace_desktop.gui.qt import (
    QButtonGroup,
    QComboBox,
    QCompleter,
    QFormLayout,
    QLabel,
    QProgressBar,
    QRadioButton,
    Qt,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)
from mentalspace_desktop.gui.widgets.backup_codes import BackupCodesPanel
from mentalspace_desktop.gui.widgets.forms import (
    MessageLabel,
    feedback_label,
    labelled_edit,
    password_feedback,
    repolish,
    set_invalid,
)
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services import totp

DEFAULT_TIME_ZONE = "America/New_York"


def time_zones() -> list[str]:
    from zoneinfo import available_timezones

    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    return zones or [DEFAULT_TIME_ZONE]


def username_problem(name: str) -> str | None:
    name = name.strip()
    if not name:
        return "Choose a user name."
    if not name.replace(".", "").replace("_", "").isalnum():
        return "A user name is letters and digits (dots and underscores allowed)."
    return None


class PracticePage(QWizardPage):
    """How this computer is used: a new solo practice (named here) or a workstation of a hub practice."""

    def __init__(self, wizard: FirstRunWizard | None = None) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Your practice")
        self.setSubTitle("Set up a new practice on this computer, or connect it to the hub your practice "
                         "already uses.")
        form = QFormLayout(self)
        form.setSpacing(12)
        self.solo_radio = QRadioButton("&New practice on this computer (solo practice)")
        self.solo_radio.setAccessibleName("New solo practice on this computer")
        self.solo_radio.setChecked(True)
        solo_hint = QLabel(
            "Solo practice: this computer keeps the practice's records, encrypted. "
            "You can add staff accounts once the practice is set up."
        )
        self.hub_radio = QRadioButton("Connect to my practice's &hub")
        self.hub_radio.setAccessibleName("Connect to my practice's hub")
        hub_hint = QLabel(
            "Your practice already uses MentalSpace with a central hub. This computer gets its own encrypted "
            "copy of the records you may see, once an administrator approves it. You need the hub's "
            "address, your user name and password, and your authenticator app."
        )
        self.mode_group = QButtonGroup(self)
        for radio, hint in ((self.solo_radio, solo_hint), (self.hub_radio, hub_hint)):
            self.mode_group.addButton(radio)
            hint.setWordWrap(True)
            hint.setProperty("role", "hint")
            hint.setContentsMargins(24, 0, 0, 6)
            form.addRow(radio)
            form.addRow(hint)
        self.name_edit = labelled_edit("Practice name", placeholder="e.g. Peachtree Counseling")
        self.zone_combo = QComboBox()
        self.zone_combo.setAccessibleName("Time zone")
        self.zone_combo.setEditable(True)
        self.zone_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self._zones = time_zones()
        self.zone_combo.addItems(self._zones)
        completer = self.zone_combo.completer()
        assert completer is not None
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.zone_combo.setCurrentText(DEFAULT_TIME_ZONE)
        form.addRow("Practice &name:", self.name_edit)
        form.addRow("&Time zone:", self.zone_combo)
        hint = QLabel("Appointments and reports use this time zone.")
        hint.setProperty("role", "hint")
        form.addRow("", hint)
        self.name_edit.textChanged.connect(self.completeChanged)
        self.zone_combo.currentTextChanged.connect(self.completeChanged)
        self.hub_radio.toggled.connect(self._mode_changed)

    def joins_hub(self) -> bool:
        return self.hub_radio.isChecked()

    def _mode_changed(self) -> None:
        for widget in (self.name_edit, self.zone_combo):
            widget.setEnabled(not self.joins_hub())
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        if self.joins_hub():
            return True
        return bool(self.name_edit.text().strip()) and self.zone_combo.currentText() in self._zones

    def nextId(self) -> int:
        if self._wizard is not None and self.joins_hub():
            return self._wizard.hub_page_id
        return super().nextId()


class AdministratorPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Administrator account")
        self.setSubTitle(
            "The person who manages staff accounts and settings. You will sign in with this "
            "user name and password."
        )
        form = QFormLayout(self)
        form.setSpacing(12)
        self.full_name = labelled_edit("Full name", placeholder="e.g. Jordan Lee")
        self.username = labelled_edit("User name", placeholder="e.g. jlee")
        self.password = labelled_edit("Password", password=True)
        self.confirm = labelled_edit("Confirm password", password=True)
        self.feedback = feedback_label()
        form.addRow("&Full name:", self.full_name)
        form.addRow("&User name:", self.username)
        form.addRow("&Password:", self.password)
        form.addRow("&Confirm password:", self.confirm)
        form.addRow("", self.feedback)
        for edit in (self.full_name, self.username, self.password, self.confirm):
            edit.textChanged.connect(self._update)
        self._ok = False
        self._update()

    def _update(self) -> None:
        ok, text = password_feedback(
            self.password.text(),
            self.confirm.text(),
            username=self.username.text().strip(),
            full_name=self.full_name.text(),
        )
        problem = username_problem(self.username.text()) if self.username.text() else None
        set_invalid(self.username, problem is not None)
        set_invalid(self.password, bool(self.password.text()) and not ok and self.confirm.text() == "")
        self.feedback.setText(problem or text)
        self.feedback.setProperty("role", "ok" if ok and not problem else "hint")
        repolish(self.feedback)
        self._ok = (
            ok
            and problem is None
            and bool(self.full_name.text().strip())
            and bool(self.username.text().strip())
        )
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self._ok


class AuthenticatorPage(QWizardPage):
    """Enroll the administrator's phone; "Create practice" then builds the store in the background."""

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Authenticator app")
        self.setSubTitle(
            "Signing in takes your password and a code from your phone, so a stolen "
            "password alone does not open your records."
        )
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Create practice")
        layout = QVBoxLayout(self)
        self.panel = EnrollmentPanel()
        layout.addWidget(self.panel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setAccessibleName("Creating the practice")
        self.progress.hide()
        layout.addWidget(self.progress)
        self.message = MessageLabel()
        layout.addWidget(self.message)
        self.panel.sig_code_changed.connect(lambda _c: self.completeChanged.emit())
        self._busy = False

    def initializePage(self) -> None:
        w = self._wizard
        if not self.panel.secret:
            self.panel.set_account(
                secret=totp.new_secret(),
                username=w.admin_page.username.text().strip(),
                practice=w.practice_page.name_edit.text().strip(),
            )
        self.panel.code_edit.setFocus()

    def isComplete(self) -> bool:
        return self.panel.has_full_code() and not self._busy

    def validatePage(self) -> bool:
        if self._wizard.enrollment is not None:
            return True
        if self.panel.verified_step() is None:
            self.message.show_error(
                "That code does not match. Check that your phone's clock is set "
                "automatically, then enter the code the app shows now."
            )
            return False
        self.message.clear_message()
        self._set_busy(True)
        self._wizard.create_practice(self.panel.secret)
        return False

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.progress.setVisible(busy)
        self.panel.setEnabled(not busy)
        self.completeChanged.emit()

    def creation_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.message.show_exception(exc)

    def creation_done(self) -> None:
        self._set_busy(False)


class BackupCodesPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Backup codes")
        self.setSubTitle("Your practice is ready. One last step: keep these codes.")
        layout = QVBoxLayout(self)
        self.panel = BackupCodesPanel()
        self.panel.sig_confirmed_changed.connect(lambda _b: self.completeChanged.emit())
        layout.addWidget(self.panel)

    def isComplete(self) -> bool:
        return self.panel.is_confirmed()


class FirstRunWizard(QWizard):
    """Set up a new practice on this computer; ``enrollment`` holds the signed-in session at the end."""

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.enrollment: Any = None  # services.accounts.Enrollment once created
        self.first_device: Any = None  # sync.first_device.FirstDevice when joining a hub
        self.setWindowTitle("Set up MentalSpace")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.setMinimumSize(720, 560)
        self.practice_page = PracticePage(self)
        self.admin_page = AdministratorPage()
        self.auth_page = AuthenticatorPage(self)
        self.codes_page = BackupCodesPage()
        for page in (self.practice_page, self.admin_page, self.auth_page, self.codes_page):
            self.addPage(page)
        self._add_hub_pages()
        self.setButtonText(QWizard.WizardButton.FinishButton, "Open MentalSpace")

    # -- joining a practice hub ----------------------------------------------------------------

    def _add_hub_pages(self) -> None:
        from mentalspace_desktop.gui.sync.setup_pages import (
            ApprovalPage,
            FirstSyncPage,
            HubSignInPage,
            ResumePage,
        )

        self.hub_page = HubSignInPage(self)
        self.resume_page = ResumePage(self)
        self.approval_page = ApprovalPage(self)
        self.first_sync_page = FirstSyncPage(self)
        self.hub_page_id = self.addPage(self.hub_page)
        self.approval_page_id = self.addPage(self.approval_page)
        self.first_sync_page_id = self.addPage(self.first_sync_page)
        self.resume_page_id = self.addPage(self.resume_page)
        self.resume_page.nextId = lambda: self.approval_page_id  # type: ignore[method-assign]
        self.first_sync_page.nextId = lambda: -1  # type: ignore[method-assign]
        self.codes_page.nextId = lambda: -1  # type: ignore[method-assign]  # the solo path ends here
        if (self.data_dir / "first-sync.pending").exists():  # sync.first_device.MARKER_NAME
            self.setStartId(self.resume_page_id)

    def connect_to_hub(self, *, url: str, username: str, password: str, code: str, device_name: str) -> None:
        def work() -> Any:
            from mentalspace_desktop.store.files import StoreFiles
            from mentalspace_desktop.sync.first_device import connect_new_store

            return connect_new_store(StoreFiles(self.data_dir), hub_url=url, username=username,
                                     password=password, code=code, device_name=device_name)

        run_in_background(self, work, on_done=self._hub_connected, on_error=self.hub_page.connect_failed)

    def _hub_connected(self, device: Any) -> None:
        self.first_device = device
        self.hub_page.connected()
        self.next()

    def resume_setup(self, *, username: str, password: str) -> None:
        def work() -> Any:
            from mentalspace_desktop.store.files import StoreFiles
            from mentalspace_desktop.sync.first_device import resume

            return resume(StoreFiles(self.data_dir), username=username, password=password)

        run_in_background(self, work, on_done=self._resumed, on_error=self.resume_page.failed)

    def _resumed(self, device: Any) -> None:
        self.first_device = device
        self.resume_page.opened()
        self.next()

    def _release_device(self) -> None:
        """Close the store and hub client of a joining workstation (the sign-in opens them again)."""
        if self.first_device is not None:
            from mentalspace_desktop.gui.workers import wait_for_background_work

            self.first_sync_page.stop()
            wait_for_background_work(30_000)
            self.first_device.close()
            self.first_device = None

    def done(self, result: int) -> None:
        self._release_device()
        super().done(result)

    def create_practice(self, secret: str) -> None:
        practice = self.practice_page.name_edit.text().strip()
        zone = self.practice_page.zone_combo.currentText()
        admin = self.admin_page
        full_name, username, password = (
            admin.full_name.text().strip(),
            admin.username.text().strip(),
            admin.password.text(),
        )

        def work() -> Any:
            from mentalspace_desktop.domain.roles import Role
            from mentalspace_desktop.services.accounts import Authenticator, NewUser
            from mentalspace_desktop.store.files import StoreFiles

            return Authenticator(StoreFiles(self.data_dir)).create_practice(
                practice_name=practice,
                time_zone=zone,
                admin=NewUser(username, full_name, Role.ADMIN, password),
                totp_secret=secret,
            )

        run_in_background(self, work, on_done=self._created, on_error=self.auth_page.creation_failed)

    def _created(self, enrollment: Any) -> None:
        self.enrollment = enrollment
        self.auth_page.creation_done()
        self.codes_page.panel.set_codes(enrollment.backup_codes, owner=enrollment.session.actor.username)
        self.next()

    def reject(self) -> None:
        if self.enrollment is not None:  # the practice exists: leaving now would skip the codes
            return
        super().reject()  # a joining workstation keeps its progress: the next start continues it
