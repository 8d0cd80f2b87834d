"""An open SQLite database keeps its locks on the file. They are POSIX locks, which belong to
the process: closing any other descriptor of the file (a header read with ``open``) drops
them all. Another process then believes it is the file's last user, checkpoints and deletes
the -wal file, and what this process commits afterwards goes to a deleted file: saved
without a word, then lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from incidentdesk.services.desk import open_desk
from incidentdesk.services.incidents import IncidentQuery
from tests.factories import make_draft, sqlite_path

# Another client's visit: it opens the file, reads, and closes, which makes it delete the
# -wal file if it finds no one else holding the file.
VISIT = (
    "import sqlite3, sys; connection = sqlite3.connect(sys.argv[1]); "
    "connection.execute('SELECT count(*) FROM sqlite_master').fetchone(); connection.close()"
)


def other_client_visits(path: Path) -> None:
    subprocess.run([sys.executable, "-c", VISIT, str(path)], check=True, timeout=60)


def incidents_seen_by_a_new_client(address: str) -> int:
    desk = open_desk(address, login="reader")
    try:
        return desk.incidents.count(IncidentQuery())
    finally:
        desk.close()


def test_a_save_after_another_client_came_and_went_is_kept(sqlite_address: str) -> None:
    open_desk(sqlite_address, login="setup").close()
    desk = open_desk(sqlite_address, login="desk")
    try:
        desk.incidents.create(make_draft(title="Before the visit"), desk.actor_id)
        other_client_visits(sqlite_path(sqlite_address))
        desk.incidents.create(make_draft(title="After the visit"), desk.actor_id)
        assert sqlite_path(sqlite_address).with_name("incidents.db-wal").exists()
        assert incidents_seen_by_a_new_client(sqlite_address) == 2
    finally:
        desk.close()


def test_opening_the_file_again_in_this_process_keeps_the_first_connection_s_locks(
    sqlite_address: str,
) -> None:
    desk = open_desk(sqlite_address, login="desk")
    try:
        open_desk(sqlite_address, login="second window").close()
        other_client_visits(sqlite_path(sqlite_address))
        desk.incidents.create(make_draft(title="After the second window"), desk.actor_id)
        assert incidents_seen_by_a_new_client(sqlite_address) == 1
    finally:
        desk.close()
