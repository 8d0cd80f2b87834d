"""Damaged, read-only and oddly named SQLite files: each named for what it is, one line."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from incidentdesk.cli import main
from incidentdesk.services.desk import open_desk
from incidentdesk.storage.database import DatabaseOpenError, open_store
from incidentdesk.storage.locations import parse_location
from tests.factories import make_draft


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INCIDENTDESK_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        status = main(list(argv))
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def a_database_with_incidents(path: Path, count: int = 40, journal: str = "delete") -> None:
    desk = open_desk(f"sqlite:///{path}", login="tester")
    try:
        for number in range(count):
            desk.incidents.create(
                make_draft(title=f"Queue stalls {number}", description="x" * 3000), desk.actor_id
            )
    finally:
        desk.close()
    if journal != "wal":
        connection = sqlite3.connect(path)
        connection.execute(f"PRAGMA journal_mode={journal}")
        connection.close()


# 24. A path too long for the file system


@pytest.mark.parametrize("command", [["db", "check"], ["db", "init"], ["demo"], ["export"]])
def test_a_path_too_long_is_one_line_and_status_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    long_path = tmp_path / ("a" * 5000 + ".db")
    extra = ["--format", "csv"] if command == ["export"] else []
    status, _, err = run(capsys, "--db", f"sqlite:///{long_path}", *command, *extra)
    assert status == 1
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    assert "too long" in err
    assert len(err) < 400


def test_a_path_with_too_many_folders_is_named() -> None:
    deep = Path("/tmp") / "/".join(["b" * 200] * 30) / "x.db"
    with pytest.raises(DatabaseOpenError, match="too long"):
        open_store(parse_location(f"sqlite:///{deep}"))


# 26. Damage named for what it is


@pytest.mark.parametrize("kept", [0.1, 0.5, 0.9])
def test_a_truncated_file_is_called_truncated_not_foreign(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kept: float
) -> None:
    whole = tmp_path / "whole.db"
    a_database_with_incidents(whole)
    data = whole.read_bytes()
    cut = tmp_path / "cut.db"
    cut.write_bytes(data[: int(len(data) * kept) // 4096 * 4096 + 100])

    with pytest.raises(DatabaseOpenError) as refused:
        open_store(parse_location(f"sqlite:///{cut}"), create=False, upgrade=False)
    message = str(refused.value)
    assert "not an SQLite file" not in message
    assert "truncated" in message
    assert "backup" in message

    status, _, err = run(capsys, "--db", f"sqlite:///{cut}", "db", "check")
    assert status == 1
    assert "truncated" in err
    assert err.count("\n") == 1


def test_a_file_with_damaged_pages_is_called_damaged(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "damaged.db"
    a_database_with_incidents(path)
    data = bytearray(path.read_bytes())
    page_count = len(data) // 4096
    data[4096 * (page_count // 2) : 4096 * (page_count - 1)] = b"\xff" * (
        4096 * (page_count - 1 - page_count // 2)
    )
    path.write_bytes(bytes(data))
    address = f"sqlite:///{path}"

    status, _, err = run(capsys, "--db", address, "export", "--format", "json")
    assert status == 1
    assert err.count("\n") == 1, err
    assert "is damaged" in err
    assert "backup" in err
    assert "not an SQLite file" not in err

    status, out, err = run(capsys, "--db", address, "db", "check")
    assert status == 1
    assert "Traceback" not in err
    assert "damaged" in out + err


def test_a_missing_version_row_is_named_not_called_foreign(
    database_address: str,
) -> None:
    desk = open_desk(database_address, login="tester")
    from incidentdesk.storage import models as m

    with desk.store.bound():
        m.SchemaInfo.delete().where(m.SchemaInfo.key == "version").execute()
    desk.close()

    with pytest.raises(DatabaseOpenError) as refused:
        open_store(parse_location(database_address))
    message = str(refused.value)
    assert "holds other tables" not in message
    assert "schema version" in message
    assert "backup" in message


# 26. The commands that only read can read a file that cannot be written


@contextlib.contextmanager
def unwritable(*paths: Path) -> Iterator[None]:
    """Makes files (or folders) unwritable even for root, with chattr +i where needed."""
    if os.geteuid() != 0:
        modes = [path.stat().st_mode for path in paths]
        for path in paths:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            for path, mode in zip(paths, modes, strict=True):
                path.chmod(mode)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: a file cannot be made unwritable")
    made = []
    try:
        for path in paths:
            if subprocess.run(["chattr", "+i", str(path)], check=False).returncode != 0:
                pytest.skip(f"this file system does not take chattr +i ({path.parent})")
            made.append(path)
        yield
    finally:
        for path in made:
            subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.mark.parametrize("journal", ["wal", "delete"])
@pytest.mark.parametrize("what", ["file", "file and folder"])
def test_check_and_export_read_a_file_that_cannot_be_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, what: str, journal: str
) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    path = folder / "incidents.db"
    a_database_with_incidents(path, count=3, journal=journal)
    before = path.read_bytes()
    address = f"sqlite:///{path}"
    locked = (path, folder) if what == "file and folder" else (path,)
    with unwritable(*locked):
        assert not os.access(path, os.W_OK)
        status, out, err = run(capsys, "--db", address, "db", "check")
        assert (status, err) == (0, ""), err
        assert "3 incidents" in out
        status, out, err = run(capsys, "--db", address, "export", "--format", "csv")
        assert (status, err) == (0, ""), err
        assert out.count("Queue stalls") == 3
        status, out, err = run(capsys, "--db", address, "demo", "--incidents", "1")
        assert status == 1
        assert "cannot be written" in err
    assert path.read_bytes() == before
    if what == "file and folder":
        assert sorted(p.name for p in folder.iterdir()) == ["incidents.db"]
