"""What other clients committed to an open database, as the ``Changed`` of this program's own
writes, so that one change stream announces both (see ``storage/change_log.py``).

SQLite: ``ChangeLogFollower.poll``, about once a second on the read thread, checks
``PRAGMA data_version`` and reads the change log only when another connection committed.
PostgreSQL: a ``PostgresListener`` LISTENs on a connection of its own, on a thread of its
own, and hands each burst of notifications over; after the connection was lost it reconnects
and reads the change log from where it was, for what it missed meanwhile.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from incidentdesk.services.changes import Changed, ChangeKind, changed, unchanged
from incidentdesk.storage import applied_writes, change_log
from incidentdesk.storage.database import Store
from incidentdesk.storage.locations import PostgresLocation
from incidentdesk.storage.migrations import MIGRATIONS

if TYPE_CHECKING:
    import psycopg

# The schema version from which a database has a change log (whatever its number).
CHANGE_LOG_VERSION = next(
    migration.version for migration in MIGRATIONS if migration.apply is change_log.create
)
LISTEN_WAIT_S = 0.25  # how long the listener waits before it checks whether to stop
BURST_S = 0.02  # notifications arriving this close together are handed over as one
RECONNECT_DELAYS_S = (0.2, 0.5, 1.0, 2.0, 5.0)

log = logging.getLogger(__name__)
RemoteChanges = list[Changed[None]]


def prune_change_log(store: Store) -> Changed[None]:
    """A write operation: delete the change log's rows older than a day and the ids of saves
    older than a week, as opening does, for a client that stays open for days."""
    with store.write():
        change_log.prune(store.database)
        applied_writes.prune()
    return unchanged(None)


def grouped(rows: Iterable[tuple[str, int]]) -> RemoteChanges:
    """(kind, incident id) pairs as one ``Changed`` per kind, in a stable order; kinds this
    program does not know (written by a newer one) are left out."""
    by_kind: defaultdict[ChangeKind, set[int]] = defaultdict(set)
    for kind, incident_id in rows:
        try:
            by_kind[ChangeKind(kind)].add(incident_id)
        except ValueError:
            log.info("A change of an unknown kind %r left out", kind)
    return [changed(None, by_kind[kind], kind) for kind in ChangeKind if kind in by_kind]


def parse_notification(payload: str) -> RemoteChanges:
    """``'<kind>:<id>,<id>,…'`` as sent by the change log's trigger; anything else is none."""
    kind, _, ids = payload.partition(":")
    try:
        incident_ids = [int(text) for text in ids.split(",")]
    except ValueError:
        log.info("A notification not of this program left out: %r", payload[:200])
        return []
    return grouped((kind, incident_id) for incident_id in incident_ids)


