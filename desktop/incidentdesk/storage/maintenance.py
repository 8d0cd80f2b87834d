"""Checking and backing up a database."""

from __future__ import annotations

import shlex
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import peewee as pw

from incidentdesk.storage import migrations
from incidentdesk.storage import models as m
from incidentdesk.storage.database import Store
from incidentdesk.storage.locations import PostgresLocation, SqliteLocation


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    message: str


def check(store: Store) -> list[CheckResult]:
    """Integrity checks in plain words; every result says what was found."""
    with store.bound():
        return _check(store)


def _check(store: Store) -> list[CheckResult]:
    results = [
        CheckResult(
            "schema",
            store.schema_version == migrations.LATEST_VERSION,
            f"schema version {store.schema_version} "
            f"(this program's is {migrations.LATEST_VERSION})",
        )
    ]
    database = store.database
    if store.is_sqlite:
        (integrity,) = database.execute_sql("PRAGMA integrity_check").fetchone()
        results.append(
            CheckResult(
                "file",
                integrity == "ok",
                "the file is intact" if integrity == "ok" else f"the file is damaged: {integrity}",
            )
        )
        broken = database.execute_sql("PRAGMA foreign_key_check").fetchall()
        results.append(
            CheckResult(
                "references",
                not broken,
                "every reference points to an existing row"
                if not broken
                else f"{len(broken)} rows refer to rows that do not exist",
            )
        )
        for table in migrations.SEARCH_TABLES_SQLITE:
            if store.read_only:
                # FTS5 checks itself through an INSERT, which a read-only file refuses.
                results.append(
                    CheckResult(f"search index {table}", True, "not checked: the file is read-only")
                )
                continue
            try:
                database.execute_sql(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")
                results.append(CheckResult(f"search index {table}", True, "consistent"))
            except pw.DatabaseError as error:
                results.append(
                    CheckResult(
                        f"search index {table}",
                        False,
                        f"out of step with the data ({error}); run 'incidentdesk db upgrade' "
                        "after restoring a backup",
                    )
                )
    highest = m.Incident.select(pw.fn.MAX(m.Incident.number)).scalar() or 0
    counter = m.Counter.get(m.Counter.name == migrations.INCIDENT_NUMBER_COUNTER).value
    results.append(
        CheckResult(
            "incident keys",
            counter >= highest,
            f"next key is INC-{counter + 1}"
            if counter >= highest
            else f"the key counter ({counter}) is behind the highest key (INC-{highest})",
        )
    )
    incidents = m.Incident.select().count()
    entries = m.TimelineEntry.select().count()
    results.append(
        CheckResult("contents", True, f"{incidents:,} incidents, {entries:,} timeline entries")
    )
    return results


def backup_sqlite(location: SqliteLocation, store: Store, target: Path) -> None:
    """Copy the open database to ``target`` with SQLite's online backup (safe while in use)."""
    if target.resolve() == location.path.resolve():
        raise ValueError("The backup cannot overwrite the database itself; choose another file.")
    if not target.parent.is_dir():
        raise ValueError(f"The folder {target.parent} does not exist.")
    try:
        destination = sqlite3.connect(str(target))
        try:
            store.database.connection().backup(destination)
        finally:
            destination.close()
    except sqlite3.Error as error:  # a folder, an unwritable place, a file that is no database
        raise ValueError(f"SQLite cannot write {target} ({error}).") from error


def pg_dump_command(location: PostgresLocation, target: Path) -> str:
    """The command to paste into a shell; each value quoted, as paths often hold spaces."""
    schema = f" --schema={shlex.quote(location.schema)}" if location.schema else ""
    return (
        f"pg_dump --host={shlex.quote(location.host)} --port={location.port} "
        f"--username={shlex.quote(location.user)}{schema} --format=custom "
        f"--file={shlex.quote(str(target))} {shlex.quote(location.database)}"
    )
