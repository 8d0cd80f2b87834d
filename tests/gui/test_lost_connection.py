"""The window keeps working after the PostgreSQL server ends its connections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from incidentdesk.services.changes import changed, unchanged
from incidentdesk.services.desk import Desk
from incidentdesk.services.incidents import IncidentQuery
from incidentdesk.ui.main_window import MainWindow
from incidentdesk.ui.tasks import TaskRunner
from tests.conftest import POSTGRES_ADMIN_URL
from tests.factories import make_draft
from tests.gui.conftest import RecordingDialogs, make_demo_database


def test_reads_and_saves_work_after_every_connection_was_ended(
    qtbot,
    runner: TaskRunner,
    idle: Callable[[], bool],
    dialogs: RecordingDialogs,
    postgres_schema_address: str,
) -> None:
    make_demo_database(postgres_schema_address, 40)
    window = MainWindow(runner, dialogs)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.view_painted, timeout=20_000):
        window.open_database(postgres_schema_address)
    desk = window.desk
    assert desk is not None

    def backend_pid(desk: Desk) -> int:
        (pid,) = desk.store.database.execute_sql("SELECT pg_backend_pid()").fetchone()
        return int(pid)

    pids: list[int] = []
    # The files thread never touches the database.
    runner.read(window, backend_pid, pids.append)
    runner.write(window, lambda desk: unchanged(backend_pid(desk)), pids.append)
    qtbot.waitUntil(lambda: len(pids) == 2)
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        for pid in set(pids):
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    for _ in range(3):
        with qtbot.waitSignal(window.model.loaded, timeout=20_000):
            QTest.keyClick(window, Qt.Key.Key_F5)
        assert window.connection_label.text() != "Connection problem"
        assert "closed" not in window.statusBar().currentMessage()

    saved: list[Any] = []
    runner.write(
        window,
        lambda desk: changed(
            desk.incidents.create(make_draft(title="Saved after the kill"), desk.actor_id), []
        ),
        saved.append,
    )
    qtbot.waitUntil(lambda: bool(saved))
    counted: list[int] = []
    runner.read(
        window, lambda desk: desk.incidents.count(IncidentQuery(text="kill")), counted.append
    )
    qtbot.waitUntil(lambda: bool(counted))
    assert counted == [1]
    assert dialogs.messages == []
    qtbot.waitUntil(idle)
    desk.close()  # each worker's connection, before the window and its runner go
