"""Opening a database (SQLite file or PostgreSQL server) and explaining every failure."""

from __future__ import annotations

import atexit
import errno
import functools
import inspect
import logging
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import peewee as pw
from playhouse.pool import PooledPostgresqlDatabase

from incidentdesk.errors import ServiceError
from incidentdesk.storage import applied_writes, change_log, migrations, postgres_driver
from incidentdesk.storage.locations import (
    HIDDEN_PASSWORD,
    DatabaseLocation,
    PostgresLocation,
    SqliteLocation,
)
from incidentdesk.storage.models import bound_to
from incidentdesk.storage.secrets import KeyringUnavailable, load_password

SQLITE_BUSY_TIMEOUT_S = 5.0
POSTGRES_CONNECT_TIMEOUT_S = 5
SQLITE_HEADER = b"SQLite format 3\x00"
# A path is shown whole up to this length; longer ones by their two ends.
SHOWN_PATH_LIMIT = 160
log = logging.getLogger(__name__)


class DatabaseOpenError(ServiceError):
    """The database cannot be opened; the message is one sentence saying why and what to do."""


class SchemaTooNew(DatabaseOpenError):
    pass


class SchemaTooOld(DatabaseOpenError):
    pass


class DatabaseUnavailable(ServiceError, pw.OperationalError):
    """A read or write failed for a reason outside the program (a full disk, a lost server):
    the message says what happened, whether anything was saved, and what to do. It is a
    peewee ``OperationalError``, so every handler of database errors still catches it."""


class ConnectionLost(DatabaseUnavailable):
    """The PostgreSQL server ended the connection; a fresh one is taken on the next use."""


class ServerUnreachable(DatabaseUnavailable):
    """No new connection to the PostgreSQL server of an open database could be made (it is
    down, restarting or cut off): nothing was sent, so the work can be tried again later."""


def is_connection_failure(error: BaseException) -> bool:
    """Whether ``error`` says the team server went away, rather than anything about the
    work itself: a read that failed so is worth sending again once the server is back."""
    return isinstance(error, ConnectionLost | ServerUnreachable)


def shown_path(path: Path) -> str:
    """``path`` short enough for a one-line message."""
    text = str(path)
    if len(text) <= SHOWN_PATH_LIMIT:
        return text
    half = SHOWN_PATH_LIMIT // 2
    return f"{text[:half]}…{text[-half:]} ({len(text):,} characters)"


@dataclass(frozen=True)
class GrantsAfterUpgrade:
    """What opening did for the program's role after upgrading a PostgreSQL database
    (``storage/grants.py``): ``role`` was granted the tables anew, or ``refusal`` says why
    not; with neither, no role is recorded in the database."""

    role: str | None
    refusal: str | None = None


@dataclass
class Store:
    """An open Incident Desk database: the peewee handle and where it lives."""

    database: pw.Database
    location: DatabaseLocation
    schema_version: int
    # Set when opening applied migrations to a PostgreSQL database that had tables.
    grants_after_upgrade: GrantsAfterUpgrade | None = None

    @property
    def is_sqlite(self) -> bool:
        return isinstance(self.location, SqliteLocation)

    @property
    def read_only(self) -> bool:
        """Opened read-only: an SQLite file that cannot be written, for a command that reads."""
        return _is_read_only(self.database)

    @property
    def client_id(self) -> str:
        """This store's id as a writer in the change log (``storage/change_log.py``)."""
        return str(getattr(self.database, "client_id", ""))

    @property
    def own_backend_pids(self) -> set[int]:
        """PostgreSQL: the server processes of this store's connections (none on SQLite)."""
        pids: set[int] = getattr(self.database, "backend_pids", set())
        return pids

    def bound(self) -> AbstractContextManager[None]:
        """The models bound to this database for the block, on the calling thread: every
        operation on the store runs inside one (see ``store_operations``)."""
        return bound_to(self.database)

    @contextmanager
    def write(self) -> Iterator[None]:
        """A write transaction; on SQLite it takes the write lock at BEGIN (IMMEDIATE)."""
        with bound_to(self.database), self.database.atomic():
            yield

    def close(self) -> None:
        close_database(self.database)

    def log_refused_grants(self) -> None:
        """For a window, which upgrades as it opens and has no one to tell: a refusal to
        grant the program's role the new tables goes to the log."""
        grants = self.grants_after_upgrade
        if grants is not None and grants.refusal is not None:
            log.warning(
                "%s was upgraded to schema %d. %s",
                self.location.display_name,
                self.schema_version,
                grants.refusal,
            )


