"""Opening a database (SQLite file or PostgreSQL server) and explaining every failure."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import peewee as pw

from incidentdesk.storage import migrations
from incidentdesk.storage.locations import (
    HIDDEN_PASSWORD,
    DatabaseLocation,
    PostgresLocation,
    SqliteLocation,
)
from incidentdesk.storage.models import database_proxy
from incidentdesk.storage.secrets import KeyringUnavailable, load_password

SQLITE_BUSY_TIMEOUT_S = 5.0
POSTGRES_CONNECT_TIMEOUT_S = 5


class DatabaseOpenError(Exception):
    """The database cannot be opened; the message is one sentence saying why and what to do."""


class SchemaTooNew(DatabaseOpenError):
    pass


class SchemaTooOld(DatabaseOpenError):
    pass


@dataclass
class Store:
    """An open Incident Desk database: the peewee handle and where it lives."""

    database: pw.Database
    location: DatabaseLocation
    schema_version: int

    @property
    def is_sqlite(self) -> bool:
        return isinstance(self.location, SqliteLocation)

    @contextmanager
    def write(self) -> Iterator[None]:
        """A write transaction; on SQLite it takes the write lock at BEGIN (IMMEDIATE)."""
        with self.database.atomic():
            yield

    def close(self) -> None:
        close_database(self.database)


def close_database(database: pw.Database) -> None:
    """Close every connection: a pool's close() only hands its connection back to the pool."""
    database.close_all() if hasattr(database, "close_all") else database.close()


def _sqlite_database(location: SqliteLocation) -> pw.SqliteDatabase:
    return pw.SqliteDatabase(
        str(location.path),
        pragmas={
            "foreign_keys": 1,
            "busy_timeout": int(SQLITE_BUSY_TIMEOUT_S * 1000),
            "synchronous": "normal",
        },
        timeout=SQLITE_BUSY_TIMEOUT_S,
        lock_type="IMMEDIATE",
        returning_clause=True,
    )


def _check_sqlite_file(location: SqliteLocation, *, create: bool) -> None:
    path = location.path
    folder = path.parent
    if path.is_dir():
        raise DatabaseOpenError(f"{path} is a folder, not a database file; choose a file.")
    if not path.exists():
        if not create:
            raise DatabaseOpenError(
                f"There is no database at {path}; create one with "
                f"'incidentdesk db init --db sqlite:///{path}'."
            )
        if not folder.is_dir():
            raise DatabaseOpenError(
                f"The folder {folder} does not exist; create it or choose another place."
            )
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise DatabaseOpenError(
            f"{path} cannot be written (no permission); ask for write access or copy it "
            "somewhere you can write."
        )


def _postgres_database(location: PostgresLocation) -> pw.Database:
    from playhouse.pool import PooledPostgresqlDatabase

    password = location.password
    if password is None:
        try:
            password = load_password(location.url)
        except KeyringUnavailable as error:
            raise DatabaseOpenError(f"{error}.") from error
    options: dict[str, str] = {}
    if location.schema:
        options["options"] = f"-c search_path={location.schema}"
    database: pw.Database = PooledPostgresqlDatabase(
        location.database,
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
        word in text for word in ("Connection refused", "could not connect", "timeout", "timed out")
    ):
        return (
            f"The PostgreSQL server at {where} cannot be reached; check that it is running "
            "and that the address is right."
        )
    first_line = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return f"The PostgreSQL server at {where} refused the connection: {first_line}."


def connect(location: DatabaseLocation, *, create: bool) -> pw.Database:
    """A connected peewee database for ``location``, bound to the models."""
    if isinstance(location, SqliteLocation):
        _check_sqlite_file(location, create=create)
        database: pw.Database = _sqlite_database(location)
        try:
            database.connect()
            database.execute_sql("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as error:  # peewee re-raises driver errors as its own
            database.close()
            raise DatabaseOpenError(
                f"{location.path} is not an Incident Desk database (it is not an SQLite file)."
            ) from error
        except pw.DatabaseError as error:
            database.close()
            if "locked" in str(error):
                raise DatabaseOpenError(
                    f"{location.path} is locked by another program; close it and try again."
                ) from error
            raise DatabaseOpenError(
                f"{location.path} is not an Incident Desk database (it is not an SQLite file)."
            ) from error
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
        except pw.OperationalError as error:
            raise DatabaseOpenError(explain_postgres_error(location, error)) from error
    database_proxy.initialize(database)
    return database


def open_store(location: DatabaseLocation, *, create: bool = True, upgrade: bool = True) -> Store:
    """Open an Incident Desk database: create it if empty, upgrade it if older, refuse it if
    newer."""
    # A refused database must not replace the one in use: the window keeps working on it.
    previous = database_proxy.obj
    database = connect(location, create=create)
    try:
        tables = set(database.get_tables())
        version = migrations.read_version(database)
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
        if isinstance(location, SqliteLocation):
            # WAL mode is a lasting change to the file, so it waits until the file is known to
            # be ours (or empty): a refused file is left exactly as it was.
            database.execute_sql("PRAGMA journal_mode=wal")
        migrations.apply_migrations(database, version)
        return Store(database, location, migrations.read_version(database))
    except pw.DatabaseError as error:
        _abandon(database, previous)
        raise DatabaseOpenError(
            f"{location.display_name} could not be read: {error}; run 'incidentdesk db check'."
        ) from error
    except DatabaseOpenError:
        _abandon(database, previous)
        raise


def _abandon(database: pw.Database, previous: pw.Database | None) -> None:
    """Close a refused database and bind the models back to the one open before it."""
    close_database(database)
    database_proxy.initialize(previous)
