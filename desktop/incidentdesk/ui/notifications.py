"""Desktop notifications of what is news to the person (``services/notifications.py``
decides), a badge on the window for what they have not looked at yet, and clicking either
to open the incident.

Every change on the runner's change stream, this program's and other clients', is checked
on the read thread; at most one check runs at a time, and what changes meanwhile waits for
the next, so a burst is read in one go. The person's choices (Edit → Settings…, Personal) are
read each time something would be shown: a kind turned off is silent at once.

How a notification is shown depends on the desktop (``choose_backend``, which says in the log
which it took): a message from the system tray icon where there is a tray
(``QSystemTrayIcon.showMessage``; on a Linux desktop Qt sends it to the freedesktop
notification service itself, and a click on it comes back as ``messageClicked``), else a
notice in the window's status bar with the taskbar entry asking for attention. Either way the
status bar's badge lists the recent notifications and opens their incidents.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections import deque
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QMenu,
    QStyle,
    QSystemTrayIcon,
    QToolButton,
    QWidget,
)

from incidentdesk import APPLICATION_NAME
from incidentdesk.domain.counts import counted
from incidentdesk.freedesktop import FreedesktopNotifications, session_bus_address
from incidentdesk.services.notifications import (
    Happening,
    Notification,
    NotificationPacer,
    NotificationWatch,
)
from incidentdesk.ui.failures import error_text
from incidentdesk.ui.personal_settings import wanted_notifications

if TYPE_CHECKING:
    from incidentdesk.services.desk import Desk
    from incidentdesk.ui.changes import IncidentsChanged
    from incidentdesk.ui.main_window import MainWindow
    from incidentdesk.ui.tasks import TaskRunner

RECENT_KEPT = 10  # the badge's menu lists this many notifications
MESSAGE_SHOWN_MS = 10_000
OPEN_LATEST_SHORTCUT = "Ctrl+Shift+N"
_COUNT_IN_TITLE = re.compile(r"^\(\d[\d,]*\) ")
log = logging.getLogger(__name__)


class NotificationBackend(Protocol):
    """Shows a notification on the desktop and says, by ``clicked``, which one was clicked."""

    name: str

    @property
    def clicked(self) -> SignalInstance:
        """Emitted with the notification the person clicked."""

    def show(self, notification: Notification) -> None: ...


class TrayBackend(QObject):
    """A message from the program's icon in the system tray; a click on the icon itself
    brings the window to the front."""

    name = "the system tray (QSystemTrayIcon)"
    clicked = Signal(object)

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self._last: Notification | None = None
        icon = QApplication.windowIcon()
        if icon.isNull():
            icon = window.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
        self.tray = QSystemTrayIcon(icon, self)
        self.tray.setToolTip(QApplication.applicationDisplayName() or window.windowTitle())
        # Qt says only that "the" message was clicked: the one shown last is on screen.
        self.tray.messageClicked.connect(lambda: self._last and self.clicked.emit(self._last))
        self.tray.activated.connect(self._icon_clicked)
        self.tray.show()

    def show(self, notification: Notification) -> None:
        self._last = notification
        self.tray.showMessage(
            notification.title,
            notification.body,
            QSystemTrayIcon.MessageIcon.Information,
            MESSAGE_SHOWN_MS,
        )

    def _icon_clicked(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason is QSystemTrayIcon.ActivationReason.Trigger:
            if self._window.isMinimized():
                self._window.showNormal()  # and a maximized window stays maximized
            self._window.raise_()
            self._window.activateWindow()


class WindowBackend(QObject):
    """Where the desktop has no tray: the notification in the window's status bar, and the
    taskbar entry asking for attention (``QApplication.alert``). It is clicked through the
    badge, so ``clicked`` never comes from here."""

    name = "the window's status bar (no system tray here)"
    clicked = Signal(object)

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window

    def show(self, notification: Notification) -> None:
        first_line = notification.body.splitlines()[0] if notification.body else ""
        self._window.statusBar().showMessage(
            f"{notification.title} — {first_line}" if first_line else notification.title,
            MESSAGE_SHOWN_MS,
        )
        QApplication.alert(self._window)


class FreedesktopBackend(QObject):
    """The session bus's notification service (``freedesktop.py``), once ``start`` has asked
    for it and it answers; ``unavailable`` says why not, with what was to be shown meanwhile."""

    name = "the freedesktop notification service (org.freedesktop.Notifications)"
    clicked = Signal(object)
    available = Signal()
    unavailable = Signal(str, object)  # why, and the notifications not shown (a list)
    _ready = Signal(bool, str)  # from the service's thread
    _tag_clicked = Signal(int)  # from jeepney's receiving thread

    def __init__(self, address: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._waiting: list[Notification] | None = []  # None once the service answered
        self._shown: dict[int, Notification] = {}  # by tag, the last RECENT_KEPT
        self._tags = itertools.count(1)
        self._ready.connect(self._answered)
        self._tag_clicked.connect(self._clicked)
        self.service = FreedesktopNotifications(
            address,
            self._ready.emit,
            self._tag_clicked.emit,
            QApplication.applicationDisplayName() or APPLICATION_NAME,
        )
        self._started = False

    def start(self) -> None:
        """Connect to the session bus and ask for the service, on the service's thread; once."""
        if not self._started:
            self._started = True
            self.service.start()

    def show(self, notification: Notification) -> None:
        if self._waiting is not None:
            self._waiting.append(notification)
            return
        tag = next(self._tags)
        self._shown[tag] = notification
        for old in list(self._shown)[:-RECENT_KEPT]:
            del self._shown[old]
        self.service.show(tag, notification.title, notification.body)

    def stop(self) -> None:
        self.service.stop()

    def _answered(self, ready: bool, why: str) -> None:
        waiting, self._waiting = self._waiting or [], None
        if ready:
            self.available.emit()
            for notification in waiting:
                self.show(notification)
        else:
            self.unavailable.emit(why, waiting)

    def _clicked(self, tag: int) -> None:
        notification = self._shown.get(tag)
        if notification is not None:
            self.clicked.emit(notification)


