"""Demo data has an upper limit, and Ctrl-C stops it with one line and whole batches."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from incidentdesk.cli import build_parser, main
from incidentdesk.services import demo
from incidentdesk.services.desk import open_desk


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INCIDENTDESK_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


@pytest.mark.parametrize("count", ["1000001", "1000000000", "99999999999999999999"])
def test_more_than_a_million_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, count: str
) -> None:
    path = tmp_path / "demo.db"
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--incidents", count, "--db", f"sqlite:///{path}"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.count("\n") == 1
    assert "at most 1,000,000 demo incidents" in err
    assert not path.exists()


def test_a_million_is_accepted_and_the_limit_is_in_the_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = build_parser().parse_args(["demo", "--incidents", "1000000"])
    assert args.incidents == demo.MAX_INCIDENTS == 1_000_000
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    assert "1,000,000" in capsys.readouterr().out


def test_the_service_refuses_more_than_the_limit(sqlite_address: str) -> None:
    desk = open_desk(sqlite_address, login="tester")
    try:
        with pytest.raises(ValueError, match="At most 1,000,000"):
            demo.generate(desk.store, demo.MAX_INCIDENTS + 1)
    finally:
        desk.close()


def test_ctrl_c_stops_with_one_line_and_whole_batches(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    # A test run started in the background may have Ctrl-C ignored, which a child inherits;
    # a handler is not inherited, so the child starts with Python's own.
    ignored_before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "incidentdesk", "demo", "--incidents", "20000"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "INCIDENTDESK_DB": f"sqlite:///{path}"},
        )
    finally:
        signal.signal(signal.SIGINT, ignored_before)
    try:
        assert process.stderr is not None
        first_progress = process.stderr.readline()  # written after the first whole batch
        assert first_progress.endswith("/20,000 incidents\n"), first_progress
        process.send_signal(signal.SIGINT)
        out, rest = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()

    assert process.returncode == 130
    assert "Traceback" not in rest
    last = rest.strip().splitlines()[-1]
    assert last.startswith("incidentdesk: stopped; "), rest
    assert "KeyboardInterrupt" not in rest
    assert out == ""
    reported = int(last.split("stopped; ")[1].split(" of ")[0].replace(",", ""))

    connection = sqlite3.connect(path)
    try:
        (integrity,) = connection.execute("PRAGMA integrity_check").fetchone()
        (count,) = connection.execute("SELECT count(*) FROM incident").fetchone()
        (highest,) = connection.execute("SELECT max(number) FROM incident").fetchone()
    finally:
        connection.close()
    assert integrity == "ok"
    assert 0 < count < 20_000
    assert count % demo.BATCH_SIZE == 0
    assert count == reported == highest
