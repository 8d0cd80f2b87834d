"""Other clients' changes to the open database, announced on the task runner's change stream
like this program's own writes, so that the board, the list, open workspaces and the charts
refresh themselves within a second or two (``services/watch.py`` does the watching)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal, Slot

from incidentdesk.services.watch import (
    CHANGE_LOG_VERSION,
    ChangeLogFollower,
    PostgresListener,
    RemoteChanges,
    prune_change_log,
)
from incidentdesk.storage import change_log
from incidentdesk.ui.failures import error_text

if TYPE_CHECKING:
    from incidentdesk.services.desk import Desk
    from incidentdesk.ui.tasks import TaskRunner

# SQLite tells nobody of a commit: the read thread asks it this often.
POLL_INTERVAL_MS = 1000
PRUNE_INTERVAL_MS = 3_600_000
log = logging.getLogger(__name__)


class LiveUpdates(QObject):
    """Follows one open database at a time (``watch``) for what other clients commit.

    SQLite: a cheap check on the read thread each second (``ChangeLogFollower.poll``).
    PostgreSQL: a ``PostgresListener`` on a thread of its own, whose notifications come to
    the GUI thread by signal. Either way the changes are published on ``runner.changes``.
    """

    _received = Signal(object)  # (listener, RemoteChanges), from the listener's thread
    _listener_state = Signal(object, bool, str)  # (listener, connected, text)
    listening_changed = Signal(bool, str)  # PostgreSQL: (connected, what to show)

    def __init__(self, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._desk: Desk | None = None
        self._follower: ChangeLogFollower | None = None
        self._listener: PostgresListener | None = None
        self._stopped_listeners: list[PostgresListener] = []
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_INTERVAL_MS)
        self._timer.timeout.connect(self._poll)
        self._prune_timer = QTimer(self)
        self._prune_timer.setInterval(PRUNE_INTERVAL_MS)
        self._prune_timer.timeout.connect(self.prune)
        self._received.connect(self._deliver)
        self._listener_state.connect(self._report_state)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    @property
    def listener(self) -> PostgresListener | None:
        return self._listener

    def watch(self, desk: Desk | None) -> None:
        """Follow ``desk`` from now on (nothing with None); what it had before is shown."""
        self.stop()
        self._desk = desk
        if desk is None or desk.store.schema_version < CHANGE_LOG_VERSION:
            return  # a database opened without upgrading has no change log
        if not desk.store.read_only:
            self._prune_timer.start()
        if desk.store.is_sqlite:
            follower = ChangeLogFollower(desk.store)
            self._follower = follower
            self._runner.read(
                self,
                lambda on: follower.start() if on.store is follower.store else None,
                lambda _: None,
                self._failed,
                supersede="live-updates",
            )
            self._timer.start()
        else:
            # Read before what the views show (queued first on the read thread): whatever is
            # committed later is read again when the listener connects.
            self._runner.read(
                self,
                lambda on: change_log.last_id(on.store.database),
                lambda after_id: self._listen(desk, after_id),
                lambda error: self._listen_after_failure(desk, error),
                supersede="live-updates",
            )

    def _listen_after_failure(self, desk: Desk, error: Exception) -> None:
        self._failed(error)
        self._listen(desk, None)  # the listener reconnects until the server is back

    def _listen(self, desk: Desk, after_id: int | None) -> None:
        if desk is not self._desk:
            return  # the database was switched meanwhile
        listener = PostgresListener(
            desk.store,
            lambda changes: self._received.emit((listener, changes)),
            lambda connected, text: self._listener_state.emit(listener, connected, text),
            after_id=after_id,
        )
        self._listener = listener
        listener.start()

    def stop(self) -> None:
        """Stop following; a listener's thread ends by itself within a moment (``shutdown``
        waits for it)."""
        self._timer.stop()
        self._prune_timer.stop()
        self._follower = None
        self._desk = None
        if self._listener is not None:
            self._listener.stop_soon()
            self._stopped_listeners.append(self._listener)
            self._listener = None
        self._stopped_listeners = [
            listener for listener in self._stopped_listeners if listener.running
        ]

    @Slot()
    def shutdown(self) -> None:
        """Stop, and wait for the listener threads to end (the program is quitting)."""
        self.stop()
        for listener in self._stopped_listeners:
            listener.stop()
        self._stopped_listeners = []

    def prune(self) -> None:
        """Delete the change log's rows older than a day (opening does it too)."""
        if self._desk is not None:
            self._runner.write(
                self, lambda on: prune_change_log(on.store), lambda _: None, self._failed
            )

    def _poll(self) -> None:
        follower, desk = self._follower, self._desk
        if follower is None or desk is None:
            return

        def poll(on: Desk) -> RemoteChanges:
            # Queued before a switch of database, it may run when another one is in use.
            return follower.poll() if on.store is follower.store else []

        self._runner.read(
            self,
            poll,
            lambda changes: self._publish(follower, desk, changes),
            self._failed,
            supersede="live-updates",
        )

    def _publish(self, follower: ChangeLogFollower, desk: Desk, changes: RemoteChanges) -> None:
        if follower is not self._follower:
            return  # the database was switched meanwhile
        for change in changes:
            self._runner.changes.publish(desk, change)

    @Slot(object)
    def _deliver(self, received: tuple[PostgresListener, RemoteChanges]) -> None:
        listener, changes = received
        if listener is not self._listener or self._desk is None:
            return
        for change in changes:
            self._runner.changes.publish(self._desk, change)

    @Slot(object, bool, str)
    def _report_state(self, listener: PostgresListener, connected: bool, text: str) -> None:
        if listener is self._listener:
            self.listening_changed.emit(connected, text)

    def _failed(self, error: Exception) -> None:
        # The next poll tries again; the person learns of a lost database from their own work.
        log.info("Looking for other clients' changes failed: %s", error_text(error))