def choose_backend(window: MainWindow) -> FreedesktopBackend | TrayBackend | WindowBackend:
    """The freedesktop service where there is a session bus (``Notifications`` falls back
    if it does not answer), else the tray where the desktop has one, else the window."""
    address = session_bus_address()
    if address is not None:
        return FreedesktopBackend(address, window)
    return fallback_backend(window)


def fallback_backend(window: MainWindow) -> TrayBackend | WindowBackend:
    backend: TrayBackend | WindowBackend
    if QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages():
        backend = TrayBackend(window)
    else:
        backend = WindowBackend(window)
    log.info("Notifications are shown by %s", backend.name)
    return backend


class NotificationBadge(QToolButton):
    """The status bar's badge: how many incidents told of are not looked at yet; a click
    opens the latest, the arrow lists the recent notifications."""

    open_requested = Signal(object)  # Notification

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Notifications")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setAutoRaise(True)
        self.setMenu(QMenu(self))
        self.clicked.connect(self._open_latest)
        self._recent: list[Notification] = []
        self.hide()

    def show_state(self, recent: list[Notification], unseen: int) -> None:
        self._recent = recent
        self.setVisible(bool(recent))
        font = self.font()
        font.setBold(unseen > 0)
        self.setFont(font)
        self.setText(f"{unseen:,} new" if unseen else "Notifications")
        waiting = counted(unseen, "incident") + " not looked at yet" if unseen else "Nothing new"
        self.setToolTip(
            f"{waiting}. Click to open the latest ({OPEN_LATEST_SHORTCUT}); "
            "the arrow lists the recent notifications."
        )
        self.setAccessibleDescription(waiting)
        menu = self.menu()
        menu.clear()
        for notification in recent:
            action = menu.addAction(notification.title.replace("&", "&&"))
            action.setToolTip(notification.body)
            action.triggered.connect(
                lambda _=False, told=notification: self.open_requested.emit(told)
            )
        menu.setToolTipsVisible(True)

    def _open_latest(self) -> None:
        if self._recent:
            self.open_requested.emit(self._recent[0])


