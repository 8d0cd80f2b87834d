"""Who the person is on a database: on PostgreSQL the login the server checked, on an
SQLite file (which has no logins) the computer's."""

from __future__ import annotations

import getpass

import peewee as pw


def computer_login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in containers without a passwd entry
        return "local"


def database_login(database: pw.Database) -> str:
    """The login of the person on ``database``: PostgreSQL's ``session_user`` (the role the
    connection authenticated as, whatever ``SET ROLE`` did since), else the computer's."""
    if isinstance(database, pw.SqliteDatabase):
        return computer_login()
    return str(database.execute_sql("SELECT session_user").fetchone()[0])