class ChangeLogFollower:
    """Reads, from the change log of one store, what other clients committed since it last
    looked. Its methods run on one thread at a time (the task runner's read thread)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._last_id: int | None = None
        self._data_version: int | None = None

    @property
    def store(self) -> Store:
        return self._store

    @property
    def follows(self) -> bool:
        """Whether the database has a change log to follow."""
        return self._store.schema_version >= CHANGE_LOG_VERSION

    def start(self) -> None:
        """From now on: what was committed before is already shown."""
        database = self._store.database
        if self._store.is_sqlite:
            self._data_version = change_log.sqlite_data_version(database)
        self._last_id = change_log.last_id(database)

    def poll(self) -> RemoteChanges:
        """On SQLite: the changes committed by others since the last call, read only when
        another connection committed (``PRAGMA data_version`` moved)."""
        if not self.follows:
            return []
        if self._last_id is None:
            self.start()
            return []
        version = change_log.sqlite_data_version(self._store.database)
        if version == self._data_version:
            return []
        self._data_version = version
        return self.catch_up()

    def catch_up(self) -> RemoteChanges:
        """The changes committed by others after the last one read."""
        if self._last_id is None:
            self.start()
            return []
        database = self._store.database
        rows = change_log.changes_after(database, self._last_id, self._store.client_id)
        if rows:
            self._last_id = rows[-1].id
        return grouped((row.kind, row.incident_id) for row in rows)


class PostgresListener:
    """LISTENs for the change log's notifications on an autocommit connection and a thread of
    its own (a LISTEN holds its connection, and waiting on it must not hold up reads).

    ``on_changes`` gets each burst of other clients' changes, on the listener's thread; this
    client's own writes (sent by one of its pool's connections) are left out: they were
    announced when written. ``on_state(connected, text)`` says when the listener lost its
    connection and when it is back. Each time it (re)connects it reads what it missed from
    the change log: after ``after_id`` (the last row when what is shown was read; None: from
    where the log ends on connecting) the first time, after the last row it knew of later.
    Once stopping, it calls back no more.
    """

    def __init__(
        self,
        store: Store,
        on_changes: Callable[[RemoteChanges], None],
        on_state: Callable[[bool, str], None],
        *,
        after_id: int | None,
    ) -> None:
        if not isinstance(store.location, PostgresLocation):
            raise TypeError("Only a PostgreSQL database sends notifications")
        self._store = store
        self._on_changes = on_changes
        self._on_state = on_state
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="incidentdesk-listen", daemon=True)
        self._connection: psycopg.Connection[Any] | None = None
        self._last_id = after_id  # the change log's last row already shown, if known
        self._failures = 0  # connection attempts failed in a row
        self.listening = threading.Event()  # set while LISTEN is in force
        self._ended = threading.Event()  # set when the thread has returned

    def start(self) -> None:
        self._thread.start()

    def stop_soon(self) -> None:
        """Stop listening: the thread ends within ``LISTEN_WAIT_S`` (or, while connecting,
        the connection timeout), and calls back no more."""
        self._stopping.set()

    def stop(self) -> None:
        """Stop listening and wait for the thread to end."""
        self._stopping.set()
        if self._thread.ident is not None:  # started
            self._thread.join()

    @property
    def running(self) -> bool:
        return self._thread.ident is not None and not self._ended.is_set()

    @property
    def backend_pid(self) -> int | None:
        """The server process of the listening connection (for tests that end it)."""
        connection = self._connection
        return None if connection is None or connection.closed else connection.info.backend_pid

    def _run(self) -> None:
        try:
            self._listen_until_stopped()
        finally:
            self._ended.set()

    def _listen_until_stopped(self) -> None:
        import psycopg

        while not self._stopping.is_set():
            try:
                self._listen()
                return
            except (psycopg.Error, OSError) as error:  # a lost server: try again, later
                self.listening.clear()
                delay = RECONNECT_DELAYS_S[min(self._failures, len(RECONNECT_DELAYS_S) - 1)]
                self._failures += 1
                log.info("Listening for other clients' changes stopped (%s)", error)
                self._report(False, f"Reconnecting in {delay:g} s…")
                self._stopping.wait(delay)

    def _connect(self) -> psycopg.Connection[Any]:
        import psycopg

        database: Any = self._store.database
        parameters = {
            key: value
            for key, value in database.connect_params.items()
            if key in ("host", "port", "user", "password", "connect_timeout", "options")
        }
        return psycopg.connect(dbname=database.database, autocommit=True, **parameters)

    def _listen(self) -> None:
        from psycopg import sql

        with self._connect() as connection:
            self._connection = connection
            schema = connection.execute("SELECT current_schema()").fetchone()
            channel = change_log.postgres_channel(str(schema[0] if schema else "public"))
            connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            self.listening.set()
            self._failures = 0
            missed = self._catch_up(connection)
            self._report(True, "Connected")
            if missed:
                self._hand_over(missed)
            own_writers = self._store.own_backend_pids
            while not self._stopping.is_set():
                payloads = [
                    notification.payload
                    for notification in connection.notifies(timeout=LISTEN_WAIT_S, stop_after=1)
                    if notification.pid not in own_writers
                ]
                if payloads:
                    payloads += [
                        notification.payload
                        for notification in connection.notifies(timeout=BURST_S)
                        if notification.pid not in own_writers
                    ]
                    burst = [
                        change for payload in payloads for change in parse_notification(payload)
                    ]
                    self._hand_over(merged(burst))
        self._connection = None

    def _hand_over(self, changes: RemoteChanges) -> None:
        if not self._stopping.is_set():
            self._on_changes(changes)

    def _report(self, connected: bool, text: str) -> None:
        if not self._stopping.is_set():
            self._on_state(connected, text)

    def _catch_up(self, connection: psycopg.Connection[Any]) -> RemoteChanges:
        """What others committed after the last row known (after a reconnect some of it may
        already have been announced: a second refresh of a view shows the same)."""
        table = change_log.TABLE
        if self._last_id is None:
            row = connection.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()
            self._last_id = int(row[0]) if row else 0
            return []
        rows = connection.execute(
            f"SELECT max(id), kind, incident_id FROM {table} WHERE id > %s AND client <> %s "
            "GROUP BY kind, incident_id",
            (self._last_id, self._store.client_id),
        ).fetchall()
        self._last_id = max([self._last_id, *(int(row[0]) for row in rows)])
        return grouped((str(row[1]), int(row[2])) for row in rows)


def merged(changes: RemoteChanges) -> RemoteChanges:
    """Several ``Changed`` as one per kind."""
    return grouped(
        (kind, incident_id)
        for change in changes
        for kind in change.kinds
        for incident_id in change.incident_ids
    )