class Notifications(QObject):
    """The notifications of one main window: watches the open database for what is news to
    the person, shows it through a backend, keeps the badge, opens what is clicked."""

    shown = Signal(object)  # each Notification as it is shown (for tests and the bench)

    def __init__(
        self,
        window: MainWindow,
        runner: TaskRunner,
        backend: NotificationBackend | None = None,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._runner = runner
        self._pacer = NotificationPacer()
        self._desk: Desk | None = None
        self._watch: NotificationWatch | None = None
        self._pending: set[int] = set()
        self._checking = False
        self._recent: deque[Notification] = deque(maxlen=RECENT_KEPT)
        self._unseen: set[int] = set()  # the incidents told of and not looked at yet
        self._held_timer = QTimer(self)
        self._held_timer.setSingleShot(True)
        self._held_timer.timeout.connect(self._show_held)
        self.badge = NotificationBadge()
        self.badge.open_requested.connect(self.open)
        window.statusBar().addPermanentWidget(self.badge)
        self.open_latest_action = QAction("Open the Latest Notification", window)
        self.open_latest_action.setShortcut(QKeySequence(OPEN_LATEST_SHORTCUT))
        self.open_latest_action.triggered.connect(self._open_latest)
        window.addAction(self.open_latest_action)
        self.backend = backend or choose_backend(window)
        self.backend.clicked.connect(self.open)
        if isinstance(self.backend, FreedesktopBackend):
            self.backend.available.connect(
                lambda: log.info("Notifications are shown by %s", FreedesktopBackend.name)
            )
            self.backend.unavailable.connect(self._freedesktop_unavailable)
        # Asked for once the window has painted, on a later pass (after the smoke test's
        # line): the service's thread imports jeepney and talks to the session bus, about
        # 12 ms of Python beside the start-up's own. What is news meanwhile waits for it.
        window.view_painted.connect(lambda: QTimer.singleShot(0, self, self._start_backend))
        runner.changes.incidents_changed.connect(self._changed)
        window.database_opened.connect(lambda _address: self.watch(window.desk))
        window.windowTitleChanged.connect(lambda _title: self._show_count())
        window.installEventFilter(self)

    @property
    def watching(self) -> bool:
        """Whether the open database is followed: what is written from now on is news."""
        return self._watch is not None and self._watch.started

    @property
    def unseen_count(self) -> int:
        return len(self._unseen)

    def use_backend(self, backend: NotificationBackend) -> None:
        """Show through ``backend`` from now on (tests give one that records)."""
        self.backend.clicked.disconnect(self.open)
        self._stop_backend()
        self.backend = backend
        backend.clicked.connect(self.open)

    def _freedesktop_unavailable(self, why: str, waiting: list[Notification]) -> None:
        log.info("No freedesktop notification service (%s)", why)
        self.use_backend(fallback_backend(self._window))
        for notification in waiting:
            self.backend.show(notification)

    def _start_backend(self) -> None:
        if isinstance(self.backend, FreedesktopBackend):
            self.backend.start()

    def _stop_backend(self) -> None:
        """Let go of the session bus (its threads end); the program is quitting."""
        if isinstance(self.backend, FreedesktopBackend):
            self.backend.stop()

    def watch(self, desk: Desk | None) -> None:
        """Follow ``desk`` for news from now on; what was told of another database is
        forgotten (its ids name other incidents)."""
        self._desk = desk
        self._pending.clear()
        self._recent.clear()
        self._unseen.clear()
        self._pacer = NotificationPacer()
        self._held_timer.stop()
        self._show_count()
        if desk is None:
            self._watch = None
            return
        watch = NotificationWatch(desk.store, desk.actor_id)
        self._watch = watch
        self._runner.read(
            self,
            lambda on: watch.start() if on.store is watch.store else None,
            lambda _: None,
            # Not started, the first check starts it: what came before is not news.
            lambda error: log.info("Watching for notifications failed: %s", error_text(error)),
        )

    def seen(self, incident_id: int) -> None:
        """The person opened ``incident_id``: it no longer counts as new."""
        if incident_id in self._unseen:
            self._unseen.discard(incident_id)
            self._show_count()

    def open(self, notification: Notification) -> None:
        """Open the incident a notification is about (the first, for one about several),
        if it is of the database still open."""
        if not any(notification is told for told in self._recent):
            return  # told of a database left since: its id names another incident now
        self._window.open_workspace(notification.incident_id)

    def _open_latest(self) -> None:
        if self._recent:
            self.open(self._recent[0])

    # Watching

    def _changed(self, change: IncidentsChanged) -> None:
        if self._watch is None or change.desk is not self._desk:
            return
        self._pending |= change.incident_ids
        if not self._checking:
            self._check()

    def _check(self) -> None:
        watch, incident_ids = self._watch, frozenset(self._pending)
        if watch is None or not incident_ids:
            return
        self._pending.clear()
        self._checking = True
        self._runner.read(
            self,
            lambda on: watch.check(incident_ids) if on.store is watch.store else [],
            lambda happenings: self._checked(watch, happenings),
            self._check_failed,
        )

    def _checked(self, watch: NotificationWatch, happenings: list[Happening]) -> None:
        self._checking = False
        if watch is self._watch:
            self._show(self._pacer.offer(happenings, wanted_notifications(), time.monotonic()))
        self._check()

    def _check_failed(self, error: Exception) -> None:
        # The person learns of a lost database from their own work; the next change of an
        # incident reads its entries again from where the last check got to.
        self._checking = False
        log.info("Looking for notifications failed: %s", error_text(error))
        self._check()

    # Showing

    def _show(self, notifications: list[Notification]) -> None:
        for notification in notifications:
            self.backend.show(notification)
            self._recent.appendleft(notification)
            self._unseen.update(notification.incident_ids)
            self.shown.emit(notification)
        if notifications:
            self._show_count()
        due = self._pacer.next_due()
        if due is not None and not self._held_timer.isActive():
            self._held_timer.start(max(0, round((due - time.monotonic()) * 1000)))

    def _show_held(self) -> None:
        self._show(self._pacer.due(wanted_notifications(), time.monotonic()))

    def _show_count(self) -> None:
        unseen = len(self._unseen)
        self.badge.show_state(list(self._recent), unseen)
        title = _COUNT_IN_TITLE.sub("", self._window.windowTitle())
        counted_title = f"({unseen:,}) {title}" if unseen else title
        if counted_title != self._window.windowTitle():
            self._window.setWindowTitle(counted_title)  # comes back here once, unchanged
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.setBadgeNumber(unseen)  # the dock or taskbar, where the platform has one

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Close:
            self._stop_backend()
        activated = watched is self._window and event.type() == QEvent.Type.WindowActivate
        if activated and self._unseen:
            # The person came back to the window: what the badge counted is before them.
            self._unseen.clear()
            self._show_count()
        return super().eventFilter(watched, event)
