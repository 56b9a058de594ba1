"""The main window: navigation by role, the pages, menus, shortcuts, status bar and the idle lock.

Only what the signed-in role may use is listed (the services check again: hiding is a courtesy, not
the protection). Pages are built the first time they are opened so the window appears quickly.
In practice mode (the store is connected to a hub) a sync controller runs for the session, the status
bar shows its indicator and a Sync menu and the sync pages appear; a solo store shows nothing of sync.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from mentalspace_desktop.domain.alerts import Severity
from mentalspace_desktop.domain.roles import Action, Resource, allows_any
from mentalspace_desktop.gui import theme
from mentalspace_desktop.gui.auth.idle_lock import IdleWatcher, ScreenLocker
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.localtime import set_practice_zone
from mentalspace_desktop.gui.qt import (
    QAction,
    QActionGroup,
    QApplication,
    QCloseEvent,
    QFrame,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.gui.workers import run_in_background
from mentalspace_desktop.services.accounts import PracticeService
from mentalspace_desktop.services.dashboards import dashboard_kind
from mentalspace_desktop.services.session import UserSession

if TYPE_CHECKING:
    from mentalspace_desktop.gui.sync.controller import PulledChanges, SyncController

log = logging.getLogger(__name__)


class NavId:
    TODAY = "today"
    SCHEDULE = "schedule"
    WAITLIST = "waitlist"
    GROUPS = "groups"
    MESSAGES = "messages"
    HOURS = "hours"
    TYPES = "types"
    REMINDERS = "reminders"
    CLIENTS = "clients"
    MY_NOTES = "my_notes"
    DASHBOARD = "dashboard"
    SUPERVISION = "supervision"
    ALERTS = "alerts"
    DATA_QUALITY = "data_quality"
    USERS = "users"
    AUDIT = "audit"
    SETTINGS = "settings"
    CHARTING_SETTINGS = "charting_settings"
    MESSAGING = "messaging"
    SYNC = "sync"
    CONFLICTS = "conflicts"
    DEVICES = "devices"
    HUB_LOG = "hub_log"


SCHEDULE_TABLES = frozenset({"appointments", "busy_blocks", "appointment_series", "time_off", "provider_availability",
                             "waitlist_entries", "waitlist_offers", "therapy_groups", "group_members",
                             "group_attendance", "appointment_types", "rooms", "locations"})
"""Pulled rows of these tables refresh the open schedule screens (their changes have no service event
on this workstation: another one made them)."""
SCHEDULE_PAGES = (NavId.TODAY, NavId.SCHEDULE, NavId.WAITLIST, NavId.GROUPS, NavId.HOURS)


def page_shortcut(index: int) -> str | None:
    """Ctrl+1 … Ctrl+9, then Ctrl+0 for a tenth page (a key sequence has no "Ctrl+10"); none after."""
    if index < 9:
        return f"Ctrl+{index + 1}"
    return "Ctrl+0" if index == 9 else None


@dataclass(frozen=True)
class NavEntry:
    id: str
    label: str
    resource: Resource | None  # None: every role
    action: Action
    # A further condition for a screen not every role with the resource has yet (billing's
    # revenue-cycle dashboard comes with billing).
    offered: Callable[[UserSession], bool] | None = None


def _has_supervision(session: UserSession) -> bool:
    from mentalspace_desktop.services.supervision import has_supervision

    return has_supervision(session)


NAV_ENTRIES = (
    NavEntry(NavId.TODAY, "Today", Resource.SCHEDULE, Action.READ),
    NavEntry(NavId.SCHEDULE, "Schedule", Resource.SCHEDULE_BUSY_FREE, Action.READ),
    NavEntry(NavId.WAITLIST, "Waitlist", Resource.SCHEDULE, Action.WRITE),
    NavEntry(NavId.GROUPS, "Groups", Resource.SCHEDULE, Action.WRITE),
    NavEntry(NavId.MESSAGES, "Messages", Resource.SCHEDULE, Action.WRITE),
    NavEntry(NavId.CLIENTS, "Clients", Resource.DEMOGRAPHICS, Action.READ),
    NavEntry(NavId.MY_NOTES, "My notes", Resource.NOTE_CONTENT, Action.WRITE),
    NavEntry(NavId.DASHBOARD, "Dashboard", Resource.DASHBOARD, Action.READ,
             offered=lambda session: dashboard_kind(session) is not None),
    NavEntry(NavId.ALERTS, "Alerts", Resource.ALERTS, Action.READ),
    NavEntry(NavId.DATA_QUALITY, "Data quality", Resource.ALERTS, Action.READ),
    NavEntry(NavId.HOURS, "Hours and time off", Resource.SCHEDULE, Action.WRITE),
    NavEntry(NavId.TYPES, "Appointment types", Resource.ADMINISTRATION, Action.WRITE),
    NavEntry(NavId.REMINDERS, "Reminders", Resource.ADMINISTRATION, Action.WRITE),
    NavEntry(NavId.USERS, "Users", Resource.ADMINISTRATION, Action.WRITE),
    NavEntry(NavId.AUDIT, "Audit log", Resource.AUDIT_LOG, Action.READ),
    # After the pages people already reach by Ctrl+number, so their shortcuts stay as they were.
    NavEntry(NavId.SUPERVISION, "Supervision log", Resource.SUPERVISION, Action.READ,
             offered=lambda session: _has_supervision(session)),
    NavEntry(NavId.SETTINGS, "Practice settings", Resource.ADMINISTRATION, Action.WRITE),
    NavEntry(NavId.CHARTING_SETTINGS, "Charting settings", Resource.ADMINISTRATION, Action.WRITE),
    NavEntry(NavId.MESSAGING, "Messaging settings", Resource.ADMINISTRATION, Action.WRITE),
)


SYNC_NAV_ENTRIES = (
    NavEntry(NavId.SYNC, "Sync", None, Action.READ),
    NavEntry(NavId.CONFLICTS, "Conflicts", None, Action.READ),
    NavEntry(NavId.DEVICES, "Devices", Resource.ADMINISTRATION, Action.WRITE),
    NavEntry(NavId.HUB_LOG, "All devices' sync log", Resource.ADMINISTRATION, Action.WRITE),
)


def nav_entries_for(session: UserSession, *, practice_mode: bool = False) -> list[NavEntry]:
    entries = NAV_ENTRIES + (SYNC_NAV_ENTRIES if practice_mode else ())
    return [e for e in entries
            if (e.resource is None or allows_any(session.actor.role, e.resource, e.action))
            and (e.offered is None or e.offered(session))]


class NoticeBar(QFrame):
    """One line across the top of the window with a "How to fix" link and a Dismiss button."""

    sig_help_requested = Signal()
    """The "How to fix" link was followed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.help = ("", "")
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 6, 8, 6)
        self.text = QLabel(self)
        self.text.setObjectName("noticeText")
        self.text.setWordWrap(True)
        self.link = QLabel("<a href='#how-to-fix'>How to fix…</a>", self)
        self.link.setObjectName("noticeLink")
        self.link.setAccessibleName("How to fix")
        self.link.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                          | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.link.linkActivated.connect(lambda _href: self.sig_help_requested.emit())
        self.dismiss = QPushButton("Dismiss", self)
        self.dismiss.setAccessibleName("Dismiss this notice")
        self.dismiss.clicked.connect(self.hide)
        row.addWidget(self.text, 1)
        row.addWidget(self.link)
        row.addWidget(self.dismiss)
        self.hide()

    def show_notice(self, text: str, help_title: str, help_html: str) -> None:
        self.text.setText(text)
        self.help = (help_title, help_html)
        self.show()


