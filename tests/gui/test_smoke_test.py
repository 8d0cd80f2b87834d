"""`incidentdesk --smoke-test` in a real process, on both engines and on a bad database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gui.conftest import make_demo_database


def run_incidentdesk(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    environment.pop("INCIDENTDESK_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "incidentdesk", *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_smoke_test_passes_on_a_demo_database(database_address: str, tmp_path: Path) -> None:
    make_demo_database(database_address, 1000)
    result = run_incidentdesk(tmp_path, "--db", database_address, "--smoke-test")
    assert result.returncode == 0, result.stderr
    assert "smoke test passed: 50 incidents shown" in result.stdout
    assert "Traceback" not in result.stderr


def test_smoke_test_creates_the_default_database_on_first_start(tmp_path: Path) -> None:
    result = run_incidentdesk(tmp_path, "--smoke-test")
    assert result.returncode == 0, result.stderr
    assert "smoke test passed: 0 incidents shown" in result.stdout
    assert (tmp_path / "data" / "incidentdesk" / "incidents.db").is_file()


def test_smoke_test_fails_with_one_message_on_a_bad_database(tmp_path: Path) -> None:
    not_a_database = tmp_path / "photo.db"
    not_a_database.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(4096))
    result = run_incidentdesk(tmp_path, "--db", f"sqlite:///{not_a_database}", "--smoke-test")
    assert result.returncode == 1
    expected = f"{not_a_database} is not an Incident Desk database (it is not an SQLite file)."
    assert result.stderr.strip().splitlines() == [f"incidentdesk: {expected}"]