StoreUserT = TypeVar("StoreUserT", bound=type)
T = TypeVar("T")


def store_operations(cls: StoreUserT) -> StoreUserT:
    """Class decorator for a service that keeps its ``Store`` in ``self._store``: each public
    method runs with the models bound to that store, on the calling thread, for the length of
    the call. So a service of one store never reads or writes another, whichever thread runs
    it and whatever else that thread ran before."""
    for name, member in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(member):
            continue
        if inspect.isgeneratorfunction(member):
            # Its body would run after the call returned, when the binding is gone.
            raise TypeError(f"{cls.__name__}.{name} is a generator; return a list instead")
        setattr(cls, name, _in_store(member))
    return cls


def _in_store(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def in_store(self: Any, *args: Any, **kwargs: Any) -> Any:
        with bound_to(self._store.database):
            return method(self, *args, **kwargs)

    return in_store


def close_database(database: pw.Database) -> None:
    """Close every connection: a pool's close() only hands its connection back to the pool."""
    database.close_all() if hasattr(database, "close_all") else database.close()


def _explain_sqlite_error(location: SqliteLocation, error: sqlite3.Error) -> str | None:
    """The sentence for an SQLite failure whose cause is outside the program, else None."""
    primary_code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    path = shown_path(location.path)
    if primary_code == sqlite3.SQLITE_FULL:
        return (
            f"The disk holding {path} is full, so nothing was changed; free some space on it "
            "and try again."
        )
    if primary_code == sqlite3.SQLITE_IOERR:
        return (
            f"{path} could not be read or written (an input/output error on its disk), so "
            "nothing was changed; check the disk (is it still connected, does the system log "
            "show disk errors?) and try again."
        )
    if primary_code == sqlite3.SQLITE_READONLY:
        return (
            f"{path} can no longer be written (the file or its folder became read-only), so "
            "nothing was changed; restore write access and try again."
        )
    if primary_code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return (
            f"{path} is damaged ({error}), so nothing was changed; restore it from a backup "
            "('incidentdesk db check' shows the damage)."
        )
    if primary_code in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        return (
            f"{path} cannot be opened any more (was it, or its folder, moved, deleted or "
            "locked down?), so nothing was changed; check the file and try again."
        )
    if primary_code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return (
            f"{path} is locked by another program (for more than {SQLITE_BUSY_TIMEOUT_S:g} s), "
            "so nothing was changed; try again in a moment."
        )
    return None


class _SqliteDatabase(pw.SqliteDatabase):
    """SQLite that names the cause of a failure instead of a later one that hides it, and
    that never touches its files' memory mapping once they can no longer be written.

    SQLite maps the -shm file into memory and writes to it on every read, write and close;
    once the file is made immutable (or its file system read-only) such a write ends the
    process with SIGBUS. So each statement first checks that the files can still be
    written, and a connection whose files cannot is left open, untouched, until the process
    ends (the kernel then unmaps it; everything committed is already in the files).
    """

    def __init__(self, location: SqliteLocation, name: str, **options: Any) -> None:
        self.location = location
        self._read_only = bool(options.get("uri")) and "mode=ro" in name
        # Checked before every statement: the paths are made once (pathlib costs more than
        # the three access() calls).
        self._files = (str(location.path), str(_wal_path(location)), str(_shm_path(location)))
        self._raw_connections: list[sqlite3.Connection] = []
        self._raw_lock = threading.Lock()
        self.client_id = change_log.new_client_id()
        super().__init__(name, **options)
        _OPEN_SQLITE_DATABASES.add(self)

    def _connect(self) -> sqlite3.Connection:
        connection: sqlite3.Connection = super()._connect()  # type: ignore[misc]
        # Held here, not only in a thread's local state: a thread that ends must not close
        # its connection by dropping it (see leave_if_read_only).
        with self._raw_lock:
            self._raw_connections.append(connection)
        if not self._read_only:
            change_log.identify_sqlite_connection(connection, self.client_id)
        return connection

    def _close(self, connection: sqlite3.Connection) -> None:
        with self._raw_lock:
            if connection in self._raw_connections:
                self._raw_connections.remove(connection)
        if self.files_writable():
            connection.close()
        else:
            _leave_untouched(connection, self.location)

    def has_connections(self) -> bool:
        """Whether a connection to the file is open, on any thread."""
        with self._raw_lock:
            return bool(self._raw_connections)

    def files_writable(self) -> bool:
        """Whether the file, its -wal and its -shm (those that exist) can still be written."""
        if self._read_only:
            return True
        # A loop, not all() over a generator: this runs before every statement.
        for path in self._files:
            if not os.access(path, os.W_OK) and os.path.exists(path):
                return False
        return True

    def leave_if_read_only(self) -> None:
        """At exit: leave every connection whose files became read-only untouched."""
        if self.files_writable():
            return
        with self._raw_lock:
            left, self._raw_connections = self._raw_connections, []
        for connection in left:
            _leave_untouched(connection, self.location)

    def _refuse_if_read_only(self) -> None:
        if not self.files_writable():
            raise DatabaseUnavailable(
                f"{shown_path(self.location.path)} became read-only while it was open, so "
                "nothing was changed; restore write access to it, its -wal and its -shm "
                "files, then quit and start again."
            )

    def _explained(self, error: pw.DatabaseError) -> pw.DatabaseError:
        """``error`` as a ``DatabaseUnavailable`` naming its cause, where it has one."""
        if isinstance(error, DatabaseUnavailable):
            return error
        driver_error = error.__cause__ or error.__context__  # peewee re-raises the driver's
        if isinstance(driver_error, sqlite3.Error):
            sentence = _explain_sqlite_error(self.location, driver_error)
            if sentence is not None:
                return DatabaseUnavailable(sentence)
        return error

    def _causes_named(self, run: Callable[..., T], *args: Any) -> T:
        """``run(*args)``, refused once the files are read-only, and a failure whose cause is
        outside the program raised as the ``DatabaseUnavailable`` that names it. A plain
        call, not a context manager: it wraps every statement, and a context manager's
        generator costs more than the checks themselves."""
        self._refuse_if_read_only()
        try:
            return run(*args)
        except pw.DatabaseError as error:
            explained = self._explained(error)
            if explained is error:
                raise
            raise explained from error

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        if sql.startswith("ROLLBACK TO SAVEPOINT") and not self._in_sqlite_transaction():
            # SQLite already rolled the whole transaction back
            return self.cursor()  # type: ignore[no-untyped-call]
        return self._causes_named(super().execute_sql, sql, params)

    def begin(self, lock_type: str | None = None) -> None:
        self._causes_named(super().begin, lock_type)

    def commit(self) -> None:
        self._causes_named(super().commit)

    def rollback(self) -> None:
        # After a full disk or an I/O error SQLite has already rolled the transaction back;
        # a second ROLLBACK would fail and its "no transaction is active" hide the cause.
        # Files gone read-only are not touched: the transaction dies with the process.
        if self.files_writable() and self._in_sqlite_transaction():
            super().rollback()

    def _in_sqlite_transaction(self) -> bool:
        return not self.is_closed() and bool(self.connection().in_transaction)  # type: ignore[no-untyped-call]


_OPEN_SQLITE_DATABASES: weakref.WeakSet[_SqliteDatabase] = weakref.WeakSet()
_LEFT_UNTOUCHED: list[sqlite3.Connection] = []


def _leave_untouched(connection: sqlite3.Connection, location: SqliteLocation) -> None:
    """Keep ``connection`` from ever being closed: closing it would write to a memory
    mapping of a file that can no longer be written, and the process would die (SIGBUS)."""
    if any(kept is connection for kept in _LEFT_UNTOUCHED):
        return
    _LEFT_UNTOUCHED.append(connection)
    import ctypes  # here, not at start-up: a file gone read-only is rare

    # The list is emptied when the interpreter shuts down; one reference that is never
    # released keeps the connection from being deallocated, and so closed, even then.
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(connection))
    # Without a configured handler (the command line) a warning goes to standard error.
    log.warning(
        "%s became read-only while it was open; it was left without writing to it "
        "(everything saved before is in the file).",
        shown_path(location.path),
    )


