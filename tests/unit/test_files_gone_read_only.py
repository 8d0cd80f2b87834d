"""Database files made read-only while open (chattr +i): no Bus error, one line, a clean exit.

SQLite maps the -shm file into memory; once the file is immutable a write to that mapping
kills the process with SIGBUS. The program must neither read, write nor close through it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent(
    """
    import subprocess, sys
    from concurrent.futures import ThreadPoolExecutor
    from incidentdesk.services.desk import open_desk
    from incidentdesk.services.incidents import IncidentQuery
    from incidentdesk.storage.database import DatabaseUnavailable
    from tests.factories import make_draft

    path = sys.argv[1]
    desk = open_desk(f"sqlite:///{path}", login="tester")
    desk.incidents.create(make_draft(title="Saved before"), desk.actor_id)
    workers = ThreadPoolExecutor(max_workers=2)
    # Worker threads hold connections of their own, as the window's do.
    print("counted", list(workers.map(lambda _: desk.incidents.count(IncidentQuery()), range(4))))
    for name in (path, path + "-wal", path + "-shm"):
        subprocess.run(["chattr", "+i", name], check=True)
    print("immutable", flush=True)
    for what, work in (
        ("read", lambda: desk.incidents.count(IncidentQuery())),
        ("write", lambda: desk.incidents.create(make_draft(title="After"), desk.actor_id)),
        ("worker read", lambda: workers.submit(desk.incidents.count, IncidentQuery()).result()),
    ):
        try:
            work()
        except DatabaseUnavailable as error:
            print(what, "refused:", error, flush=True)
    workers.shutdown()
    desk.close()
    print("closed", flush=True)
    """
)


@pytest.fixture
def immutable_capable(tmp_path: Path) -> None:
    if os.geteuid() != 0 or shutil.which("chattr") is None:
        pytest.skip("making a file immutable needs root and chattr")
    probe = tmp_path / "probe"
    probe.write_text("x")
    made = subprocess.run(["chattr", "+i", str(probe)], capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"the file system of {tmp_path} does not take chattr +i")
    subprocess.run(["chattr", "-i", str(probe)], check=True)


def test_files_made_immutable_while_open_end_in_words_not_a_bus_error(
    tmp_path: Path, immutable_capable: None
) -> None:
    path = tmp_path / "incidents.db"
    try:
        finished = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=Path(__file__).parents[2],
            check=False,
        )
    finally:
        for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            if name.exists():
                subprocess.run(["chattr", "-i", str(name)], check=True)

    assert "Fatal Python error" not in finished.stderr
    assert finished.returncode == 0, finished.stderr
    assert "immutable" in finished.stdout
    for what in ("read", "write", "worker read"):
        assert f"\n{what} refused: " in finished.stdout, finished.stdout
    assert "became read-only while it was open; it was left" in finished.stderr
    assert finished.stdout.rstrip().endswith("closed")
    assert "Traceback" not in finished.stderr
    # What was saved before is all there.
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        titles = [title for (title,) in connection.execute("SELECT title FROM incident")]
    finally:
        connection.close()
    assert titles == ["Saved before"]
