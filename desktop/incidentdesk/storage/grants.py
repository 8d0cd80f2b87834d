"""PostgreSQL: the program's role and what it may do, so that the database itself keeps the
record. People's logins are members of the role; the tables stay owned by the login that
created them (``incidentdesk db init``), which alone upgrades them. The role is recorded in
``schema_info`` with its grants, so that an upgrade grants it the tables a migration adds.

The role may add timeline entries, attachments and records of settings changes, but never
change or delete them (pinning an entry to the postmortem is its one changeable column; a
correction is a new entry that amends the old). It deletes nothing that holds a record: only
expired intake requests, the intake rules it replaces, and change-log rows older than a day
(the change log tells other clients what to reload; it is no audit trail). Nor may it delete
an incident or a person, whose deletion would cascade into their timeline.
"""

from __future__ import annotations

import re

import peewee as pw

from incidentdesk.errors import ServiceError
from incidentdesk.storage import change_log
from incidentdesk.storage import models as m
from incidentdesk.storage.database import DatabaseUnavailable
from incidentdesk.storage.locations import PostgresLocation

DEFAULT_APP_ROLE = "incidentdesk_app"
APP_ROLE_KEY = "app_role"  # in schema_info: the role the grants were last given to
# No "$": the name goes inside the DO $$ … $$ block that creates the role.
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")

# table: the privileges of the program's role on it. Any table not named is read-only.
_PRIVILEGES: dict[str, str] = {
    # The record: added to, never rewritten.
    m.TimelineEntry._meta.table_name: "SELECT, INSERT, UPDATE (pinned)",
    m.Attachment._meta.table_name: "SELECT, INSERT",
    m.Blob._meta.table_name: "SELECT, INSERT",
    m.SettingChange._meta.table_name: "SELECT, INSERT",
    # Kept current by the program: changed, never deleted.
    m.Incident._meta.table_name: "SELECT, INSERT, UPDATE",
    m.Postmortem._meta.table_name: "SELECT, INSERT, UPDATE",
    m.ActionItem._meta.table_name: "SELECT, INSERT, UPDATE",
    m.User._meta.table_name: "SELECT, INSERT, UPDATE",
    m.Team._meta.table_name: "SELECT, INSERT, UPDATE",
    m.Service._meta.table_name: "SELECT, INSERT, UPDATE",
    m.Category._meta.table_name: "SELECT, INSERT, UPDATE",
    m.Setting._meta.table_name: "SELECT, INSERT, UPDATE",
    m.Counter._meta.table_name: "SELECT, UPDATE",
    m.IntakeAlert._meta.table_name: "SELECT, INSERT, UPDATE",
    # Replaced or expired by the program.
    m.IntakeRule._meta.table_name: "SELECT, INSERT, DELETE",
    m.IntakeRequest._meta.table_name: "SELECT, INSERT, DELETE",
    m.AppliedWrite._meta.table_name: "SELECT, INSERT, DELETE",
    change_log.TABLE: "SELECT, INSERT, DELETE",
}


class RolesRefused(ServiceError):
    """The server would not create the role or grant to it; the message says what to do."""


def check_role_name(name: str) -> str:
    """A role name written as it is in SQL: lower-case letters, digits and _."""
    if not _NAME.fullmatch(name):
        raise RolesRefused(
            f"'{name}' cannot be a role name here: use lower-case letters, digits and _ "
            "(at most 63, not starting with a digit)."
        )
    return name


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def recorded_role(database: pw.Database) -> str | None:
    """The role the grants on ``database`` were last given to, if they ever were."""
    with m.bound_to(database):
        row = m.SchemaInfo.get_or_none(m.SchemaInfo.key == APP_ROLE_KEY)
    if row is None:
        return None
    if not _NAME.fullmatch(str(row.value)):  # changed by hand: never put into SQL
        raise RolesRefused(
            f"The role recorded in the database (schema_info, '{row.value}') cannot be a role "
            "name; run 'incidentdesk db init --app-role NAME' with the program's role to "
            "grant it the tables and record it."
        )
    return str(row.value)


def grant_statements(database: str, schema: str, role: str) -> list[str]:
    """The SQL that creates ``role`` (if missing), gives it exactly what the program needs on
    ``schema`` of ``database`` and records it there; run again it takes away what was
    granted before."""
    name = check_role_name(role)
    role = _quoted(name)
    where = _quoted(schema)
    statements = [
        f"""DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN
        CREATE ROLE {role} NOLOGIN;
    END IF;
END $$""",
        f"GRANT CONNECT ON DATABASE {_quoted(database)} TO {role}",
        f"GRANT USAGE ON SCHEMA {where} TO {role}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {where} FROM {role}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {where} TO {role}",
    ]
    statements += [
        f"GRANT {privileges} ON {where}.{_quoted(table)} TO {role}"
        for table, privileges in _PRIVILEGES.items()
    ]
    # Ids come from sequences (serial columns): nextval needs USAGE.
    statements.append(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {where} TO {role}")
    # In the same transaction as the grants: a role is recorded only once it has them.
    statements.append(
        f"INSERT INTO {where}.{_quoted(m.SchemaInfo._meta.table_name)} (key, value) "
        f"VALUES ('{APP_ROLE_KEY}', '{name}') "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
    )
    return statements


def print_sql(database: str, schema: str, role: str) -> str:
    """The statements as a script for a DBA to read and run (psql), with how to add people."""
    statements = grant_statements(database, schema, role)
    lines = [
        f"-- Incident Desk: the program's role {role} on {_printable(database)}, "
        f"schema {_printable(schema)}.",
        "-- Run as the owner of the tables (the login that ran 'incidentdesk db init'),",
        "-- which also needs CREATEROLE the first time, when the role is created.",
        "-- The role is recorded in schema_info: 'incidentdesk db upgrade' then grants it the",
        "-- tables that later versions add.",
        "BEGIN;",
        *(f"{statement};" for statement in statements),
        "COMMIT;",
        "-- Each person then signs in with a login of their own in that role, e.g.:",
        f"--   CREATE ROLE alice LOGIN PASSWORD '…' IN ROLE {role};",
        f"--   GRANT {role} TO bob;   -- for a login that exists already",
    ]
    return "\n".join(lines) + "\n"


def _printable(identifier: str) -> str:
    """``identifier`` for an SQL comment: a line break in a quoted name would end the comment
    and make the rest of the name a statement."""
    return "".join(
        character if character.isprintable() else f"\\u{ord(character):04x}"
        for character in identifier
    )


def apply_grants(database: pw.Database, location: PostgresLocation, role: str) -> None:
    """Create the role, grant to it and record it, in one transaction."""
    statements = grant_statements(location.database, location.schema or "public", role)
    try:
        with database.atomic():
            for statement in statements:
                # psycopg reads % as its own placeholder; %% is one % for the server.
                database.execute_sql(statement.replace("%", "%%"))
    except DatabaseUnavailable:
        raise
    except pw.DatabaseError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        for_a_dba = f'incidentdesk db init --print-sql --app-role {role} --db "{location.url}"'
        raise RolesRefused(
            f"The server refused to set up the role {role} ({first_line}); nothing was "
            f"granted. Run '{for_a_dba}' and give the SQL to someone who may create roles (a DBA)."
        ) from error