@atexit.register
def _leave_read_only_files_untouched() -> None:
    for database in list(_OPEN_SQLITE_DATABASES):
        database.leave_if_read_only()


def _sqlite_database(
    location: SqliteLocation, *, read_only: bool = False, temp_in_memory: bool = False
) -> pw.SqliteDatabase:
    name, options = str(location.path), {}
    if read_only:
        # A WAL file needs its -shm beside it; with neither there and a folder that cannot be
        # written, no one can be writing, and "immutable" reads the file without them.
        unwritable_folder = not os.access(location.path.parent, os.W_OK)
        no_wal = not _wal_path(location).exists() and not _shm_path(location).exists()
        immutable = "&immutable=1" if unwritable_folder and no_wal else ""
        name, options = f"file:{quote(str(location.path))}?mode=ro{immutable}", {"uri": True}
    return _SqliteDatabase(
        location,
        name,
        pragmas={
            "foreign_keys": 1,
            "busy_timeout": int(SQLITE_BUSY_TIMEOUT_S * 1000),
            "synchronous": "normal",
            # Set at connecting, before the connection's temporary change-log table is made:
            # changing it later drops every temporary table.
            **({"temp_store": "memory"} if temp_in_memory else {}),
        },
        timeout=SQLITE_BUSY_TIMEOUT_S,
        lock_type="IMMEDIATE",
        returning_clause=True,
        **options,
    )


