"""Testing a database before it is opened: one outcome, and one sentence, for each case the
first-run dialog tells apart (the server cannot be reached, the password is wrong, the
database is missing, not Incident Desk's, older or newer than this program)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import peewee as pw

from incidentdesk.errors import ServiceError
from incidentdesk.storage import migrations
from incidentdesk.storage import models as m
from incidentdesk.storage.database import (
    DatabaseOpenError,
    close_database,
    connect,
    open_store,
)
from incidentdesk.storage.locations import HIDDEN_PASSWORD, DatabaseLocation, PostgresLocation
from incidentdesk.storage.logins import database_login


class Outcome(StrEnum):
    READY = "ready"  # an Incident Desk database of this program's schema
    EMPTY = "empty"  # no tables yet: Incident Desk creates them when it opens
    OLDER = "older"  # an Incident Desk database an admin can upgrade
    NEWER = "newer"  # written by a newer program
    NOT_OURS = "not ours"
    UNREACHABLE = "unreachable"
    WRONG_PASSWORD = "wrong password"
    MISSING_DATABASE = "missing database"
    REFUSED = "refused"  # anything else the server or the file said no with


@dataclass(frozen=True)
class ConnectionReport:
    outcome: Outcome
    sentence: str
    schema_version: int = 0
    # For an older database: whether the person testing it is one of its admins.
    may_upgrade: bool = False

    @property
    def can_open(self) -> bool:
        return self.outcome in (Outcome.READY, Outcome.EMPTY)


class UpgradeRefused(ServiceError, PermissionError):
    """Only an admin of the database may upgrade its schema."""


def classify_postgres_failure(text: str) -> Outcome:
    """What a PostgreSQL connection failure (libpq's message) means for the person."""
    if "password authentication failed" in text or "no password supplied" in text:
        return Outcome.WRONG_PASSWORD
    if "database" in text and "does not exist" in text:
        return Outcome.MISSING_DATABASE
    unreachable = (
        "Connection refused",
        "could not connect",
        "could not translate host name",
        "Name or service not known",
        "No route to host",
        "timeout",
        "timed out",
    )
    if any(words in text for words in unreachable):
        return Outcome.UNREACHABLE
    return Outcome.REFUSED


def _failure_sentence(location: PostgresLocation, outcome: Outcome, fallback: str) -> str:
    where = f"{location.host}:{location.port}"
    sentences = {
        Outcome.UNREACHABLE: (
            f"No PostgreSQL server answers at {where}; check the host name and the port, and "
            "that the server is running and lets this computer connect."
        ),
        Outcome.WRONG_PASSWORD: (
            f"The server at {where} refused the password for '{location.user}'; type the "
            "right password (ask whoever runs the server if you do not know it)."
        ),
        Outcome.MISSING_DATABASE: (
            f"There is no database called '{location.database}' on {where}; check the name, "
            "or ask whoever runs the server to create it."
        ),
    }
    return sentences.get(outcome, fallback)


def _driver_message(error: BaseException, location: DatabaseLocation) -> str:
    cause = error.__cause__ or error.__context__
    text = str(cause if cause is not None else error)
    password = getattr(location, "password", None)
    return text.replace(password, HIDDEN_PASSWORD) if password else text


def check_connection(location: DatabaseLocation, login: str | None) -> ConnectionReport:
    """Connect to ``location`` without creating, changing or upgrading anything, and say what
    was found there. ``login`` is the person's login, to tell whether they may upgrade (None:
    the one the database knows them by, ``storage/logins.py``)."""
    try:
        database = connect(location, create=False)
    except DatabaseOpenError as error:
        if not isinstance(location, PostgresLocation):
            return ConnectionReport(Outcome.REFUSED, error.message)
        outcome = classify_postgres_failure(_driver_message(error, location))
        return ConnectionReport(outcome, _failure_sentence(location, outcome, error.message))
    try:
        return _inspect(database, location, login)
    except pw.DatabaseError as error:
        return ConnectionReport(
            Outcome.REFUSED,
            f"{location.display_name} could not be read ({_driver_message(error, location)}).",
        )
    finally:
        close_database(database)


def _inspect(
    database: pw.Database, location: DatabaseLocation, login: str | None
) -> ConnectionReport:
    name = location.display_name
    tables = set(database.get_tables())
    version = migrations.read_version(database)
    latest = migrations.LATEST_VERSION
    if version == 0:
        if tables - set(migrations.SEARCH_TABLES_SQLITE):
            return ConnectionReport(
                Outcome.NOT_OURS,
                f"{name} is not an Incident Desk database (it holds other tables); choose "
                "another database, or an empty one for Incident Desk to set up.",
            )
        return ConnectionReport(
            Outcome.EMPTY,
            f"Connected: {name} is empty, and Incident Desk sets it up when you open it.",
        )
    if version > latest:
        return ConnectionReport(
            Outcome.NEWER,
            f"{name} was written by a newer Incident Desk (schema {version}; this program "
            f"knows up to {latest}); update the program on this computer to open it.",
            version,
        )
    if version < latest:
        admin = _is_admin(database, login or database_login(database))
        offer = (
            "as an admin you can upgrade it now (back it up first: older versions of the "
            "program cannot open it afterwards)"
            if admin
            else "ask one of its admins to upgrade it"
        )
        return ConnectionReport(
            Outcome.OLDER,
            f"{name} has schema {version} and this program needs {latest}; {offer}.",
            version,
            may_upgrade=admin,
        )
    return ConnectionReport(
        Outcome.READY, f"Connected: {name} is an Incident Desk database.", version
    )


def _is_admin(database: pw.Database, login: str) -> bool:
    with m.bound_to(database):
        person = m.User.get_or_none(m.User.login == login)
    return person is not None and person.role == "admin"


def upgrade_database(location: DatabaseLocation, login: str | None) -> int:
    """Upgrade an older Incident Desk database to this program's schema, for one of its
    admins (``login`` as for ``check_connection``); returns the new schema version."""
    database = connect(location, create=False)
    try:
        login = login or database_login(database)
        if not _is_admin(database, login):
            raise UpgradeRefused(
                f"Only an admin of {location.display_name} may upgrade it, and '{login}' is "
                "not one; ask an admin to open it with this version of the program."
            )
    finally:
        close_database(database)
    store = open_store(location, create=False, upgrade=True)
    store.log_refused_grants()
    try:
        return store.schema_version
    finally:
        store.close()
