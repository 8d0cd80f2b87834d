"""The command line: database commands, demo data, export, and one-line errors."""

from __future__ import annotations

import csv
import gc
import io
import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from incidentdesk import __version__, cli
from incidentdesk.cli import main
from incidentdesk.services.desk import open_desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.storage import migrations
from incidentdesk.storage.locations import PostgresLocation, parse_location
from tests.factories import make_draft, sqlite_path


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No database from the developer's environment, no default file in their home."""
    monkeypatch.delenv("INCIDENTDESK_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command in this process: its exit status, standard output and error."""
    try:
        status = main(list(argv))
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_line_error(err: str) -> None:
    assert err.endswith("\n")
    assert err.count("\n") == 1, err
    assert err.startswith("incidentdesk")
    assert "Traceback" not in err


BAD_ARGUMENTS = {
    "unknown command": ["frobnicate"],
    "negative count": ["demo", "--incidents", "-3"],
    "count not a number": ["demo", "--incidents", "abc"],
    "export without format": ["export"],
    "unknown format": ["export", "--format", "xml"],
    "db without action": ["db"],
    "unknown db action": ["db", "vacuum"],
    "backup without target": ["db", "backup"],
    "unknown option": ["db", "check", "--frobnicate"],
    "unknown kind of database": ["--db", "ftp://x", "export", "--format", "csv"],
    "database after the command": ["export", "--format", "csv", "--db", "ftp://x"],
    "bad port": ["db", "check", "--db", "postgresql://u@h:99999/db"],
    "database without name": ["demo", "--db", "postgresql://u@h"],
    "bad password address": ["db", "set-password", "ftp://x"],
}


@pytest.mark.parametrize("argv", list(BAD_ARGUMENTS.values()), ids=list(BAD_ARGUMENTS))
def test_bad_arguments_give_one_line_and_status_2(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == ""
    assert_one_line_error(err)
    assert "--help" in err


def test_a_bad_address_in_the_environment_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INCIDENTDESK_DB", "mysql://root@localhost/incidents")
    status, _, err = run(capsys, "db", "check")
    assert status == 2
    assert_one_line_error(err)
    assert "unknown kind of database 'mysql'" in err


def test_a_command_runs_with_the_garbage_collector_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``main`` holds collections off until the window paints; a command (a demo of a million
    incidents, the alert receiver) runs with them, and they are on again afterwards."""
    seen: list[bool] = []

    def export(_args: object, _location: object) -> int:
        seen.append(gc.isenabled())
        return 0

    monkeypatch.setattr(cli, "_run_export", export)
    address = f"sqlite:///{tmp_path / 'any.db'}"
    assert main(["export", "--format", "csv", "--db", address]) == 0
    assert seen == [True]
    assert gc.isenabled()


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--version")
    assert status == 0
    assert out == f"incidentdesk {__version__}\n"


def test_the_smoke_test_cannot_be_combined_with_a_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, _, err = run(capsys, "--smoke-test", "db", "check", "--db", str(tmp_path / "x.db"))
    assert status == 1
    assert_one_line_error(err)


def test_init_then_check_then_upgrade(
    capsys: pytest.CaptureFixture[str], database_address: str, request: pytest.FixtureRequest
) -> None:
    location = parse_location(database_address)
    display_name = location.display_name
    roles: list[str] = []
    if isinstance(location, PostgresLocation):  # its program's role, dropped afterwards
        roles = ["--app-role", request.getfixturevalue("postgres_role_names")("app")]

    status, out, err = run(capsys, "db", "init", "--db", database_address, *roles)
    assert (status, err) == (0, "")
    ready, *role_lines = out.splitlines()
    assert ready == f"{display_name} is ready (schema {migrations.LATEST_VERSION})."
    assert len(role_lines) == (1 if roles else 0)

    status, out, err = run(capsys, "--db", database_address, "db", "check")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) >= 3
    assert all(line.startswith("ok ") for line in lines), out
    assert any("incident keys: next key is INC-1" in line for line in lines)

    status, out, err = run(capsys, "db", "upgrade", "--db", database_address)
    assert (status, err) == (0, "")
    assert out == f"{display_name} is up to date (schema {migrations.LATEST_VERSION}).\n"


def test_upgrading_an_sqlite_file_says_so_and_sets_up_no_role(
    capsys: pytest.CaptureFixture[str], sqlite_address: str
) -> None:
    run(capsys, "db", "init", "--db", sqlite_address)
    path = sqlite_path(sqlite_address)
    connection = sqlite3.connect(path)
    # As a file of schema 8 looks: migration 9 adds the applied_write table and nothing else.
    connection.execute("DROP TABLE applied_write")
    connection.execute("UPDATE schema_info SET value = '8' WHERE key = 'version'")
    connection.commit()
    connection.close()

    status, out, err = run(capsys, "db", "upgrade", "--db", sqlite_address)
    assert (status, err) == (0, "")
    assert out == f"Upgraded {path} from schema 8 to {migrations.LATEST_VERSION}.\n"
    connection = sqlite3.connect(path)
    keys = {key for (key,) in connection.execute("SELECT key FROM schema_info")}
    tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
    connection.close()
    assert keys == {"application", "version", migrations.DATABASE_ID_KEY}
    assert "applied_write" in tables


def test_check_reports_problems_with_status_1(
    capsys: pytest.CaptureFixture[str], sqlite_address: str
) -> None:
    desk = open_desk(sqlite_address, login="tester")
    desk.incidents.create(make_draft(), desk.actor_id)
    desk.store.database.execute_sql("UPDATE counter SET value = 0")
    desk.close()

    status, out, err = run(capsys, "db", "check", "--db", sqlite_address)

    assert status == 1
    assert "PROBLEM  incident keys: the key counter (0) is behind the highest key (INC-1)" in out
    assert err == "incidentdesk: the check found problems (see above).\n"


@pytest.mark.parametrize("action", ["check", "upgrade", "backup"])
def test_database_commands_on_a_file_that_is_not_a_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, action: str
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Not a database.\n" * 20)
    extra = [str(tmp_path / "backup.db")] if action == "backup" else []

    status, out, err = run(capsys, "db", action, *extra, "--db", str(notes))

    assert status == 1
    assert out == ""
    assert err == (
        f"incidentdesk: {notes} is not an Incident Desk database (it is not an SQLite file).\n"
    )
    assert notes.read_text() == "Not a database.\n" * 20


@pytest.mark.parametrize("argv", [["db", "check"], ["export", "--format", "json"]])
def test_commands_on_a_missing_database_do_not_create_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    missing = tmp_path / "missing.db"
    status, out, err = run(capsys, *argv, "--db", f"sqlite:///{missing}")
    assert status == 1
    assert out == ""
    assert_one_line_error(err)
    assert f"There is no database at {missing}" in err
    assert not missing.exists()


def test_a_newer_database_is_refused_by_every_command(
    capsys: pytest.CaptureFixture[str], sqlite_address: str
) -> None:
    run(capsys, "db", "init", "--db", sqlite_address)
    path = sqlite_path(sqlite_address)
    connection = sqlite3.connect(path)
    connection.execute("UPDATE schema_info SET value = '999' WHERE key = 'version'")
    connection.commit()
    connection.close()

    for argv in (["db", "check"], ["db", "upgrade"], ["demo", "--incidents", "1"]):
        status, out, err = run(capsys, *argv, "--db", sqlite_address)
        assert status == 1, argv
        assert out == ""
        assert_one_line_error(err)
        assert "update the program" in err


def test_sqlite_backup(
    capsys: pytest.CaptureFixture[str], sqlite_address: str, tmp_path: Path
) -> None:
    desk = open_desk(sqlite_address, login="tester")
    desk.incidents.create(make_draft(title="Backed up"), desk.actor_id)
    desk.close()
    target = tmp_path / "backup.db"

    status, out, err = run(capsys, "db", "backup", str(target), "--db", sqlite_address)

    assert (status, err) == (0, "")
    assert out == f"Backed up {parse_location(sqlite_address).display_name} to {target}.\n"
    backup = open_desk(f"sqlite:///{target}", login="tester")
    try:
        assert [row.title for row in backup.incidents.rows(IncidentQuery())] == ["Backed up"]
    finally:
        backup.close()


@pytest.mark.parametrize("target", ["itself", "text file", "missing folder"])
def test_sqlite_backup_failures_are_one_sentence(
    capsys: pytest.CaptureFixture[str], sqlite_address: str, tmp_path: Path, target: str
) -> None:
    run(capsys, "db", "init", "--db", sqlite_address)
    destination = {
        "itself": sqlite_path(sqlite_address),
        "text file": tmp_path / "notes.txt",
        "missing folder": tmp_path / "nowhere" / "backup.db",
    }[target]
    if target == "text file":
        destination.write_text("keep me\n")

    status, out, err = run(capsys, "db", "backup", str(destination), "--db", sqlite_address)

    assert status == 1
    assert out == ""
    assert_one_line_error(err)
    assert err.startswith("incidentdesk: the backup could not be written: ")
    if target == "text file":
        assert destination.read_text() == "keep me\n"


@pytest.mark.postgres
def test_postgres_backup_prints_the_pg_dump_command(
    capsys: pytest.CaptureFixture[str],
    postgres_schema_address: str,
    tmp_path: Path,
    postgres_role_names: Callable[[str], str],
) -> None:
    app_role = postgres_role_names("app")
    run(capsys, "db", "init", "--db", postgres_schema_address, "--app-role", app_role)
    location = parse_location(postgres_schema_address)
    assert isinstance(location, PostgresLocation)

    status, out, err = run(
        capsys, "db", "backup", str(tmp_path / "x.dump"), "--db", postgres_schema_address
    )

    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "PostgreSQL databases are backed up with pg_dump. Run:",
        f"  pg_dump --host=127.0.0.1 --port=5432 --username=postgres --schema={location.schema} "
        f"--format=custom --file={tmp_path / 'x.dump'} test",
    ]


def test_demo_then_export_through_the_environment_variable(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    database_address: str,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("INCIDENTDESK_DB", database_address)

    status, out, err = run(capsys, "demo", "--incidents", "50", "--seed", "3")
    assert status == 0
    assert out.startswith("Added 50 incidents (2 open), ")
    assert out.rstrip().endswith("newest key INC-50.")
    assert err.splitlines()[-1] == "50/50 incidents"  # progress, as plain lines off a terminal

    output = tmp_path / "incidents.json"
    status, out, err = run(capsys, "export", "--format", "json", "-o", str(output))
    assert (status, out) == (0, "")
    assert err == f"Exported 50 incidents to {output}.\n"
    records = json.loads(output.read_text(encoding="utf-8"))
    assert sorted(record["key"] for record in records) == sorted(f"INC-{n}" for n in range(1, 51))

    status, out, err = run(capsys, "export", "--format", "csv", "--open-only")
    assert (status, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["key"] for row in rows] == ["INC-49", "INC-50"]


def test_export_to_an_unwritable_place_is_one_sentence(
    capsys: pytest.CaptureFixture[str], sqlite_address: str, tmp_path: Path
) -> None:
    run(capsys, "db", "init", "--db", sqlite_address)
    target = tmp_path / "no such folder" / "out.csv"
    status, out, err = run(
        capsys, "export", "--format", "csv", "-o", str(target), "--db", sqlite_address
    )
    assert status == 1
    assert out == ""
    assert err == f"incidentdesk: {target} could not be written: No such file or directory.\n"


def test_demo_into_a_missing_folder_is_one_sentence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "missing"
    status, _, err = run(capsys, "demo", "--incidents", "5", "--db", str(folder / "demo.db"))
    assert status == 1
    assert err == (
        f"incidentdesk: The folder {folder} does not exist; create it or choose another place.\n"
    )


# Through the installed entry point, in a fresh process: the exit status and the absence of a
# traceback are what a shell script sees.


def run_process(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "incidentdesk", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "XDG_DATA_HOME": str(cwd / "data")},
        check=False,
    )


@pytest.mark.parametrize(
    ("argv", "status"),
    [
        (["frobnicate"], 2),
        (["demo", "--incidents", "-3"], 2),
        (["--db", "ftp://x", "db", "check"], 2),
        (["db", "check", "--db", "notes.txt"], 1),
        (["db", "backup", "notes.txt", "--db", "real.db"], 1),
    ],
)
def test_the_program_exits_with_one_line_and_no_traceback(
    tmp_path: Path, argv: list[str], status: int
) -> None:
    (tmp_path / "notes.txt").write_text("notes\n")
    if "real.db" in argv:
        assert run_process("db", "init", "--db", "real.db", cwd=tmp_path).returncode == 0

    finished = run_process(*argv, cwd=tmp_path)

    assert finished.returncode == status
    assert_one_line_error(finished.stderr)
    assert finished.stdout == ""