def _wal_path(location: SqliteLocation) -> Path:
    return location.path.with_name(location.path.name + "-wal")


def _shm_path(location: SqliteLocation) -> Path:
    return location.path.with_name(location.path.name + "-shm")


def _check_sqlite_file(location: SqliteLocation, *, create: bool, reading_only: bool) -> bool:
    """Refuse, in words, a file that cannot be used; True if it must be opened read-only."""
    try:
        return _check_sqlite_path(location, create=create, reading_only=reading_only)
    except OSError as error:
        if error.errno == errno.ENAMETOOLONG:
            raise DatabaseOpenError(
                f"The database path is too long for the file system "
                f"({len(str(location.path)):,} characters: {shown_path(location.path)}); "
                "choose a shorter one."
            ) from None
        raise DatabaseOpenError(
            f"{shown_path(location.path)} cannot be reached ({error.strerror}); check the "
            "path and its folders' permissions."
        ) from None


def _check_sqlite_path(location: SqliteLocation, *, create: bool, reading_only: bool) -> bool:
    path = location.path
    folder = path.parent
    shown = shown_path(path)
    if path.is_dir():
        raise DatabaseOpenError(f"{shown} is a folder, not a database file; choose a file.")
    if not path.exists():
        if not create:
            raise DatabaseOpenError(
                f"There is no database at {shown}; create one with "
                f"'incidentdesk db init --db sqlite:///{path}'."
            )
        if not folder.is_dir():
            raise DatabaseOpenError(
                f"The folder {shown_path(folder)} does not exist; create it or choose another "
                "place."
            )
    writable = os.access(folder, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))
    if writable:
        return False
    if reading_only and path.exists():
        return True
    raise DatabaseOpenError(
        f"{shown} cannot be written (no permission); ask for write access or copy it "
        "somewhere you can write."
    )


