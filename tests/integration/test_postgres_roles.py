"""`incidentdesk db init` on the real PostgreSQL server: the program's role may add to the
timeline and the records of changes, never change or delete them, and the whole program works
under it. Each test has its own schema and roles, dropped afterwards."""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import psycopg
import pytest

from incidentdesk import cli
from incidentdesk.domain.enums import EntryKind, Role, Status
from incidentdesk.domain.lifecycle import Step
from incidentdesk.domain.timeline import NewEntry
from incidentdesk.services.desk import Desk, open_desk
from incidentdesk.services.lifecycle import StepRequest
from incidentdesk.services.people import PersonDetails
from incidentdesk.storage import migrations
from incidentdesk.storage import models as m
from incidentdesk.storage.connection_check import upgrade_database
from incidentdesk.storage.grants import APP_ROLE_KEY, DEFAULT_APP_ROLE, print_sql
from incidentdesk.storage.locations import PostgresLocation, parse_location
from tests.conftest import POSTGRES_ADMIN_URL, drop_postgres_roles
from tests.factories import make_draft

pytestmark = pytest.mark.postgres

RoleNames = Callable[[str], str]


def as_login(address: str, login: str) -> str:
    """``address`` for another login (the test server trusts loopback logins)."""
    location = parse_location(address)
    assert isinstance(location, PostgresLocation)
    return address.replace(f"//{location.user}@", f"//{login}@", 1)


def admin_execute(*statements: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)  # type: ignore[arg-type]  # SQL built by the test


def database_command(
    capsys: pytest.CaptureFixture[str], action: str, *arguments: str
) -> tuple[int, str, str]:
    status = cli.main(["db", action, *arguments])
    out, err = capsys.readouterr()
    return status, out, err


