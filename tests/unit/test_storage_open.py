"""Opening databases on both engines: creating, reopening, and refusing with one clear sentence."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from pathlib import Path

import psycopg
import pytest

from incidentdesk.domain.enums import DEFAULT_CATEGORIES
from incidentdesk.services.desk import open_desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.storage import migrations
from incidentdesk.storage import models as m
from incidentdesk.storage.database import (
    DatabaseOpenError,
    SchemaTooNew,
    Store,
    open_store,
)
from incidentdesk.storage.locations import PostgresLocation, parse_location
from incidentdesk.storage.settings_schema import DEFAULT_SETTINGS
from tests.conftest import POSTGRES_ADMIN_URL, require_postgres
from tests.factories import make_draft, sqlite_path


def one_sentence(message: str) -> bool:
    return "\n" not in message and message.endswith(".") and "Traceback" not in message


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_opening_an_empty_database_creates_the_latest_schema(database_address: str) -> None:
    store = open_store(parse_location(database_address))
    try:
        numbers = [migration.version for migration in migrations.MIGRATIONS]
        assert numbers == list(range(1, len(numbers) + 1))
        assert store.schema_version == migrations.LATEST_VERSION == numbers[-1]
        tables = set(store.database.get_tables())
        assert {model._meta.table_name for model in m.ALL_MODELS} <= tables
        with store.bound():
            assert m.SchemaInfo.get_by_id("application").value == migrations.APPLICATION_MARK
            assert m.SchemaInfo.get_by_id("version").value == str(migrations.LATEST_VERSION)
            assert m.Counter.get_by_id(migrations.INCIDENT_NUMBER_COUNTER).value == 0
            categories = m.Category.select().order_by(m.Category.position)
            assert [c.name for c in categories] == list(DEFAULT_CATEGORIES)
            assert {row.key for row in m.Setting.select()} == set(DEFAULT_SETTINGS)
    finally:
        store.close()


def test_reopening_keeps_the_data_and_applies_nothing_twice(database_address: str) -> None:
    desk = open_desk(database_address, login="first")
    desk.incidents.create(make_draft(title="Kept across opens"), desk.actor_id)
    identity = desk.identity
    desk.close()

    desk = open_desk(database_address, login="second")
    try:
        assert desk.store.schema_version == migrations.LATEST_VERSION
        assert [row.title for row in desk.incidents.rows(IncidentQuery())] == ["Kept across opens"]
        with desk.store.bound():
            assert m.Category.select().count() == len(DEFAULT_CATEGORIES)
            assert m.SchemaInfo.select().count() == 3  # the mark, the version and the identity
        assert desk.identity == identity
        assert {person.login for person in desk.catalog.people()} == {"first", "second"}
    finally:
        desk.close()


def test_a_newer_schema_is_refused_and_left_untouched(database_address: str) -> None:
    desk = open_desk(database_address, login="tester")
    desk.incidents.create(make_draft(), desk.actor_id)
    newer = migrations.LATEST_VERSION + 1
    with desk.store.bound():
        m.SchemaInfo.update(value=str(newer)).where(m.SchemaInfo.key == "version").execute()
    desk.close()
    location = parse_location(database_address)
    digest = file_digest(location.path) if not isinstance(location, PostgresLocation) else None

    with pytest.raises(SchemaTooNew) as refused:
        open_store(location)

    message = str(refused.value)
    assert "update the program" in message
    assert f"schema {newer}" in message
    assert f"up to {migrations.LATEST_VERSION}" in message
    assert one_sentence(message)
    assert isinstance(refused.value, DatabaseOpenError)
    if digest is not None:
        assert file_digest(location.path) == digest
    # Looked at without the program: still the newer version, nothing added or removed.
    version, incidents = read_raw(database_address)
    assert (version, incidents) == (str(newer), 1)


def read_raw(address: str) -> tuple[str, int]:
    """The recorded schema version and the number of incidents, read without the program."""
    location = parse_location(address)
    if isinstance(location, PostgresLocation):
        with psycopg.connect(POSTGRES_ADMIN_URL) as connection:
            connection.execute(f'SET search_path TO "{location.schema}"')
            (version,) = connection.execute(
                "SELECT value FROM schema_info WHERE key = 'version'"
            ).fetchone()
            (incidents,) = connection.execute("SELECT count(*) FROM incident").fetchone()
        return version, incidents
    connection = sqlite3.connect(location.path)
    try:
        (version,) = connection.execute(
            "SELECT value FROM schema_info WHERE key = 'version'"
        ).fetchone()
        (incidents,) = connection.execute("SELECT count(*) FROM incident").fetchone()
    finally:
        connection.close()
    return version, incidents


def test_an_empty_database_is_not_created_when_creation_is_not_asked_for(
    database_address: str,
) -> None:
    with pytest.raises(DatabaseOpenError) as refused:
        open_store(parse_location(database_address), create=False)
    message = str(refused.value)
    assert one_sentence(message)
    if database_address.startswith("sqlite"):
        assert message.startswith("There is no database at")
        assert "incidentdesk db init --db sqlite:///" in message
        assert not sqlite_path(database_address).exists()
    else:
        assert "is empty; create the tables with 'incidentdesk db init'" in message


def test_a_database_with_other_tables_is_not_taken_over(database_address: str) -> None:
    location = parse_location(database_address)
    if isinstance(location, PostgresLocation):
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'CREATE TABLE "{location.schema}".customers (name text)')
    else:
        connection = sqlite3.connect(location.path)
        connection.execute("CREATE TABLE customers (name TEXT)")
        connection.execute("INSERT INTO customers VALUES ('Ada')")
        connection.commit()
        connection.close()

    with pytest.raises(DatabaseOpenError) as refused:
        open_store(location)

    message = str(refused.value)
    assert message == (
        f"{location.display_name} is not an Incident Desk database: it holds other tables."
    )


def test_a_foreign_sqlite_file_is_not_modified(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE customers (name TEXT)")
    connection.commit()
    connection.close()
    digest = file_digest(path)

    with pytest.raises(DatabaseOpenError, match="holds other tables"):
        open_store(parse_location(f"sqlite:///{path}"))

    assert file_digest(path) == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


@pytest.mark.parametrize(
    "content",
    [b"Just some notes, not a database.\n" * 50, bytes(range(256)) * 16],
    ids=["text", "binary"],
)
def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(content)

    with pytest.raises(DatabaseOpenError) as refused:
        open_store(parse_location(f"sqlite:///{path}"))

    assert str(refused.value) == (
        f"{path} is not an Incident Desk database (it is not an SQLite file)."
    )
    assert path.read_bytes() == content


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "no" / "such" / "folder"
    with pytest.raises(DatabaseOpenError) as refused:
        open_store(parse_location(f"sqlite:///{folder / 'incidents.db'}"))
    message = str(refused.value)
    assert message == f"The folder {folder} does not exist; create it or choose another place."
    assert not folder.exists()


def test_a_folder_is_not_a_database_file(tmp_path: Path) -> None:
    with pytest.raises(DatabaseOpenError, match="is a folder, not a database file"):
        open_store(parse_location(f"sqlite:///{tmp_path}"))


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root may write anywhere, so a read-only folder cannot be simulated",
)
def test_a_read_only_folder_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(DatabaseOpenError, match="cannot be written"):
            open_store(parse_location(f"sqlite:///{folder / 'incidents.db'}"))
    finally:
        folder.chmod(0o700)


def test_a_refused_database_does_not_replace_the_one_in_use(
    sqlite_address: str, tmp_path: Path
) -> None:
    desk = open_desk(sqlite_address, login="tester")
    try:
        desk.incidents.create(make_draft(title="In the open database"), desk.actor_id)
        foreign = tmp_path / "foreign.db"
        connection = sqlite3.connect(foreign)
        connection.execute("CREATE TABLE customers (name TEXT)")
        connection.close()

        with pytest.raises(DatabaseOpenError):
            open_desk(f"sqlite:///{foreign}")

        # The window keeps working on the database it had open.
        assert [row.title for row in desk.incidents.rows(IncidentQuery())] == [
            "In the open database"
        ]
        assert desk.incidents.create(make_draft(), desk.actor_id).key == "INC-2"
    finally:
        desk.close()


# PostgreSQL: every way the server can refuse ends in one sentence that says what to do.


@pytest.mark.postgres
def test_an_unreachable_server_is_named() -> None:
    location = parse_location("postgresql://postgres@127.0.0.1:1/test")
    with pytest.raises(DatabaseOpenError) as refused:
        open_store(location)
    assert str(refused.value) == (
        "The PostgreSQL server at 127.0.0.1:1 cannot be reached; check that it is running "
        "and that the address is right."
    )


@pytest.mark.postgres
def test_a_missing_database_is_named_with_the_command_to_create_it() -> None:
    require_postgres()
    location = parse_location("postgresql://postgres@127.0.0.1:5432/incidentdesk_no_such_db")
    with pytest.raises(DatabaseOpenError) as refused:
        open_store(location)
    assert str(refused.value) == (
        "The database 'incidentdesk_no_such_db' does not exist on 127.0.0.1:5432; create it "
        "with 'createdb -h 127.0.0.1 -p 5432 incidentdesk_no_such_db'."
    )


@pytest.mark.postgres
def test_an_unknown_user_is_named() -> None:
    require_postgres()
    location = parse_location("postgresql://incidentdesk_nobody@127.0.0.1:5432/test")
    with pytest.raises(DatabaseOpenError) as refused:
        open_store(location)
    assert str(refused.value) == (
        "The server at 127.0.0.1:5432 has no user 'incidentdesk_nobody'; check the user name."
    )


@pytest.mark.postgres
def test_a_missing_schema_is_named() -> None:
    require_postgres()
    location = parse_location(f"{POSTGRES_ADMIN_URL}?schema=incidentdesk_no_such_schema")
    with pytest.raises(DatabaseOpenError) as refused:
        open_store(location)
    assert str(refused.value) == (
        "The schema 'incidentdesk_no_such_schema' does not exist in 'test'."
    )


def test_a_new_sqlite_database_uses_wal_foreign_keys_and_a_busy_timeout(
    sqlite_address: str,
) -> None:
    store = open_store(parse_location(sqlite_address))
    try:
        pragma = store.database.execute_sql
        assert pragma("PRAGMA journal_mode").fetchone() == ("wal",)
        assert pragma("PRAGMA foreign_keys").fetchone() == (1,)
        assert pragma("PRAGMA busy_timeout").fetchone()[0] >= 1000
    finally:
        store.close()


def test_each_database_has_an_identity_of_its_own(tmp_path: Path) -> None:
    identities = []
    for name in ("a.db", "b.db"):
        desk = open_desk(f"sqlite:///{tmp_path / name}", login="tester")
        identities.append(desk.identity)
        desk.close()
    assert all(len(identity.database_id) == 32 for identity in identities)
    assert identities[0].database_id != identities[1].database_id
    assert identities[0].location == f"sqlite:///{tmp_path / 'a.db'}"


def test_an_older_database_is_given_an_identity_when_upgraded(tmp_path: Path) -> None:
    address = f"sqlite:///{tmp_path / 'old.db'}"
    desk = open_desk(address, login="tester")
    with desk.store.bound():
        m.SchemaInfo.delete().where(m.SchemaInfo.key == migrations.DATABASE_ID_KEY).execute()
        m.SchemaInfo.update(value="4").where(m.SchemaInfo.key == "version").execute()
    desk.close()

    desk = open_desk(address, login="tester")
    try:
        assert desk.store.schema_version == migrations.LATEST_VERSION
        assert len(desk.identity.database_id) == 32
    finally:
        desk.close()


def temp_store_and_client(store: Store) -> tuple[int, str]:
    """This thread's connection: its temp_store setting and the client id its temporary
    change-log table names."""
    database = store.database
    setting = database.execute_sql("PRAGMA temp_store").fetchone()[0]
    client = database.execute_sql("SELECT id FROM temp.incidentdesk_client").fetchone()[0]
    return int(setting), str(client)


def test_temp_in_memory_keeps_sqlites_temporary_files_in_memory_on_every_connection(
    sqlite_address: str,
) -> None:
    """The alert receiver's store: each thread's connection is set as it is opened, before
    its temporary change-log table is made (changing the setting later would drop it)."""
    store = open_store(parse_location(sqlite_address), temp_in_memory=True)
    on_another_thread: list[tuple[int, str]] = []

    def read_on_another_thread() -> None:
        try:
            on_another_thread.append(temp_store_and_client(store))
        finally:
            store.database.close()

    try:
        assert temp_store_and_client(store) == (2, store.client_id)  # 2: MEMORY
        thread = threading.Thread(target=read_on_another_thread)
        thread.start()
        thread.join()
        assert on_another_thread == [(2, store.client_id)]
    finally:
        store.close()
    default = open_store(parse_location(sqlite_address))
    try:
        assert temp_store_and_client(default) == (0, default.client_id)  # SQLite's default
    finally:
        default.close()