def _diagnose_unreadable(location: SqliteLocation, error: Exception, header: bytes) -> str:
    """Why SQLite cannot read a file, from its ``header`` read before connecting: not SQLite
    at all, cut short, or damaged inside. A file this process holds is not read (see
    ``_read_header``), so nothing is said of its header."""
    path = location.path
    held_here = not header and held_by_this_process(path)
    if not held_here and not header.startswith(SQLITE_HEADER):
        return f"{shown_path(path)} is not an Incident Desk database (it is not an SQLite file)."
    truncated = _truncation(location, header) if header else None
    if truncated:
        return truncated
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else "unreadable"
    return (
        f"{shown_path(path)} is an SQLite database but it is damaged ({first_line}); restore "
        "it from a backup ('incidentdesk db check' shows the damage)."
    )


def _read_header(path: Path) -> bytes:
    """The first 100 bytes of an SQLite file (its header), or fewer; nothing while this
    process has the file open.

    SQLite's locks on the file are POSIX locks, which belong to the process: closing any
    other descriptor of the file drops them all. Another client would then take itself for
    the file's last user, checkpoint and delete the -wal file, and whatever this process
    committed afterwards would go to a deleted file, lost without a word."""
    if not path.exists() or held_by_this_process(path):
        return b""
    with path.open("rb") as file:
        return file.read(100)


def held_by_this_process(path: Path) -> bool:
    """Whether ``path`` is an SQLite database that this process has open, or its -wal,
    -shm or -journal file: a file that must not be opened and closed here (see
    ``_read_header``)."""
    real_path = os.path.realpath(path)
    for suffix in ("-wal", "-shm", "-journal"):
        real_path = real_path.removesuffix(suffix)
    return any(
        database.has_connections() and os.path.realpath(database.location.path) == real_path
        for database in list(_OPEN_SQLITE_DATABASES)
    )


def _truncation(location: SqliteLocation, header: bytes) -> str | None:
    """A sentence if the file is shorter than its own header says, else None."""
    if len(header) < 100:
        return (
            f"{shown_path(location.path)} is an SQLite database but it is truncated (only "
            f"{len(header)} bytes are left); restore it from a backup."
        )
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count is trusted only when written by the same change as the header.
    counted = header[92:96] == header[24:28] and pages > 0
    expected = pages * page_size
    size = location.path.stat().st_size
    # Pages not yet copied from the WAL (a checkpoint cut short, as by a full disk) are still
    # there: only a file without one is short of its own pages.
    wal = _wal_path(location)
    pending = wal.exists() and wal.stat().st_size > 0
    if not counted or size >= expected or pending:
        return None
    return (
        f"{shown_path(location.path)} is an SQLite database but it is truncated: it holds "
        f"{size:,} of its {expected:,} bytes (was it copied while in use, or its disk full?); "
        "restore it from a backup."
    )


