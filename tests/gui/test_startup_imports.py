"""What a start on an SQLite file leaves out: the PostgreSQL driver, the keyring, matplotlib.

Each is about 100 ms or more of imports that a desk on an SQLite file never needs; they are
imported when a PostgreSQL address is opened, a password is needed, or the charts open.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from incidentdesk.logs import LOG_FILE_NAME

LEFT_OUT = ("psycopg", "psycopg2", "psycopg_binary", "keyring", "matplotlib")
PROBE = textwrap.dedent(
    """
    import json, sys
    from incidentdesk.cli import main
    code = main(["--db", sys.argv[1], "--smoke-test"])
    loaded = sorted({name.partition(".")[0] for name in sys.modules})
    print(json.dumps({"code": code, "loaded": loaded}))
    """
)


# Counts the collections run before the smoke test's line (printed once the window painted).
COLLECTIONS_PROBE = textwrap.dedent(
    """
    import gc, json, sys
    from incidentdesk.cli import main
    collections = {"before the paint": 0, "after it": 0}
    painted = []
    class Watched:
        def write(self, text):
            if "smoke test passed" in text:
                painted.append(True)
            return sys.__stdout__.write(text)
        def flush(self):
            sys.__stdout__.flush()
    def counted(phase, info):
        if phase == "start":
            collections["after it" if painted else "before the paint"] += 1
    gc.callbacks.append(counted)
    sys.stdout = Watched()
    code = main(["--db", sys.argv[1], "--smoke-test"])
    garbage = [object() for _ in range(100_000)]  # enough new objects for a collection
    print(json.dumps({"code": code, "enabled": gc.isenabled(), **collections}))
    """
)


def run_probe(probe: str, address: str, home: Path) -> dict[str, object]:
    environment = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
    }
    finished = subprocess.run(
        [sys.executable, "-c", probe, address],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    result: dict[str, object] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


def test_a_start_on_an_sqlite_file_imports_no_driver_keyring_or_charts(tmp_path: Path) -> None:
    result = run_probe(PROBE, f"sqlite:///{tmp_path / 'new.db'}", tmp_path)
    assert result["code"] == 0
    loaded = result["loaded"]
    assert isinstance(loaded, list)
    assert "PySide6" in loaded  # the probe sees what the start imported
    assert "peewee" in loaded
    assert [name for name in LEFT_OUT if name in loaded] == []
    # The log file opened once the window painted, and holds what was logged before.
    assert (tmp_path / "state" / "incidentdesk" / "log" / LOG_FILE_NAME).is_file()


@pytest.mark.postgres
def test_a_start_on_postgresql_imports_the_driver(
    postgres_schema_address: str, tmp_path: Path
) -> None:
    result = run_probe(PROBE, postgres_schema_address, tmp_path)
    assert result["code"] == 0
    loaded = result["loaded"]
    assert isinstance(loaded, list)
    assert "psycopg" in loaded


def test_no_garbage_collection_runs_before_the_first_paint(tmp_path: Path) -> None:
    """Start-up makes some 50,000 objects that all live on: collecting them cost about 15 ms
    of a start and found a few hundred. They are frozen at the paint; collections resume."""
    result = run_probe(COLLECTIONS_PROBE, f"sqlite:///{tmp_path / 'new.db'}", tmp_path)
    assert result["code"] == 0
    assert result["before the paint"] == 0
    assert result["enabled"] is True
    assert isinstance(result["after it"], int)
    assert result["after it"] > 0
