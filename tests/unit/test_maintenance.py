"""Checking and backing up databases."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from incidentdesk.services.desk import Desk, open_desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.storage import maintenance
from incidentdesk.storage import models as m
from incidentdesk.storage.locations import PostgresLocation, SqliteLocation, parse_location
from tests.factories import make_draft


def test_a_fresh_database_passes_every_check(desk: Desk) -> None:
    results = maintenance.check(desk.store)
    assert all(result.ok for result in results), results
    names = [result.name for result in results]
    assert names[0] == "schema"
    assert {"incident keys", "contents"} <= set(names)
    if desk.store.is_sqlite:
        assert {"file", "references"} <= set(names)
        assert any(name.startswith("search index") for name in names)
    contents = next(result for result in results if result.name == "contents")
    assert contents.message == "0 incidents, 0 timeline entries"
    keys = next(result for result in results if result.name == "incident keys")
    assert keys.message == "next key is INC-1"


def test_check_reports_a_key_counter_that_fell_behind(desk: Desk) -> None:
    for _ in range(3):
        desk.incidents.create(make_draft(), desk.actor_id)
    m.Counter.update(value=1).execute()

    results = {result.name: result for result in maintenance.check(desk.store)}

    assert not results["incident keys"].ok
    assert results["incident keys"].message == (
        "the key counter (1) is behind the highest key (INC-3)"
    )
    assert results["contents"].message == "3 incidents, 3 timeline entries"


def test_an_sqlite_backup_opens_with_the_same_incidents(
    sqlite_address: str, tmp_path: Path
) -> None:
    desk = open_desk(sqlite_address, login="tester")
    for title in ("First", "Second", "Third"):
        desk.incidents.create(make_draft(title=title), desk.actor_id)
    location = desk.store.location
    assert isinstance(location, SqliteLocation)
    target = tmp_path / "backup.db"

    maintenance.backup_sqlite(location, desk.store, target)
    desk.incidents.create(make_draft(title="After the backup"), desk.actor_id)
    desk.close()

    backup = open_desk(f"sqlite:///{target}", login="tester")
    try:
        rows = backup.incidents.rows(IncidentQuery(), limit=100)
        assert sorted((row.key, row.title) for row in rows) == [
            ("INC-1", "First"),
            ("INC-2", "Second"),
            ("INC-3", "Third"),
        ]
        assert all(result.ok for result in maintenance.check(backup.store))
        assert backup.incidents.rows(IncidentQuery(text="second"))[0].key == "INC-2"
        # The backup continues the numbering where the original was when it was taken.
        assert backup.incidents.create(make_draft(), backup.actor_id).key == "INC-4"
    finally:
        backup.close()


def test_a_backup_cannot_overwrite_the_database_itself(sqlite_desk: Desk) -> None:
    location = sqlite_desk.store.location
    assert isinstance(location, SqliteLocation)
    same_file_other_spelling = location.path.parent / "." / location.path.name
    with pytest.raises(ValueError, match="cannot overwrite the database itself"):
        maintenance.backup_sqlite(location, sqlite_desk.store, same_file_other_spelling)


def test_a_backup_into_a_missing_folder_is_refused(sqlite_desk: Desk, tmp_path: Path) -> None:
    location = sqlite_desk.store.location
    assert isinstance(location, SqliteLocation)
    with pytest.raises(ValueError, match="does not exist"):
        maintenance.backup_sqlite(location, sqlite_desk.store, tmp_path / "nowhere" / "b.db")


@pytest.mark.parametrize("target_kind", ["text file", "folder"])
def test_a_backup_onto_something_that_is_not_a_database_is_refused_in_words(
    sqlite_desk: Desk, tmp_path: Path, target_kind: str
) -> None:
    location = sqlite_desk.store.location
    assert isinstance(location, SqliteLocation)
    target = tmp_path / "target"
    if target_kind == "folder":
        target.mkdir()
    else:
        target.write_text("my notes\n" * 100)

    with pytest.raises(ValueError, match=f"^SQLite cannot write {re.escape(str(target))} "):
        maintenance.backup_sqlite(location, sqlite_desk.store, target)

    if target_kind == "text file":
        assert target.read_text() == "my notes\n" * 100


def test_pg_dump_command_names_server_user_schema_and_file(tmp_path: Path) -> None:
    location = parse_location("postgresql://ops@db.example.com:6543/incidents?schema=desk")
    assert isinstance(location, PostgresLocation)
    command = maintenance.pg_dump_command(location, Path("/backups/incidents.dump"))
    assert command == (
        "pg_dump --host=db.example.com --port=6543 --username=ops --schema=desk "
        "--format=custom --file=/backups/incidents.dump incidents"
    )
    without_schema = parse_location("postgresql://ops@db/incidents")
    assert isinstance(without_schema, PostgresLocation)
    assert "--schema" not in maintenance.pg_dump_command(without_schema, Path("x.dump"))


def test_pg_dump_command_survives_a_shell_with_spaces_in_the_path() -> None:
    location = parse_location("postgresql://ops@db/incidents")
    assert isinstance(location, PostgresLocation)
    target = Path("/home/ops/My Backups/incidents (Monday).dump")
    words = shlex.split(maintenance.pg_dump_command(location, target))
    assert f"--file={target}" in words
    assert words[-1] == "incidents"


@pytest.mark.postgres
@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_the_pg_dump_command_runs(postgres_schema_address: str, tmp_path: Path) -> None:
    desk = open_desk(postgres_schema_address, login="tester")
    desk.incidents.create(make_draft(title="Dumped"), desk.actor_id)
    desk.close()
    location = parse_location(postgres_schema_address)
    assert isinstance(location, PostgresLocation)
    target = tmp_path / "dump file.dump"

    command = maintenance.pg_dump_command(location, target)
    finished = subprocess.run(
        shlex.split(command), capture_output=True, text=True, timeout=60, check=False
    )

    assert finished.returncode == 0, finished.stderr
    assert target.stat().st_size > 0
    listing = subprocess.run(
        ["pg_restore", "--list", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "TABLE DATA" in listing.stdout
    assert f"{location.schema} incident" in listing.stdout