class _PooledPostgres(PooledPostgresqlDatabase):  # type: ignore[misc]
    """A pool that replaces a connection the server ended (a restart, a failover, an idle
    session killed), instead of failing on it for good.

    A statement that fails because the connection is gone drops that connection from the
    pool. Outside a transaction a read (SELECT) is then sent once more on a fresh connection;
    a write is never sent again blindly: it fails with ``ConnectionLost``, and so does
    anything inside a transaction, which the server has already discarded. BEGIN itself is
    safe to send again: nothing had been sent yet.
    """

    def __init__(
        self, location: PostgresLocation, name: str, client_id: str, **options: Any
    ) -> None:
        self.location = location
        self.client_id = client_id
        # The server processes of this pool's connections: notifications they sent come
        # from this client's own writes. A process id is not reused while the server runs
        # the process, and rarely soon after.
        self.backend_pids: set[int] = set()
        super().__init__(name, **options)

    def _connect(self) -> Any:
        import psycopg  # loaded already: this pool exists only once the driver is

        try:
            connection = super()._connect()
        except psycopg.OperationalError as error:
            if not self.backend_pids:
                raise  # opening: the connection check names each cause in its own words
            raise ServerUnreachable(explain_postgres_error(self.location, error)) from error
        self.backend_pids.add(connection.info.backend_pid)
        return connection

    def _connection_is_dead(self) -> bool:
        connection = self._state.conn
        if connection is None:
            return False
        return bool(connection.closed or getattr(connection, "broken", False))

    def _drop_dead_connection(self) -> None:
        log.info("The PostgreSQL server ended a connection; taking a fresh one from the pool.")
        self.manual_close()

    def _lost(self, error: Exception, *, while_saving: bool) -> ConnectionLost:
        where = f"{self.location.host}:{self.location.port}"
        outcome = (
            "nothing was saved; a new connection is ready, so save again"
            if while_saving
            else "a new connection is ready; try again"
        )
        lost = ConnectionLost(
            f"The connection to the PostgreSQL server at {where} was lost (the server ended "
            f"it), so {outcome}."
        )
        lost.__cause__ = error
        return lost

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        in_transaction = self.in_transaction()
        if not in_transaction and self._connection_is_dead():
            self._drop_dead_connection()
        try:
            return super().execute_sql(sql, params)
        except (pw.OperationalError, pw.InterfaceError) as error:
            if not self._connection_is_dead():
                raise
            if in_transaction:
                raise self._lost(error, while_saving=True) from None
            self._drop_dead_connection()
            if not _is_read(sql):
                raise self._lost(error, while_saving=True) from None
        try:
            return super().execute_sql(sql, params)
        except ServerUnreachable:
            raise
        except (pw.OperationalError, pw.InterfaceError) as error:
            if self._connection_is_dead():  # the fresh connection was ended too
                self._drop_dead_connection()
                raise self._lost(error, while_saving=False) from None
            raise DatabaseUnavailable(explain_postgres_error(self.location, error)) from error

    def begin(self, isolation_level: Any = None) -> None:
        if self._connection_is_dead():
            self._drop_dead_connection()
        try:
            super().begin(isolation_level)
        except (pw.OperationalError, pw.InterfaceError):
            if not self._connection_is_dead():
                raise
            self._drop_dead_connection()
            super().begin(isolation_level)

    def commit(self) -> None:
        try:
            super().commit()
        except (pw.OperationalError, pw.InterfaceError) as error:
            if not self._connection_is_dead():
                raise
            lost = self._lost(error, while_saving=False)
            raise ConnectionLost(
                f"{lost} The last change may or may not have been saved: reload it to see."
            ) from error

    def rollback(self) -> None:
        # The server discards the transaction of a connection it ends: nothing to roll back.
        if not self._connection_is_dead():
            super().rollback()


def _is_read(sql: str) -> bool:
    return sql.lstrip().upper().startswith(("SELECT", "WITH", "SHOW"))


def _postgres_database(location: PostgresLocation) -> pw.Database:
    postgres_driver.load()
    password = location.password
    if password is None:
        try:
            password = load_password(location.url)
        except KeyringUnavailable as error:
            raise DatabaseOpenError(f"{error}.") from error
    client_id = change_log.new_client_id()
    # The change log's triggers read which client wrote (storage/change_log.py).
    settings = [f"-c incidentdesk.client={client_id}"]
    if location.schema:
        settings.append(f"-c search_path={location.schema}")
    options = {"options": " ".join(settings)}
    database: pw.Database = _PooledPostgres(
        location,
        location.database,
        client_id,
        host=location.host,
        port=location.port,
        user=location.user,
        password=password,
        connect_timeout=POSTGRES_CONNECT_TIMEOUT_S,
        prefer_psycopg3=True,
        max_connections=16,
        stale_timeout=300,
        **options,
    )
    return database