def init(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    return database_command(capsys, "init", *arguments)


def schema_of(address: str) -> str:
    location = parse_location(address)
    assert isinstance(location, PostgresLocation)
    assert location.schema
    return location.schema


def read_schema_info(address: str, key: str) -> str | None:
    with psycopg.connect(POSTGRES_ADMIN_URL) as connection:
        row = connection.execute(
            f'SELECT value FROM "{schema_of(address)}".schema_info WHERE key = %s', (key,)
        ).fetchone()
    return None if row is None else str(row[0])


# Migration 9 adds the applied_write table and nothing else.
BEFORE_APPLIED_WRITES = 8


def back_to_before_applied_writes(address: str) -> None:
    """Make the database one of schema 8 whose role was set up then: without the table that
    migration 9 adds, and so without the role's grants on it."""
    schema = schema_of(address)
    admin_execute(
        f'DROP TABLE "{schema}".applied_write',
        f"UPDATE \"{schema}\".schema_info SET value = '{BEFORE_APPLIED_WRITES}' "
        "WHERE key = 'version'",
    )


@pytest.fixture
def app_role(
    capsys: pytest.CaptureFixture[str], postgres_schema_address: str, postgres_role_names: RoleNames
) -> str:
    role = postgres_role_names("app")
    status, out, err = init(capsys, "--db", postgres_schema_address, "--app-role", role)
    assert (status, err) == (0, "")
    assert f"The role {role} may add incidents and timeline entries" in out
    return role


@pytest.fixture
def app_desk(
    postgres_schema_address: str, app_role: str, postgres_role_names: RoleNames
) -> Iterator[Desk]:
    """A desk opened by a person's own login, a member of the program's role only."""
    login = postgres_role_names("alice")
    admin_execute(f'CREATE ROLE "{login}" LOGIN IN ROLE "{app_role}"')
    desk = open_desk(as_login(postgres_schema_address, login))
    try:
        yield desk
    finally:
        desk.close()


def run_as(address: str, statement: str) -> None:
    with psycopg.connect(_libpq(address)) as connection:
        connection.execute(statement)  # type: ignore[arg-type]  # SQL built by the test


def _libpq(address: str) -> str:
    """The address as libpq reads it: the schema goes into the search path."""
    base, _, schema = address.partition("?schema=")
    return f"{base}?options=-csearch_path%3D{schema}"


def test_the_whole_program_works_under_the_role_and_the_timeline_cannot_be_rewritten(
    app_desk: Desk, postgres_schema_address: str
) -> None:
    desk = app_desk
    with desk.store.bound():
        me = m.User.get_by_id(desk.actor_id)
    assert me.login.startswith("incidentdesk_test_alice_")  # known by the server's login
    assert me.role == Role.ADMIN.value  # the first person on the database

    # As the form and the timeline send them: each save with an id of its own.
    incident = desk.incidents.create(
        make_draft(title="Checkout down"), desk.actor_id, write_id="form-save-1"
    )
    entry = desk.timeline.append(
        incident.id,
        NewEntry(EntryKind.NOTE, "Rolled back the deploy", datetime.now(UTC)),
        desk.actor_id,
        write_id="note-1",
    )
    desk.timeline.set_pinned(entry.id, True)  # the one column of an entry that changes
    stepped = desk.lifecycle.take(incident.id, StepRequest(Step.ACKNOWLEDGE), desk.actor_id)
    assert stepped.status is Status.INVESTIGATING
    desk.lifecycle.correct_milestone(
        incident.id,
        "acknowledged_at",
        stepped.milestones.acknowledged_at.replace(microsecond=0),  # type: ignore[union-attr]
        desk.actor_id,
        "Paged by phone first",
    )
    desk.people.add(PersonDetails("Bea Staff", "bea"))
    desk.team_settings.add("teams", "Platform")
    assert [e.pinned for e in desk.timeline.entries(incident.id) if e.id == entry.id] == [True]
    assert len(desk.timeline.entries(incident.id)) == 4  # logged, note, step, correction

    address = as_login(postgres_schema_address, me.login)
    for refused in (
        f"UPDATE timeline_entry SET body = 'rewritten' WHERE id = {entry.id}",
        f"UPDATE timeline_entry SET occurred_at = now() WHERE id = {entry.id}",
        f"DELETE FROM timeline_entry WHERE id = {entry.id}",
        "UPDATE setting_change SET new_value = ''",
        "DELETE FROM setting_change",
        f"DELETE FROM incident WHERE id = {incident.id}",  # it would cascade to the timeline
        'DELETE FROM "user"',
        "UPDATE attachment SET filename = 'x'",
        "DROP TABLE timeline_entry",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            run_as(address, refused)
    assert [e.body for e in desk.timeline.entries(incident.id) if e.id == entry.id] == [
        "Rolled back the deploy"
    ]


def test_a_second_login_arrives_as_staff_and_is_refused_what_staff_may_not_do(
    app_desk: Desk, postgres_schema_address: str, app_role: str, postgres_role_names: RoleNames
) -> None:
    login = postgres_role_names("bob")
    admin_execute(f'CREATE ROLE "{login}" LOGIN IN ROLE "{app_role}"')
    bob = open_desk(as_login(postgres_schema_address, login))
    try:
        assert [p.role for p in bob.catalog.people() if p.login == login] == [Role.STAFF]
        incident = bob.incidents.create(make_draft(title="Slow search"), bob.actor_id)
        assert incident.key.startswith("INC-")
        assert not bob.people.listing().manage.allowed
    finally:
        bob.close()


def test_init_again_is_idempotent_and_print_sql_gives_the_same_grants(
    capsys: pytest.CaptureFixture[str], postgres_schema_address: str, app_role: str
) -> None:
    status, _, err = init(capsys, "--db", postgres_schema_address, "--app-role", app_role)
    assert (status, err) == (0, "")
    granted = _privileges(app_role)

    status, out, err = init(
        capsys, "--db", postgres_schema_address, "--app-role", app_role, "--print-sql"
    )
    assert (status, err) == (0, "")
    location = parse_location(postgres_schema_address)
    assert isinstance(location, PostgresLocation)
    assert location.schema
    assert out == print_sql(location.database, location.schema, app_role)
    admin_execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{location.schema}" FROM "{app_role}"')
    assert _privileges(app_role) == set()
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(out)  # type: ignore[arg-type]  # the script, as psql would run it
    assert _privileges(app_role) == granted
    assert ("timeline_entry", "UPDATE") not in granted  # only its pinned column
    assert ("timeline_entry", "INSERT") in granted


def _privileges(role: str) -> set[tuple[str, str]]:
    with psycopg.connect(POSTGRES_ADMIN_URL) as connection:
        rows = connection.execute(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = %s",
            (role,),
        ).fetchall()
    return {(str(table), str(privilege)) for table, privilege in rows}


def test_an_owner_who_may_not_create_roles_is_told_to_give_the_sql_to_a_dba(
    capsys: pytest.CaptureFixture[str], postgres_schema_address: str, postgres_role_names: RoleNames
) -> None:
    owner, role = postgres_role_names("owner"), postgres_role_names("app")
    location = parse_location(postgres_schema_address)
    assert isinstance(location, PostgresLocation)
    admin_execute(
        f'CREATE ROLE "{owner}" LOGIN NOCREATEROLE',
        f'GRANT CREATE, USAGE ON SCHEMA "{location.schema}" TO "{owner}"',
    )
    status, out, err = init(
        capsys, "--db", as_login(postgres_schema_address, owner), "--app-role", role
    )
    assert status == 1
    assert "is ready" in out  # the tables were made
    assert err.startswith("incidentdesk: the tables are ready, but the server refused")
    assert err.count("\n") == 1
    assert read_schema_info(postgres_schema_address, APP_ROLE_KEY) is None  # not set up

    command = print_sql_command(err)
    assert command == dba_command(as_login(postgres_schema_address, owner), role)
    status, script, err = init(capsys, *shlex.split(command)[3:])
    assert (status, err) == (0, "")
    admin_execute(script)  # the DBA runs it
    assert ("timeline_entry", "INSERT") in _privileges(role)
    assert read_schema_info(postgres_schema_address, APP_ROLE_KEY) == role


def print_sql_command(message: str) -> str:
    """The command a refusal says to run for the DBA's script."""
    _, _, rest = message.partition("Run '")
    command, quote, _ = rest.partition("' and give the SQL")
    assert quote, message
    return command


def dba_command(address: str, role: str) -> str:
    url = parse_location(address).url
    return f'incidentdesk db init --print-sql --app-role {role} --db "{url}"'


def test_print_sql_and_a_role_name_are_refused_for_sqlite_and_bad_names(
    capsys: pytest.CaptureFixture[str], sqlite_address: str, postgres_schema_address: str
) -> None:
    status, out, err = init(capsys, "--db", sqlite_address, "--print-sql")
    assert (status, out) == (1, "")
    assert "an SQLite file has none" in err
    for bad_name in ('x"; DROP TABLE incident; --', "ends_the_block$$"):
        status, out, err = init(capsys, "--db", postgres_schema_address, "--app-role", bad_name)
        assert (status, out) == (1, "")
        assert "cannot be a role name here" in err


def test_the_program_role_is_told_whom_to_ask_for_an_upgrade(
    postgres_schema_address: str, app_role: str, postgres_role_names: RoleNames
) -> None:
    from incidentdesk.storage.database import DatabaseOpenError, SchemaTooOld

    login = postgres_role_names("carl")
    admin_execute(f'CREATE ROLE "{login}" LOGIN IN ROLE "{app_role}"')
    location = parse_location(postgres_schema_address)
    assert isinstance(location, PostgresLocation)
    older = migrations.LATEST_VERSION - 1
    admin_execute(
        f"UPDATE \"{location.schema}\".schema_info SET value = '{older}' WHERE key = 'version'"
    )
    with pytest.raises(SchemaTooOld) as refused:
        open_desk(as_login(postgres_schema_address, login))
    assert f"but '{login}' may not change its tables" in refused.value.message
    assert "'incidentdesk db upgrade'" in refused.value.message
    with psycopg.connect(POSTGRES_ADMIN_URL) as connection:
        version = connection.execute(
            f'SELECT value FROM "{location.schema}".schema_info WHERE key = %s', ("version",)
        ).fetchone()
    assert version == (str(older),)  # nothing half-done

    admin_execute(f'CREATE SCHEMA "{location.schema}_empty"')
    try:
        empty = postgres_schema_address + "_empty"
        with pytest.raises(DatabaseOpenError, match="may not create its tables"):
            open_desk(as_login(empty, login))
    finally:
        admin_execute(f'DROP SCHEMA "{location.schema}_empty" CASCADE')


def test_init_records_its_role_and_init_again_keeps_it(
    capsys: pytest.CaptureFixture[str], postgres_schema_address: str, app_role: str
) -> None:
    assert read_schema_info(postgres_schema_address, APP_ROLE_KEY) == app_role
    with psycopg.connect(POSTGRES_ADMIN_URL) as connection:
        default_existed = connection.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = %s", (DEFAULT_APP_ROLE,)
        ).fetchone()
    try:
        status, out, err = init(capsys, "--db", postgres_schema_address)  # no --app-role
    finally:
        if not default_existed:  # made by init had it not kept the role: not left behind
            drop_postgres_roles([DEFAULT_APP_ROLE])
    assert (status, err) == (0, "")
    assert f"The role {app_role} may add incidents and timeline entries" in out
    assert read_schema_info(postgres_schema_address, APP_ROLE_KEY) == app_role


@pytest.mark.parametrize("upgrade", ["db upgrade", "opening as the owner"])
def test_an_upgrade_grants_the_recorded_role_the_table_it_adds(
    capsys: pytest.CaptureFixture[str],
    postgres_schema_address: str,
    app_role: str,
    postgres_role_names: RoleNames,
    upgrade: str,
) -> None:
    back_to_before_applied_writes(postgres_schema_address)
    if upgrade == "db upgrade":
        status, out, err = database_command(capsys, "upgrade", "--db", postgres_schema_address)
        assert (status, err) == (0, "")
        assert out == (
            f"Upgraded {parse_location(postgres_schema_address).display_name} from schema "
            f"{BEFORE_APPLIED_WRITES} to {migrations.LATEST_VERSION} and granted the new "
            f"tables to {app_role}.\n"
        )
    else:
        open_desk(postgres_schema_address).close()  # as the window does, for the owner
    assert read_schema_info(postgres_schema_address, "version") == str(migrations.LATEST_VERSION)

    login = postgres_role_names("dana")
    admin_execute(f'CREATE ROLE "{login}" LOGIN IN ROLE "{app_role}"')
    desk = open_desk(as_login(postgres_schema_address, login))  # prunes applied_write
    try:
        incident = desk.incidents.create(
            make_draft(title="Disk full"), desk.actor_id, write_id="form-save-1"
        )
        entry = desk.timeline.append(
            incident.id,
            NewEntry(EntryKind.NOTE, "Freed 20 GB", datetime.now(UTC)),
            desk.actor_id,
            write_id="note-1",
        )
    finally:
        desk.close()
    assert {("applied_write", "SELECT"), ("applied_write", "INSERT")} <= _privileges(app_role)
    address = as_login(postgres_schema_address, login)
    for refused in (
        f"UPDATE timeline_entry SET body = 'rewritten' WHERE id = {entry.id}",
        f"DELETE FROM timeline_entry WHERE id = {entry.id}",
        "UPDATE applied_write SET incident_id = 0",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            run_as(address, refused)


def older_database_whose_role_is_gone(
    capsys: pytest.CaptureFixture[str], address: str, role_names: RoleNames
) -> tuple[str, str]:
    """A database of schema 8 set up by an owner who may not create roles, for a role that
    the server no longer has (as on a server it was restored to): the owner's address and
    the role."""
    owner, role = role_names("owner"), role_names("app")
    admin_execute(
        f'CREATE ROLE "{owner}" LOGIN NOCREATEROLE',
        f'GRANT CREATE, USAGE ON SCHEMA "{schema_of(address)}" TO "{owner}"',
        f'CREATE ROLE "{role}" NOLOGIN',
    )
    owned = as_login(address, owner)
    status, _, err = init(capsys, "--db", owned, "--app-role", role)
    assert (status, err) == (0, "")  # the role existed: the tables' owner may grant to it
    open_desk(owned).close()  # the owner is the first person, so an admin
    admin_execute(f'DROP OWNED BY "{role}"', f'DROP ROLE "{role}"')
    back_to_before_applied_writes(address)
    return owned, role


def test_an_upgrade_the_server_will_not_grant_for_still_upgrades_and_says_what_to_run(
    capsys: pytest.CaptureFixture[str], postgres_schema_address: str, postgres_role_names: RoleNames
) -> None:
    owned, role = older_database_whose_role_is_gone(
        capsys, postgres_schema_address, postgres_role_names
    )
    status, out, err = database_command(capsys, "upgrade", "--db", owned)
    assert status == 1
    assert out == (
        f"Upgraded {parse_location(owned).display_name} from schema {BEFORE_APPLIED_WRITES} "
        f"to {migrations.LATEST_VERSION}.\n"
    )
    assert err.startswith(
        f"incidentdesk: the tables are upgraded, but the server refused to set up the role "
        f"{role} (permission denied to create role); nothing was granted."
    )
    assert err.count("\n") == 1
    assert read_schema_info(postgres_schema_address, "version") == str(migrations.LATEST_VERSION)

    command = print_sql_command(err)
    assert command == dba_command(owned, role)
    status, script, err = init(capsys, *shlex.split(command)[3:])
    assert (status, err) == (0, "")
    admin_execute(script)  # the DBA runs it
    assert {("applied_write", "SELECT"), ("applied_write", "INSERT")} <= _privileges(role)


@pytest.mark.parametrize("upgrade", ["opening", "the first-run dialog's Upgrade Database"])
def test_the_window_upgrading_logs_what_the_server_would_not_grant(
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    postgres_schema_address: str,
    postgres_role_names: RoleNames,
    upgrade: str,
) -> None:
    owned, role = older_database_whose_role_is_gone(
        capsys, postgres_schema_address, postgres_role_names
    )
    with caplog.at_level(logging.WARNING):
        if upgrade == "opening":
            open_desk(owned).close()
        else:
            upgrade_database(parse_location(owned), login=None)
    assert read_schema_info(postgres_schema_address, "version") == str(migrations.LATEST_VERSION)
    warnings = [record.getMessage() for record in caplog.records]
    assert warnings == [
        f"{parse_location(owned).display_name} was upgraded to schema "
        f"{migrations.LATEST_VERSION}. The server refused to set up the role {role} "
        f"(permission denied to create role); nothing was granted. Run "
        f"'{dba_command(owned, role)}' and give the SQL to someone who may create roles (a DBA)."
    ]


def test_an_upgrade_of_a_database_with_no_recorded_role_says_how_to_grant(
    capsys: pytest.CaptureFixture[str], postgres_schema_address: str, app_role: str
) -> None:
    admin_execute(  # as set up by an Incident Desk that did not record its role
        f'DELETE FROM "{schema_of(postgres_schema_address)}".schema_info '
        f"WHERE key = '{APP_ROLE_KEY}'"
    )
    back_to_before_applied_writes(postgres_schema_address)
    status, out, err = database_command(capsys, "upgrade", "--db", postgres_schema_address)
    assert (status, err) == (0, "")
    upgraded, hint = out.splitlines()
    assert upgraded.endswith(f"from schema {BEFORE_APPLIED_WRITES} to {migrations.LATEST_VERSION}.")
    assert hint.startswith("No role of the program is recorded in it")
    assert "run 'incidentdesk db init --app-role NAME' once" in hint
    assert "applied_write" not in {table for table, _ in _privileges(app_role)}

    status, _, err = init(capsys, "--db", postgres_schema_address, "--app-role", app_role)
    assert (status, err) == (0, "")
    assert ("applied_write", "INSERT") in _privileges(app_role)


def test_a_recorded_role_changed_by_hand_is_refused_and_never_put_into_sql(
    capsys: pytest.CaptureFixture[str], postgres_schema_address: str, app_role: str
) -> None:
    changed = "x'; DROP TABLE incident; --"
    with psycopg.connect(POSTGRES_ADMIN_URL) as connection:
        connection.execute(
            f'UPDATE "{schema_of(postgres_schema_address)}".schema_info SET value = %s '
            "WHERE key = %s",
            (changed, APP_ROLE_KEY),
        )
    back_to_before_applied_writes(postgres_schema_address)
    refusal = (
        f"the role recorded in the database (schema_info, '{changed}') cannot be a role name; "
        "run 'incidentdesk db init --app-role NAME' with the program's role to grant it the "
        "tables and record it.\n"
    )

    status, out, err = database_command(capsys, "upgrade", "--db", postgres_schema_address)
    assert status == 1
    assert out.startswith("Upgraded ")
    assert err == f"incidentdesk: the tables are upgraded, but {refusal}"
    status, _, err = init(capsys, "--db", postgres_schema_address)
    assert status == 1
    assert err == f"incidentdesk: the tables are ready, but {refusal}"
    assert ("incident", "SELECT") in _privileges(app_role)  # the table is still there

    status, _, err = init(capsys, "--db", postgres_schema_address, "--app-role", app_role)
    assert (status, err) == (0, "")
    assert read_schema_info(postgres_schema_address, APP_ROLE_KEY) == app_role
    assert ("applied_write", "INSERT") in _privileges(app_role)


def test_print_sql_without_a_role_keeps_the_role_on_record(
    capsys: pytest.CaptureFixture[str], postgres_schema_address: str, app_role: str
) -> None:
    status, _, err = init(capsys, "--db", postgres_schema_address, "--app-role", app_role)
    assert (status, err) == (0, "")

    status, script, err = init(capsys, "--db", postgres_schema_address, "--print-sql")
    assert (status, err) == (0, "")
    location = parse_location(postgres_schema_address)
    assert isinstance(location, PostgresLocation)
    assert location.schema
    assert script == print_sql(location.database, location.schema, app_role)
    admin_execute(script)
    assert read_schema_info(postgres_schema_address, APP_ROLE_KEY) == app_role


def test_print_sql_before_the_tables_exist_is_for_the_default_role(
    capsys: pytest.CaptureFixture[str], postgres_schema_address: str
) -> None:
    status, script, err = init(capsys, "--db", postgres_schema_address, "--print-sql")
    assert (status, err) == (0, "")
    assert f"the program's role {DEFAULT_APP_ROLE} on" in script


def test_a_line_break_in_a_schema_name_stays_inside_the_comment() -> None:
    script = print_sql("test", "x\nDROP TABLE incident; --", "incidentdesk_app")
    first, second = script.splitlines()[:2]
    assert first.endswith("schema x\\u000aDROP TABLE incident; --.")
    assert second.startswith("-- Run as the owner")  # the name in the statements stays quoted
