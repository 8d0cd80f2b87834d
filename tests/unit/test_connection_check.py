"""Testing a database before opening it, on both engines: each outcome with its sentence,
nothing changed by the test, and the upgrade kept for admins."""

from __future__ import annotations

import pytest
from keyring.backends import fail

from incidentdesk.services.desk import open_desk
from incidentdesk.storage import migrations
from incidentdesk.storage import models as m
from incidentdesk.storage.connection_check import (
    Outcome,
    UpgradeRefused,
    check_connection,
    classify_postgres_failure,
    upgrade_database,
)
from incidentdesk.storage.database import close_database, connect
from incidentdesk.storage.locations import SqliteLocation, parse_location
from incidentdesk.storage.secrets import keyring_problem
from tests.conftest import InstallKeyring, MemoryKeyring


def set_version(address: str, version: int) -> None:
    database = connect(parse_location(address), create=False)
    try:
        with m.bound_to(database):
            m.SchemaInfo.update(value=str(version)).where(m.SchemaInfo.key == "version").execute()
    finally:
        close_database(database)


def make_admin(address: str, login: str) -> None:
    desk = open_desk(address, login=login)
    try:
        with desk.store.write():
            m.User.update(role="admin").where(m.User.id == desk.actor_id).execute()
    finally:
        desk.close()


def test_an_empty_database_is_reported_empty_and_left_empty(database_address: str) -> None:
    location = parse_location(database_address)
    if isinstance(location, SqliteLocation):
        location.path.touch()
    report = check_connection(location, "someone")
    assert report.outcome is Outcome.EMPTY
    assert report.can_open
    database = connect(location, create=False)
    try:
        assert database.get_tables() == []
    finally:
        close_database(database)


def test_an_incident_desk_database_is_ready(database_address: str) -> None:
    open_desk(database_address, login="someone").close()
    report = check_connection(parse_location(database_address), "someone")
    assert report.outcome is Outcome.READY
    assert report.sentence.startswith("Connected: ")
    assert report.sentence.endswith("is an Incident Desk database.")


def test_other_tables_are_not_an_incident_desk_database(database_address: str) -> None:
    location = parse_location(database_address)
    database = connect(location, create=True)
    try:
        database.execute_sql("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    finally:
        close_database(database)
    report = check_connection(location, "someone")
    assert report.outcome is Outcome.NOT_OURS
    assert not report.can_open
    assert "is not an Incident Desk database (it holds other tables)" in report.sentence


def test_a_newer_schema_asks_for_a_newer_program(database_address: str) -> None:
    open_desk(database_address, login="someone").close()
    newer = migrations.LATEST_VERSION + 2
    set_version(database_address, newer)
    report = check_connection(parse_location(database_address), "someone")
    assert report.outcome is Outcome.NEWER
    assert report.schema_version == newer
    assert f"(schema {newer}; this program knows up to {migrations.LATEST_VERSION})" in (
        report.sentence
    )


def test_an_older_schema_is_upgraded_by_an_admin_only(database_address: str) -> None:
    make_admin(database_address, "boss")  # the first person on a database is its admin
    open_desk(database_address, login="staffer").close()
    older = migrations.LATEST_VERSION - 1
    set_version(database_address, older)
    location = parse_location(database_address)

    staff_report = check_connection(location, "staffer")
    assert staff_report.outcome is Outcome.OLDER
    assert not staff_report.may_upgrade
    assert staff_report.sentence.endswith("ask one of its admins to upgrade it.")
    with pytest.raises(UpgradeRefused, match=r"Only an admin of .* may upgrade it"):
        upgrade_database(location, "staffer")
    assert check_connection(location, "staffer").schema_version == older

    admin_report = check_connection(location, "boss")
    assert admin_report.may_upgrade
    assert "as an admin you can upgrade it now" in (admin_report.sentence)
    assert upgrade_database(location, "boss") == migrations.LATEST_VERSION
    assert check_connection(location, "boss").outcome is Outcome.READY


@pytest.mark.parametrize(
    ("message", "outcome"),
    [
        (
            'connection to server at "db", port 5432 failed: FATAL:  password authentication '
            'failed for user "alice"',
            Outcome.WRONG_PASSWORD,
        ),
        ("fe_sendauth: no password supplied", Outcome.WRONG_PASSWORD),
        ('FATAL:  database "incidents" does not exist', Outcome.MISSING_DATABASE),
        (
            'connection to server at "127.0.0.1", port 1 failed: Connection refused',
            Outcome.UNREACHABLE,
        ),
        (
            'failed to resolve host "nowhere.invalid": could not translate host name',
            Outcome.UNREACHABLE,
        ),
        ("connection timeout expired", Outcome.UNREACHABLE),
        ('FATAL:  role "bob" is not permitted to log in', Outcome.REFUSED),
    ],
)
def test_postgres_failures_are_told_apart(message: str, outcome: Outcome) -> None:
    assert classify_postgres_failure(message) is outcome


def test_a_file_that_is_no_database_is_refused_in_words(tmp_path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("shopping list")
    report = check_connection(parse_location(str(path)), "someone")
    assert report.outcome is Outcome.REFUSED
    assert report.sentence.endswith("is not an Incident Desk database (it is not an SQLite file).")


def test_the_keyring_problem_is_named(use_keyring: InstallKeyring) -> None:
    use_keyring(fail.Keyring())
    assert keyring_problem() == "no system keyring works on this computer"
    use_keyring(MemoryKeyring())
    assert keyring_problem() is None