def explain_postgres_error(location: PostgresLocation, error: Exception) -> str:
    text = str(error)
    if location.password:
        text = text.replace(location.password, HIDDEN_PASSWORD)
    where = f"{location.host}:{location.port}"
    if "password authentication failed" in text:
        return (
            f"The server at {where} refused the password for '{location.user}'; store the right "
            f"one with 'incidentdesk db set-password {location.url}'."
        )
    if "no password supplied" in text or "password is required" in text:
        return (
            f"The server at {where} asks for a password for '{location.user}'; store it with "
            f"'incidentdesk db set-password {location.url}'."
        )
    if "does not exist" in text and "database" in text:
        return (
            f"The database '{location.database}' does not exist on {where}; create it with "
            f"'createdb -h {location.host} -p {location.port} {location.database}'."
        )
    if "role" in text and "does not exist" in text:
        return f"The server at {where} has no user '{location.user}'; check the user name."
    if "schema" in text and "does not exist" in text:
        return f"The schema '{location.schema}' does not exist in '{location.database}'."
    if any(
        word in text
        for word in (
            "Connection refused",
            "could not connect",
            "timeout",
            "timed out",
            "server closed the connection unexpectedly",
            "Connection reset",
            "No route to host",
        )
    ):
        return (
            f"The PostgreSQL server at {where} cannot be reached; check that it is running "
            "and that the address is right."
        )
    first_line = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return f"The PostgreSQL server at {where} refused the connection: {first_line}."


def connect(
    location: DatabaseLocation,
    *,
    create: bool,
    reading_only: bool = False,
    temp_in_memory: bool = False,
) -> pw.Database:
    """A connected peewee database for ``location``. With ``reading_only`` an SQLite file
    that cannot be written is opened read-only; ``temp_in_memory`` as for ``open_store``."""
    if isinstance(location, SqliteLocation):
        read_only = _check_sqlite_file(location, create=create, reading_only=reading_only)
        database: pw.Database = _sqlite_database(
            location, read_only=read_only, temp_in_memory=temp_in_memory
        )
        header = _read_header(location.path)  # before connecting: see _read_header
        try:
            database.connect()
            database.execute_sql("SELECT count(*) FROM sqlite_master").fetchone()
            truncated = _truncation(location, header) if header else None
            if truncated:
                raise DatabaseOpenError(truncated)
        except (sqlite3.DatabaseError, pw.DatabaseError) as error:
            database.close()
            if "locked" in str(error):
                raise DatabaseOpenError(
                    f"{shown_path(location.path)} is locked by another program; close it and "
                    "try again."
                ) from error
            raise DatabaseOpenError(_diagnose_unreadable(location, error, header)) from error
        except DatabaseOpenError:
            database.close()
            raise
    else:
        database = _postgres_database(location)
        try:
            database.connect()
            if location.schema:
                found = database.execute_sql(
                    "SELECT 1 FROM pg_namespace WHERE nspname = %s", (location.schema,)
                ).fetchone()
                if not found:
                    close_database(database)
                    raise DatabaseOpenError(
                        f"The schema '{location.schema}' does not exist in '{location.database}'."
                    )
        except DatabaseUnavailable as error:
            raise DatabaseOpenError(str(error)) from error
        except pw.OperationalError as error:
            raise DatabaseOpenError(explain_postgres_error(location, error)) from error
    return database