class MainWindow(QMainWindow):
    sig_sign_out_requested = Signal()
    """The user chose to sign out (unsaved changes were already confirmed)."""
    sig_closed_by_user = Signal()
    """The user closed the window (Quit): the application should end."""
    sig_device_revoked = Signal(str)
    """The hub revoked this workstation (its keys are gone): sign out, showing these words."""

    def __init__(self, session: UserSession, parent: QWidget | None = None, *,
                 sync_controller: SyncController | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.bridge = EventBridge(session.events, self)
        self._force_close = False
        self._shut_down = False
        self._pages: dict[str, QWidget] = {}
        practice = PracticeService(session).practice()
        set_practice_zone(practice.time_zone)
        self.practice_name = practice.name
        self.setWindowTitle(practice.name)  # Qt adds " — MentalSpace" (the display name) once
        self.resize(1280, 800)
        self.sync = sync_controller if sync_controller is not None else self._make_sync_controller()
        self.entries = nav_entries_for(session, practice_mode=self.sync is not None)
        self.can_read_clients = allows_any(session.actor.role, Resource.DEMOGRAPHICS, Action.READ)
        self.can_write_clients = allows_any(session.actor.role, Resource.DEMOGRAPHICS, Action.WRITE)
        self._build_body()
        self._watch_messages()
        self._build_menus()
        self._build_status_bar()
        self.watcher = IdleWatcher(practice.idle_lock_minutes * 60_000, self)
        self.locker = ScreenLocker(
            session, practice=practice.name, has_unsaved_changes=self.has_unsaved_changes, parent=self
        )
        self.watcher.sig_idle.connect(self.lock)
        self.locker.sig_unlocked.connect(self.watcher.start)
        self.locker.sig_sign_out_requested.connect(self._sign_out_from_lock)
        self.bridge.sig_practice_did_change.connect(self._practice_changed)
        self.watcher.start()
        self.bridge.sig_alerts_did_change.connect(self.count_alerts)
        self.count_alerts()
        if self.entries:
            self.nav.setCurrentRow(0)
        if self.sync is not None:
            self._connect_sync(self.sync)

    def _make_sync_controller(self) -> SyncController | None:
        """A controller when this store is connected to a hub; None (solo mode, or it cannot start)."""
        from mentalspace_desktop.services.sync_status import is_connected

        if not is_connected(self.session.store):
            return None
        from mentalspace_desktop.gui.sync.controller import SyncController

        try:
            return SyncController(self.session, self)
        except Exception as exc:  # the records are here either way: work on, say why sync is off
            log.warning("sync not started: %s", exc)
            reason = str(getattr(exc, "message", exc))
            QTimer.singleShot(0, lambda: self.show_notice(f"Sync is off: {reason}"))
            return None

    def _connect_sync(self, sync: SyncController) -> None:
        sync.sig_device_revoked.connect(self._device_revoked)
        sync.sig_data_did_change.connect(self._data_did_change)
        if self.inbox_counter is not None:
            counter = self.inbox_counter
            sync.sig_data_did_change.connect(lambda changes: counter.tables_pulled(changes.tables))
        sync.refresh_unsent()
        sync.start()

    # -- building ------------------------------------------------------------------------------

    def _build_body(self) -> None:
        outer = QWidget()
        column_outer = QVBoxLayout(outer)
        column_outer.setContentsMargins(0, 0, 0, 0)
        column_outer.setSpacing(0)
        self.banner = NoticeBar(self)
        self.banner.sig_help_requested.connect(lambda: self._box(*self.banner.help, modal=False))
        column_outer.addWidget(self.banner)
        body = QWidget()
        column_outer.addWidget(body, 1)
        row = QHBoxLayout(body)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        side = QWidget()
        side.setFixedWidth(210)
        column = QVBoxLayout(side)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        brand = QLabel("MentalSpace")
        brand.setObjectName("navBrand")
        column.addWidget(brand)
        self.nav = QListWidget()
        self.nav.setObjectName("navList")
        self.nav.setAccessibleName("Sections")
        # An administrator's list is taller than a laptop screen: it scrolls up and down, and a label
        # too wide beside that scroll bar ends in "…" rather than growing a sideways one.
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.setTextElideMode(Qt.TextElideMode.ElideRight)
        for entry in self.entries:
            item = QListWidgetItem(entry.label)
            item.setData(Qt.ItemDataRole.UserRole, entry.id)
            self.nav.addItem(item)
        self.nav.currentRowChanged.connect(self._nav_changed)
        column.addWidget(self.nav, 1)
        row.addWidget(side)
        self.stack = QStackedWidget()
        row.addWidget(self.stack, 1)
        if not self.entries:
            empty = QLabel("Your role has no screens in this version yet. Ask an administrator.")
            empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.stack.addWidget(empty)
        self.setCentralWidget(outer)

    def _action(
        self,
        text: str,
        handler: Callable[[], Any],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: handler())
        self.addAction(action)  # shortcuts work even with the menu bar hidden
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.find_action = self._action("&Find client…", self.find_client, "Ctrl+K")
        self.new_client_action = self._action("&New client…", self.new_client, QKeySequence.StandardKey.New)
        if self.can_read_clients:
            file_menu.addAction(self.find_action)
        if self.can_write_clients:
            file_menu.addAction(self.new_client_action)
        self.find_action.setEnabled(self.can_read_clients)
        self.new_client_action.setEnabled(self.can_write_clients)
        if self.can_read_clients:
            file_menu.addSeparator()
        self.lock_action = self._action("&Lock screen", self.lock, "Ctrl+L")
        self.change_password_action = self._action("&Change password…", self.change_password)
        self.sign_out_action = self._action("&Sign out", self.sign_out, "Ctrl+Shift+L")
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        for action in (self.lock_action, self.change_password_action, self.sign_out_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        view_menu = bar.addMenu("&View")
        self.nav_actions = []
        for i, entry in enumerate(self.entries):
            action = self._action(entry.label, partial(self.nav.setCurrentRow, i), page_shortcut(i))
            view_menu.addAction(action)
            self.nav_actions.append(action)
        if self.entries:
            view_menu.addSeparator()
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for name in theme.THEMES:
            action = self._action(f"{name.title()} theme", partial(self.set_theme, name))
            action.setCheckable(True)
            group.addAction(action)
            view_menu.addAction(action)
            self.theme_actions[name] = action
        app = QApplication.instance()
        current = theme.current_theme(app) if isinstance(app, QApplication) else theme.DEFAULT_THEME
        self.theme_actions[current].setChecked(True)
        if self.sync is not None:
            sync_menu = bar.addMenu("S&ync")
            self.sync_now_action = self._action("&Sync now", self.sync_now, "F5")
            sync_menu.addAction(self.sync_now_action)
            sync_menu.addAction(self._action("Sync &status", partial(self.show_page, NavId.SYNC)))
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("&Keyboard shortcuts", self.show_shortcuts, "F1"))
        help_menu.addAction(self._action("&About MentalSpace", self.show_about))

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        actor = self.session.actor
        self.name_label = QLabel(actor.full_name)
        self.name_label.setAccessibleName("Signed in as")
        self.role_label = QLabel(actor.role.label)
        self.role_label.setAccessibleName("Role")
        self.practice_label = QLabel(self.practice_name)
        self.practice_label.setAccessibleName("Practice")
        self.lock_button = QPushButton("Lock")
        self.lock_button.setAccessibleName("Lock the screen")
        self.lock_button.setToolTip("Lock the screen (Ctrl+L)")
        self.lock_button.clicked.connect(self.lock)
        for i, widget in enumerate((self.name_label, self.role_label, self.practice_label)):
            if i:
                sep = QLabel("·")
                sep.setObjectName("statusSep")
                status.addPermanentWidget(sep)
            status.addPermanentWidget(widget)
        status.addPermanentWidget(self.lock_button)
        if self.sync is not None:
            from mentalspace_desktop.gui.sync.indicator import SyncIndicator

            self.sync_indicator = SyncIndicator(self.sync)
            self.sync_indicator.sig_open_requested.connect(lambda: self.show_page(NavId.SYNC))
            status.insertPermanentWidget(0, self.sync_indicator)

    def _watch_messages(self) -> None:
        """The Messages entry shows how many replies and failures wait (kept current by events and sync)."""
        self.inbox_counter = None
        if NavId.MESSAGES not in self.nav_ids():
            return
        from mentalspace_desktop.gui.reminders.inbox_page import InboxCounter

        self.inbox_counter = InboxCounter(self.session, self.bridge, self)
        self.inbox_counter.sig_count.connect(self._show_message_count)
        self.inbox_counter.refresh()

    def _show_message_count(self, count: int) -> None:
        item = self.nav.item(self.nav_ids().index(NavId.MESSAGES))
        item.setText(f"Messages ({count})" if count else "Messages")
        item.setData(Qt.ItemDataRole.AccessibleTextRole,
                     f"Messages, {count} waiting" if count else "Messages, nothing waiting")

    # -- navigation ----------------------------------------------------------------------------

    def nav_ids(self) -> list[str]:
        return [e.id for e in self.entries]

    def current_page_id(self) -> str | None:
        item = self.nav.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def show_page(self, page_id: str) -> QWidget:
        self.nav.setCurrentRow(self.nav_ids().index(page_id))
        return self._pages[page_id]

    def page(self, page_id: str) -> QWidget | None:
        return self._pages.get(page_id)

    def _nav_changed(self, row: int) -> None:
        if row < 0:
            return
        entry = self.entries[row]
        if entry.id not in self._pages:
            self._pages[entry.id] = self._make_page(entry.id)
            self.stack.addWidget(self._pages[entry.id])
        self.stack.setCurrentWidget(self._pages[entry.id])

    def _make_page(self, page_id: str) -> QWidget:
        if page_id in (NavId.SYNC, NavId.CONFLICTS, NavId.DEVICES, NavId.HUB_LOG):
            return self._make_sync_page(page_id)
        if page_id in (NavId.TODAY, NavId.SCHEDULE, NavId.WAITLIST, NavId.GROUPS, NavId.HOURS, NavId.TYPES):
            return self._make_schedule_page(page_id)
        if page_id == NavId.CLIENTS:
            from mentalspace_desktop.gui.clients import ClientsPage

            return ClientsPage(self.session, self.bridge)
        if page_id in (NavId.MESSAGES, NavId.REMINDERS):
            return self._make_reminders_page(page_id)
        if page_id == NavId.CHARTING_SETTINGS:
            from mentalspace_desktop.gui.charting.settings_page import ChartingSettingsPage

            return ChartingSettingsPage(self.session, self.bridge)
        if page_id == NavId.MESSAGING:
            from mentalspace_desktop.gui.admin.messaging_settings import MessagingSettingsPage

            return MessagingSettingsPage(self.session, self.sync.client if self.sync is not None else None)
        if page_id == NavId.MY_NOTES:
            from mentalspace_desktop.gui.charting.my_notes import MyNotesPage

            return MyNotesPage(self.session, self.bridge)
        if page_id == NavId.DASHBOARD:
            from mentalspace_desktop.gui.dashboards.page import DashboardPage

            dashboard = DashboardPage(self.session, self.bridge)
            dashboard.sig_open_client.connect(self.open_client)
            dashboard.sig_open_note.connect(self.open_note)
            dashboard.sig_open_alerts.connect(self.open_alerts)
            return dashboard
        if page_id == NavId.SUPERVISION:
            from mentalspace_desktop.gui.supervision.page import SupervisionPage

            return SupervisionPage(self.session)
        if page_id in (NavId.ALERTS, NavId.DATA_QUALITY):
            return self._make_alert_page(page_id)
        if page_id == NavId.USERS:
            from mentalspace_desktop.gui.admin.users import UsersPage

            return UsersPage(self.session, self.bridge)
        if page_id == NavId.AUDIT:
            from mentalspace_desktop.gui.admin.audit_log import AuditLogPage

            return AuditLogPage(self.session, self.bridge)
        from mentalspace_desktop.gui.admin.practice_settings import PracticeSettingsPage

        return PracticeSettingsPage(self.session, self.bridge)

    def _make_alert_page(self, page_id: str) -> QWidget:
        if page_id == NavId.DATA_QUALITY:
            from mentalspace_desktop.gui.dashboards.data_quality_page import DataQualityPage

            quality = DataQualityPage(self.session, self.bridge)
            quality.sig_open_note.connect(self.open_note)
            quality.sig_open_client.connect(self.open_client)
            return quality
        from mentalspace_desktop.gui.dashboards.alerts_page import AlertsPage

        page = AlertsPage(self.session, self.bridge)
        page.sig_open_note.connect(self.open_note)
        page.sig_open_client.connect(self.open_client)
        page.sig_open_clinician.connect(self.open_dashboard_of)
        page.sig_open_overview.connect(lambda: self.open_dashboard_of(""))
        page.sig_open_users.connect(lambda: self.show_page(NavId.USERS))
        page.sig_loaded.connect(self.count_alerts)
        return page

    def open_alerts(self, clinician_id: str = "", alert_id: str = "") -> None:
        """The alert list, narrowed to one clinician; given an alert, on to what fixes it."""
        if NavId.ALERTS not in self.nav_ids():
            return
        page = self.show_page(NavId.ALERTS)
        page.set_filters(clinician_id=clinician_id or None)  # type: ignore[attr-defined]
        if alert_id:
            page.open_when_loaded(alert_id)  # type: ignore[attr-defined]

    def open_dashboard_of(self, clinician_id: str) -> None:
        """The dashboard, drilled down to one clinician ("" for the whole team or practice)."""
        if NavId.DASHBOARD in self.nav_ids():
            page = self.show_page(NavId.DASHBOARD)
            page.drill_down(clinician_id or None)  # type: ignore[attr-defined]

    def count_alerts(self) -> None:
        """Show how many alerts are open beside "Alerts" in the navigation (off the UI thread)."""
        if NavId.ALERTS not in self.nav_ids():
            return
        from mentalspace_desktop.services import alerts

        session = self.session
        run_in_background(self, lambda: alerts.open_counts(session), on_done=self._show_alert_count,
                          on_error=lambda _e: None)  # the count is a courtesy: the list says what failed

    def _show_alert_count(self, counts: dict[Severity, int]) -> None:
        item = self.nav.item(self.nav_ids().index(NavId.ALERTS))
        total = sum(counts.values())
        critical = counts.get(Severity.CRITICAL, 0)
        item.setText(f"Alerts  ({total})" if total else "Alerts")
        words = f"{total} open, {critical} critical" if total else "none open"
        item.setData(Qt.ItemDataRole.AccessibleTextRole, f"Alerts, {words}")
        item.setToolTip(f"Alerts: {words}")
    def _make_reminders_page(self, page_id: str) -> QWidget:
        if page_id == NavId.REMINDERS:
            from mentalspace_desktop.gui.reminders.settings_page import ReminderSettingsPage

            return ReminderSettingsPage(self.session, self.bridge)
        from mentalspace_desktop.gui.reminders.inbox_page import MessagesPage

        page = MessagesPage(self.session, self.bridge)
        if self.can_read_clients:
            page.sig_open_client.connect(self.open_client)
        page.sig_open_appointment.connect(self.open_appointment)
        return page

    def open_appointment(self, appointment_id: str) -> QWidget | None:
        """The appointment's dialog over the Schedule page (from the Messages inbox)."""
        page = self.show_page(NavId.SCHEDULE)
        return page.open_appointment(appointment_id)  # type: ignore[attr-defined]

    def _make_schedule_page(self, page_id: str) -> QWidget:
        if page_id == NavId.TODAY:
            from mentalspace_desktop.gui.calendar.today import TodayPage

            today = TodayPage(self.session, self.bridge)
            if self.can_read_clients:
                today.sig_open_client.connect(self.open_client)
            return today
        if page_id == NavId.WAITLIST:
            from mentalspace_desktop.gui.calendar.waitlist import WaitlistPage

            return WaitlistPage(self.session, self.bridge)
        if page_id == NavId.GROUPS:
            from mentalspace_desktop.gui.calendar.groups import GroupsPage

            return GroupsPage(self.session, self.bridge)
        if page_id == NavId.HOURS:
            from mentalspace_desktop.gui.calendar.time_off import TimeOffPage

            return TimeOffPage(self.session, self.bridge)
        if page_id == NavId.TYPES:
            from mentalspace_desktop.gui.calendar.admin_types import AppointmentTypesPage

            return AppointmentTypesPage(self.session, self.bridge)
        from mentalspace_desktop.gui.calendar.schedule_page import SchedulePage

        return SchedulePage(self.session, self.bridge)

    def _make_sync_page(self, page_id: str) -> QWidget:
        assert self.sync is not None
        if page_id == NavId.SYNC:
            from mentalspace_desktop.gui.sync.status_page import SyncPage

            return SyncPage(self.session, self.sync)
        if page_id == NavId.CONFLICTS:
            from mentalspace_desktop.gui.sync.conflicts_page import ConflictsPage

            page = ConflictsPage(self.session, self.sync)
            if self.can_read_clients:
                page.sig_open_client.connect(self.open_client)
            return page
        from mentalspace_desktop.gui.sync.devices_page import DevicesPage, HubLogPage

        if page_id == NavId.DEVICES:
            return DevicesPage(self.session, self.sync)
        return HubLogPage(self.session, self.sync)

    # -- sync ----------------------------------------------------------------------------------

    def sync_now(self) -> None:
        if self.sync is not None and self.sync.sign_in_needed:  # a run cannot help: the hub wants a sign-in
            from mentalspace_desktop.gui.sync.hub_sign_in_dialog import open_hub_sign_in

            open_hub_sign_in(self.sync, self)
        elif self.sync is not None:
            self.sync.sync_now()
            self.statusBar().showMessage("Syncing with the practice hub…", 3000)

    def _data_did_change(self, changes: PulledChanges) -> None:
        """Rows arrived. Events already told the screens about clients, staff and settings; rows that
        left this workstation have no event, so the current page reloads if it can."""
        page = self.stack.currentWidget()
        if changes.dropped and page is not None and hasattr(page, "reload"):
            page.reload()
        if "alerts" in changes.tables:  # the hub's alert job ran, or a colleague acknowledged
            self.count_alerts()
            built = self._pages.get(NavId.ALERTS)
            if built is not None and built is not page:
                built.reload()  # type: ignore[attr-defined]
        if changes.tables & SCHEDULE_TABLES:  # another workstation booked, moved or checked in
            for page_id in SCHEDULE_PAGES:
                built = self._pages.get(page_id)
                already = changes.dropped and built is page
                if built is not None and not already and hasattr(built, "reload"):
                    built.reload()

    def _device_revoked(self, text: str) -> None:
        forms.tell(self, "This workstation was removed", text + " You will be signed out now.")
        self.sig_device_revoked.emit(text)

    # -- clients -------------------------------------------------------------------------------

    def find_client(self) -> QWidget | None:
        if not self.can_read_clients:
            return None
        from mentalspace_desktop.gui.clients import ClientSearchDialog

        dialog = ClientSearchDialog(self.session, self)
        dialog.sig_client_chosen.connect(self.open_client)
        dialog.open()
        return dialog

    def open_note(self, note_id: str) -> None:
        """Open a note in My notes (for those who write notes; others see its client's chart)."""
        if NavId.MY_NOTES in self.nav_ids():
            page = self.show_page(NavId.MY_NOTES)
            page.open_note(note_id)  # type: ignore[attr-defined]

    def open_client(self, client_id: str, section: str = "") -> None:
        """The client's chart, at ``section`` when given (consents, plans, details, appointments)."""
        page = self.show_page(NavId.CLIENTS)
        page.open_client(client_id, section or None)  # type: ignore[attr-defined]

    def new_client(self) -> None:
        if self.can_write_clients:
            self.show_page(NavId.CLIENTS).new_client()  # type: ignore[attr-defined]

    def has_unsaved_changes(self) -> bool:
        pages = (self._pages.get(NavId.CLIENTS), self._pages.get(NavId.MY_NOTES))
        return any(page is not None and page.has_unsaved_changes() for page in pages)  # type: ignore[attr-defined]

    # -- session -------------------------------------------------------------------------------

    @property
    def idle_timeout_ms(self) -> int:
        return self.watcher.timeout_ms

    @idle_timeout_ms.setter
    def idle_timeout_ms(self, value: int) -> None:
        self.watcher.timeout_ms = value

    def lock(self) -> None:
        self.watcher.stop()
        self.locker.lock()

    def change_password(self) -> QWidget:
        from mentalspace_desktop.gui.auth.change_password import ChangePasswordDialog

        dialog = ChangePasswordDialog(self.session, self)
        dialog.sig_password_changed.connect(
            lambda: self.statusBar().showMessage("Your password was changed.", 8000)
        )
        dialog.open()
        return dialog

    def _confirm_discard(self, verb: str) -> bool:
        return not self.has_unsaved_changes() or forms.ask(
            self,
            f"{verb} with unsaved changes?",
            "Some changes have not been saved. If you continue they will be lost.",
            verb,
        )

    def sign_out(self) -> None:
        if self._confirm_discard("Sign out"):
            self.sig_sign_out_requested.emit()

    def _sign_out_from_lock(self) -> None:
        self.sig_sign_out_requested.emit()

    def close_for_sign_out(self) -> None:
        """Close without asking again (the user already chose to sign out) and stop watching input."""
        self._force_close = True
        self.shutdown()
        self.close()

    def shutdown(self) -> None:
        """Stop listening to input and events; safe to call more than once."""
        if self._shut_down:
            return
        self._shut_down = True
        if self.sync is not None:
            self.sync.stop()
        self.watcher.detach()
        self.locker.dispose()
        self.bridge.detach()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._force_close or self._confirm_discard("Quit"):
            event.accept()
            if not self._force_close:
                self.shutdown()
                self.sig_closed_by_user.emit()
        else:
            event.ignore()

    def _practice_changed(self) -> None:
        practice = PracticeService(self.session).practice()
        set_practice_zone(practice.time_zone)
        self.practice_name = practice.name
        self.setWindowTitle(practice.name)  # Qt adds " — MentalSpace" (the display name) once
        self.practice_label.setText(practice.name)
        self.locker.practice = practice.name
        self.watcher.timeout_ms = practice.idle_lock_minutes * 60_000

    # -- view and help -------------------------------------------------------------------------

    def set_theme(self, name: str) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply_theme(app, name)
        theme.save_theme(name)
        self.theme_actions[name].setChecked(True)
        if hasattr(self, "sync_indicator"):
            self.sync_indicator.update_view()  # its dot is coloured by the theme's tones

    def show_notice(self, text: str) -> None:
        self.statusBar().showMessage(text, 15000)

    def show_banner(self, text: str, *, help_title: str, help_html: str) -> None:
        """A notice across the top of the window that does not stop the work: a "How to fix" link
        opens the explanation, Dismiss hides it."""
        self.banner.show_notice(text, help_title, help_html)

    def _box(self, title: str, html: str, *, modal: bool = True) -> QMessageBox:
        box = QMessageBox(self)
        box.setWindowTitle(title)
        box.setAccessibleName(title)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(html)
        if modal:
            box.open()
        else:  # help to read beside the work, not in front of it
            box.setWindowModality(Qt.WindowModality.NonModal)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.show()
        return box

    def show_shortcuts(self) -> QMessageBox:
        rows = [("Ctrl+K", "Find a client")] if self.can_read_clients else []
        rows += [("Ctrl+N", "Register a new client")] if self.can_write_clients else []
        rows += [(key, f"Go to {e.label}") for i, e in enumerate(self.entries) if (key := page_shortcut(i))]
        rows += [("F5", "Sync with the practice hub now")] if self.sync is not None else []
        if any(e.id == NavId.SCHEDULE for e in self.entries):
            rows += [("Ctrl+F", "Find a free slot (on the Schedule)")]
        rows += [
            ("Ctrl+L", "Lock the screen"),
            ("Ctrl+Shift+L", "Sign out"),
            ("Ctrl+Q", "Quit"),
            ("F1", "This list"),
            ("Tab / Shift+Tab", "Move between fields"),
            ("Enter", "Main action"),
        ]
        table = "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;&nbsp;</td><td>{v}</td></tr>" for k, v in rows)
        return self._box("Keyboard shortcuts", f"<table cellspacing='4'>{table}</table>")

    def show_about(self) -> QMessageBox:
        from mentalspace_desktop import __version__

        return self._box(
            "About MentalSpace",
            f"<h3>MentalSpace Desktop {__version__}</h3>"
            "<p>Practice management and clinical records for mental-health practices.</p>"
            "<p>Records are encrypted on this computer and every access is audited.</p>",
        )