def open_store(
    location: DatabaseLocation,
    *,
    create: bool = True,
    upgrade: bool = True,
    reading_only: bool = False,
    temp_in_memory: bool = False,
) -> Store:
    """Open an Incident Desk database: create it if empty, upgrade it if older, refuse it if
    newer. ``reading_only`` (for commands that never write) opens a file that cannot be
    written read-only, as it is, instead of refusing it.

    ``temp_in_memory`` (SQLite; for a process that writes without pause, the alert
    receiver) keeps SQLite's temporary files in memory. Inside a transaction each statement
    that fires the search-index triggers keeps a journal of the pages it changes, to undo
    it alone; past 64 KiB that journal goes to a temporary file, opened, written page by
    page and deleted for every transaction: some 100 writes a new alert. In memory it is
    freed at the commit. Not for the window, whose large sorts would then stay in memory."""
    database = connect(
        location, create=create, reading_only=reading_only, temp_in_memory=temp_in_memory
    )
    try:
        tables = set(database.get_tables())
        version = migrations.read_version(database)
        if version == 0 and "schema_info" in tables:
            raise DatabaseOpenError(
                f"{location.display_name} is an Incident Desk database, but the record of "
                "its schema version is missing, so it cannot be read safely; restore it from a "
                "backup."
            )
        if version == 0 and tables - set(migrations.SEARCH_TABLES_SQLITE):
            raise DatabaseOpenError(
                f"{location.display_name} is not an Incident Desk database: it holds other tables."
            )
        if version > migrations.LATEST_VERSION:
            raise SchemaTooNew(
                f"{location.display_name} was written by a newer Incident Desk (schema "
                f"{version}; this program knows up to {migrations.LATEST_VERSION}); update the "
                "program to open it."
            )
        if version == 0 and not create:
            raise DatabaseOpenError(
                f"{location.display_name} is empty; create the tables with 'incidentdesk db init'."
            )
        if 0 < version < migrations.LATEST_VERSION and not upgrade:
            raise SchemaTooOld(
                f"{location.display_name} has schema {version} and this program needs "
                f"{migrations.LATEST_VERSION}; upgrade it with 'incidentdesk db upgrade'."
            )
        if isinstance(location, SqliteLocation) and not _is_read_only(database):
            # WAL mode is a lasting change to the file, so it waits until the file is known to
            # be ours (or empty): a refused file is left exactly as it was.
            database.execute_sql("PRAGMA journal_mode=wal")
        grants_after_upgrade = _upgrade(database, location, version)
        if not _is_read_only(database):
            with bound_to(database), database.atomic():
                change_log.prune(database)
                applied_writes.prune()
        return Store(database, location, migrations.read_version(database), grants_after_upgrade)
    except DatabaseUnavailable as error:
        close_database(database)
        raise DatabaseOpenError(str(error)) from error
    except pw.DatabaseError as error:
        close_database(database)
        raise DatabaseOpenError(
            f"{location.display_name} could not be read: {error}; run 'incidentdesk db check'."
        ) from error
    except DatabaseOpenError:
        close_database(database)
        raise


def _upgrade(
    database: pw.Database, location: DatabaseLocation, version: int
) -> GrantsAfterUpgrade | None:
    """Apply the pending migrations. On PostgreSQL only the tables' owner may: a person
    signed in with the program's role (storage/grants.py) is told whom to ask. The owner's
    upgrade then grants the role what it needs on the tables the migrations added."""
    try:
        applied = migrations.apply_migrations(database, version)
    except pw.ProgrammingError as error:
        text = str(error)
        # The last: a schema the login has no USAGE of is not on its search path.
        refusals = ("permission denied", "must be owner", "no schema has been selected")
        if not isinstance(location, PostgresLocation) or not any(r in text for r in refusals):
            raise
        if version == 0:
            raise DatabaseOpenError(
                f"{location.display_name} is empty, and '{location.user}' may not create its "
                "tables; ask whoever looks after the server to run 'incidentdesk db init'."
            ) from error
        raise SchemaTooOld(
            f"{location.display_name} has schema {version} and this program needs "
            f"{migrations.LATEST_VERSION}, but '{location.user}' may not change its tables; "
            "ask whoever set it up (the owner of its tables) to run 'incidentdesk db upgrade'."
        ) from error
    if version == 0 or not applied or not isinstance(location, PostgresLocation):
        # A new database gets its role from 'incidentdesk db init'; SQLite has no roles.
        return None
    return _grant_anew(database, location)


def _grant_anew(database: pw.Database, location: PostgresLocation) -> GrantsAfterUpgrade:
    # Imported here: grants.py reads this module's errors.
    from incidentdesk.storage.grants import RolesRefused, apply_grants, recorded_role

    role = None
    try:
        role = recorded_role(database)
        if role is not None:
            apply_grants(database, location, role)
    except RolesRefused as error:
        return GrantsAfterUpgrade(role, error.message)  # the upgrade stands all the same
    return GrantsAfterUpgrade(role)


def _is_read_only(database: pw.Database) -> bool:
    return "mode=ro" in str(database.database)
